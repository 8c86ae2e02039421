"""Non-blocking pipe I/O on the caller's event loop: the request to a child, its result back."""

from __future__ import annotations

import asyncio
import os


async def write_all(fd: int, data: bytes) -> None:
    """Write ``data`` to a non-blocking pipe, waiting while it is full.

    Stops quietly when the reader is gone (the child died or was killed): its exit, not this
    write, says what happened.
    """
    view = memoryview(data)
    while view:
        try:
            written = os.write(fd, view)
        except BlockingIOError:
            await wait_ready(fd, writable=True)
            continue
        except BrokenPipeError:
            return
        view = view[written:]


class CappedReader:
    """Reads a child's result pipe, keeping at most ``limit`` bytes.

    :meth:`read_to_end` runs while the child lives (a result larger than the pipe's buffer
    needs a reader); :meth:`drain` collects whatever is left once the child has exited, without
    waiting for an end of file that a descriptor leaked into another process could delay.
    """

    def __init__(self, fd: int, limit: int) -> None:
        self._fd = fd
        self._limit = limit
        self._chunks: list[bytes] = []
        self._size = 0
        self.overflowed = False
        self.ended = False

    async def read_to_end(self) -> None:
        """Read until end of file or until more than ``limit`` bytes arrived."""
        while not self.ended and not self.overflowed:
            if not self._read_available():
                await wait_ready(self._fd, writable=False)

    def drain(self) -> None:
        """Read what the pipe holds now, without waiting."""
        while not self.ended and not self.overflowed and self._read_available():
            pass

    def data(self) -> bytes:
        return b"".join(self._chunks)

    def _read_available(self) -> bool:
        """Read one chunk; False when the pipe is empty for now."""
        try:
            chunk = os.read(self._fd, 1 << 16)
        except BlockingIOError:
            return False
        if not chunk:
            self.ended = True
        elif self._size + len(chunk) > self._limit:
            self.overflowed = True
        else:
            self._chunks.append(chunk)
            self._size += len(chunk)
        return True


async def wait_ready(fd: int, *, writable: bool) -> None:
    """Wait until ``fd`` can be written (or read) without blocking."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        if not future.done():
            future.set_result(None)

    if writable:
        loop.add_writer(fd, wake)
    else:
        loop.add_reader(fd, wake)
    try:
        await future
    finally:
        if writable:
            loop.remove_writer(fd)
        else:
            loop.remove_reader(fd)
