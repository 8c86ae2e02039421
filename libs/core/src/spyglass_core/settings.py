"""Settings groups shared by every Spyglass process.

Each concern is one ``BaseSettings`` class whose environment names follow its path:
``DbSettings.url`` is ``SPYGLASS_DB_URL``, ``LogSettings.level`` is ``SPYGLASS_LOG_LEVEL``. A
service composes the groups it needs into its own settings class and builds it once, in
``main()``, with :func:`load_settings`. Nothing here reads the environment at import time, and
tests construct settings directly with keyword arguments.

The naming rule: every variable is ``SPYGLASS_<PART>_<FIELD>``. PART is the process that reads
it (``RECEIVER``, ``WRITER``, ``QUERY_API``, ``GATEWAY``, ``EVAL_WORKER``, ``EXPERIMENT_RUNNER``,
``LAUNCHER``) or the shared part every process reads alike (``DB``, ``NATS``, ``REDIS``, ``LOG``);
FIELD is the field's name, which may itself name a part of the process (``HTTP_PORT``,
``UPLOAD_PUBLISH_TIMEOUT_SECONDS``). Two process-wide names stand outside parts:
``SPYGLASS_SHUTDOWN_TIMEOUT_SECONDS`` and ``SPYGLASS_HOME``.

Two kinds of second name are accepted:

* compatibility names: where Phoenix users already set a ``PHOENIX_*`` variable for the same
  thing, it is an alias, silently (the ``SPYGLASS_*`` name wins when both are set);
* former names: a variable renamed to follow the rule keeps working for now, through
  :class:`SettingsGroup`'s ``former_prefix`` / ``former_names``. Each one used is logged once per
  :func:`load_settings` as ``setting_renamed`` naming the new variable; the new name wins when
  both are set.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, TypeVar
from urllib.parse import urlsplit, urlunsplit

import structlog
from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from spyglass_core.errors import ConfigurationError

SettingsT = TypeVar("SettingsT", bound=BaseSettings)

Port = Annotated[int, Field(ge=0, le=65535)]
"""A TCP port; 0 asks the operating system for a free one (useful in tests)."""


def group_config(prefix: str) -> SettingsConfigDict:
    """The configuration every settings group shares, reading variables named ``prefix + FIELD``."""
    return SettingsConfigDict(
        env_prefix=prefix,
        extra="ignore",
        populate_by_name=True,
        validate_default=True,
    )


@dataclass(frozen=True)
class FormerName:
    """A variable renamed to follow the naming rule, seen in the environment."""

    former: str
    current: str
    ignored: bool
    """The current name is set too, so the former one's value is not used."""


_former_names_seen: ContextVar[list[FormerName] | None] = ContextVar(
    "spyglass_former_names_seen", default=None
)


