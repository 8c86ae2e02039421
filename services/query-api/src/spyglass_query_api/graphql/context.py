"""What resolvers share during one request: the connection, its lock and the loaders."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Concatenate, ParamSpec, TypeAlias, TypeVar

from graphql import GraphQLResolveInfo
from sqlalchemy.ext.asyncio import AsyncConnection

Arguments = ParamSpec("Arguments")
Read = TypeVar("Read")

Info: TypeAlias = GraphQLResolveInfo[Any]
"""What resolvers receive as ``info``; its ``context`` is a ``RequestContext``."""


@dataclass
class RequestContext:
    """One GraphQL request's database access.

    Resolvers of a list run concurrently but one connection runs one statement at a time, so
    every statement goes through ``read`` under the lock. ``loaders`` holds this request's
    DataLoaders by name (see ``loaders.py``), created on first use.
    """

    connection: AsyncConnection
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    loaders: dict[str, Any] = field(default_factory=dict)

    async def read(
        self,
        query: Callable[Concatenate[AsyncConnection, Arguments], Awaitable[Read]],
        *arguments: Arguments.args,
        **keywords: Arguments.kwargs,
    ) -> Read:
        """``query(connection, ...)`` of the query layer (``queries/``), under the lock."""
        async with self.lock:
            return await query(self.connection, *arguments, **keywords)


def request_context(info: Info) -> RequestContext:
    """The request's context, from a resolver's ``info``."""
    context = info.context
    assert isinstance(context, RequestContext)
    return context
