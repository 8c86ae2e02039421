"""One lifecycle for everything a Spyglass process opens and runs.

A process has two layers, both unwound in reverse order:

* **resources**, the live clients (a database pool, a NATS connection, an HTTP client), opened
  one after the other into a :class:`contextlib.AsyncExitStack` by the service's
  ``open_resources``. Each is registered with :func:`close_on_exit` as soon as it is open, so a
  start-up that fails half-way (NATS answered, PostgreSQL did not) closes what it had opened;
* **services**, what runs on those resources (an HTTP server, a gRPC server, a JetStream
  consumer, a periodic loop): :class:`BackgroundService` objects. :func:`run_services` starts
  them in order, waits until SIGTERM / SIGINT arrives or one of them stops by itself, then stops
  them in reverse order within a shutdown deadline.

:func:`serve` ties the two: open the resources, build and run the services, stop them, close
the resources. A service that fails makes the process exit non-zero, so a supervisor
(Kubernetes, the launcher) sees it and restarts or reports it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from spyglass_core.errors import ConfigurationError, DependencyUnavailableError
from spyglass_core.logging import get_logger

log = get_logger(__name__)

SettingsT = TypeVar("SettingsT")
ResourcesT = TypeVar("ResourcesT")

OpenResources = Callable[[SettingsT, contextlib.AsyncExitStack], Awaitable[ResourcesT]]
"""Opens a process's live clients into the stack (each closed on exit) and returns them."""

BuildServices = Callable[[SettingsT, ResourcesT], Sequence["BackgroundService"]]
"""Builds what a process runs on its resources, in start order."""


def close_on_exit(
    stack: contextlib.AsyncExitStack, name: str, close: Callable[[], Awaitable[object]]
) -> None:
    """Have ``stack`` call ``close`` when it unwinds, and log ``resource_closed`` once it has.

    Register a resource right after it is open: everything opened after it may fail.
    A failing ``close`` is logged and does not keep the rest of the stack from closing.
    """

    async def closing() -> None:
        try:
            await close()
        except Exception:
            log.exception("resource_close_failed", component=name)
            return
        log.info("resource_closed", component=name)

    stack.push_async_callback(closing)


async def serve(
    settings: SettingsT,
    open_resources: OpenResources[SettingsT, ResourcesT],
    build_services: BuildServices[SettingsT, ResourcesT],
    shutdown_timeout: float,
) -> int:
    """Open the resources, run the services until a signal or a failure, close everything.

    Returns the exit code of :func:`run_services`. Errors raised while opening resources
    (:class:`DependencyUnavailableError`, :class:`ConfigurationError`) propagate after what was
    already open has been closed.
    """
    async with contextlib.AsyncExitStack() as stack:
        resources = await open_resources(settings, stack)
        services = build_services(settings, resources)
        return await run_services(services, shutdown_timeout)


async def check(settings: SettingsT, open_resources: OpenResources[SettingsT, ResourcesT]) -> None:
    """Open the resources (reaching every server the process needs), then close them.

    Raises:
        DependencyUnavailableError: a server can't be reached; the message names its setting.
    """
    async with contextlib.AsyncExitStack() as stack:
        await open_resources(settings, stack)


class BackgroundService(ABC):
    """Something a process runs until it is told to stop.

    Subclasses implement :meth:`start` (return once running) and :meth:`stop` (return once
    stopped). :meth:`wait` returns, or raises, when the service ends on its own; the default is
    a service that only ends when stopped.
    """

    name: str = "service"

    @abstractmethod
    async def start(self) -> None:
        """Begin running; return once the service is ready to do its work."""

    @abstractmethod
    async def stop(self) -> None:
        """Stop running and release resources; safe to call once after :meth:`start`."""

    async def wait(self) -> None:
        """Return when the service ends by itself; raise if it failed."""
        await asyncio.Event().wait()


class LoopService(BackgroundService):
    """Calls :meth:`run_once` every ``interval_seconds`` until stopped.

    An exception in one iteration is logged and the loop goes on: a loop that polls a
    dependency must outlive the dependency's outages.
    """

    def __init__(self, name: str, interval_seconds: float) -> None:
        self.name = name
        self.interval_seconds = interval_seconds
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @abstractmethod
    async def run_once(self) -> None:
        """One iteration of the loop."""

    async def start(self) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.run_once()
            except Exception:
                log.exception("loop_iteration_failed", loop=self.name)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self.interval_seconds)

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            await self._task


def freeze_startup_objects() -> None:
    """Move everything built at start-up (modules, the app, schemas, pools) out of the garbage
    collector's sight.

    A full collection walks every tracked object; in the query API that was some 150 ms, paid
    by whichever request happened to trigger it (a p95 of 180 ms on a 40 ms GraphQL page).
    Frozen, those objects are never scanned again, and a full collection takes a few ms.
    """
    gc.collect()
    gc.freeze()


async def run_services(services: Sequence[BackgroundService], shutdown_timeout: float) -> int:
    """Run ``services`` until a signal arrives or one of them ends; return the exit code.

    Services start in order and stop in reverse order. If stopping takes longer than
    ``shutdown_timeout`` seconds in all, the rest is cancelled and the exit code is 1.
    """
    loop = asyncio.get_running_loop()
    signalled = asyncio.Event()
    received: list[str] = []

    def on_signal(signum: signal.Signals) -> None:
        received.append(signum.name)
        signalled.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, on_signal, signum)

    started: list[BackgroundService] = []
    exit_code = 0
    try:
        for service in services:
            await service.start()
            started.append(service)
            log.info("service_started", component=service.name)
        freeze_startup_objects()
        exit_code = await _wait_for_end(started, signalled, received)
    except (ConfigurationError, DependencyUnavailableError):
        raise  # the command line reports these as one clear message
    except Exception:
        log.exception("service_start_failed", component=services[len(started)].name)
        exit_code = 1
    finally:
        if not await _stop_all(started, shutdown_timeout):
            exit_code = 1
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
    return exit_code


async def _wait_for_end(
    services: Sequence[BackgroundService], signalled: asyncio.Event, received: list[str]
) -> int:
    async def wait_for_signal() -> None:
        await signalled.wait()

    signal_wait = asyncio.create_task(wait_for_signal())
    waits = {asyncio.create_task(service.wait()): service for service in services}
    done, _ = await asyncio.wait([signal_wait, *waits], return_when=asyncio.FIRST_COMPLETED)
    for task in [signal_wait, *waits]:
        if task not in done:
            task.cancel()
    if signal_wait in done:
        log.info("shutdown_requested", signal=received[0] if received else None)
        return 0
    task = next(iter(done))
    error = task.exception()
    if error is not None:
        log.error("service_failed", component=waits[task].name, error=str(error))
    else:
        log.error("service_ended_unexpectedly", component=waits[task].name)
    return 1


async def _stop_all(services: Sequence[BackgroundService], timeout: float) -> bool:
    async def stop_in_reverse() -> None:
        for service in reversed(services):
            try:
                await service.stop()
                log.info("service_stopped", component=service.name)
            except Exception:
                log.exception("service_stop_failed", component=service.name)

    try:
        await asyncio.wait_for(stop_in_reverse(), timeout=timeout)
    except TimeoutError:
        log.error("shutdown_deadline_exceeded", timeout_seconds=timeout)
        return False
    return True
