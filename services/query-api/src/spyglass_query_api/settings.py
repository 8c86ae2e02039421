"""Settings of the query API process (`SPYGLASS_QUERY_API_*`, plus the shared groups)."""

from __future__ import annotations

from pydantic import Field

from spyglass_core.settings import DbSettings, Port, ProcessSettings, ServerSettings, group_config


class QueryApiServerSettings(ServerSettings):
    """Where the query API listens. Internal: browsers and clients reach it through the gateway."""

    model_config = group_config("SPYGLASS_QUERY_API_")

    port: Port = Field(default=6007, description="TCP port of REST and GraphQL.")


class QueryApiSettings(ProcessSettings):
    """Everything the query API reads from the environment."""

    server: QueryApiServerSettings = Field(default_factory=QueryApiServerSettings)
    db: DbSettings = Field(default_factory=DbSettings)
