"""Settings of the experiment-runner process."""

from __future__ import annotations

from pydantic import AliasChoices, Field

from spyglass_core.settings import group_config
from spyglass_jobs import WorkerPoolSettings, WorkerProcessSettings


class ExperimentRunnerPoolSettings(WorkerPoolSettings):
    """The worker pool and its health port (`SPYGLASS_EXPERIMENT_RUNNER_*`)."""

    model_config = group_config("SPYGLASS_EXPERIMENT_RUNNER_")

    port: int = Field(
        validation_alias=AliasChoices("SPYGLASS_EXPERIMENT_RUNNER_HEALTH_PORT"),
        default=9103,
        ge=0,
        le=65535,
        description="Health and metrics port.",
    )


class ExperimentRunnerSettings(WorkerProcessSettings):
    """Everything the experiment-runner reads from the environment."""

    worker: ExperimentRunnerPoolSettings = Field(default_factory=ExperimentRunnerPoolSettings)
