"""Settings of the eval-worker process."""

from __future__ import annotations

from pydantic import AliasChoices, Field

from spyglass_core.settings import group_config
from spyglass_jobs import WorkerPoolSettings, WorkerProcessSettings


class EvalWorkerPoolSettings(WorkerPoolSettings):
    """The worker pool and its health port (`SPYGLASS_EVAL_WORKER_*`)."""

    model_config = group_config("SPYGLASS_EVAL_WORKER_")

    port: int = Field(
        validation_alias=AliasChoices("SPYGLASS_EVAL_WORKER_HEALTH_PORT"),
        default=9102,
        ge=0,
        le=65535,
        description="Health and metrics port.",
    )


class EvalWorkerSettings(WorkerProcessSettings):
    """Everything the eval-worker reads from the environment."""

    worker: EvalWorkerPoolSettings = Field(default_factory=EvalWorkerPoolSettings)
