"""Settings: environment names follow the settings path, and bad values name their variable."""

from __future__ import annotations

import pytest
from pydantic import Field

from spyglass_core.errors import ConfigurationError
from spyglass_core.settings import (
    DbSettings,
    NatsSettings,
    ProcessSettings,
    RedisSettings,
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
