"""What REST handlers and the GraphQL endpoint receive: ``connection: Db``, one transaction
per request; or ``statements: Statements`` for a handler whose writes are one statement each;
``sandbox: SandboxDependency``, the process's one sandbox for evaluator code."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TypeAlias

from litestar.di import NamedDependency, Provide
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from spyglass_db.pool import LazyPool
from spyglass_sandbox import Sandbox

Db: TypeAlias = NamedDependency[AsyncConnection]
"""The request's database connection, inside a transaction that commits when the handler
returns and rolls back if it raises."""

Statements: TypeAlias = NamedDependency[LazyPool]
"""The asyncpg pool that statements of ``spyglass_db.driver`` run on, each committing by itself
with no ``BEGIN`` / ``COMMIT`` round trips around it. For handlers that write with one
statement (a run, an evaluation: posted a thousand a second by a running experiment), where
those round trips, SQLAlchemy's checkout and the cleanup of a per-request connection were most
of the request's time outside the framework."""


class LazySandbox:
    """The process's one :class:`~spyglass_sandbox.Sandbox` (testing code evaluators), made on
    first use, in the serving process and on its event loop (a Sandbox belongs to the process
    that made it), and closed, with its fork server, when the app shuts down."""

    def __init__(self) -> None:
        self._sandbox: Sandbox | None = None

    def get(self) -> Sandbox:
        """The sandbox (its fork server starts on its first evaluation)."""
        if self._sandbox is None:
            self._sandbox = Sandbox()
        return self._sandbox

    async def aclose(self) -> None:
        """Stop the fork server, if one was started; a later :meth:`get` makes a new sandbox."""
        sandbox, self._sandbox = self._sandbox, None
        if sandbox is not None:
            await sandbox.aclose()


SandboxDependency: TypeAlias = NamedDependency[LazySandbox]


def connection_provider(engine: AsyncEngine) -> Provide:
    """Provide ``connection``: one transaction a request."""

    async def connection() -> AsyncIterator[AsyncConnection]:
        async with engine.begin() as transaction:
            yield transaction

    return Provide(connection)


def statements_provider(pool: LazyPool) -> Provide:
    """Provide ``statements``: the one pool, with nothing to clean up after the request."""

    def statements() -> LazyPool:
        return pool

    return Provide(statements, use_cache=True, sync_to_thread=False)


def constant_provider(value: object) -> Provide:
    """Provide one object made at start-up (the job producer, the credential resolver)."""

    def provide() -> object:
        return value

    return Provide(provide, use_cache=True, sync_to_thread=False)
