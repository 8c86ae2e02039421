"""The fork server: one process per ``Sandbox``, forking one confined child per evaluation.

Started as ``python -I -m spyglass_sandbox._fork_server CONFIG`` with an empty environment, no
inherited descriptors but its control socket, and its own session. It imports the allowed
modules once, builds the seccomp filter once, then serves a SOCK_SEQPACKET control socket (one
JSON message a packet):

    caller -> server  {"op": "spawn", "id": 7, "cpu_seconds": 2, "memory_bytes": ..., ...}
                      with two descriptors: the child's request pipe (read end) and its result
                      pipe (write end). The caller keeps the other ends and talks to the child
                      directly: the request never passes through this process, so no child
                      inherits another evaluation's code or data.
                      {"op": "kill", "id": 7}
    server -> caller  {"op": "ready", "pid": ..., "uid": ..., "landlock_abi": 7, "scratch": ...}
                      {"op": "failed", "message": "..."}   (start-up failed; the server exits)
                      {"op": "finished", "id": 7, "exit_code": 0, "signal": null,
                       "cpu_seconds": 0.01, "timed_out": false, "error": null}

The server enforces each child's wall-clock limit itself (SIGKILL at the deadline). When the
control socket closes, it kills its children and exits; children die with it (parent-death
signal), so nothing outlives the caller.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import os
import random
import selectors
import shutil
import signal
import socket
import stat
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, NoReturn

from spyglass_sandbox import _confine, _runner
from spyglass_sandbox.modules import IMPORTED_FROM_C, SUPPORT_MODULES

CONTROL_PACKET_BYTES = 64 * 1024
SCRATCH_PREFIX = "spyglass-sandbox-"
EXIT_CONFINEMENT_FAILED = 70
EXIT_INTERNAL_ERROR = 71
CONFINED_FD = 4
"""A child writes one byte here once confined, then closes it. A child's word that confinement
failed (its result envelope) is believed only when this byte never came: user code, which runs
later, could write such an envelope itself."""


@dataclass(slots=True)
class _Child:
    id: int
    pid: int
    pidfd: int
    confined_fd: int
    scratch: str
    deadline: float
    timed_out: bool = False


@dataclass(slots=True)
class _ServerConfig:
    modules: list[str]
    scratch_root: str
    landlock: str
    user: str

    @classmethod
    def parse(cls, text: str) -> _ServerConfig:
        raw = json.loads(text)
        return cls(
            modules=[str(name) for name in raw["modules"]],
            scratch_root=str(raw["scratch_root"]),
            landlock=str(raw["landlock"]),
            user=str(raw["user"]),
        )


@dataclass(slots=True)
class ForkServer:
    """The server's state and loop; see the module docstring for the protocol."""

    control: socket.socket
    config: _ServerConfig
    identity: _confine.Identity | None = None
    landlock_abi: int = 0
    scratch_base: str = ""
    devnull: int = -1
    syscall_filter: Any = None
    children: dict[int, _Child] = field(default_factory=dict)
    """Running children by pid (the caller names them by id)."""
    outbox: deque[bytes] = field(default_factory=deque)
    selector: selectors.DefaultSelector = field(default_factory=selectors.DefaultSelector)
    closing: bool = False
    pid: int = field(default_factory=os.getpid)

    def prepare(self) -> None:
        """Everything children share, done once: modules, identity, scratch root, filter."""
        for name in [*self.config.modules, *SUPPORT_MODULES]:
            try:
                importlib.import_module(name)
            except ImportError as error:
                raise _confine.ConfinementError(
                    f"cannot preload module {name!r}: {error}"
                ) from None
        self.identity = _confine.resolve_identity(self.config.user)
        self.landlock_abi = _confine.landlock_abi(self.config.landlock)
        self.scratch_base = self._make_scratch_base()
        self.devnull = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)
        self.syscall_filter = _confine.build_seccomp_filter(
            files=self.landlock_abi > 0, landlock_abi=self.landlock_abi
        )
        if self.landlock_abi > 0:
            _confine.warm_up_landlock(self.scratch_base)
        _runner.warm_up(self.allowed)
        self.control.setblocking(False)
        self.selector.register(self.control, selectors.EVENT_READ, None)
        gc.collect()
        gc.freeze()  # what is loaded now stays shared, untouched, between children

    @property
    def allowed(self) -> frozenset[str]:
        """What user code may import: the configured modules, and what C code imports lazily."""
        return frozenset([*self.config.modules, *IMPORTED_FROM_C])

    def _make_scratch_base(self) -> str:
        _sweep_scratch_of_dead_servers(self.config.scratch_root)
        try:
            base = tempfile.mkdtemp(
                prefix=f"{SCRATCH_PREFIX}{os.getpid()}-", dir=self.config.scratch_root
            )
        except OSError as error:
            raise _confine.ConfinementError(
                f"cannot create the scratch directory under {self.config.scratch_root!r} "
                f"({error.strerror}); give Sandbox(scratch_root=...) a writable directory "
                "(an emptyDir on Kubernetes)"
            ) from None
        # Children of a root server run as another user: they must traverse into their own
        # directory, and list nothing else.
        os.chmod(base, 0o711 if self.identity is not None else 0o700)
        if self.identity is not None:
            _require_searchable(base, self.identity)
        return base

    def serve(self) -> None:
        """Handle requests and child exits until the control socket closes and children are gone."""
        self.send(
            {
                "op": "ready",
                "pid": os.getpid(),
                "uid": self._child_uid(),
                "landlock_abi": self.landlock_abi,
                "scratch": self.scratch_base,
            }
        )
        while not self.closing or self.children:
            for key, events in self.selector.select(self._next_timeout()):
                if key.data is None:
                    if events & selectors.EVENT_READ:
                        self._read_control()
                    if events & selectors.EVENT_WRITE:
                        self._flush()
                else:
                    self._reap(key.data)
            self._enforce_deadlines()
        shutil.rmtree(self.scratch_base, ignore_errors=True)

    def _child_uid(self) -> int:
        return os.getuid() if self.identity is None else self.identity.uid

    def _next_timeout(self) -> float | None:
        if not self.children:
            return None
        soonest = min(child.deadline for child in self.children.values())
        return max(0.0, soonest - time.monotonic())

    def _enforce_deadlines(self) -> None:
        now = time.monotonic()
        for child in self.children.values():
            if not child.timed_out and now >= child.deadline:
                child.timed_out = True
                _kill(child.pid)

    def _read_control(self) -> None:
        while not self.closing:
            try:
                data, fds, _flags, _address = socket.recv_fds(self.control, CONTROL_PACKET_BYTES, 2)
            except BlockingIOError:
                return
            except ConnectionResetError:
                data, fds = b"", []
            if not data:
                self._close()
                return
            try:
                self._handle(json.loads(data), fds)
            finally:
                for fd in fds:
                    os.close(fd)

    def _handle(self, message: dict[str, Any], fds: list[int]) -> None:
        if message.get("op") == "kill":
            child_id = int(message["id"])
            for child in self.children.values():
                if child.id == child_id:
                    _kill(child.pid)
        elif message.get("op") == "spawn":
            self._spawn(message, fds)

    def _spawn(self, message: dict[str, Any], fds: list[int]) -> None:
        child_id = int(message["id"])
        if len(fds) != 2:
            self.send(_finished(child_id, error="the spawn request carried no pipes"))
            return
        limits = _confine.ChildLimits(
            cpu_seconds=int(message["cpu_seconds"]),
            memory_bytes=int(message["memory_bytes"]),
            file_bytes=int(message["file_bytes"]),
            open_files=int(message["open_files"]),
        )
        scratch = os.path.join(self.scratch_base, str(child_id))
        confined_read, confined_write = os.pipe()
        try:
            os.mkdir(scratch, 0o700)
            if self.identity is not None:
                os.chown(scratch, self.identity.uid, self.identity.gid)
            pid = os.fork()
        except OSError as error:
            os.close(confined_read)
            os.close(confined_write)
            _remove_tree(scratch)
            self.send(_finished(child_id, error=f"cannot start a child: {error}"))
            return
        if pid == 0:
            self._become_child(
                limits, scratch, request_fd=fds[0], result_fd=fds[1], confined_fd=confined_write
            )
        os.close(confined_write)
        os.set_blocking(confined_read, False)
        pidfd = os.pidfd_open(pid)
        deadline = time.monotonic() + float(message["wall_seconds"])
        child = _Child(child_id, pid, pidfd, confined_read, scratch, deadline)
        self.children[pid] = child
        self.selector.register(pidfd, selectors.EVENT_READ, child)

    def _become_child(
        self,
        limits: _confine.ChildLimits,
        scratch: str,
        *,
        request_fd: int,
        result_fd: int,
        confined_fd: int,
    ) -> NoReturn:
        """In the forked child: arrange descriptors, confine, evaluate, exit. Never returns, so
        nothing that happens here can fall back into the server's loop."""
        try:
            try:
                _arrange_descriptors(request_fd, result_fd, confined_fd, self.devnull)
                os.setsid()
                random.seed()  # the server's random state is every child's; give each its own
                _confine.confine(
                    limits,
                    scratch,
                    self.identity,
                    self.landlock_abi > 0,
                    self.syscall_filter,
                    self.pid,
                )
            except BaseException as error:
                _write_and_exit(
                    _runner.sandbox_error(f"confinement failed: {error}"), EXIT_CONFINEMENT_FAILED
                )
            os.write(CONFINED_FD, b"1")  # the server's proof that no user code ran unconfined
            os.close(CONFINED_FD)
            try:
                request = _runner.read_request()
            except MemoryError:
                _write_and_exit(_runner.MEMORY_ENVELOPE, 0)
            except BaseException as error:
                _write_and_exit(_runner.sandbox_error(f"cannot read the request: {error}"), 0)
            _write_and_exit(_runner.evaluate(request, self.allowed), 0)
        finally:
            os._exit(EXIT_INTERNAL_ERROR)

    def _reap(self, child: _Child) -> None:
        self.selector.unregister(child.pidfd)
        os.close(child.pidfd)
        _pid, status, usage = os.wait4(child.pid, 0)
        del self.children[child.pid]
        try:
            confined = os.read(child.confined_fd, 1) == b"1"
        except BlockingIOError:
            confined = False
        os.close(child.confined_fd)
        _remove_tree(child.scratch)
        code = os.waitstatus_to_exitcode(status)
        self.send(
            _finished(
                child.id,
                exit_code=code if code >= 0 else None,
                signal_number=-code if code < 0 else None,
                cpu_seconds=usage.ru_utime + usage.ru_stime,
                timed_out=child.timed_out,
                confined=confined,
            )
        )

    def send(self, message: dict[str, Any]) -> None:
        """Queue a message to the caller; written as the socket accepts it, never blocking."""
        if self.closing:
            return
        self.outbox.append(json.dumps(message).encode())
        self._flush()

    def _flush(self) -> None:
        while self.outbox:
            try:
                self.control.send(self.outbox[0])
            except BlockingIOError:
                self.selector.modify(
                    self.control, selectors.EVENT_READ | selectors.EVENT_WRITE, None
                )
                return
            except OSError:  # the caller went away; _read_control will see it
                self.outbox.clear()
                return
            self.outbox.popleft()
        self.selector.modify(self.control, selectors.EVENT_READ, None)

    def _close(self) -> None:
        """The caller is gone: stop every child; the loop ends once they are reaped."""
        self.closing = True
        self.outbox.clear()
        self.selector.unregister(self.control)
        for child in self.children.values():
            _kill(child.pid)


