"""Settings of the eval-worker process."""

from __future__ import annotations

from pydantic import AliasChoices, Field

from spyglass_core.settings import (
    DbSettings,
    NatsSettings,
    Port,
    ProcessSettings,
    RedisSettings,
    ServerSettings,
    SettingsGroup,
    group_config,
)
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


class DispatcherHealthSettings(ServerSettings):
    """The dispatcher's health and metrics server."""

    model_config = group_config("SPYGLASS_EVAL_DISPATCHER_")

    port: Port = Field(
        default=9104,
        validation_alias=AliasChoices("SPYGLASS_EVAL_DISPATCHER_HEALTH_PORT"),
        description="Health and metrics port of the online evaluation dispatcher.",
    )


class DispatcherTuningSettings(SettingsGroup):
    """How the dispatcher reads `spans.stored` and keeps jobs moving."""

    model_config = group_config("SPYGLASS_EVAL_DISPATCHER_")

    fetch_messages: int = Field(
        default=32, ge=1, le=1024, description="Announcements decided per transaction."
    )
    ack_wait_seconds: float = Field(
        default=60.0,
        gt=1,
        description="How long a fetched announcement may stay unacked before it is redelivered.",
    )
    rules_refresh_seconds: float = Field(
        default=5.0,
        gt=0,
        description="How stale the dispatcher's view of the rules may be: a rule created, "
        "changed or paused takes effect within this long.",
    )
    lease_seconds: float = Field(
        default=300.0,
        gt=1,
        description="How long a queued or running evaluation may take before it is presumed "
        "lost (a worker died, a task vanished) and queued again.",
    )
    release_interval_seconds: float = Field(
        default=1.0,
        gt=0,
        description="How often jobs whose wait is over (a delay, a quiet trace) or whose lease "
        "ran out are queued.",
    )
    jobs_per_task: int = Field(
        default=20, ge=1, le=1000, description="Evaluation jobs one queued task carries."
    )


class DispatcherSettings(ProcessSettings):
    """Everything the online evaluation dispatcher reads from the environment."""

    health: DispatcherHealthSettings = Field(default_factory=DispatcherHealthSettings)
    tuning: DispatcherTuningSettings = Field(default_factory=DispatcherTuningSettings)
    nats: NatsSettings = Field(default_factory=NatsSettings)
    db: DbSettings = Field(default_factory=DbSettings)
    redis: RedisSettings = Field(default_factory=RedisSettings)
