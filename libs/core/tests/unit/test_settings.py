"""Settings: environment names follow the settings path, and bad values name their variable."""

from __future__ import annotations

from typing import ClassVar

import pytest
from pydantic import AliasChoices, Field, SecretStr
from structlog.testing import capture_logs

from spyglass_core.errors import ConfigurationError
from spyglass_core.settings import (
    DbSettings,
    NatsSettings,
    ProcessSettings,
    RedisSettings,
    SettingsGroup,
    effective_settings,
    group_config,
    load_settings,
    redact_url,
)


class ExampleSettings(ProcessSettings):
    db: DbSettings = Field(default_factory=DbSettings)
    nats: NatsSettings = Field(default_factory=NatsSettings)
    redis: RedisSettings = Field(default_factory=RedisSettings)


def test_groups_read_their_prefixed_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPYGLASS_DB_URL", "postgresql://user:secret@db.internal:5433/traces")
    monkeypatch.setenv("SPYGLASS_NATS_URL", "nats://bus:4222")
    monkeypatch.setenv("SPYGLASS_LOG_LEVEL", "debug")

    settings = load_settings(ExampleSettings)

    assert settings.db.url == "postgresql://user:secret@db.internal:5433/traces"
    assert settings.db.async_url == "postgresql+asyncpg://user:secret@db.internal:5433/traces"
    assert settings.nats.url == "nats://bus:4222"
    assert settings.log.level == "DEBUG"
    assert settings.redis.url == "redis://127.0.0.1:6379/0"


def test_phoenix_database_variable_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHOENIX_SQL_DATABASE_URL", "postgresql://phoenix@pg:5432/phoenix")

    assert load_settings(DbSettings).url == "postgresql://phoenix@pg:5432/phoenix"


def test_spyglass_variable_wins_over_phoenix_alias(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHOENIX_SQL_DATABASE_URL", "postgresql://phoenix@pg:5432/phoenix")
    monkeypatch.setenv("SPYGLASS_DB_URL", "postgresql://spyglass@pg:5432/spyglass")

    assert load_settings(DbSettings).url == "postgresql://spyglass@pg:5432/spyglass"


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("SPYGLASS_DB_URL", "mysql://root@localhost/db", "must start with one of postgresql://"),
        ("SPYGLASS_DB_URL", "postgresql://", "has no host"),
        ("SPYGLASS_NATS_URL", "nats://bus:99999", "invalid port"),
        ("SPYGLASS_REDIS_URL", "localhost:6379", "must start with one of redis://"),
        ("SPYGLASS_LOG_LEVEL", "loud", "Input should be"),
        ("SPYGLASS_SHUTDOWN_TIMEOUT_SECONDS", "-1", "greater than 0"),
    ],
)
def test_invalid_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(ConfigurationError) as caught:
        load_settings(ExampleSettings)

    assert f"{variable}: " in caught.value.message
    assert expected in caught.value.message


def test_settings_constructed_directly_ignore_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SPYGLASS_DB_URL", "postgresql://from-env@pg/db")

    settings = DbSettings(url="postgresql://direct@pg/db")

    assert settings.url == "postgresql://direct@pg/db"


def test_bare_port_and_url_variables_are_not_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    # Platforms such as Cloud Run and Heroku set PORT; nothing but SPYGLASS_* may move us.
    monkeypatch.setenv("PORT", "1234")
    monkeypatch.setenv("URL", "postgresql://elsewhere/db")
    monkeypatch.setenv("DB_URL", "postgresql://elsewhere/db")

    settings = load_settings(ExampleSettings)

    assert settings.db.url == "postgresql://postgres@127.0.0.1:5432/spyglass"
    assert settings.nats.url == "nats://127.0.0.1:4222"
    assert load_settings(DbSettings, url="postgresql://given@db/x").url == "postgresql://given@db/x"


def test_urls_in_messages_hide_their_password() -> None:
    assert redact_url("redis://:s3cret@cache:6379/0") == "redis://:***@cache:6379/0"
    assert redact_url("postgresql://app:pw@db/x") == "postgresql://app:***@db/x"
    assert redact_url("nats://bus:4222") == "nats://bus:4222"


