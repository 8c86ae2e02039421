"""Composition root of the gateway.

``open_resources`` opens the pooled upstream client (closed when the process stops) and, with
auth on, the database engine credentials are checked against; ``create_app`` builds the app on
them, and ``build_services`` lists what the process runs: the HTTP server. With auth off the
gateway reaches no server at start-up (its readiness reports its upstreams); with auth on it
reaches the database first, so a wrong ``SPYGLASS_DB_URL`` fails at once, naming it.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass

import aiohttp
from litestar import Litestar
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlalchemy.ext.asyncio import AsyncEngine

from spyglass_auth import Authenticator
from spyglass_core.browser_guard import BrowserGuard, guard_policy
from spyglass_core.health import Readiness, health_routes
from spyglass_core.http import HttpServerService
from spyglass_core.lifecycle import BackgroundService, close_on_exit
from spyglass_db import check_database, create_engine, database_readiness
from spyglass_gateway.authentication import EdgeAuthentication, is_public
from spyglass_gateway.proxy import client_address, create_upstream_session, forward
from spyglass_gateway.security_headers import (
    HSTS,
    UiSecurityHeaders,
    is_preflight,
    over_tls,
    refuse_preflight,
)
from spyglass_gateway.settings import GatewaySettings
from spyglass_gateway.ui import ui_routes

QUERY_API_PATHS = frozenset({"/graphql", "/arize_phoenix_version", "/openapi.json", "/docs"})
"""What the query API answers on the public port besides the paths under
``QUERY_API_PREFIXES``: GraphQL, the version the Phoenix clients check, and the OpenAPI
document. ``POST /v1/traces`` goes to ingest instead."""

QUERY_API_PREFIXES = ("/v1/", "/docs/", "/auth/", "/oauth2/")
"""The query API's path prefixes: Phoenix's REST API, its docs, and sign-in (``/auth/login``,
``/auth/refresh``, ``/auth/logout``, password resets; OAuth2)."""

FORWARDED_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})


class Forwarder:
    """The gateway's front: a forwarded request goes straight to its upstream, anything else
    (the UI, the probes) to the litestar app.

    Every API call crosses it, so it routes by a prefix test instead of through litestar's
    router, dependency resolution and response machinery, which were a fifth of the gateway's
    CPU time per forwarded request.

    With ``authentication`` (auth on), a request for a forwarded path that is not public
    (:mod:`spyglass_gateway.authentication`) goes on only with a valid credential. A CORS
    preflight, to any path, is refused (:mod:`spyglass_gateway.security_headers`).
    """

    def __init__(
        self,
        app: ASGIApp,
        http: aiohttp.ClientSession,
        settings: GatewaySettings,
        authentication: EdgeAuthentication | None = None,
    ) -> None:
        self._app = app
        self._http = http
        self._authentication = authentication
        self._query_api = (settings.server.query_api_url, "query API")
        self._trusted_proxies = settings.server.trusted_proxies
        self._ingest = (settings.server.ingest_url, "ingest")

    def upstream(self, method: str, path: str) -> tuple[str, str] | None:
        """The base URL and name of the upstream that answers ``method path``, or None."""
        if method not in FORWARDED_METHODS:
            return None
        if path == "/v1/traces" and method == "POST":
            return self._ingest
        if path.startswith(QUERY_API_PREFIXES) or path in QUERY_API_PATHS:
            return self._query_api
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Forward the request (once authenticated, with auth on), or hand it to the app."""
        if scope["type"] == ScopeType.HTTP:
            method, path = scope["method"], scope["path"]
            if is_preflight(method, scope["headers"]):
                await refuse_preflight(send)
                return
            upstream = self.upstream(method, path)
            if upstream is not None:
                if (
                    self._authentication is not None
                    and upstream is not self._ingest
                    and not is_public(path)
                ):
                    refusal = await self._authentication.refusal(method, path, scope["headers"])
                    if refusal is not None:
                        await refusal(scope, receive, send)
                        return
                added = _TLS_HEADERS if over_tls(scope) else ()
                answer = await forward(
                    self._http,
                    scope,
                    receive,
                    *upstream,
                    added,
                    client_address(scope, self._trusted_proxies),
                )
                await answer(scope, receive, send)
                return
        await self._app(scope, receive, send)


_TLS_HEADERS = ((b"strict-transport-security", HSTS),)


@dataclass(frozen=True)
class GatewayResources:
    """The live clients of the gateway: one pooled HTTP client for every upstream
    (:func:`spyglass_gateway.proxy.create_upstream_session`), and with auth on the database
    engine credentials are checked against (None with auth off)."""

    http: aiohttp.ClientSession
    engine: AsyncEngine | None = None


async def open_resources(settings: GatewaySettings, stack: AsyncExitStack) -> GatewayResources:
    """The pooled upstream client and, with auth on, the database engine (reached once now);
    closed when the process stops.

    Raises:
        DependencyUnavailableError: auth is on and the database can't be reached.
    """
    http = create_upstream_session(settings.server.upstream_timeout_seconds)
    close_on_exit(stack, "upstream-client", http.close)
    engine = None
    if settings.auth.enabled:
        engine = create_engine(settings.db)
        close_on_exit(stack, "database", engine.dispose)
        await check_database(engine, settings.db)
    return GatewayResources(http=http, engine=engine)


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


def create_app(settings: GatewaySettings, resources: GatewayResources) -> ASGIApp:
    """The gateway: the UI, the query API and OTLP/HTTP behind one address, and readiness that
    reflects its upstreams (and the database, with auth on). Every request but the probes
    answers only the configured hosts, and writes from other sites are refused
    (:mod:`spyglass_core.browser_guard`), before the request is routed; then, with auth on, an
    API request needs a valid credential. What the gateway answers itself (the UI) carries the
    UI's security headers (:mod:`spyglass_gateway.security_headers`)."""
    readiness = Readiness()
    upstreams = {
        "query-api": settings.server.query_api_url,
        "ingest": settings.server.ingest_url,
    }
    for name, base_url in upstreams.items():
        readiness.add(name, _upstream_check(resources.http, base_url))
    authentication = None
    if settings.auth.enabled:
        engine = resources.engine
        assert engine is not None, "auth is on: open_resources opens the database"
        readiness.add("database", lambda: database_readiness(engine))
        authentication = EdgeAuthentication(Authenticator(settings.auth, engine))
    app = Litestar(
        route_handlers=[*health_routes(readiness), *ui_routes(settings.server.ui_directory)],
        openapi_config=None,
        logging_config=None,
    )
    forwarder = Forwarder(UiSecurityHeaders(app), resources.http, settings, authentication)
    return BrowserGuard(forwarder, guard_policy(settings.server))


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
