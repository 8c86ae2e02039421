"""``Sandbox``: run untrusted evaluator code, one confined child process per evaluation."""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Literal

from spyglass_sandbox._fork_client import ChildHandle, ForkServerClient, ServerInfo
from spyglass_sandbox._pipes import CappedReader
from spyglass_sandbox._verdict import outcome_of
from spyglass_sandbox.errors import SandboxUnavailableError
from spyglass_sandbox.limits import Limits
from spyglass_sandbox.modules import DEFAULT_MODULES
from spyglass_sandbox.outcome import SandboxOutcome

ENVELOPE_ALLOWANCE = 64 * 1024
"""Room in the result pipe beyond ``output_bytes``: printed text, traceback, field names."""

SERVER_GRACE_SECONDS = 10.0
"""How long past a child's wall limit the caller waits for the server's word before it decides
the server is stuck, kills it, and starts another."""

LandlockMode = Literal["auto", "require", "off"]


class Sandbox:
    """Runs evaluator code in confined child processes of one fork server.

    Create one per process (after any fork), on the event loop that will use it; it starts its
    fork server on first use (or :meth:`start`) and restarts it when it dies. Many evaluations
    may run at once, each in its own child; at most ``max_children`` at a time, the rest wait.

    Args:
        modules: what evaluator code may import; the server preloads them.
        scratch_root: where each child's scratch directory is made (default: the temp dir).
        landlock: ``"auto"`` uses Landlock where the kernel has it; ``"require"`` refuses to start
            without it; ``"off"`` relies on seccomp alone, and children may open no file.
        user: whom children run as when this process is root.
        max_children: evaluations in flight at once (default: the CPU count).
        start_timeout: seconds the fork server may take to start.
    """

    def __init__(
        self,
        *,
        modules: Sequence[str] = DEFAULT_MODULES,
        scratch_root: str | None = None,
        landlock: LandlockMode = "auto",
        user: str = "nobody",
        max_children: int | None = None,
        start_timeout: float = 30.0,
    ) -> None:
        self._modules = tuple(modules)
        self._scratch_root = scratch_root or tempfile.gettempdir()
        self._landlock = landlock
        self._user = user
        self._start_timeout = start_timeout
        self._slots = asyncio.Semaphore(max_children or os.cpu_count() or 1)
        self._client: ForkServerClient | None = None
        self._starting = asyncio.Lock()
        self._owner_pid = os.getpid()
        self._closed = False

    async def __aenter__(self) -> Sandbox:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def start(self) -> ServerInfo:
        """Start the fork server now rather than on the first evaluation; say how it confines."""
        client = await self._running_client()
        assert client.info is not None
        return client.info

    async def run(
        self,
        code: str,
        entry: str = "evaluate",
        arguments: Mapping[str, Any] | None = None,
        limits: Limits | None = None,
    ) -> SandboxOutcome:
        """Run ``entry(**arguments)`` from ``code`` in a fresh confined child.

        Arguments are matched to the function's parameters by name; ones it does not name are
        left out. Whatever the code does (fail to compile, raise, return something that is not
        JSON, exceed a limit) is an outcome with a reason, never an exception here.

        Raises:
            TypeError: ``arguments`` cannot be encoded as JSON (the caller's mistake).
            SandboxUnavailableError: the evaluation did not run for the sandbox's own reasons;
                retrying may succeed.
            SandboxSetupError: this machine cannot confine code as configured.
        """
        limits = limits or Limits()
        if not entry.isidentifier():
            raise ValueError(f"entry must be a Python identifier, got {entry!r}")
        request = _encode_request(code, entry, arguments or {}, limits)
        async with self._slots:
            started = time.perf_counter()
            client, child = await self._spawn(limits)
            try:
                reader, finished = await self._talk(client, child, request, limits)
            finally:
                child.close()
            duration = time.perf_counter() - started
        return outcome_of(reader.data(), reader.overflowed, finished, limits, duration)

    async def _talk(
        self, client: ForkServerClient, child: ChildHandle, request: bytes, limits: Limits
    ) -> tuple[CappedReader, Mapping[str, Any]]:
        """Send the request, collect the result, and wait for the server to report the exit."""
        reader = CappedReader(child.result_fd, limits.output_bytes + ENVELOPE_ALLOWANCE)
        writing = asyncio.create_task(child.send_request(request))
        reading = asyncio.create_task(reader.read_to_end())
        backstop = limits.wall_seconds + SERVER_GRACE_SECONDS
        try:
            async with asyncio.timeout(backstop):
                waiters: set[asyncio.Future[Any]] = {child.finished, reading}
                await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
                if reader.overflowed:
                    client.kill(child.id)  # it may still be writing; the verdict is made already
                finished = await child.finished
        except TimeoutError:
            await self._abandon(client)
            raise SandboxUnavailableError(
                f"the sandbox's fork server did not report a child's end within {backstop:g} s; "
                "it was restarted"
            ) from None
        except BaseException:
            if not child.finished.done():
                client.kill(child.id)
                child.finished.cancel()
            raise
        finally:
            # Both tasks must be done before the caller closes the pipes: a descriptor number
            # closed while still watched could be another evaluation's by the time it is unwatched.
            writing.cancel()
            reading.cancel()
            await asyncio.gather(writing, reading, return_exceptions=True)
        reader.drain()  # the child is gone: what it wrote is in the pipe
        return reader, finished

    async def _spawn(self, limits: Limits) -> tuple[ForkServerClient, ChildHandle]:
        """Start a child; if the server turns out to have died since the last evaluation (its
        exit not yet noticed), start a new server and try once more: no child ran yet."""
        client = await self._running_client()
        try:
            return client, await client.spawn(limits)
        except SandboxUnavailableError:
            if client.alive or self._closed:
                raise
        client = await self._running_client()
        return client, await client.spawn(limits)

    async def _running_client(self) -> ForkServerClient:
        if self._closed:
            raise SandboxUnavailableError("the sandbox is closed")
        if os.getpid() != self._owner_pid:
            raise RuntimeError(
                "this Sandbox was created in another process (before a fork); "
                "create one per process"
            )
        client = self._client
        if client is not None and client.alive:
            return client
        async with self._starting:
            if self._client is not None and self._client.alive:
                return self._client
            if self._client is not None:
                await self._client.aclose()  # reaps the dead server
                self._client = None
            self._client = await ForkServerClient.start(
                modules=self._modules,
                scratch_root=self._scratch_root,
                landlock=self._landlock,
                user=self._user,
                timeout=self._start_timeout,
            )
            return self._client

    async def _abandon(self, client: ForkServerClient) -> None:
        if self._client is client:
            self._client = None
        await client.aclose()

    async def aclose(self) -> None:
        """Stop the fork server and every child it still runs; in-flight runs fail."""
        self._closed = True
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()


