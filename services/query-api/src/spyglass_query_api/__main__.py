"""`spyglass-query-api`: Phoenix-compatible REST and GraphQL over the Spyglass database."""

from __future__ import annotations

from typing import NoReturn

import uvloop

from spyglass_core.cli import asyncio_program, run_program
from spyglass_query_api.app import build_services, open_resources
from spyglass_query_api.settings import QueryApiSettings

PROGRAM = asyncio_program(
    "spyglass-query-api",
    "query-api",
    "Spyglass query API: Phoenix-compatible REST and GraphQL.",
    QueryApiSettings,
    open_resources,
    build_services,
    # Small requests a few statements each: the time goes to sockets (HTTP and asyncpg),
    # where libuv's loop takes less CPU than asyncio's own.
    uvloop.new_event_loop,
)


def main(argv: list[str] | None = None) -> NoReturn:
    """Serve REST and GraphQL until SIGTERM (or ``check`` / ``settings``)."""
    run_program(PROGRAM, argv)


if __name__ == "__main__":
    main()
