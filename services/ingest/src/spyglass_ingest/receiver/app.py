"""Composition root of the receiver.

``open_resources`` connects to NATS and declares the span bus's streams, and with auth on opens
the PostgreSQL engine its API keys are read with (each closed when the process stops, or when a
later step of start-up fails; with auth off the receiver never connects to PostgreSQL);
``create_app`` builds the OTLP/HTTP app; ``build_services`` lists what the process runs: the
OTLP/HTTP and OTLP/gRPC servers, both on one :class:`ExportService` and one :class:`IngestGuard`.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass

from litestar import Litestar
from nats.aio.client import Client as NatsClient

from spyglass_auth import Authenticator
from spyglass_bus import BusNames, connect, ensure_streams, nats_readiness
from spyglass_bus import close as close_nats
from spyglass_bus.publisher import SpanBatchPublisher
from spyglass_core.health import Readiness, health_routes
from spyglass_core.http import HttpServerService
from spyglass_core.lifecycle import BackgroundService, close_on_exit
from spyglass_core.logging import get_logger
from spyglass_db import check_database, create_engine
from spyglass_ingest.receiver.auth import IngestGuard
from spyglass_ingest.receiver.export import ExportService
from spyglass_ingest.receiver.grpc_server import GrpcServerService
from spyglass_ingest.receiver.otlp_http import otlp_http_routes
from spyglass_ingest.settings import ReceiverSettings
from spyglass_spans import ModelPriceTable

log = get_logger(__name__)


@dataclass(frozen=True)
class ReceiverResources:
    """The receiver's live clients: the NATS connection, the exporter publishing on it, and
    the guard checking API keys (None when auth is off)."""

    nats: NatsClient
    exporter: ExportService
    guard: IngestGuard | None = None


async def open_resources(settings: ReceiverSettings, stack: AsyncExitStack) -> ReceiverResources:
    """Connect to NATS and declare the streams, then, with auth on, to PostgreSQL; fail fast,
    naming the setting, if either is unreachable.

    Raises:
        DependencyUnavailableError: NATS or (auth on) PostgreSQL can't be reached.
    """
    limits = settings.limits
    prices = ModelPriceTable.load(limits.model_prices_file)
    nats = await connect(settings.nats, "spyglass-ingest-receiver")
    close_on_exit(stack, "nats", lambda: close_nats(nats))
    names = BusNames(settings.nats.namespace)
    await ensure_streams(nats.jetstream(), names, settings.nats.spans_max_bytes)
    publisher = SpanBatchPublisher(
        nats, names, limits.publish_timeout_seconds, limits.retry_after_seconds
    )
    exporter = ExportService(publisher, prices, limits)
    if not settings.auth.enabled:
        return ReceiverResources(nats=nats, exporter=exporter)
    engine = create_engine(settings.db)
    close_on_exit(stack, "database", engine.dispose)
    await check_database(engine, settings.db)
    log.info("auth_enabled", cache_seconds=settings.auth.cache_seconds)
    guard = IngestGuard(Authenticator(settings.auth, engine), limits.retry_after_seconds)
    return ReceiverResources(nats=nats, exporter=exporter, guard=guard)


def build_services(
    settings: ReceiverSettings, resources: ReceiverResources
) -> Sequence[BackgroundService]:
    """The two OTLP servers, HTTP first (it carries health and metrics)."""
    limits = settings.limits
    drain = settings.shutdown_timeout_seconds / 2
    return [
        # httptools: a collector's exports are large bodies, and h11 parses them in Python.
        HttpServerService(
            "otlp-http",
            create_app(
                resources.nats, resources.exporter, limits.max_request_bytes, resources.guard
            ),
            settings.http,
            drain,
            http_parser="httptools",
        ),
        GrpcServerService(
            "otlp-grpc",
            settings.grpc,
            resources.exporter,
            limits.max_request_bytes,
            drain_seconds=drain,
            guard=resources.guard,
        ),
    ]


def create_app(
    nats: NatsClient,
    exporter: ExportService,
    max_request_bytes: int,
    guard: IngestGuard | None = None,
) -> Litestar:
    """The receiver's HTTP app: OTLP/HTTP, health and metrics; ready while NATS is connected.

    Readiness does not wait on PostgreSQL, even with auth on: keys already checked keep being
    accepted through a database outage, and a receiver taken out of service would refuse them.
    """
    readiness = Readiness()

    readiness.add("nats", nats_readiness(nats))
    return Litestar(
        route_handlers=[
            *health_routes(readiness),
            *otlp_http_routes(exporter, max_request_bytes, guard),
        ],
        openapi_config=None,
        logging_config=None,
        # The handler streams and limits bodies itself (after decompression), with OTLP errors.
        request_max_body_size=None,
    )
