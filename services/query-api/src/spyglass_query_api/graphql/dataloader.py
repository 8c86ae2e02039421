"""A DataLoader: the loads of one event-loop turn become one batched fetch.

Resolvers of a list run concurrently, each asking for its own key; the loader collects the keys
asked for before the loop's next turn and fetches them all with one query, so a page of N rows
costs the same number of statements whatever N is. Results are cached for the request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from typing import Generic, TypeVar

Key = TypeVar("Key", bound=Hashable)
Value = TypeVar("Value")

BatchFetch = Callable[[Sequence[Key]], Awaitable[Mapping[Key, Value]]]


class DataLoader(Generic[Key, Value]):
    """Batches ``load(key)`` calls into ``fetch(keys)``; a key ``fetch`` omits gets ``missing``."""

    def __init__(self, fetch: BatchFetch[Key, Value], missing: Callable[[], Value]) -> None:
        self._fetch = fetch
        self._missing = missing
        self._futures: dict[Key, asyncio.Future[Value]] = {}
        self._pending: list[Key] = []
        self._running: set[asyncio.Task[None]] = set()

    def load(self, key: Key) -> asyncio.Future[Value]:
        """The value for ``key``, fetched with every other key asked for in this turn."""
        future = self._futures.get(key)
        if future is not None:
            return future
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._futures[key] = future
        if not self._pending:
            loop.call_soon(self._dispatch)
        self._pending.append(key)
        return future

    def prime(self, key: Key, value: Value) -> None:
        """Remember ``value`` for ``key`` (read by another query) so nothing fetches it again."""
        if key not in self._futures:
            future = asyncio.get_running_loop().create_future()
            future.set_result(value)
            self._futures[key] = future

    def _dispatch(self) -> None:
        keys, self._pending = self._pending, []
        task = asyncio.ensure_future(self._resolve(keys))
        self._running.add(task)  # the loop holds tasks weakly
        task.add_done_callback(self._running.discard)

    async def _resolve(self, keys: list[Key]) -> None:
        try:
            values = await self._fetch(keys)
        except BaseException as error:
            for key in keys:
                future = self._futures.pop(key)
                if not future.done():
                    future.set_exception(error)
            return
        for key in keys:
            future = self._futures[key]
            if not future.done():
                future.set_result(values[key] if key in values else self._missing())
