"""The experiment runner's process, as ``spyglass run`` and the configuration reference see it.

Declared under the ``spyglass.services`` entry points in this package's ``pyproject.toml``; the
launcher (a library) finds it there and never imports this package by name.
"""

from __future__ import annotations

from spyglass_core.services import ServiceSpec, Upstream
from spyglass_experiment_runner.settings import ExperimentRunnerSettings

SERVICE = ServiceSpec(
    name="experiment-runner",
    title="experiment-runner",
    order=50,
    module="spyglass_experiment_runner",
    settings=ExperimentRunnerSettings,
    listeners=("worker",),
    health="worker",
    upstreams=(Upstream("experiments.ingest_url", service="ingest-receiver", listener="http"),),
)
"""A Celery worker on the `experiments` queue; it listens only for health and metrics."""