# --- former names: renamed variables keep working, with one warning each ------------------------


class RenamedGroup(SettingsGroup):
    """A group moved from SPYGLASS_OLD_ to SPYGLASS_NEW_, one field of it irregularly named."""

    model_config = group_config("SPYGLASS_NEW_")
    former_prefix: ClassVar = "SPYGLASS_OLD_"
    former_names: ClassVar = {"port": "SPYGLASS_OLD_LISTEN_PORT"}

    batch_size: int = Field(default=8, ge=1)
    port: int = Field(default=4318, validation_alias=AliasChoices("SPYGLASS_NEW_PORT", "PHX_PORT"))


class RenamedProcess(ProcessSettings):
    renamed: RenamedGroup = Field(default_factory=RenamedGroup)


def test_former_names_still_set_their_fields_with_one_warning_each(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SPYGLASS_OLD_BATCH_SIZE", "32")
    monkeypatch.setenv("SPYGLASS_OLD_LISTEN_PORT", "9000")

    with capture_logs() as logs:
        settings = load_settings(RenamedProcess)

    assert (settings.renamed.batch_size, settings.renamed.port) == (32, 9000)
    renamed = {log["variable"]: log for log in logs if log["event"] == "setting_renamed"}
    assert renamed.keys() == {"SPYGLASS_OLD_BATCH_SIZE", "SPYGLASS_OLD_LISTEN_PORT"}
    assert renamed["SPYGLASS_OLD_BATCH_SIZE"]["use_instead"] == "SPYGLASS_NEW_BATCH_SIZE"
    assert renamed["SPYGLASS_OLD_LISTEN_PORT"]["use_instead"] == "SPYGLASS_NEW_PORT"
    assert all(log["log_level"] == "warning" and not log["ignored"] for log in renamed.values())


def test_current_and_compatibility_names_win_over_former_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SPYGLASS_OLD_BATCH_SIZE", "32")
    monkeypatch.setenv("SPYGLASS_NEW_BATCH_SIZE", "64")
    monkeypatch.setenv("SPYGLASS_OLD_LISTEN_PORT", "9000")
    monkeypatch.setenv("PHX_PORT", "9001")

    with capture_logs() as logs:
        settings = load_settings(RenamedGroup)

    assert (settings.batch_size, settings.port) == (64, 9001)
    ignored = {log["variable"] for log in logs if log.get("ignored")}
    assert ignored == {"SPYGLASS_OLD_BATCH_SIZE", "SPYGLASS_OLD_LISTEN_PORT"}


def test_no_warning_without_former_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPYGLASS_NEW_BATCH_SIZE", "64")
    monkeypatch.setenv("PHOENIX_SQL_DATABASE_URL", "postgresql://phoenix@pg:5432/phoenix")

    with capture_logs() as logs:
        load_settings(RenamedProcess)
        load_settings(DbSettings)

    assert logs == []


def test_an_invalid_value_under_a_former_name_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPYGLASS_OLD_BATCH_SIZE", "0")

    with pytest.raises(ConfigurationError, match="SPYGLASS_NEW_BATCH_SIZE"):
        load_settings(RenamedProcess)


# --- effective settings: what `<program> settings` prints ---------------------------------------


def test_effective_settings_name_every_variable_and_mask_secrets() -> None:
    class WithSecret(ExampleSettings):
        token: SecretStr = Field(default=SecretStr("s3cr3t"))

    settings = WithSecret(
        db=DbSettings(url="postgresql://user:hunter2@db.internal:5432/traces"),
        redis=RedisSettings(url="redis://:hunter2@cache:6379/0"),
    )

    shown = dict(effective_settings(settings))

    assert shown["SPYGLASS_DB_URL"] == "postgresql://user:***@db.internal:5432/traces"
    assert shown["SPYGLASS_REDIS_URL"] == "redis://:***@cache:6379/0"
    assert shown["SPYGLASS_TOKEN"] == "***"
    assert shown["SPYGLASS_DB_POOL_SIZE"] == "10"
    assert shown["SPYGLASS_LOG_LEVEL"] == "INFO"
    assert "hunter2" not in repr(shown) and "s3cr3t" not in repr(shown)
