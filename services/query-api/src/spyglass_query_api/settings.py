"""Settings of the query API process (`SPYGLASS_QUERY_API_*`, plus the shared groups)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import AliasChoices, Field

from spyglass_auth import AuthSettings
from spyglass_core.browser_guard import LOOPBACK_HOSTS, HostPatterns, OriginList
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
from spyglass_db.retention import RetentionSettings
from spyglass_llm.secrets import SecretsSettings


class QueryApiServerSettings(ServerSettings):
    """Where the query API listens. Internal: browsers and clients reach it through the gateway."""

    model_config = group_config("SPYGLASS_QUERY_API_")

    port: Port = Field(default=6007, description="TCP port of REST and GraphQL.")
    gzip_level: int = Field(
        default=1,
        ge=0,
        le=9,
        description=(
            "gzip level of answers of 1 KB and more to clients that accept gzip; 0 sends them"
            " uncompressed. Level 1 brings a 10,000-span trace's 831 KB outline to 198 KB in"
            " under 10 ms."
        ),
    )
    allowed_hosts: HostPatterns = Field(
        default=LOOPBACK_HOSTS,
        description="Host names the query API answers to (the `Host` header, any port), "
        "comma-separated, as for the gateway: list the name the gateway reaches it by "
        "(`query-api` in compose and Kubernetes). Default: the loopback names. `/healthz`, "
        "`/readyz` and `/metrics` answer any host.",
    )
    allowed_origins: OriginList = Field(
        default=(),
        description="Origins besides the query API's own, comma-separated, whose pages may "
        "send POST, PUT, PATCH and DELETE requests. Browsers reach it through the gateway, "
        "which checks their origin and forwards none.",
    )


class SpanUploadSettings(SettingsGroup):
    """Span uploads (``POST /v1/projects/{id}/spans``), which go through the span bus."""

    model_config = group_config("SPYGLASS_QUERY_API_UPLOAD_")
    former_names: ClassVar = {"model_prices_file": "SPYGLASS_INGEST_MODEL_PRICES_FILE"}

    publish_timeout_seconds: float = Field(
        default=10.0, gt=0, description="How long JetStream may take to store uploaded spans."
    )
    retry_after_seconds: int = Field(
        default=2, ge=1, description="The Retry-After an upload is given when the bus is full."
    )
    model_prices_file: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("SPYGLASS_RECEIVER_MODEL_PRICES_FILE"),
        # The receiver's variable: uploaded spans are priced exactly as received ones.
        description="JSON file of model prices that extend or override the built-in table.",
    )


class PlaygroundSettings(SettingsGroup):
    """The playground's chat completions (``POST /v1/chat/completions``)."""

    model_config = group_config("SPYGLASS_QUERY_API_PLAYGROUND_")

    timeout_seconds: float = Field(
        default=25.0,
        gt=0,
        le=600,
        description=(
            "How long a provider may take to answer a chat completion (for a stream: to send"
            " each chunk) before the call fails with 504. Keep it under the gateway's"
            " SPYGLASS_GATEWAY_UPSTREAM_TIMEOUT_SECONDS, so that the client gets this clear"
            " error rather than the gateway's."
        ),
    )
    project_name: str = Field(
        default="playground",
        min_length=1,
        max_length=256,
        description="The project every chat completion is traced into (created if missing).",
    )


class QueryApiSettings(ProcessSettings):
    """Everything the query API reads from the environment."""

    server: QueryApiServerSettings = Field(default_factory=QueryApiServerSettings)
    db: DbSettings = Field(default_factory=DbSettings)
    nats: NatsSettings = Field(default_factory=NatsSettings)
    upload: SpanUploadSettings = Field(default_factory=SpanUploadSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    redis: RedisSettings = Field(default_factory=RedisSettings)
    secrets: SecretsSettings = Field(default_factory=SecretsSettings)
    playground: PlaygroundSettings = Field(default_factory=PlaygroundSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
