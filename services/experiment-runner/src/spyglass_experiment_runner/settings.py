"""Settings of the experiment-runner process."""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field, field_validator

from spyglass_core.settings import DbSettings, SettingsGroup, group_config
from spyglass_jobs import WorkerPoolSettings, WorkerProcessSettings
from spyglass_llm.secrets import SecretsSettings


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
    pool: Literal["prefork", "threads", "solo"] = Field(
        default="threads",
        description="Celery execution pool. Chunks wait on provider calls, which one event "
        "loop per process makes, so threads (the default) are enough.",
    )
    concurrency: int = Field(
        default=8,
        ge=1,
        description="Chunks of experiment runs one process works on at once. A chunk's runs "
        "waiting out a 429's Retry-After hold no call slot, so more chunks keep the slots busy "
        "meanwhile.",
    )


class ExperimentJobSettings(SettingsGroup):
    """How server-side experiments call models (`SPYGLASS_EXPERIMENTS_*`)."""

    model_config = group_config("SPYGLASS_EXPERIMENTS_")

    ingest_url: str = Field(
        default="http://127.0.0.1:4318",
        description="Base URL of the receiver's OTLP/HTTP port: each run's trace goes there.",
    )
    calls_in_flight: int = Field(
        default=64,
        ge=1,
        le=10_000,
        description="Provider calls one process has open at once, over all its chunks. More "
        "calls in flight cost no more CPU each (fewer, in fact: the event loop handles more "
        "answers per wake-up); the shared rate limit, not this, keeps a provider's 429s away.",
    )
    call_timeout_seconds: float = Field(
        default=60.0,
        gt=0,
        description="The longest one provider call may take; then it counts as a transient "
        "failure and is retried.",
    )
    max_attempts: int = Field(
        default=3,
        ge=1,
        le=20,
        description="Attempts of one run on transient failures (5xx, timeouts, lost "
        "connections) before it is stored as failed. Rate-limited attempts do not count.",
    )
    failures_to_pause: int = Field(
        default=20,
        ge=1,
        description="Runs failing in a row (after their retries) that pause a job, with the "
        "last error as the reason, instead of failing every run left.",
    )
    chunk_size: int = Field(
        default=50,
        ge=1,
        le=1000,
        description="(example, repetition) pairs one queued task carries.",
    )
    chunk_seconds: float = Field(
        default=60.0,
        gt=0,
        description="A chunk still running after this long queues what it has not started "
        "as a new chunk and finishes, so that a task never outlives the visibility timeout.",
    )
    visibility_timeout_seconds: float = Field(
        default=600.0,
        gt=0,
        description="A chunk its worker took but never acknowledged (the worker died) goes "
        "back to the queue after this long. Keep it above chunk seconds plus attempts times "
        "the call timeout.",
    )
    restore_interval_seconds: float = Field(
        default=10.0,
        gt=0,
        description="How often a worker looks for chunks to take back from dead workers.",
    )

    @field_validator("ingest_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"must be an http:// or https:// URL; got {value!r}")
        return value.rstrip("/")


class ExperimentRunnerSettings(WorkerProcessSettings):
    """Everything the experiment-runner reads from the environment."""

    worker: ExperimentRunnerPoolSettings = Field(default_factory=ExperimentRunnerPoolSettings)
    experiments: ExperimentJobSettings = Field(default_factory=ExperimentJobSettings)
    db: DbSettings = Field(default_factory=DbSettings)
    secrets: SecretsSettings = Field(default_factory=SecretsSettings)
