"""Composition root of the query API.

``open_resources`` connects to NATS and PostgreSQL (each closed when the process stops, or
when a later step of start-up fails), ``create_app`` builds the Litestar app on them, and
``build_services`` lists what the process runs: its background loops and the HTTP server.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

from litestar import Litestar, Request, Response, Router, get
from litestar.openapi import OpenAPIConfig
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from spyglass_auth import Authenticator, hash_password
from spyglass_bus import BusNames, connect, ensure_streams
from spyglass_bus import close as close_nats
from spyglass_bus.publisher import SpanBatchPublisher
from spyglass_core import __version__
from spyglass_core.browser_guard import browser_guard
from spyglass_core.health import Readiness, health_routes
from spyglass_core.http import HttpServerService
from spyglass_core.lifecycle import BackgroundService, close_on_exit
from spyglass_core.logging import get_logger
from spyglass_db import check_database, create_engine, create_session_maker, database_readiness
from spyglass_db.auth import ensure_default_admin
from spyglass_db.pool import LazyPool
from spyglass_db.retention import RetentionService
from spyglass_jobs import JobProducer
from spyglass_llm.client import LLMClient
from spyglass_llm.credentials import CredentialResolver
from spyglass_llm.secrets import SecretBox
from spyglass_query_api.access import door
from spyglass_query_api.annotations.pending import PendingAnnotationService
from spyglass_query_api.compression import compression_config
from spyglass_query_api.dependencies import (
    LazySandbox,
    constant_provider,
    statements_provider,
)
from spyglass_query_api.graphql import graphql_handlers
from spyglass_query_api.rest import connection_provider, rest_handlers, version_header
from spyglass_query_api.rest.encoded_slash import EncodedSlashMiddleware
from spyglass_query_api.rest.errors import EXCEPTION_HANDLERS
from spyglass_query_api.rest.login_limits import LoginLimits
from spyglass_query_api.rest.openapi_errors import served_openapi_document
from spyglass_query_api.rest.span_upload import SpanUpload, span_upload_provider
from spyglass_query_api.settings import QueryApiSettings
from spyglass_spans import ModelPriceTable

log = get_logger(__name__)


@dataclass(frozen=True)
class QueryApiResources:
    """The live clients the query API's handlers use."""

    engine: AsyncEngine
    session_maker: async_sessionmaker[AsyncSession]
    span_upload: SpanUpload | None = None
    """The span bus for ``POST /v1/projects/{id}/spans``; without it, uploads answer 503."""
    statements: LazyPool | None = None
    """The asyncpg pool of the one-statement writes (``spyglass_db.driver``); without it, the app
    opens its own on first use and closes it when its lifespan ends."""
    producer: JobProducer | None = None
    """Queues experiment jobs on Redis; without it, the app makes its own from the settings."""


async def open_resources(settings: QueryApiSettings, stack: AsyncExitStack) -> QueryApiResources:
    """Connect to NATS and declare the span bus's streams (span uploads publish to them), then
    connect to PostgreSQL; fail fast, naming the setting, if either is unreachable.

    Raises:
        DependencyUnavailableError: NATS or PostgreSQL can't be reached.
    """
    upload = settings.upload
    prices = ModelPriceTable.load(upload.model_prices_file)
    nats = await connect(settings.nats, "spyglass-query-api")
    close_on_exit(stack, "nats", lambda: close_nats(nats))
    names = BusNames(settings.nats.namespace)
    await ensure_streams(nats.jetstream(), names, settings.nats.spans_max_bytes)
    publisher = SpanBatchPublisher(
        nats, names, upload.publish_timeout_seconds, upload.retry_after_seconds
    )
    engine = create_engine(settings.db)
    close_on_exit(stack, "database", engine.dispose)
    await check_database(engine, settings.db)
    statements = statement_pool(settings)
    close_on_exit(stack, "database-statements", statements.close)
    producer = JobProducer(settings.redis, "spyglass-query-api")
    close_on_exit(stack, "job-producer", producer.close)
    return QueryApiResources(
        engine=engine,
        session_maker=create_session_maker(engine),
        span_upload=SpanUpload(publisher, prices),
        statements=statements,
        producer=producer,
    )


def statement_pool(settings: QueryApiSettings) -> LazyPool:
    """The pool of the one-statement writes: as many connections as the engine keeps."""
    return LazyPool(settings.db, "spyglass-query-api", max_size=settings.db.pool_size)


def build_services(
    settings: QueryApiSettings, resources: QueryApiResources
) -> Sequence[BackgroundService]:
    """What the query API runs, in start order: background loops, then the HTTP server."""
    loops: list[BackgroundService] = [PendingAnnotationService(resources.engine)]
    if settings.retention.enabled:
        loops.append(RetentionService(resources.engine, settings.retention))
    return [
        *loops,
        HttpServerService(
            "http",
            create_app(settings, resources),
            settings.server,
            settings.shutdown_timeout_seconds / 2,
            http_parser="httptools",
        ),
    ]


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

    statements = resources.statements or statement_pool(settings)
    producer = resources.producer or JobProducer(settings.redis, "spyglass-query-api")
    secret_box = SecretBox.from_settings_or_none(settings.secrets)
    credentials = CredentialResolver(resources.engine, secret_box)
    prices = ModelPriceTable.load(settings.upload.model_prices_file)
    llm = LLMClient(prices=prices)
    sandbox = LazySandbox()
    authenticator = Authenticator(settings.auth, resources.engine)
    login_limits = LoginLimits(settings.redis, settings.auth.login_attempts_per_minute)

    async def make_default_admin() -> None:
        if not settings.auth.enabled:
            return
        password = settings.auth.default_admin_initial_password.get_secret_value()
        async with resources.engine.begin() as connection:
            if await ensure_default_admin(connection, hash_password(password)):
                log.info("default_admin_created", email="admin@localhost")

    app = Litestar(
        route_handlers=[
            *health_routes(readiness, in_schema=True),
            openapi_document,
            Router(
                "/",
                route_handlers=[*rest_handlers(), *graphql_handlers()],
                guards=[door(authenticator)],
            ),
        ],
        dependencies={
            "connection": connection_provider(resources.engine),
            "statements": statements_provider(statements),
            "span_upload": span_upload_provider(resources.span_upload),
            "engine": constant_provider(resources.engine),
            "producer": constant_provider(producer),
            "credentials": constant_provider(credentials),
            "prices": constant_provider(prices),
            "secret_box": constant_provider(secret_box),
            "llm": constant_provider(llm),
            "playground": constant_provider(settings.playground),
            "sandbox": constant_provider(sandbox),
            "authenticator": constant_provider(authenticator),
            "login_limits": constant_provider(login_limits),
        },
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[browser_guard(settings.server)],
        after_request=version_header,
        on_startup=[make_default_admin],
        # What the app made itself, it closes (what the resources hold, their owner closes).
        on_shutdown=[
            llm.aclose,
            sandbox.aclose,
            login_limits.close,
            *([] if resources.statements else [statements.close]),
            *([] if resources.producer else [producer.close]),
        ],
        compression_config=compression_config(settings.server.gzip_level),
        openapi_config=openapi,
        logging_config=None,
        state=None,
        debug=False,
    )
    # Before routing (litestar's middleware runs after it), so that %2F stays in its segment.
    app.asgi_handler = EncodedSlashMiddleware(app.asgi_handler)
    return app