def _finished(
    child_id: int,
    *,
    exit_code: int | None = None,
    signal_number: int | None = None,
    cpu_seconds: float = 0.0,
    timed_out: bool = False,
    confined: bool = False,
    error: str | None = None,
) -> dict[str, Any]:
    return {
        "op": "finished",
        "id": child_id,
        "exit_code": exit_code,
        "signal": signal_number,
        "cpu_seconds": cpu_seconds,
        "timed_out": timed_out,
        "confined": confined,
        "error": error,
    }


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # exited already; reaped through its pidfd
        os.kill(pid, signal.SIGKILL)


def _remove_tree(path: str) -> None:
    """Remove a child's scratch directory, even one it left unreadable (mkdir with mode 0)."""

    def make_writable_and_retry(function: Any, failed_path: str, _excinfo: Any) -> None:
        os.chmod(os.path.dirname(failed_path), 0o700)
        os.chmod(failed_path, 0o700)
        function(failed_path)

    try:
        shutil.rmtree(path, onerror=make_writable_and_retry)
    except OSError:
        shutil.rmtree(path, ignore_errors=True)


def _require_searchable(path: str, identity: _confine.Identity) -> None:
    """Fail at start-up, not at every evaluation, when children could not reach their scratch
    directories: every directory above them must let the unprivileged user pass."""
    current = os.path.abspath(path)
    while True:
        status = os.stat(current)
        mode = status.st_mode
        if not (
            mode & stat.S_IXOTH
            or (status.st_uid == identity.uid and mode & stat.S_IXUSR)
            or (status.st_gid == identity.gid and mode & stat.S_IXGRP)
        ):
            raise _confine.ConfinementError(
                f"children run as uid {identity.uid} and cannot pass through {current!r} "
                "to reach their scratch directories; give Sandbox(scratch_root=...) a directory "
                "every user can enter (such as /tmp)"
            )
        parent = os.path.dirname(current)
        if parent == current:
            return
        current = parent


