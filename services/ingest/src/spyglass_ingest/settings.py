"""Settings of the two ingest processes: the receiver (`SPYGLASS_RECEIVER_*`, Phoenix's auth
switches, and `SPYGLASS_DB_*` when auth is on) and the writer (`SPYGLASS_WRITER_*`, and
`SPYGLASS_DB_*` for its connections).

Until issue 14 both parts were spelled `SPYGLASS_INGEST_*` / `SPYGLASS_INGEST_WRITER_*`; those
names still work, each logged once as `setting_renamed` with its new name.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import AliasChoices, Field

from spyglass_auth import AuthSettings
from spyglass_core.settings import (
    DbSettings,
    NatsSettings,
    Port,
    ProcessSettings,
    ServerSettings,
    SettingsGroup,
    group_config,
)


class ReceiverHttpSettings(ServerSettings):
    """OTLP/HTTP: ``POST /v1/traces``, plus health and metrics."""

    model_config = group_config("SPYGLASS_RECEIVER_")
    former_names: ClassVar = {"host": "SPYGLASS_INGEST_HOST", "port": "SPYGLASS_INGEST_HTTP_PORT"}

    host: str = Field(
        default="127.0.0.1",
        description="Interface both OTLP servers bind; 0.0.0.0 for all.",
    )
    port: Port = Field(
        default=4318,
        validation_alias=AliasChoices("SPYGLASS_RECEIVER_HTTP_PORT"),
        description="OTLP/HTTP port.",
    )


class ReceiverGrpcSettings(ServerSettings):
    """OTLP/gRPC: ``TraceService/Export``."""

    model_config = group_config("SPYGLASS_RECEIVER_")
    former_names: ClassVar = {"host": "SPYGLASS_INGEST_HOST", "port": "SPYGLASS_INGEST_GRPC_PORT"}

    host: str = Field(
        default="127.0.0.1",
        description="Interface both OTLP servers bind; 0.0.0.0 for all.",
    )
    port: Port = Field(
        default=4317,
        validation_alias=AliasChoices("SPYGLASS_RECEIVER_GRPC_PORT", "PHOENIX_GRPC_PORT"),
        description="OTLP/gRPC port.",
    )


class ReceiverLimitSettings(SettingsGroup):
    """What one receiver accepts, and how it pushes back when it can't take more."""

    model_config = group_config("SPYGLASS_RECEIVER_")
    former_prefix: ClassVar = "SPYGLASS_INGEST_"

    max_request_bytes: int = Field(
        default=32 * 1024 * 1024,
        ge=1024,
        description="Largest export request, after decompression; larger ones get 413.",
    )
    max_inflight_bytes: int = Field(
        default=64 * 1024 * 1024,
        ge=1024 * 1024,
        description="Memory for requests being decoded and published (each is charged four "
        "times its size); past it, requests are refused with 429 and Retry-After. A request "
        "alone is always admitted, up to SPYGLASS_RECEIVER_MAX_REQUEST_BYTES.",
    )
    max_attribute_value_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        description="Largest single attribute value; a span with a larger one is refused (413).",
    )
    max_attributes_per_span: int = Field(
        default=1024, ge=16, description="Most attributes one span may carry."
    )
    publish_timeout_seconds: float = Field(
        default=10.0, gt=0, description="How long JetStream may take to store a batch."
    )
    retry_after_seconds: int = Field(
        default=2, ge=1, description="The Retry-After a client is given when the bus is full."
    )
    model_prices_file: Path | None = Field(
        default=None,
        description="JSON file of model prices that extend or override the built-in table.",
    )


class WriterHealthSettings(ServerSettings):
    """The writer's health and metrics server."""

    model_config = group_config("SPYGLASS_WRITER_")
    former_names: ClassVar = {
        "host": "SPYGLASS_INGEST_WRITER_HOST",
        "port": "SPYGLASS_INGEST_WRITER_HEALTH_PORT",
    }

    port: Port = Field(
        default=9101,
        validation_alias=AliasChoices("SPYGLASS_WRITER_HEALTH_PORT"),
        description="Health and metrics port of the writer.",
    )


class WriterTuningSettings(SettingsGroup):
    """How much one writer takes at a time, and how patiently it retries the database."""

    model_config = group_config("SPYGLASS_WRITER_")
    former_prefix: ClassVar = "SPYGLASS_INGEST_WRITER_"

    fetch_messages: int = Field(
        default=8, ge=1, le=1024, description="Span batch messages written per transaction."
    )
    ack_wait_seconds: float = Field(
        default=60.0,
        gt=1,
        description="How long a fetched message may stay unacked before JetStream redelivers it.",
    )
    max_ack_pending: int = Field(
        default=1024, ge=1, description="Messages all writers together may hold unacked."
    )
    retry_initial_seconds: float = Field(
        default=0.5, gt=0, description="First pause before retrying a write the database refused."
    )
    retry_max_seconds: float = Field(
        default=5.0, gt=0, description="Longest pause between retries while the database is down."
    )
    concurrency: int = Field(
        default=2,
        ge=1,
        le=16,
        description="Batches one writer process writes at once (each on its own connection).",
    )


class WriterDbSettings(DbSettings):
    """The writer's PostgreSQL connections: `SPYGLASS_DB_*` as every process reads them, with a
    smaller pool by default (a writer needs one connection per concurrent batch, and a few for
    health checks and retries)."""

    former_names: ClassVar = {"pool_size": "SPYGLASS_INGEST_WRITER_POOL_SIZE"}

    pool_size: int = Field(default=4, ge=1, description="Connections kept open per process.")
    pool_max_overflow: int = Field(
        default=0, ge=0, description="Extra connections allowed above the pool size under load."
    )


class ReceiverDbSettings(DbSettings):
    """The receiver's PostgreSQL connections, opened only when auth is on, to read the API keys
    it is sent: `SPYGLASS_DB_*` as every process reads them, with a small pool by default (a
    key is read once per `SPYGLASS_AUTH_CACHE_SECONDS`, whatever the request rate)."""

    pool_size: int = Field(default=2, ge=1, description="Connections kept open per process.")
    pool_max_overflow: int = Field(
        default=2, ge=0, description="Extra connections allowed above the pool size under load."
    )


class ReceiverSettings(ProcessSettings):
    """Everything the receiver reads from the environment."""

    http: ReceiverHttpSettings = Field(default_factory=ReceiverHttpSettings)
    grpc: ReceiverGrpcSettings = Field(default_factory=ReceiverGrpcSettings)
    limits: ReceiverLimitSettings = Field(default_factory=ReceiverLimitSettings)
    nats: NatsSettings = Field(default_factory=NatsSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    db: ReceiverDbSettings = Field(default_factory=ReceiverDbSettings)
    """Read only when auth is on: with auth off the receiver never connects to PostgreSQL."""


class WriterSettings(ProcessSettings):
    """Everything the writer reads from the environment."""

    health: WriterHealthSettings = Field(default_factory=WriterHealthSettings)
    tuning: WriterTuningSettings = Field(default_factory=WriterTuningSettings)
    nats: NatsSettings = Field(default_factory=NatsSettings)
    db: WriterDbSettings = Field(default_factory=WriterDbSettings)
