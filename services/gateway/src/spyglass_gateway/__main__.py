"""`spyglass-gateway`: serves the web UI and is the one public HTTP address."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NoReturn

import httpx

from spyglass_core.cli import service_main
from spyglass_core.http import HttpServerService
from spyglass_core.lifecycle import BackgroundService, ResourceService
from spyglass_gateway.app import GatewayResources, create_app
from spyglass_gateway.settings import GatewaySettings


async def build_services(settings: GatewaySettings) -> Sequence[BackgroundService]:
    """Build the pooled upstream client and the HTTP server."""
    http = httpx.AsyncClient(
        timeout=httpx.Timeout(settings.server.upstream_timeout_seconds, connect=5.0),
        limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
    )
    app = create_app(settings, GatewayResources(http=http))
    return [
        ResourceService("upstream-client", http.aclose),
        HttpServerService("http", app, settings.server, settings.shutdown_timeout_seconds / 2),
    ]


def main(argv: list[str] | None = None) -> NoReturn:
    """Serve the UI until SIGTERM."""
    service_main(
        "spyglass-gateway",
        "gateway",
        "Spyglass gateway: the web UI and the public HTTP address.",
        GatewaySettings,
        build_services,
        argv,
    )


if __name__ == "__main__":
    main()
