"""What resolvers share during one request: the connection, its lock and the loaders."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Concatenate, ParamSpec, TypeAlias, TypeVar

from graphql import GraphQLResolveInfo
from sqlalchemy.ext.asyncio import AsyncConnection

from spyglass_auth import Principal
from spyglass_spans import ModelPriceTable

Arguments = ParamSpec("Arguments")
Read = TypeVar("Read")

Info: TypeAlias = GraphQLResolveInfo[Any]
"""What resolvers receive as ``info``; its ``context`` is a ``RequestContext``."""


@dataclass
class RequestContext:
    """One GraphQL request's database access.

    Resolvers of a list run concurrently but one connection runs one statement at a time, so
    every statement goes through ``read`` under the lock. ``loaders`` holds this request's
    DataLoaders by name (see ``loaders.py``), created on first use. ``prices`` prices the
    tokens of server-side experiments (None: their cost is unknown).
    """

    connection: AsyncConnection
    prices: ModelPriceTable | None = None
    principal: Principal | None = None
    """Who is asking (``spyglass_query_api.access``); None: auth on and nobody signed in."""
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    loaders: dict[str, Any] = field(default_factory=dict)
    closed: bool = False
    _in_flight: set[asyncio.Future[Any]] = field(default_factory=set)

    async def read(
        self,
        query: Callable[Concatenate[AsyncConnection, Arguments], Awaitable[Read]],
        *arguments: Arguments.args,
        **keywords: Arguments.kwargs,
    ) -> Read:
        """``query(connection, ...)`` of the query layer (``queries/``), under the lock.

        The statement runs in a task of its own that the resolver only waits for: when
        graphql-core cancels a resolver (a sibling field failed), its statement still finishes
        and keeps the lock till then. Cancelling asyncpg mid-statement made SQLAlchemy
        invalidate the connection, and the request's commit then failed with a 500.

        Raises:
            RequestEndedError: the request has answered (``close``); nothing may read now.
        """
        task = asyncio.ensure_future(self._locked(query, *arguments, **keywords))
        self._in_flight.add(task)
        task.add_done_callback(self._finished)
        return await asyncio.shield(task)

    async def _locked(
        self,
        query: Callable[Concatenate[AsyncConnection, Arguments], Awaitable[Read]],
        *arguments: Arguments.args,
        **keywords: Arguments.kwargs,
    ) -> Read:
        async with self.lock:
            if self.closed:
                raise RequestEndedError("the GraphQL request has already answered")
            return await query(self.connection, *arguments, **keywords)

    def _finished(self, task: asyncio.Future[Any]) -> None:
        self._in_flight.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved: a cancelled resolver's read may fail unobserved

    async def close(self) -> None:
        """Let no read start, and wait for those in flight: the transaction may end then.

        graphql-core answers as soon as an error reaches a non-null parent, while sibling
        fields may still be reading; their answers are not needed, but the connection is."""
        self.closed = True
        if self._in_flight:
            await asyncio.wait(set(self._in_flight))


class RequestEndedError(RuntimeError):
    """A resolver read after its request had answered (its result is discarded)."""


def request_context(info: Info) -> RequestContext:
    """The request's context, from a resolver's ``info``."""
    context = info.context
    assert isinstance(context, RequestContext)
    return context
