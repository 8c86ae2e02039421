"""`spyglass-gateway`: serves the web UI and is the one public HTTP address."""

from __future__ import annotations

from typing import NoReturn

import uvloop

from spyglass_core.cli import asyncio_program, run_program
from spyglass_gateway.app import build_services, open_resources
from spyglass_gateway.settings import GatewaySettings

PROGRAM = asyncio_program(
    "spyglass-gateway",
    "gateway",
    "Spyglass gateway: the web UI and the public HTTP address.",
    GatewaySettings,
    open_resources,
    build_services,
    # A proxy: nearly all of its time is socket I/O, which libuv's loop does for less CPU.
    uvloop.new_event_loop,
)


def main(argv: list[str] | None = None) -> NoReturn:
    """Serve the UI until SIGTERM (or ``check`` / ``settings``)."""
    run_program(PROGRAM, argv)


if __name__ == "__main__":
    main()
