"""What REST handlers and the GraphQL endpoint receive: ``connection: Db``, one transaction
per request; or ``statement: Autocommit`` for a handler whose writes are one statement each."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TypeAlias

from litestar.di import NamedDependency, Provide
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

Db: TypeAlias = NamedDependency[AsyncConnection]
"""The request's database connection, inside a transaction that commits when the handler
returns and rolls back if it raises."""

Autocommit: TypeAlias = NamedDependency[AsyncConnection]
"""A connection that has begun no transaction: a statement run on its driver
(``queries.driver``) commits by itself, with no ``BEGIN`` / ``COMMIT`` round trips around it.
For handlers that write with one statement (a run, an evaluation: posted a thousand a second by
a running experiment), where those two round trips were most of the request's database time.
A statement through SQLAlchemy on it begins a transaction that is rolled back at the end: use
it only to read."""


def connection_provider(engine: AsyncEngine) -> Provide:
    """Provide ``connection``: one transaction a request."""

    async def connection() -> AsyncIterator[AsyncConnection]:
        async with engine.begin() as transaction:
            yield transaction

    return Provide(connection)


def autocommit_provider(engine: AsyncEngine) -> Provide:
    """Provide ``statement``: a pooled connection outside any transaction."""

    async def statement() -> AsyncIterator[AsyncConnection]:
        async with engine.connect() as connection:
            yield connection

    return Provide(statement)
