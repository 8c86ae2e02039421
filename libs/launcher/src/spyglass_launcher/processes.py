"""Child processes of the launcher: started in their own session, output prefixed, stopped in order.

Every child gets ``PR_SET_PDEATHSIG`` so that it is signalled if the launcher dies without
cleaning up (SIGKILL, OOM): nothing the launcher started outlives it.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TextIO

from spyglass_core.logging import get_logger

log = get_logger(__name__)

_PR_SET_PDEATHSIG = 1


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
        )
        self._pump = asyncio.create_task(self._pump_output(), name=f"{self.spec.name}-output")

    async def _pump_output(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        async for raw in self._process.stdout:
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