class _FormerNamesSource(PydanticBaseSettingsSource):
    """Reads a group's former variable names, below its current ones in priority."""

    def __init__(self, settings_cls: type[SettingsGroup]) -> None:
        super().__init__(settings_cls)
        self._group = settings_cls

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        former = self._group.former_variables().get(field_name)
        return (os.environ.get(former) if former else None), field_name, False

    def __call__(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for field, former in self._group.former_variables().items():
            value = os.environ.get(former)
            if value is None:
                continue
            current = env_name(self._group, field)
            ignored = _is_set(self._group, field)
            seen = _former_names_seen.get()
            if seen is not None:
                seen.append(FormerName(former, current, ignored))
            if not ignored:
                values[field] = value
        return values


def _is_set(group: type[BaseSettings], field: str) -> bool:
    """Whether the environment sets ``field`` of ``group`` by a current or compatibility name."""
    info = group.model_fields[field]
    if isinstance(info.validation_alias, AliasChoices):
        names = [name for name in info.validation_alias.choices if isinstance(name, str)]
    else:
        names = [env_name(group, field)]
    return any(name in os.environ for name in names)


class SettingsGroup(BaseSettings):
    """Base of every settings group: reads ``SPYGLASS_*`` variables, then former names.

    A group renamed to follow the naming rule sets ``former_prefix`` (every field's former
    variable is that prefix and the field's name) and/or ``former_names`` (field name to former
    variable, for fields whose former name was irregular).
    """

    former_prefix: ClassVar[str | None] = None
    former_names: ClassVar[Mapping[str, str]] = {}

    @classmethod
    def former_variables(cls) -> dict[str, str]:
        """Field name to former variable name, for each field that had another name."""
        names: dict[str, str] = {}
        if cls.former_prefix is not None:
            names = {field: f"{cls.former_prefix}{field}".upper() for field in cls.model_fields}
        return names | dict(cls.former_names)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        if not cls.former_variables():
            return init_settings, env_settings, dotenv_settings, file_secret_settings
        assert issubclass(settings_cls, SettingsGroup)
        former = _FormerNamesSource(settings_cls)
        return init_settings, env_settings, former, dotenv_settings, file_secret_settings


def redact_url(url: str) -> str:
    """``url`` with its password replaced by ``***``, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def _check_url(value: str, schemes: tuple[str, ...], what: str) -> str:
    """Reject a URL that has the wrong scheme, no host or an invalid port."""
    parts = urlsplit(value)
    if parts.scheme not in schemes:
        expected = ", ".join(f"{scheme}://" for scheme in schemes)
        raise ValueError(f"{what} URL must start with one of {expected}; got {value!r}")
    if not parts.hostname:
        raise ValueError(f"{what} URL has no host: {value!r}")
    try:
        parts.port  # noqa: B018 - raises ValueError on a non-numeric or out-of-range port
    except ValueError as error:
        raise ValueError(f"{what} URL has an invalid port: {value!r} ({error})") from None
    return value


class LogSettings(SettingsGroup):
    """How a process logs: structlog, JSON unless told otherwise."""

    model_config = group_config("SPYGLASS_LOG_")

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Lowest level that is written."
    )
    format: Literal["json", "console", "auto"] = Field(
        default="auto",
        description="`json` for machines, `console` for people, `auto`: console on a terminal.",
    )

    @field_validator("level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


class DbSettings(SettingsGroup):
    """The one PostgreSQL database (`libs/db` owns its schema)."""

    model_config = group_config("SPYGLASS_DB_")

    url: str = Field(
        default="postgresql://postgres@127.0.0.1:5432/spyglass",
        validation_alias=AliasChoices("SPYGLASS_DB_URL", "PHOENIX_SQL_DATABASE_URL"),
        description="PostgreSQL URL (`postgresql://user:password@host:port/database`).",
    )
    pool_size: int = Field(default=10, ge=1, description="Connections kept open per process.")
    pool_max_overflow: int = Field(
        default=10, ge=0, description="Extra connections allowed above the pool size under load."
    )
    connect_timeout_seconds: float = Field(
        default=5.0, gt=0, description="How long one connection attempt may take."
    )
    statement_timeout_seconds: float = Field(
        default=30.0, ge=0, description="Server-side limit on one statement; 0 disables it."
    )

    @field_validator("url")
    @classmethod
    def _valid_url(cls, value: str) -> str:
        return _check_url(
            value,
            ("postgresql", "postgres", "postgresql+asyncpg", "postgresql+psycopg"),
            "database",
        )

    @property
    def async_url(self) -> str:
        """The URL with the asyncpg driver, for SQLAlchemy's async engine."""
        parts = urlsplit(self.url)
        return urlunsplit(parts._replace(scheme="postgresql+asyncpg"))

    @property
    def plain_url(self) -> str:
        """The URL without a SQLAlchemy driver suffix, for asyncpg and libpq tools."""
        parts = urlsplit(self.url)
        return urlunsplit(parts._replace(scheme="postgresql"))


class NatsSettings(SettingsGroup):
    """The NATS JetStream server that carries the span bus."""

    model_config = group_config("SPYGLASS_NATS_")

    url: str = Field(
        default="nats://127.0.0.1:4222",
        validation_alias=AliasChoices("SPYGLASS_NATS_URL"),
        description="NATS server URL (`nats://host:port`).",
    )
    connect_timeout_seconds: float = Field(
        default=5.0, gt=0, description="How long one connection attempt may take."
    )
    namespace: str = Field(
        default="spyglass",
        pattern=r"^[a-z][a-z0-9_-]{0,31}$",
        description="Prefix of every subject and stream, so deployments can share a server.",
    )
    spans_max_bytes: int = Field(
        default=1 << 30,
        ge=1 << 20,
        description="Unwritten span batches the SPANS stream holds before ingest pushes back.",
    )

    @field_validator("url")
    @classmethod
    def _valid_url(cls, value: str) -> str:
        return _check_url(value, ("nats", "tls"), "NATS")


class RedisSettings(SettingsGroup):
    """Redis: the Celery broker for evaluation and experiment jobs, and rate-limit counters."""

    model_config = group_config("SPYGLASS_REDIS_")

    url: str = Field(
        default="redis://127.0.0.1:6379/0",
        validation_alias=AliasChoices("SPYGLASS_REDIS_URL"),
        description="Redis URL (`redis://host:port/db`).",
    )

    @field_validator("url")
    @classmethod
    def _valid_url(cls, value: str) -> str:
        return _check_url(value, ("redis", "rediss"), "Redis")


class ServerSettings(SettingsGroup):
    """Where an HTTP process listens. Each service gives it its own prefix and default port."""

    model_config = group_config("SPYGLASS_SERVER_")

    host: str = Field(default="127.0.0.1", description="Interface to bind; 0.0.0.0 for all.")
    port: Port = Field(default=8080, description="TCP port.")


class ProcessSettings(SettingsGroup):
    """What every Spyglass process reads; each service's settings class extends it."""

    model_config = group_config("SPYGLASS_")

    log: LogSettings = Field(default_factory=LogSettings)
    shutdown_timeout_seconds: float = Field(
        default=15.0, gt=0, description="Deadline for a clean stop after SIGTERM."
    )


def default_home() -> Path:
    """Where `make run` keeps its embedded servers' data unless ``SPYGLASS_HOME`` says otherwise."""
    return Path.home() / ".local" / "share" / "spyglass"


def env_name(settings_cls: type[BaseSettings], field: str) -> str:
    """The environment variable that sets ``field`` of ``settings_cls``."""
    info = settings_cls.model_fields.get(field)
    if info is not None and isinstance(info.validation_alias, AliasChoices):
        first = info.validation_alias.choices[0]
        if isinstance(first, str):
            return first
    prefix = str(settings_cls.model_config.get("env_prefix", ""))
    return f"{prefix}{field}".upper()


def load_settings(settings_cls: type[SettingsT], **overrides: Any) -> SettingsT:
    """Build ``settings_cls`` from the environment, turning validation errors into one message.

    Each former variable name used is logged once, as ``setting_renamed`` with the name to use
    instead (so configure logging first).

    Raises:
        ConfigurationError: a value is invalid; the message names each environment variable to fix.
    """
    with _recording_former_names() as seen:
        try:
            settings = settings_cls(**overrides)
        except ValidationError as error:
            raise ConfigurationError(describe_validation_error(settings_cls, error)) from None
    log = structlog.get_logger(__name__)
    reported: set[str] = set()
    for name in seen:
        if name.former in reported:
            continue
        reported.add(name.former)
        log.warning(
            "setting_renamed",
            variable=name.former,
            use_instead=name.current,
            ignored=name.ignored,
        )
    return settings


@contextmanager
def _recording_former_names() -> Iterator[list[FormerName]]:
    seen: list[FormerName] = []
    token = _former_names_seen.set(seen)
    try:
        yield seen
    finally:
        _former_names_seen.reset(token)


def effective_settings(settings: BaseSettings) -> list[tuple[str, str]]:
    """Every setting of ``settings`` as (variable, value), secrets masked, in declaration order.

    A password in a URL becomes ``***``, as does any ``SecretStr``; groups are walked into.
    """
    lines: list[tuple[str, str]] = []
    for field in type(settings).model_fields:
        value = getattr(settings, field)
        if isinstance(value, BaseSettings):
            lines.extend(effective_settings(value))
            continue
        lines.append((env_name(type(settings), field), _shown(value)))
    return lines


def _shown(value: Any) -> str:
    if isinstance(value, SecretStr):
        return "***" if value.get_secret_value() else ""
    if value is None:
        return ""
    if isinstance(value, str):
        return redact_url(value) if "://" in value else value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple | list | frozenset | set):
        return ",".join(_shown(item) for item in value)
    return str(value)


