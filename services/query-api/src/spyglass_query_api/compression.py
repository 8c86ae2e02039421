"""gzip for the query API's answers, as Phoenix does: an answer of a kilobyte or more goes
compressed to a client that accepts gzip (browsers, httpx, and so ``arize-phoenix-client``).

Through the gateway too: it forwards the client's ``Accept-Encoding`` and passes the compressed
answer on as it is. Like Phoenix, ``multipart/mixed`` answers (the span query's data frames)
are not compressed; their handlers carry the ``SKIP_COMPRESSION`` option. So do the handlers
whose answer is always a few bytes (a run's or an evaluation's id) and that clients call by the
thousand: litestar sets up a gzip stream for every answer it may compress, whatever its size,
and that was a tenth of such a request's CPU time.
"""

from __future__ import annotations

from litestar.config.compression import CompressionConfig

SKIP_COMPRESSION = "skip_compression"
"""The route option (``opt``) that keeps a handler's answers uncompressed."""

ANSWER_ALWAYS_SMALL = {SKIP_COMPRESSION: True}
"""The ``opt`` of a handler whose answers are always below :data:`MINIMUM_SIZE`."""

MINIMUM_SIZE = 1024
"""Smaller answers go as they are: compressing them saves less than a packet."""


def compression_config(level: int) -> CompressionConfig | None:
    """The app's compression at gzip ``level`` (1-9), or none at 0."""
    if level == 0:
        return None
    return CompressionConfig(
        backend="gzip",
        gzip_compress_level=level,
        minimum_size=MINIMUM_SIZE,
        exclude_opt_key=SKIP_COMPRESSION,
    )
