"""The evaluation worker's process, as ``spyglass run`` and the configuration reference see it.

Declared under the ``spyglass.services`` entry points in this package's ``pyproject.toml``; the
launcher (a library) finds it there and never imports this package by name.
"""

from __future__ import annotations

from spyglass_core.services import ServiceSpec
from spyglass_eval_worker.settings import EvalWorkerSettings

SERVICE = ServiceSpec(
    name="eval-worker",
    title="eval-worker",
    order=40,
    module="spyglass_eval_worker",
    settings=EvalWorkerSettings,
    listeners=("worker",),
    health="worker",
)
"""A Celery worker on the `evaluations` queue; it listens only for health and metrics."""
