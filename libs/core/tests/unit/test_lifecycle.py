"""The process lifecycle: start in order, stop in reverse, within a deadline, on a signal; the
resources under the services are closed last, also when start-up fails half-way."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Awaitable, Callable

import pytest

from spyglass_core.errors import ConfigurationError, DependencyUnavailableError
from spyglass_core.lifecycle import (
    BackgroundService,
    LoopService,
    check,
    close_on_exit,
    run_services,
    serve,
)


class Recorder(BackgroundService):
    def __init__(self, name: str, events: list[str], stop_delay: float = 0.0) -> None:
        self.name = name
        self.events = events
        self.stop_delay = stop_delay

    async def start(self) -> None:
        self.events.append(f"start {self.name}")

    async def stop(self) -> None:
        await asyncio.sleep(self.stop_delay)
        self.events.append(f"stop {self.name}")


class Crashing(Recorder):
    async def wait(self) -> None:
        await asyncio.sleep(0.05)
        raise RuntimeError("lost the connection")


async def send_sigterm_soon() -> None:
    await asyncio.sleep(0.05)
    os.kill(os.getpid(), signal.SIGTERM)


async def test_sigterm_stops_services_in_reverse_order() -> None:
    events: list[str] = []
    asyncio.get_running_loop().call_soon(lambda: asyncio.ensure_future(send_sigterm_soon()))

    code = await run_services([Recorder("a", events), Recorder("b", events)], shutdown_timeout=5)

    assert code == 0
    assert events == ["start a", "start b", "stop b", "stop a"]


async def test_a_failing_service_stops_the_others_and_exits_non_zero() -> None:
    events: list[str] = []

    code = await run_services([Recorder("a", events), Crashing("b", events)], shutdown_timeout=5)

    assert code == 1
    assert events[-2:] == ["stop b", "stop a"]


async def test_shutdown_past_the_deadline_exits_non_zero() -> None:
    events: list[str] = []
    asyncio.get_running_loop().call_soon(lambda: asyncio.ensure_future(send_sigterm_soon()))

    code = await run_services([Recorder("slow", events, stop_delay=5)], shutdown_timeout=0.2)

    assert code == 1
    assert "stop slow" not in events


async def test_configuration_errors_at_start_propagate_after_cleanup() -> None:
    events: list[str] = []

    class BadPort(Recorder):
        async def start(self) -> None:
            raise ConfigurationError("port 1 is not available; set SPYGLASS_X_PORT")

    with pytest.raises(ConfigurationError, match="SPYGLASS_X_PORT"):
        await run_services([Recorder("a", events), BadPort("b", events)], shutdown_timeout=5)

    assert events == ["start a", "stop a"]


async def test_loop_service_survives_failing_iterations() -> None:
    calls: list[int] = []
    fourth_call = asyncio.Event()

    class Flaky(LoopService):
        async def run_once(self) -> None:
            calls.append(len(calls))
            if len(calls) == 4:
                fourth_call.set()
            if len(calls) % 2:
                raise RuntimeError("dependency down")

    loop = Flaky("flaky", interval_seconds=0.01)
    await loop.start()
    await asyncio.wait_for(fourth_call.wait(), timeout=5)
    await loop.stop()

    assert len(calls) >= 4


# --- resources and services together: serve() ---------------------------------------------------


async def test_a_failed_start_closes_the_resources_opened_so_far_in_reverse() -> None:
    events: list[str] = []

    async def open_resources(settings: None, stack: contextlib.AsyncExitStack) -> None:
        for name in ("nats", "redis"):
            events.append(f"open {name}")
            close_on_exit(stack, name, _closer(events, name))
        raise DependencyUnavailableError("cannot connect to PostgreSQL; check SPYGLASS_DB_URL")

    def build_services(settings: None, resources: None) -> list[BackgroundService]:
        raise AssertionError("no service is built on resources that failed to open")

    with pytest.raises(DependencyUnavailableError, match="SPYGLASS_DB_URL"):
        await serve(None, open_resources, build_services, shutdown_timeout=5)

    assert events == ["open nats", "open redis", "close redis", "close nats"]


async def test_services_stop_before_the_resources_they_use_are_closed() -> None:
    events: list[str] = []

    async def open_resources(settings: None, stack: contextlib.AsyncExitStack) -> str:
        close_on_exit(stack, "database", _closer(events, "database"))
        return "pool"

    def build_services(settings: None, resources: str) -> list[BackgroundService]:
        return [Recorder(f"loop on {resources}", events), Crashing("consumer", events)]

    code = await serve(None, open_resources, build_services, shutdown_timeout=5)

    assert code == 1
    assert events == [
        "start loop on pool",
        "start consumer",
        "stop consumer",
        "stop loop on pool",
        "close database",
    ]


async def test_a_failing_close_does_not_keep_the_others_open() -> None:
    events: list[str] = []

    async def broken() -> None:
        raise RuntimeError("already gone")

    async with contextlib.AsyncExitStack() as stack:
        close_on_exit(stack, "nats", _closer(events, "nats"))
        close_on_exit(stack, "database", broken)

    assert events == ["close nats"]


async def test_check_opens_and_closes_the_resources() -> None:
    events: list[str] = []

    async def open_resources(settings: None, stack: contextlib.AsyncExitStack) -> None:
        events.append("open nats")
        close_on_exit(stack, "nats", _closer(events, "nats"))

    await check(None, open_resources)

    assert events == ["open nats", "close nats"]


def _closer(events: list[str], name: str) -> Callable[[], Awaitable[None]]:
    async def close() -> None:
        events.append(f"close {name}")

    return close
