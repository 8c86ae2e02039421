"""Composition root of the query API: ``create_app(settings, resources) -> Litestar``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Litestar, Request, Response, get
from litestar.openapi import OpenAPIConfig
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from spyglass_core import __version__
from spyglass_core.browser_guard import browser_guard
from spyglass_core.health import Readiness, health_routes
from spyglass_db import database_readiness
from spyglass_query_api.compression import compression_config
from spyglass_query_api.graphql import graphql_handlers
from spyglass_query_api.rest import connection_provider, rest_handlers, version_header
from spyglass_query_api.rest.encoded_slash import EncodedSlashMiddleware
from spyglass_query_api.rest.errors import EXCEPTION_HANDLERS
from spyglass_query_api.rest.openapi_errors import served_openapi_document
from spyglass_query_api.rest.span_upload import SpanUpload, span_upload_provider
from spyglass_query_api.settings import QueryApiSettings


@dataclass(frozen=True)
class QueryApiResources:
    """The live clients the query API's handlers use."""

    engine: AsyncEngine
    session_maker: async_sessionmaker[AsyncSession]
    span_upload: SpanUpload | None = None
    """The span bus for ``POST /v1/projects/{id}/spans``; without it, uploads answer 503."""


def create_app(settings: QueryApiSettings, resources: QueryApiResources) -> Litestar:
    """The query API application: REST ``/v1``, health, metrics and the OpenAPI document."""
    readiness = Readiness()
    readiness.add("database", lambda: database_readiness(resources.engine))
    openapi = OpenAPIConfig(title="Spyglass", version=__version__, path="/docs")

    documents: list[dict[str, object]] = []

    @get("/openapi.json", include_in_schema=False)
    async def openapi_document(request: Request[Any, Any, Any]) -> Response[dict[str, object]]:
        """The OpenAPI document, built once (building it takes tens of milliseconds)."""
        if not documents:
            documents.append(served_openapi_document(request.app))
        return Response(documents[0])

    app = Litestar(
        route_handlers=[
            *health_routes(readiness, in_schema=True),
            openapi_document,
            *rest_handlers(),
            *graphql_handlers(),
        ],
        dependencies={
            "connection": connection_provider(resources.engine),
            "span_upload": span_upload_provider(resources.span_upload),
        },
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[browser_guard(settings.server)],
        after_request=version_header,
        compression_config=compression_config(settings.server.gzip_level),
        openapi_config=openapi,
        logging_config=None,
        state=None,
        debug=False,
    )
    # Before routing (litestar's middleware runs after it), so that %2F stays in its segment.
    app.asgi_handler = EncodedSlashMiddleware(app.asgi_handler)
    return app
