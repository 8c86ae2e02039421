"""The caller's side of the fork server: start it, ask it for children, hear how they ended.

One instance per server process, bound to the event loop that started it. See
``_fork_server.py`` for the protocol.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from spyglass_sandbox._pipes import wait_ready, write_all
from spyglass_sandbox.errors import SandboxSetupError, SandboxUnavailableError
from spyglass_sandbox.limits import Limits

log = structlog.get_logger(__name__)

CONTROL_PACKET_BYTES = 64 * 1024
STOP_GRACE_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class ServerInfo:
    """What a started fork server reported about itself."""

    pid: int
    child_uid: int
    """The uid children run as: ``nobody``'s when the caller is root, else the caller's own."""
    landlock_abi: int
    """0 when children are confined by seccomp alone (and may open no file at all)."""
    scratch_base: str
    """The directory holding each child's scratch directory (removed when the server stops;
    a server that was killed leaves it to the next one started under the same root)."""


@dataclass(slots=True)
class ChildHandle:
    """One running child: its pipes (the caller's ends) and the server's word on its exit."""

    id: int
    request_fd: int
    result_fd: int
    finished: asyncio.Future[dict[str, Any]]

    async def send_request(self, request: bytes) -> None:
        """Write the request and close the pipe: the child reads until end of file."""
        try:
            await write_all(self.request_fd, request)
        finally:
            self._close_request()

    def close(self) -> None:
        """Close the caller's ends (each once: a number closed twice may be another's by then)."""
        self._close_request()
        if self.result_fd >= 0:
            os.close(self.result_fd)
            self.result_fd = -1

    def _close_request(self) -> None:
        if self.request_fd >= 0:
            os.close(self.request_fd)
            self.request_fd = -1


class ForkServerClient:
    """A running fork server. Use :meth:`start`; it is dead for good once :attr:`alive` is False."""

    def __init__(self, process: subprocess.Popen[bytes], control: socket.socket) -> None:
        self._process = process
        self._control = control
        self._loop = asyncio.get_running_loop()
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._started: asyncio.Future[ServerInfo] = self._loop.create_future()
        self._started.add_done_callback(_consume)
        self._background: set[asyncio.Task[None]] = set()
        self.alive = True
        self.info: ServerInfo | None = None

    @classmethod
    async def start(
        cls,
        *,
        modules: Sequence[str],
        scratch_root: str,
        landlock: str,
        user: str,
        timeout: float,
    ) -> ForkServerClient:
        """Start a server and wait until it has preloaded its modules and says it is ready.

        Raises:
            SandboxSetupError: the server cannot confine children here (its message says why).
            SandboxUnavailableError: it did not start, or not within ``timeout`` seconds.
        """
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        config = {
            "modules": list(modules),
            "scratch_root": scratch_root,
            "landlock": landlock,
            "user": user,
        }
        argv = [
            sys.executable,
            "-I",
            "-m",
            "spyglass_sandbox._fork_server",
            json.dumps(config),
            str(theirs.fileno()),
        ]
        try:
            # A fork and exec, once per server: milliseconds, not worth a thread.
            process = subprocess.Popen(  # noqa: ASYNC220
                argv,
                pass_fds=(theirs.fileno(),),
                env={},  # nothing of the caller's environment (credentials) reaches any child
                cwd="/",
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                start_new_session=True,  # a terminal's Ctrl-C is the caller's to handle
            )
        except OSError as error:
            ours.close()
            raise SandboxUnavailableError(
                f"cannot start the sandbox's fork server: {error}"
            ) from error
        finally:
            theirs.close()
        ours.setblocking(False)
        client = cls(process, ours)
        client._loop.add_reader(ours.fileno(), client._on_readable)
        began = time.perf_counter()
        try:
            client.info = await asyncio.wait_for(asyncio.shield(client._started), timeout)
        except TimeoutError:
            await client.aclose()
            raise SandboxUnavailableError(
                f"the sandbox's fork server was not ready within {timeout:g} s"
            ) from None
        except BaseException:
            await client.aclose()
            raise
        log.info(
            "sandbox_server_started",
            pid=client.info.pid,
            child_uid=client.info.child_uid,
            landlock_abi=client.info.landlock_abi,
            ms=round((time.perf_counter() - began) * 1000, 1),
        )
        return client

    async def spawn(self, limits: Limits) -> ChildHandle:
        """Have the server fork and confine a child; return the caller's ends of its pipes."""
        if not self.alive:
            raise SandboxUnavailableError("the sandbox's fork server is not running")
        child_id = next(self._ids)
        request_read, request_write = os.pipe()
        result_read, result_write = os.pipe()
        finished: asyncio.Future[dict[str, Any]] = self._loop.create_future()
        finished.add_done_callback(_consume)
        self._pending[child_id] = finished
        message = {
            "op": "spawn",
            "id": child_id,
            "cpu_seconds": limits.cpu_rlimit,
            "memory_bytes": limits.memory_mb * 1024 * 1024,
            "file_bytes": limits.file_mb * 1024 * 1024,
            "open_files": limits.open_files,
            "wall_seconds": limits.wall_seconds,
        }
        try:
            await self._send(message, [request_read, result_write])
        except BaseException:
            self._pending.pop(child_id, None)
            os.close(request_write)
            os.close(result_read)
            raise
        finally:
            os.close(request_read)  # the server (then the child) holds its own copies now
            os.close(result_write)
        os.set_blocking(request_write, False)
        os.set_blocking(result_read, False)
        return ChildHandle(child_id, request_write, result_read, finished)

    def kill(self, child_id: int) -> None:
        """Ask the server to SIGKILL a child (it still reports the child's end as usual)."""
        if not self.alive:
            return
        task = self._loop.create_task(self._send({"op": "kill", "id": child_id}, []))
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        task.add_done_callback(_consume)  # a server gone meanwhile has killed the child anyway

    async def aclose(self) -> None:
        """Stop the server (it kills its children first) and wait for it to exit."""
        self._lose(SandboxUnavailableError("the sandbox was closed while the evaluation ran"))
        try:
            await asyncio.to_thread(self._process.wait, STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            self._process.kill()
            await asyncio.to_thread(self._process.wait)

    async def _send(self, message: dict[str, Any], fds: list[int]) -> None:
        data = json.dumps(message).encode()
        while True:
            if not self.alive:
                raise SandboxUnavailableError("the sandbox's fork server is not running")
            try:
                socket.send_fds(self._control, [data], fds)
                return
            except BlockingIOError:
                await wait_ready(self._control.fileno(), writable=True)
            except OSError as error:
                self._lose(SandboxUnavailableError(f"the sandbox's fork server is gone: {error}"))
                raise SandboxUnavailableError(
                    f"the sandbox's fork server is gone: {error}"
                ) from error

    def _on_readable(self) -> None:
        while self.alive:
            try:
                data = self._control.recv(CONTROL_PACKET_BYTES)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if not data:
                self._on_server_exit()
                return
            self._dispatch(json.loads(data))

    def _dispatch(self, message: dict[str, Any]) -> None:
        operation = message.get("op")
        if operation == "finished":
            finished = self._pending.pop(int(message["id"]), None)
            if finished is not None and not finished.done():
                finished.set_result(message)
        elif operation == "ready" and not self._started.done():
            info = ServerInfo(
                int(message["pid"]),
                int(message["uid"]),
                int(message["landlock_abi"]),
                str(message["scratch"]),
            )
            self._started.set_result(info)
        elif operation == "failed" and not self._started.done():
            self._started.set_exception(
                SandboxSetupError(f"the sandbox cannot start: {message['message']}")
            )

    def _on_server_exit(self) -> None:
        status = self._process.poll()
        in_flight = len(self._pending)
        if self.info is not None:
            log.warning(
                "sandbox_server_exited", pid=self._process.pid, status=status, in_flight=in_flight
            )
        self._lose(
            SandboxUnavailableError(
                f"the sandbox's fork server exited (status {status}) with {in_flight} "
                "evaluation(s) in flight; the next evaluation starts a new one"
            )
        )

    def _lose(self, error: SandboxUnavailableError) -> None:
        """Mark the server dead: fail whatever waits on it, stop listening, close the socket."""
        if not self.alive:
            return
        self.alive = False
        self._loop.remove_reader(self._control.fileno())
        self._control.close()
        if not self._started.done():
            self._started.set_exception(
                SandboxUnavailableError(
                    "the sandbox's fork server exited during start-up; its stderr says why"
                )
            )
        for finished in self._pending.values():
            if not finished.done():
                finished.set_exception(error)
        self._pending.clear()


def _consume(future: asyncio.Future[Any] | asyncio.Task[None]) -> None:
    """Mark a future's error as seen: it may fail after its waiter gave up (a run that timed out
    or was cancelled), and asyncio would log the unread error as a bug."""
    if not future.cancelled():
        future.exception()