def _sweep_scratch_of_dead_servers(root: str) -> None:
    """Remove the scratch directories of fork servers that died without cleaning up (killed,
    or their worker was). Each is named after its server's pid; a pid still in use (by that
    server, or by anything else) keeps its directory."""
    try:
        entries = list(os.scandir(root))
    except OSError:
        return  # _make_scratch_base reports an unusable root
    for entry in entries:
        pid = entry.name.removeprefix(SCRATCH_PREFIX).partition("-")[0]
        if entry.name.startswith(SCRATCH_PREFIX) and pid.isdigit() and not _alive(int(pid)):
            _remove_tree(entry.path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _arrange_descriptors(request_fd: int, result_fd: int, confined_fd: int, devnull: int) -> None:
    """Leave the child exactly: 0 the request pipe, 1 and 2 /dev/null, 3 the result pipe, 4 the
    pipe that tells the server confinement is done.

    Everything else the server holds (its control socket, other children's pidfds) is closed,
    so user code can reach neither the caller nor another evaluation.
    """
    # Copies first, so that no target number overwrites a source still needed.
    high_request, high_result, high_confined = (
        os.dup(request_fd),
        os.dup(result_fd),
        os.dup(confined_fd),
    )
    os.dup2(high_request, _runner.REQUEST_FD)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.dup2(high_result, _runner.RESULT_FD)
    os.dup2(high_confined, CONFINED_FD)
    os.closerange(CONFINED_FD + 1, os.sysconf("SC_OPEN_MAX"))


def _write_and_exit(envelope: bytes, status: int) -> NoReturn:
    try:
        _runner.write_result(envelope)
    finally:
        os._exit(status)


def main() -> None:
    """Entry point: ``python -I -m spyglass_sandbox._fork_server '<config json>' <control fd>``."""
    config = _ServerConfig.parse(sys.argv[1])
    control = socket.socket(fileno=int(sys.argv[2]))
    server = ForkServer(control, config)
    try:
        server.prepare()
    except Exception as error:  # reported to the caller, which raises it
        message = (
            str(error)
            if isinstance(error, _confine.ConfinementError)
            else f"{type(error).__name__}: {error}"
        )
        control.sendall(json.dumps({"op": "failed", "message": message}).encode())
        sys.exit(1)
    server.serve()


if __name__ == "__main__":
    main()
