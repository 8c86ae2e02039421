"""The launcher's supervisor, on real (tiny) child processes: restarts, backoff, crash loops,
leftovers of a killed process, and a stop that cancels a pending restart."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from io import StringIO
from typing import Any

import psutil
import pytest
import structlog

from spyglass_core.errors import DependencyUnavailableError
from spyglass_launcher.processes import ManagedProcess, ProcessSpec, RestartableProcess
from spyglass_launcher.supervision import Backoff, RestartPolicy, Supervisor, describe_exit

FAST = RestartPolicy(initial_delay_seconds=0.01, max_delay_seconds=0.04, crash_loop_exits=3)


def python(code: str, name: str = "child") -> RestartableProcess:
    """A restartable process running ``code`` in a fresh Python."""
    return RestartableProcess(
        ProcessSpec(name=name, argv=[sys.executable, "-c", code]), output=StringIO()
    )


async def eventually(check: Callable[[], bool], timeout: float = 20.0) -> None:
    """Wait, without blocking the loop, until ``check()`` is true."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "not true in time"
        await asyncio.sleep(0.02)


@pytest.fixture
def logs() -> Iterator[list[dict[str, Any]]]:
    with structlog.testing.capture_logs() as captured:
        yield captured


def events(logs: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [entry for entry in logs if entry["event"] == name]


@pytest.fixture
async def supervisors() -> AsyncIterator[list[tuple[Supervisor, RestartableProcess]]]:
    """Supervisors a test starts; stopped, with their processes, at the end."""
    started: list[tuple[Supervisor, RestartableProcess]] = []
    yield started
    for supervisor, target in started:
        await supervisor.stop()
        await target.stop(timeout=5)


async def supervise(
    target: RestartableProcess,
    started: list[tuple[Supervisor, RestartableProcess]],
    policy: RestartPolicy = FAST,
) -> Supervisor:
    await target.start()
    supervisor = Supervisor(target, policy)
    supervisor.start()
    started.append((supervisor, target))
    return supervisor


def test_the_delay_doubles_up_to_the_cap_and_falls_back_after_a_long_run() -> None:
    backoff = Backoff(RestartPolicy())

    quick = [backoff.after_exit(1.0) for _ in range(8)]
    looping_after_eight = backoff.crash_looping
    after_a_long_run = backoff.after_exit(61.0)

    assert quick == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    assert looping_after_eight
    assert after_a_long_run == 0.5
    assert not backoff.crash_looping


def test_the_fifth_quick_exit_in_a_row_is_a_crash_loop() -> None:
    backoff = Backoff(RestartPolicy())

    looping = []
    for _ in range(5):
        backoff.after_exit(2.0)
        looping.append(backoff.crash_looping)

    assert looping == [False, False, False, False, True]


def test_exits_are_described_by_code_or_signal() -> None:
    assert describe_exit(3) == {"exit_code": 3, "signal": None}
    assert describe_exit(-9) == {"exit_code": None, "signal": "SIGKILL"}
    assert describe_exit(0) == {"exit_code": 0, "signal": None}


async def test_a_process_that_exits_is_started_again_and_logged(
    logs: list[dict[str, Any]], supervisors: list[tuple[Supervisor, RestartableProcess]]
) -> None:
    target = python("import sys, time; time.sleep(0.3); sys.exit(3)", name="exits-with-3")
    supervisor = await supervise(target, supervisors)
    first_pid = target.process.pid if target.process else None

    await eventually(lambda: supervisor.restarts >= 1)

    exited = events(logs, "process_exited")[0]
    assert exited["process"] == "exits-with-3"
    assert exited["exit_code"] == 3
    assert exited["signal"] is None
    assert exited["restarts"] == 0
    assert exited["next_delay_seconds"] == 0.01
    assert exited["log_level"] == "warning"
    restarted = events(logs, "process_restarted")[0]
    assert restarted["restarts"] == 1
    assert target.process is not None and target.process.pid != first_pid


async def test_a_killed_process_is_restarted_and_its_leftover_children_killed(
    logs: list[dict[str, Any]], supervisors: list[tuple[Supervisor, RestartableProcess]]
) -> None:
    # The child prints the pid of a grandchild that would outlive it, as PostgreSQL's backends
    # outlive a killed postmaster for a while.
    target = python(
        "import subprocess, sys, time\n"
        "leftover = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "print(leftover.pid, flush=True)\n"
        "time.sleep(60)\n",
        name="forks",
    )
    supervisor = await supervise(target, supervisors)
    process = target.process
    assert process is not None
    await eventually(lambda: bool(process.recent_lines))
    leftover = psutil.Process(int(process.recent_lines[0]))
    assert process.pid is not None

    os.kill(process.pid, signal.SIGKILL)
    await eventually(lambda: supervisor.restarts == 1)

    exited = events(logs, "process_exited")[0]
    assert exited["signal"] == "SIGKILL"
    assert exited["exit_code"] is None
    assert not leftover.is_running() or leftover.status() == psutil.STATUS_ZOMBIE


async def test_a_crash_loop_keeps_restarting_and_is_logged_as_an_error(
    logs: list[dict[str, Any]], supervisors: list[tuple[Supervisor, RestartableProcess]]
) -> None:
    target = python("import sys; sys.exit(1)", name="crashes")
    supervisor = await supervise(target, supervisors)

    await eventually(lambda: supervisor.restarts >= 5)

    exits = events(logs, "process_exited")
    assert [entry["crash_loop"] for entry in exits[:4]] == [False, False, True, True]
    assert [entry["log_level"] for entry in exits[:4]] == ["warning", "warning", "error", "error"]
    assert [entry["next_delay_seconds"] for entry in exits[:4]] == [0.01, 0.02, 0.04, 0.04]


async def test_stopping_cancels_a_pending_restart(
    logs: list[dict[str, Any]], supervisors: list[tuple[Supervisor, RestartableProcess]]
) -> None:
    slow = RestartPolicy(initial_delay_seconds=600.0, max_delay_seconds=600.0)
    target = python("import sys; sys.exit(1)", name="waits-for-restart")
    supervisor = await supervise(target, supervisors, slow)
    await eventually(lambda: bool(events(logs, "process_exited")))

    await asyncio.wait_for(supervisor.stop(), timeout=5)

    assert supervisor.restarts == 0
    assert not events(logs, "process_restarted")
    assert events(logs, "process_exited")[0]["next_delay_seconds"] == 600.0


class _ServerThatWontStartTwice:
    """A target whose restarts fail the first time, as an embedded server that doesn't answer."""

    name = "flaky-server"

    def __init__(self) -> None:
        self.process: ManagedProcess | None = None
        self.starts = 0

    async def start(self) -> None:
        self.starts += 1
        if self.starts == 2:
            raise DependencyUnavailableError("embedded flaky-server did not answer within 30s")
        self.process = ManagedProcess(
            ProcessSpec(name=self.name, argv=[sys.executable, "-c", "import time; time.sleep(60)"]),
            StringIO(),
        )
        await self.process.start()


async def test_a_restart_that_fails_is_tried_again_after_a_delay(
    logs: list[dict[str, Any]],
) -> None:
    target = _ServerThatWontStartTwice()
    await target.start()
    supervisor = Supervisor(target, FAST)
    supervisor.start()
    try:
        assert target.process is not None and target.process.pid is not None
        os.kill(target.process.pid, signal.SIGKILL)

        await eventually(lambda: supervisor.restarts == 1)
    finally:
        await supervisor.stop()
        if target.process is not None:
            await target.process.stop(timeout=5)

    [failed] = events(logs, "process_restart_failed")
    assert failed["reason"] == "embedded flaky-server did not answer within 30s"
    assert failed["log_level"] == "error"
    assert failed["next_delay_seconds"] == 0.02
    assert target.starts == 3


async def test_output_lines_longer_than_the_buffer_are_echoed_and_never_block_the_process() -> None:
    output = StringIO()
    process = ManagedProcess(
        ProcessSpec(
            name="talkative",
            argv=[
                sys.executable,
                "-c",
                "print('x' * 3_000_000); print('x' * 1_048_576, end=''); print(); print('after')",
            ],
        ),
        output,
    )
    await process.start()

    code = await asyncio.wait_for(process.wait(), timeout=30)

    prefix = "talkative         | "
    lines = output.getvalue().splitlines()
    assert code == 0
    assert lines[-1] == prefix + "after"
    assert all(line.startswith(prefix + "x") for line in lines[:-1])  # pieces, no empty lines
    assert sum(len(line) - len(prefix) for line in lines[:-1]) == 4_048_576
    assert process.recent_lines[-1] == "after"
