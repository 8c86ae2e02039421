"""Settings of the two ingest processes, the receiver and the writer (`SPYGLASS_INGEST_*`)."""

from __future__ import annotations

from pydantic import AliasChoices, Field

from spyglass_core.settings import (
    DbSettings,
    NatsSettings,
    Port,
    ProcessSettings,
    ServerSettings,
    group_config,
)


class ReceiverHttpSettings(ServerSettings):
    """OTLP/HTTP: ``POST /v1/traces``, plus health and metrics."""

    model_config = group_config("SPYGLASS_INGEST_")

    port: Port = Field(
        default=4318,
        validation_alias=AliasChoices("SPYGLASS_INGEST_HTTP_PORT", "port"),
        description="OTLP/HTTP port.",
    )


class ReceiverGrpcSettings(ServerSettings):
    """OTLP/gRPC: ``TraceService/Export``."""

    model_config = group_config("SPYGLASS_INGEST_")

    port: Port = Field(
        default=4317,
        validation_alias=AliasChoices("SPYGLASS_INGEST_GRPC_PORT", "PHOENIX_GRPC_PORT", "port"),
        description="OTLP/gRPC port.",
    )


class WriterHealthSettings(ServerSettings):
    """The writer's health and metrics server."""

    model_config = group_config("SPYGLASS_INGEST_WRITER_")

    port: Port = Field(
        default=9101,
        validation_alias=AliasChoices("SPYGLASS_INGEST_WRITER_HEALTH_PORT", "port"),
        description="Health and metrics port of the writer.",
    )


class ReceiverSettings(ProcessSettings):
    """Everything the receiver reads from the environment."""

    http: ReceiverHttpSettings = Field(default_factory=ReceiverHttpSettings)
    grpc: ReceiverGrpcSettings = Field(default_factory=ReceiverGrpcSettings)
    nats: NatsSettings = Field(default_factory=NatsSettings)


class WriterSettings(ProcessSettings):
    """Everything the writer reads from the environment."""

    health: WriterHealthSettings = Field(default_factory=WriterHealthSettings)
    nats: NatsSettings = Field(default_factory=NatsSettings)
    db: DbSettings = Field(default_factory=DbSettings)
