"""`spyglass-gateway`: serves the web UI and is the one public HTTP address."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NoReturn

from spyglass_core.cli import service_main
from spyglass_core.http import HttpServerService
from spyglass_core.lifecycle import BackgroundService, ResourceService
from spyglass_gateway.app import GatewayResources, create_app
from spyglass_gateway.proxy import create_upstream_session
from spyglass_gateway.settings import GatewaySettings


async def build_services(settings: GatewaySettings) -> Sequence[BackgroundService]:
    """Build the pooled upstream client and the HTTP server."""
    http = create_upstream_session(settings.server.upstream_timeout_seconds)
    app = create_app(settings, GatewayResources(http=http))
    return [
        ResourceService("upstream-client", http.close),
        # httptools: every public request crosses the gateway, and h11 takes about twice its
        # CPU time per request.
        HttpServerService(
            "http",
            app,
            settings.server,
            settings.shutdown_timeout_seconds / 2,
            http_parser="httptools",
        ),
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