def describe_validation_error(settings_cls: type[BaseSettings], error: ValidationError) -> str:
    """One line per invalid value, each naming the environment variable that sets it.

    A group built by a ``default_factory`` raises its own error, so the class that failed is
    found by the error's title among ``settings_cls`` and the groups it is composed of.
    """
    owner = _find_group(settings_cls, error.title) or settings_cls
    lines = []
    for problem in error.errors():
        location = [str(part) for part in problem["loc"]]
        group: type[BaseSettings] = owner
        for part in location[:-1]:
            annotation = group.model_fields[part].annotation if part in group.model_fields else None
            if isinstance(annotation, type) and issubclass(annotation, BaseSettings):
                group = annotation
        message = str(problem["msg"]).removeprefix("Value error, ")
        if not location:
            lines.append(message)  # a rule across fields: its message names the variables
            continue
        field = location[-1]
        name = env_name(group, field) if field in group.model_fields else field
        lines.append(f"{name}: {message}")
    return "invalid configuration:\n  " + "\n  ".join(lines)


def _find_group(root: type[BaseSettings], title: str) -> type[BaseSettings] | None:
    if root.__name__ == title:
        return root
    for info in root.model_fields.values():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseSettings):
            found = _find_group(annotation, title)
            if found is not None:
                return found
    return None
