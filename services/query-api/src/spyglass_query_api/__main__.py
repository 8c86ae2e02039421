"""`spyglass-query-api`: Phoenix-compatible REST and GraphQL over the Spyglass database."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NoReturn

from spyglass_bus import BusNames, connect, ensure_streams
from spyglass_bus import close as close_nats
from spyglass_bus.publisher import SpanBatchPublisher
from spyglass_core.cli import service_main
from spyglass_core.errors import DependencyUnavailableError
from spyglass_core.http import HttpServerService
from spyglass_core.lifecycle import BackgroundService, ResourceService
from spyglass_db import check_database, create_engine, create_session_maker
from spyglass_query_api.annotations.pending import PendingAnnotationService
from spyglass_query_api.app import QueryApiResources, create_app
from spyglass_query_api.rest.span_upload import SpanUpload
from spyglass_query_api.settings import QueryApiSettings
from spyglass_spans import ModelPriceTable


async def build_services(settings: QueryApiSettings) -> Sequence[BackgroundService]:
    """Connect to PostgreSQL and NATS (failing fast if either is unreachable), declare the span
    bus's streams (span uploads publish to them), and build the HTTP server."""
    engine = create_engine(settings.db)
    await check_database(engine, settings.db)
    upload = settings.upload
    prices = ModelPriceTable.load(upload.model_prices_file)
    try:
        nats = await connect(settings.nats, "spyglass-query-api")
    except DependencyUnavailableError:
        await engine.dispose()
        raise
    names = BusNames(settings.nats.namespace)
    await ensure_streams(nats.jetstream(), names, settings.nats.spans_max_bytes)
    publisher = SpanBatchPublisher(
        nats, names, upload.publish_timeout_seconds, upload.retry_after_seconds
    )
    resources = QueryApiResources(
        engine=engine,
        session_maker=create_session_maker(engine),
        span_upload=SpanUpload(publisher, prices),
    )
    app = create_app(settings, resources)
    return [
        ResourceService("database", engine.dispose),
        ResourceService("nats", lambda: close_nats(nats)),
        PendingAnnotationService(engine),
        HttpServerService("http", app, settings.server, settings.shutdown_timeout_seconds / 2),
    ]


def main(argv: list[str] | None = None) -> NoReturn:
    """Serve REST and GraphQL until SIGTERM."""
    service_main(
        "spyglass-query-api",
        "query-api",
        "Spyglass query API: Phoenix-compatible REST and GraphQL.",
        QueryApiSettings,
        build_services,
        argv,
    )


if __name__ == "__main__":
    main()
