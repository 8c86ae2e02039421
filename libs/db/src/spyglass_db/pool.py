"""A raw asyncpg pool that honours ``SPYGLASS_DB_*`` as the SQLAlchemy engine does.

The query API reads through SQLAlchemy (:func:`spyglass_db.engine.create_engine`); the ingest
writer COPies through asyncpg directly, which SQLAlchemy's pool can't hand out. Both take the
same :class:`~spyglass_core.settings.DbSettings`, so one set of variables means the same thing
in every process:

* ``pool_size + pool_max_overflow`` is the most connections the pool opens;
* ``connect_timeout_seconds`` bounds each connection attempt;
* ``statement_timeout_seconds`` is set on the server for every connection (0: none).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg

from spyglass_core.errors import DependencyUnavailableError
from spyglass_core.settings import DbSettings, env_name, redact_url

ConnectionInit = Callable[[asyncpg.Connection], Awaitable[None]]


def server_settings(settings: DbSettings, application_name: str) -> dict[str, str]:
    """The session settings every connection of a Spyglass process starts with."""
    values = {"application_name": application_name}
    if settings.statement_timeout_seconds:
        values["statement_timeout"] = str(int(settings.statement_timeout_seconds * 1000))
    return values


async def create_pool(
    settings: DbSettings,
    application_name: str = "spyglass",
    init: ConnectionInit | None = None,
) -> asyncpg.Pool:
    """Open an asyncpg pool on ``settings`` (one connection at once, more on demand).

    Args:
        settings: URL, pool size, connect and statement timeouts.
        application_name: what ``pg_stat_activity`` shows for these connections.
        init: run on every new connection (e.g. creating a session's staging table).

    Raises:
        DependencyUnavailableError: the first connection failed; the message names the setting.
    """
    try:
        pool: asyncpg.Pool = await asyncpg.create_pool(
            settings.plain_url,
            min_size=1,
            max_size=settings.pool_size + settings.pool_max_overflow,
            init=init,
            timeout=settings.connect_timeout_seconds,
            server_settings=server_settings(settings, application_name),
        )
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise DependencyUnavailableError(
            f"cannot connect to PostgreSQL at {redact_url(settings.plain_url)} ({reason}); "
            f"check {env_name(DbSettings, 'url')}"
        ) from None
    return pool
