"""Keeping the platform's processes running: restart what dies, with backoff, and say so.

Under ``make run`` the launcher supervises the platform the way Kubernetes does in a cluster.
Once everything is up, each service and each embedded server (PostgreSQL, NATS, Redis) gets a
:class:`Supervisor`. When its process exits without being asked to, the supervisor

1. kills whatever the process left in its process group (PostgreSQL's backends, Celery's pool
   children), so that the next process meets no old one holding its port or shared memory;
2. logs ``process_exited`` with the exit code or signal, the restarts so far and the delay
   before the next start, then waits that delay;
3. starts it again with the same command line, ports and data folder, so that the other
   processes find it at the same address and reconnect by themselves.

The delay doubles with each exit that comes soon after a start (0.5 s, 1 s, 2 s, ... up to
30 s) and falls back to 0.5 s once a run has lasted a minute. From the fifth quick exit in a
row the process is crash-looping: each of its exits is then logged at error level with
``crash_loop=true``. The supervisor never gives up, and never spins silently either. Stopping
the platform stops the supervisors first, cancelling any pending restart, so nothing starts
again while the platform shuts down.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from spyglass_core.errors import DependencyUnavailableError
from spyglass_core.logging import get_logger
from spyglass_launcher.processes import ManagedProcess

log = get_logger(__name__)


@dataclass(frozen=True)
class RestartPolicy:
    """How soon a process that died is started again."""

    initial_delay_seconds: float = 0.5
    """The delay after an exit that follows a long run."""
    max_delay_seconds: float = 30.0
    """The cap of the doubling delay."""
    stable_after_seconds: float = 60.0
    """A run at least this long resets the delay; a shorter one is a quick exit."""
    crash_loop_exits: int = 5
    """Quick exits in a row after which every exit is logged at error level."""


class Backoff:
    """The delay before each restart of one process, from how long its runs lasted."""

    def __init__(self, policy: RestartPolicy) -> None:
        self.policy = policy
        self.exits_in_a_row = 0
        """Exits since the last run that lasted ``stable_after_seconds`` (this one included)."""

    def after_exit(self, ran_seconds: float) -> float:
        """Record an exit after a run of ``ran_seconds``; return the delay before the restart."""
        if ran_seconds >= self.policy.stable_after_seconds:
            self.exits_in_a_row = 0
        self.exits_in_a_row += 1
        delay = self.policy.initial_delay_seconds * 2.0 ** (self.exits_in_a_row - 1)
        return min(delay, self.policy.max_delay_seconds)

    @property
    def crash_looping(self) -> bool:
        """Whether the process exited quickly ``crash_loop_exits`` times in a row or more."""
        return self.exits_in_a_row >= self.policy.crash_loop_exits


class Supervisable(Protocol):
    """Something with a process that can be started again: a service or an embedded server."""

    name: str

    @property
    def process(self) -> ManagedProcess | None:
        """The process of the latest start."""

    async def start(self) -> object:
        """Start a new process; raise :class:`DependencyUnavailableError` if it won't run."""


def describe_exit(returncode: int | None) -> dict[str, object]:
    """``exit_code`` and ``signal`` log fields of a process's return code (negative: signal)."""
    if returncode is not None and returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = str(-returncode)
        return {"exit_code": None, "signal": name}
    return {"exit_code": returncode, "signal": None}


class Supervisor:
    """Restarts one process whenever it exits, until :meth:`stop`."""

    def __init__(
        self,
        target: Supervisable,
        policy: RestartPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.target = target
        self.restarts = 0
        """How many times the process was started again."""
        self._backoff = Backoff(policy or RestartPolicy())
        self._clock = clock
        self._task: asyncio.Task[None] | None = None

    @property
    def name(self) -> str:
        return self.target.name

    def start(self) -> None:
        """Begin watching the target's running process."""
        self._task = asyncio.create_task(self._watch(), name=f"supervise-{self.name}")

    async def stop(self) -> None:
        """Stop watching: a pending restart is cancelled; the process itself is left running."""
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _watch(self) -> None:
        while True:
            process = self.target.process
            if process is None:
                return
            await process.wait_exit()
            ran_seconds = self._clock() - (process.started_at or self._clock())
            returncode = await process.clean_up()
            delay = self._backoff.after_exit(ran_seconds)
            crash_loop = self._backoff.crash_looping
            (log.error if crash_loop else log.warning)(
                "process_exited",
                process=self.name,
                **describe_exit(returncode),
                ran_seconds=round(ran_seconds, 1),
                restarts=self.restarts,
                next_delay_seconds=delay,
                crash_loop=crash_loop,
            )
            await asyncio.sleep(delay)
            await self._restart()

    async def _restart(self) -> None:
        """Start the target again; while it won't come up, keep backing off."""
        while True:
            try:
                await self.target.start()
            except Exception as error:  # a server that won't answer, a command that won't run
                delay = self._backoff.after_exit(0.0)
                reason = error.message if isinstance(error, DependencyUnavailableError) else None
                log.error(
                    "process_restart_failed",
                    process=self.name,
                    reason=reason or repr(error),
                    restarts=self.restarts,
                    next_delay_seconds=delay,
                )
                await asyncio.sleep(delay)
                continue
            self.restarts += 1
            process = self.target.process
            log.info(
                "process_restarted",
                process=self.name,
                pid=process.pid if process else None,
                restarts=self.restarts,
            )
            return
