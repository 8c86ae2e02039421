"""Composition root of the gateway: ``create_app(settings, resources) -> Litestar``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp
from litestar import HttpMethod, Litestar, Request, post, route
from litestar.types import ASGIApp

from spyglass_core.browser_guard import browser_guard
from spyglass_core.health import Readiness, health_routes
from spyglass_gateway.proxy import forward
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
