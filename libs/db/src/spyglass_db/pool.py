"""A raw asyncpg pool that honours ``SPYGLASS_DB_*`` as the SQLAlchemy engine does.

The query API reads through SQLAlchemy (:func:`spyglass_db.engine.create_engine`) and writes
the statements clients send by the thousand (runs, evaluations) through a :class:`LazyPool`;
the ingest writer COPies through asyncpg directly, which SQLAlchemy's pool can't hand out.
All take the same :class:`~spyglass_core.settings.DbSettings`, so one set of variables means
the same thing in every process:

* ``pool_size + pool_max_overflow`` is the most connections the pool opens;
* ``connect_timeout_seconds`` bounds each connection attempt;
* ``statement_timeout_seconds`` is set on the server for every connection (0: none).
"""

from __future__ import annotations

import asyncio
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
    max_size: int | None = None,
    reset: ConnectionInit | None = None,
) -> asyncpg.Pool:
    """Open an asyncpg pool on ``settings`` (one connection at once, more on demand).

    Args:
        settings: URL, pool size, connect and statement timeouts.
        application_name: what ``pg_stat_activity`` shows for these connections.
        init: run on every new connection (e.g. creating a session's staging table).
        max_size: the most connections it opens (default ``pool_size + pool_max_overflow``).
        reset: run on a connection returned to the pool, instead of asyncpg's full reset
            (``RESET ALL``, ``UNLISTEN *``... : a round trip on every release). An open
            transaction is rolled back either way.

    Raises:
        DependencyUnavailableError: the first connection failed; the message names the setting.
    """
    try:
        pool: asyncpg.Pool = await asyncpg.create_pool(
            settings.plain_url,
            min_size=1,
            max_size=max_size or settings.pool_size + settings.pool_max_overflow,
            init=init,
            reset=reset,
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


async def _session_unchanged(_: asyncpg.Connection) -> None:
    """No reset beyond asyncpg's rollback of a transaction left open: the pool's statements
    run one at a time outside transactions and change no session setting."""


class LazyPool:
    """An asyncpg pool opened on its first use and closed by :meth:`close`.

    For a service whose application is built before its event loop runs (and whose tests build
    it without ever using the pool). Unlike SQLAlchemy's pool, which closes the connections it
    opened above ``pool_size`` as soon as they are returned, it keeps up to ``max_size`` open
    (asyncpg closes one idle for five minutes): under a steady load above the pool size, no
    connection is opened and closed again per request.

    For single statements that change no session state (``SET``, ``LISTEN``, cursors): a
    returned connection is not reset (a transaction left open is still rolled back).
    """

    def __init__(self, settings: DbSettings, application_name: str, max_size: int) -> None:
        self._settings = settings
        self._application_name = application_name
        self._max_size = max_size
        self._pool: asyncpg.Pool | None = None
        self._opening: asyncio.Lock | None = None

    async def opened(self) -> asyncpg.Pool:
        """The pool, opened first if need be (``async with (await p.opened()).acquire()``).

        Raises:
            DependencyUnavailableError: the pool could not be opened.
        """
        if self._pool is not None:
            return self._pool
        if self._opening is None:
            self._opening = asyncio.Lock()
        async with self._opening:
            if self._pool is None:
                self._pool = await create_pool(
                    self._settings,
                    self._application_name,
                    max_size=self._max_size,
                    reset=_session_unchanged,
                )
        return self._pool

    async def close(self) -> None:
        """Close the pool's connections (if it was opened); it opens again when next used."""
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()
