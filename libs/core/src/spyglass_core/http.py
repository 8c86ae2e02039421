"""Serving an ASGI app with uvicorn as a :class:`BackgroundService`.

The socket is bound before uvicorn starts so that a port already in use fails at start-up with
a :class:`ConfigurationError` naming the setting to change, instead of a log line and a hang.
Signals are left to :func:`spyglass_core.lifecycle.run_services`, which owns the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Iterator
from typing import Any, Literal

import uvicorn

from spyglass_core.errors import ConfigurationError
from spyglass_core.lifecycle import BackgroundService
from spyglass_core.settings import ServerSettings, env_name


def bind_socket(host: str, port: int, port_setting: str) -> socket.socket:
    """Bind and listen on ``host:port``; port 0 picks a free port.

    Raises:
        ConfigurationError: the address is in use or can't be bound; names ``port_setting``.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not the default 0: asyncio turns Nagle's algorithm off (TCP_NODELAY) only
    # on connections whose socket says it is TCP. Without it, an answer written in two parts
    # on a kept-alive connection waited for the client's delayed ACK: 40 ms a request.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as error:
        sock.close()
        raise ConfigurationError(
            f"cannot listen on {host}:{port} ({error.strerror or error}); "
            f"set {port_setting} to a free port"
        ) from None
    sock.set_inheritable(True)
    return sock


class _UnmanagedServer(uvicorn.Server):
    """uvicorn without its own signal handling: the process lifecycle owns signals."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class HttpServerService(BackgroundService):
    """Serves an ASGI app on the address in ``settings`` until stopped."""

    def __init__(
        self,
        name: str,
        app: Any,
        settings: ServerSettings,
        drain_seconds: float = 10.0,
        http_parser: Literal["h11", "httptools"] = "h11",
    ) -> None:
        """Args:
        name: the component name in logs.
        app: the ASGI application.
        settings: where to listen.
        drain_seconds: how long open requests may take to finish when stopping.
        http_parser: uvicorn's HTTP/1.1 implementation: ``h11`` (pure Python) or
            ``httptools`` (C, about half of h11's CPU time per request; needs the
            ``httptools`` package). Always named, never uvicorn's "auto", so that installing
            ``httptools`` for one service changes no other.
        """
        self.name = name
        self._drain_seconds = drain_seconds
        self._http_parser = http_parser
        self._app = app
        self._settings = settings
        self._server: _UnmanagedServer | None = None
        self._task: asyncio.Task[None] | None = None
        self._socket: socket.socket | None = None
        self.port: int = settings.port

    def bind(self) -> None:
        """Claim the listening socket now, so a busy port fails before anything else starts.

        Raises:
            ConfigurationError: the port can't be bound; names the setting.
        """
        if self._socket is None:
            self._socket = bind_socket(
                self._settings.host, self._settings.port, env_name(type(self._settings), "port")
            )
            self.port = self._socket.getsockname()[1]

    async def start(self) -> None:
        self.bind()
        assert self._socket is not None
        sock = self._socket
        config = uvicorn.Config(
            self._app,
            http=self._http_parser,
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=max(1, int(self._drain_seconds)),
            lifespan="on",
            # The peer is the peer: uvicorn would otherwise take X-Forwarded-For and -Proto from
            # any local client as the truth. Who to believe is each app's decision (the
            # gateway's SPYGLASS_GATEWAY_TRUSTED_PROXIES).
            proxy_headers=False,
        )
        self._server = _UnmanagedServer(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]), name=self.name)
        while not self._server.started:
            if self._task.done():
                self._task.result()
                raise RuntimeError(f"{self.name} stopped while starting")
            await asyncio.sleep(0.02)

    def close_socket(self) -> None:
        """Release a socket claimed by :meth:`bind` but never served."""
        if self._socket is not None and self._task is None:
            self._socket.close()

    async def wait(self) -> None:
        assert self._task is not None
        await asyncio.shield(self._task)

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task


class HttpServerThread:
    """Runs an :class:`HttpServerService` on its own event loop in a daemon thread.

    For processes whose main thread belongs to someone else (a Celery worker): the health
    port keeps answering while the main thread runs jobs.
    """

    def __init__(self, service: HttpServerService) -> None:
        self.service = service
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name=service.name, daemon=True
        )

    def start(self) -> None:
        """Start the thread and return once the server listens; re-raise a start-up error."""
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.service.start(), self._loop).result()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the server and the thread's loop (a server never started only closes its socket)."""
        if not self._thread.is_alive():
            self.service.close_socket()
            return
        future = asyncio.run_coroutine_threadsafe(self.service.stop(), self._loop)
        with contextlib.suppress(Exception):
            future.result(timeout=timeout)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=timeout)
