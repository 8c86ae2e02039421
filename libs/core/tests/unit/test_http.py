"""The listening socket of every HTTP service."""

from __future__ import annotations

import asyncio
import socket

from spyglass_core.http import bind_socket


async def test_accepted_connections_send_without_waiting_for_acks() -> None:
    """Nagle's algorithm is off on served connections (asyncio sets TCP_NODELAY only when the
    socket says it is TCP), so a response written in parts is not held for a delayed ACK."""
    listener = bind_socket("127.0.0.1", 0, "SPYGLASS_TEST_PORT")
    accepted: asyncio.Queue[int] = asyncio.Queue()

    async def serve(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        await accepted.put(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        writer.close()

    server = await asyncio.start_server(serve, sock=listener)
    try:
        _, writer = await asyncio.open_connection(*listener.getsockname())
        nodelay = await asyncio.wait_for(accepted.get(), timeout=5)
        writer.close()
    finally:
        server.close()
        await server.wait_closed()

    assert nodelay != 0
