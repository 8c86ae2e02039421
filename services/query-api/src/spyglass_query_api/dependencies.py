"""What REST handlers and the GraphQL endpoint receive: ``connection: Db``, one transaction
per request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TypeAlias

from litestar.di import NamedDependency, Provide
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

Db: TypeAlias = NamedDependency[AsyncConnection]
"""The request's database connection, inside a transaction that commits when the handler
returns and rolls back if it raises."""


def connection_provider(engine: AsyncEngine) -> Provide:
    """Provide ``connection``: one transaction a request."""

    async def connection() -> AsyncIterator[AsyncConnection]:
        async with engine.begin() as transaction:
            yield transaction

    return Provide(connection)
