"""Child processes of the launcher: started in their own session, output prefixed, stopped in order.

Every child gets ``PR_SET_PDEATHSIG`` so that it is signalled if the launcher dies without
cleaning up (SIGKILL, OOM): nothing the launcher started outlives it. Each child leads a process
group of its own (its own session), so what it forked (PostgreSQL's backends, Celery's pool) can
be killed with it when it dies unexpectedly.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TextIO

from spyglass_core.logging import get_logger

log = get_logger(__name__)

_PR_SET_PDEATHSIG = 1
_LINE_LIMIT = 1024 * 1024
"""Output lines up to this many bytes are echoed whole; longer ones in pieces of this size."""


def _parent_death_signal(signum: int) -> Callable[[], None]:
    def set_signal() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0)

    return set_signal


@dataclass
class ProcessSpec:
    """What to run and how to stop it."""

    name: str
    argv: Sequence[str]
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    stop_signal: signal.Signals = signal.SIGTERM
    user: int | None = None
    group: int | None = None
    cwd: str | None = None


class ManagedProcess:
    """One child process whose output lines are echoed with its name in front."""

    def __init__(self, spec: ProcessSpec, output: TextIO = sys.stdout, width: int = 18) -> None:
        self.spec = spec
        self._output = output
        self._prefix = f"{spec.name:<{width}}| "
        self._process: asyncio.subprocess.Process | None = None
        self._pump: asyncio.Task[None] | None = None
        self.stopping = False
        self.recent_lines: list[str] = []
        self.started_at: float | None = None
        """When the process was spawned (``time.monotonic()``)."""

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def returncode(self) -> int | None:
        return self._process.returncode if self._process else None

    async def start(self) -> None:
        """Spawn the process; its output is pumped to ours until it exits."""
        self._process = await asyncio.create_subprocess_exec(
            *self.spec.argv,
            env=dict(self.spec.env),
            cwd=self.spec.cwd,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
            user=self.spec.user,
            group=self.spec.group,
            extra_groups=[] if self.spec.user is not None else None,
            preexec_fn=_parent_death_signal(self.spec.stop_signal),
            limit=_LINE_LIMIT,
        )
        self.started_at = time.monotonic()
        self._pump = asyncio.create_task(self._pump_output(), name=f"{self.spec.name}-output")

    async def _pump_output(self) -> None:
        """Echo the output line by line until it ends.

        A line longer than the stream's buffer (a log line with a huge exception, say) is
        echoed in pieces. Were the pump to stop on it instead, nothing would read the pipe any
        more, and the process would block on its next write once the pipe filled.
        """
        assert self._process is not None and self._process.stdout is not None
        stream = self._process.stdout
        in_long_line = False
        while True:
            try:
                raw = await stream.readuntil(b"\n")
            except asyncio.IncompleteReadError as end:  # the output ended without a newline
                if end.partial:
                    self._echo(end.partial)
                return
            except asyncio.LimitOverrunError as overrun:
                self._echo(await stream.readexactly(overrun.consumed))
                in_long_line = True
                continue
            if not (in_long_line and raw == b"\n"):  # not the bare end of a long line
                self._echo(raw)
            in_long_line = False

    def _echo(self, raw: bytes) -> None:
        line = raw.decode(errors="replace").rstrip()
        self.recent_lines = [*self.recent_lines[-19:], line]
        self._output.write(self._prefix + line + "\n")
        self._output.flush()

    async def wait(self) -> int:
        """Wait for the process to exit and its output to be drained; return its exit code."""
        assert self._process is not None
        code = await self._process.wait()
        if self._pump is not None:
            await self._pump
        return code

    async def wait_exit(self) -> None:
        """Return once the process itself has exited, even while something it forked lives on.

        :meth:`wait` also waits for the end of the output (and, on Python 3.12 and later,
        ``asyncio``'s own ``wait()`` does too), which a leftover child holding the same pipe (a
        PostgreSQL backend whose postmaster was killed) can put off indefinitely.
        """
        assert self._process is not None
        try:
            exited = os.pidfd_open(self._process.pid)
        except OSError:  # already reaped, or a kernel without pidfd: the exit code will tell
            await self._process.wait()
            return
        loop = asyncio.get_running_loop()
        readable: asyncio.Future[None] = loop.create_future()

        def on_readable() -> None:
            if not readable.done():
                readable.set_result(None)

        loop.add_reader(exited, on_readable)
        try:
            await readable  # a pidfd turns readable when its process exits
        finally:
            loop.remove_reader(exited)
            os.close(exited)

    async def clean_up(self, timeout: float = 10.0) -> int | None:
        """After an unexpected exit: SIGKILL whatever the process left in its group, then wait
        (at most ``timeout`` seconds) for its exit code and the rest of its output."""
        if self._process is None:
            return None
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._process.pid, signal.SIGKILL)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self.wait()), timeout=timeout)
        return self.returncode

    async def stop(self, timeout: float) -> int | None:
        """Send the stop signal; SIGKILL the process group if it still runs after ``timeout``."""
        if self._process is None or self._process.returncode is not None:
            return self.returncode
        self.stopping = True
        try:
            self._process.send_signal(self.spec.stop_signal)
            return await asyncio.wait_for(self.wait(), timeout=timeout)
        except TimeoutError:
            log.warning("process_killed", process=self.spec.name, after_seconds=timeout)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, signal.SIGKILL)
            return await self.wait()
        except ProcessLookupError:
            return await self.wait()


class RestartableProcess:
    """A service the launcher may start more than once, with the same command line each time."""

    def __init__(self, spec: ProcessSpec, output: TextIO = sys.stdout) -> None:
        self.name = spec.name
        self.spec = spec
        self._output = output
        self.process: ManagedProcess | None = None
        """The process of the latest start."""

    async def start(self) -> None:
        """Spawn a new process (the previous one, if any, must have ended)."""
        self.process = ManagedProcess(self.spec, self._output)
        await self.process.start()

    async def stop(self, timeout: float) -> None:
        """Stop the latest process (see :meth:`ManagedProcess.stop`)."""
        if self.process is not None:
            await self.process.stop(timeout)
