"""The evaluation plane's two processes, as ``spyglass run`` and the configuration reference see
them.

Declared under the ``spyglass.services`` entry points in this package's ``pyproject.toml``; the
launcher (a library) finds them there and never imports this package by name. The Celery worker
and the online evaluation dispatcher are separate processes that scale on their own, so each
has its own entry.
"""

from __future__ import annotations

from spyglass_core.services import ServiceSpec
from spyglass_eval_worker.settings import DispatcherSettings, EvalWorkerSettings

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

DISPATCHER = ServiceSpec(
    name="eval-dispatcher",
    title="eval dispatcher",
    order=45,
    module="spyglass_eval_worker",
    arguments=("dispatcher",),
    settings=DispatcherSettings,
    listeners=("health",),
    health="health",
)
"""`spans.stored` in, evaluation jobs recorded and sent to the `evaluations` queue; it listens
only for health and metrics."""
