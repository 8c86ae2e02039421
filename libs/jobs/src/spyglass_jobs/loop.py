"""One event loop per worker process, for Celery's synchronous tasks to run coroutines on.

Celery calls tasks on its pool's threads; provider calls, PostgreSQL and Redis are asyncio. A
worker process runs one event loop in a thread of its own, and every task hands its coroutine
to it and waits, so the tasks a process works on at once share one set of clients (connection
pools, SDK clients) that live on that loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any, Generic, TypeVar

import uvloop
from celery.signals import worker_process_shutdown, worker_shutdown

T = TypeVar("T")


class EventLoopThread:
    """An event loop running in a daemon thread, for sync callers to run coroutines on.

    A uvloop loop: a worker spends most of its CPU in socket I/O (provider calls, Redis,
    PostgreSQL, span export), which uvloop does in C.
    """

    def __init__(self, name: str) -> None:
        self._name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()

    def _started(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = uvloop.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name=self._name, daemon=True)
                thread.start()
                self._loop = loop
            return self._loop

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` on the loop and wait for its result (or exception)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._started()).result()

    def stop(self) -> None:
        """Stop the loop (after running what is scheduled)."""
        with self._lock:
            loop, self._loop = self._loop, None
        if loop is not None:
            loop.call_soon_threadsafe(loop.stop)


class LoopResources(Generic[T]):
    """What a worker process opens on its event loop at its first task and closes when Celery
    stops it: one set of clients for every task of the process.

    Args:
        name: the loop thread's name.
        open_resources: makes the resources, on the loop (after a prefork pool forked).
        close_resources: closes them, on the loop.
    """

    def __init__(
        self,
        name: str,
        open_resources: Callable[[], T],
        close_resources: Callable[[T], Coroutine[Any, Any, None]],
    ) -> None:
        self.loop = EventLoopThread(name)
        self._open = open_resources
        self._close = close_resources
        self._opened: list[T] = []
        self._lock = threading.Lock()
        worker_process_shutdown.connect(self.close, weak=False)
        worker_shutdown.connect(self.close, weak=False)

    def get(self) -> T:
        """The resources, opened on the first call (by one task, whichever pool thread asks)."""
        with self._lock:
            if not self._opened:

                async def opened() -> T:
                    return self._open()

                self._opened.append(self.loop.run(opened()))
            return self._opened[0]

    def close(self, **_: Any) -> None:
        """Close the resources (if opened) and stop the loop."""
        with self._lock:
            opened, self._opened = self._opened, []
        for resources in opened:
            self.loop.run(self._close(resources))
        self.loop.stop()
