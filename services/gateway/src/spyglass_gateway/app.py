"""Composition root of the gateway.

``open_resources`` opens the pooled upstream client (closed when the process stops),
``create_app`` builds the Litestar app on it, and ``build_services`` lists what the process runs:
the HTTP server. The gateway reaches no server at start-up: its readiness reports its upstreams.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import aiohttp
from litestar import HttpMethod, Litestar, Request, post, route
from litestar.types import ASGIApp

from spyglass_core.browser_guard import browser_guard
from spyglass_core.health import Readiness, health_routes
from spyglass_core.http import HttpServerService
from spyglass_core.lifecycle import BackgroundService, close_on_exit
from spyglass_gateway.proxy import create_upstream_session, forward
from spyglass_gateway.settings import GatewaySettings
from spyglass_gateway.ui import ui_routes

QUERY_API_PATHS = (
    "/v1/{path:path}",
    "/graphql",
    "/arize_phoenix_version",
    "/openapi.json",
    "/docs",
    "/docs/{path:path}",
)
"""What the query API answers on the public port: Phoenix's REST API, GraphQL, the version the
Phoenix clients check, and the OpenAPI document. ``POST /v1/traces`` goes to ingest instead."""

FORWARDED_METHODS = [
    HttpMethod.GET,
    HttpMethod.POST,
    HttpMethod.PUT,
    HttpMethod.PATCH,
    HttpMethod.DELETE,
    HttpMethod.HEAD,
    HttpMethod.OPTIONS,
]


@dataclass(frozen=True)
class GatewayResources:
    """The live clients of the gateway: one pooled HTTP client for every upstream
    (:func:`spyglass_gateway.proxy.create_upstream_session`)."""

    http: aiohttp.ClientSession


async def open_resources(settings: GatewaySettings, stack: AsyncExitStack) -> GatewayResources:
    """The pooled upstream client, closed when the process stops."""
    http = create_upstream_session(settings.server.upstream_timeout_seconds)
    close_on_exit(stack, "upstream-client", http.close)
    return GatewayResources(http=http)


def build_services(
    settings: GatewaySettings, resources: GatewayResources
) -> Sequence[BackgroundService]:
    """The gateway runs one thing: its HTTP server."""
    return [
        # httptools: every public request crosses the gateway, and h11 takes about twice its
        # CPU time per request.
        HttpServerService(
            "http",
            create_app(settings, resources),
            settings.server,
            settings.shutdown_timeout_seconds / 2,
            http_parser="httptools",
        ),
    ]


def create_app(settings: GatewaySettings, resources: GatewayResources) -> Litestar:
    """The gateway: the UI, the query API and OTLP/HTTP behind one address, and readiness that
    reflects its upstreams. Every route but the probes answers only the configured hosts and
    refuses writes from other sites (:mod:`spyglass_core.browser_guard`)."""
    readiness = Readiness()
    upstreams = {
        "query-api": settings.server.query_api_url,
        "ingest": settings.server.ingest_url,
    }
    for name, base_url in upstreams.items():
        readiness.add(name, _upstream_check(resources.http, base_url))

    @post("/v1/traces", include_in_schema=False)
    async def otlp_traces(request: Request[Any, Any, Any]) -> ASGIApp:
        """OTLP/HTTP on the public port, as Phoenix serves it: forwarded to the receiver."""
        return await forward(resources.http, request, settings.server.ingest_url, "ingest")

    @route(list(QUERY_API_PATHS), http_method=FORWARDED_METHODS, include_in_schema=False)
    async def query_api(request: Request[Any, Any, Any]) -> ASGIApp:
        """REST, GraphQL and the Phoenix version: forwarded to the query API."""
        return await forward(resources.http, request, settings.server.query_api_url, "query API")

    return Litestar(
        route_handlers=[
            *health_routes(readiness),
            otlp_traces,
            query_api,
            *ui_routes(settings.server.ui_directory),
        ],
        middleware=[browser_guard(settings.server)],
        openapi_config=None,
        logging_config=None,
        # Bodies are streamed to the upstream, which enforces its own limits.
        request_max_body_size=None,
    )


def _upstream_check(http: aiohttp.ClientSession, base_url: str):  # type: ignore[no-untyped-def]
    async def check() -> None:
        try:
            async with http.get(
                f"{base_url}/healthz", timeout=aiohttp.ClientTimeout(total=2.0)
            ) as response:
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as error:
            raise RuntimeError(f"{base_url} unreachable ({type(error).__name__})") from None
        if status != 200:
            raise RuntimeError(f"{base_url}/healthz answered {status}")

    return check