class BlockingSandbox:
    """A :class:`Sandbox` for synchronous code: each call runs on a private event loop.

    Not for use from inside a running event loop (use :class:`Sandbox` there).
    """

    def __init__(self, **options: Any) -> None:
        self._runner = asyncio.Runner()
        self._sandbox: Sandbox = self._runner.run(_make_sandbox(options))

    def run(
        self,
        code: str,
        entry: str = "evaluate",
        arguments: Mapping[str, Any] | None = None,
        limits: Limits | None = None,
    ) -> SandboxOutcome:
        """See :meth:`Sandbox.run`."""
        return self._runner.run(self._sandbox.run(code, entry, arguments, limits))

    def close(self) -> None:
        """Stop the fork server and the private event loop."""
        try:
            self._runner.run(self._sandbox.aclose())
        finally:
            self._runner.close()

    def __enter__(self) -> BlockingSandbox:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


async def _make_sandbox(options: Mapping[str, Any]) -> Sandbox:
    """Made on the runner's loop: the sandbox's semaphore and lock belong to it."""
    return Sandbox(**options)


def _encode_request(code: str, entry: str, arguments: Mapping[str, Any], limits: Limits) -> bytes:
    try:
        return json.dumps(
            {
                "code": code,
                "entry": entry,
                "arguments": dict(arguments),
                "output_bytes": limits.output_bytes,
            },
            allow_nan=False,
        ).encode()
    except (TypeError, ValueError) as error:
        raise TypeError(f"the evaluator's arguments must be JSON values: {error}") from error
