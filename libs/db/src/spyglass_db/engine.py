"""Connecting to the database: the async engine, sessions, and fail-fast checks."""

from __future__ import annotations

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as sqlalchemy_create_async_engine

from spyglass_core.errors import DependencyUnavailableError
from spyglass_core.settings import DbSettings, env_name, redact_url


def _json_text(value: object) -> str:
    return orjson.dumps(value).decode()


def create_engine(settings: DbSettings) -> AsyncEngine:
    """An asyncpg engine with the pool, connect timeout and statement timeout of ``settings``.

    JSON and JSONB values are read and written with orjson: span lists decode a few KB of
    attributes a row, and the standard library's decoder was a third of a 1,000-span page.

    No pre-ping: asyncpg's costs three round trips (``BEGIN``, a query, ``ROLLBACK``) on every
    checkout, as many as the request's own work. A connection that PostgreSQL dropped fails
    its request as a disconnect (503, ``Retry-After``), and SQLAlchemy then replaces every
    connection the pool held before it, so a restart of the database costs the requests in
    flight and nothing after.
    """
    server_settings = {"application_name": "spyglass"}
    if settings.statement_timeout_seconds:
        server_settings["statement_timeout"] = str(int(settings.statement_timeout_seconds * 1000))
    return sqlalchemy_create_async_engine(
        settings.async_url,
        pool_size=settings.pool_size,
        max_overflow=settings.pool_max_overflow,
        json_serializer=_json_text,
        json_deserializer=orjson.loads,
        connect_args={
            "timeout": settings.connect_timeout_seconds,
            "server_settings": server_settings,
        },
    )


def create_session_maker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit (no implicit reloads in async)."""
    return async_sessionmaker(engine, expire_on_commit=False)


async def database_readiness(engine: AsyncEngine) -> None:
    """A readiness check: ``SELECT 1``; raises if the database can't answer now."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


async def check_database(engine: AsyncEngine, settings: DbSettings) -> None:
    """Connect once at start-up, so a wrong URL fails in seconds with the setting named.

    Raises:
        DependencyUnavailableError: the database can't be reached or refused the connection.
    """
    try:
        await database_readiness(engine)
    except Exception as error:
        await engine.dispose()
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise DependencyUnavailableError(
            f"cannot connect to PostgreSQL at {redact_url(settings.plain_url)} ({reason}); "
            f"check {env_name(DbSettings, 'url')}"
        ) from None
