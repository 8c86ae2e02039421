"""Settings of the eval-worker process."""

from __future__ import annotations

from typing import Literal

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
from spyglass_llm.secrets import SecretsSettings


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
    pool: Literal["prefork", "threads", "solo"] = Field(
        default="threads",
        description="Celery execution pool. Evaluations wait on provider calls, the sandbox "
        "and PostgreSQL, all on one event loop per process, so threads (the default) are "
        "enough; run more processes (replicas) for more CPU.",
    )
    concurrency: int = Field(
        default=4,
        ge=1,
        description="Tasks (each a batch of evaluation jobs) one process works on at once.",
    )


class EvaluationSettings(SettingsGroup):
    """How the worker runs evaluations (`SPYGLASS_EVALUATIONS_*`)."""

    model_config = group_config("SPYGLASS_EVALUATIONS_")

    lease_seconds: float = Field(
        default=300.0,
        gt=1,
        description="How long a claimed evaluation may take before it is presumed lost (its "
        "worker died) and queued again. Keep it above the call timeout and code's wall limit.",
    )
    calls_in_flight: int = Field(
        default=64,
        ge=1,
        le=10_000,
        description="Provider calls (LLM judges) one process has open at once.",
    )
    call_timeout_seconds: float = Field(
        default=60.0,
        gt=0,
        le=3600,
        description="The longest one judge call may take; then it is retried as a transient "
        "failure.",
    )
    max_attempts: int = Field(
        default=5,
        ge=1,
        le=50,
        description="Attempts of one evaluation on transient failures (5xx, timeouts, lost "
        "connections, an unusable judge answer, the sandbox restarting) before it fails.",
    )
    max_rate_limited: int = Field(
        default=50,
        ge=1,
        le=1000,
        description="429 answers one evaluation waits out before it fails.",
    )
    failures_to_pause: int = Field(
        default=20,
        ge=1,
        description="Judge calls of one rule failing in a row (a provider that is down) that "
        "pause the rule with the last error as the reason.",
    )
    sandbox_children: int = Field(
        default=4,
        ge=1,
        le=256,
        description="Code evaluations one process runs at once in its sandbox.",
    )


class EvalWorkerSettings(WorkerProcessSettings):
    """Everything the eval-worker reads from the environment."""

    worker: EvalWorkerPoolSettings = Field(default_factory=EvalWorkerPoolSettings)
    evaluations: EvaluationSettings = Field(default_factory=EvaluationSettings)
    db: DbSettings = Field(default_factory=DbSettings)
    secrets: SecretsSettings = Field(default_factory=SecretsSettings)


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
