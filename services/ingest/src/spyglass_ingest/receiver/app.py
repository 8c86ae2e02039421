"""Composition root of the receiver.

``open_resources`` connects to NATS and declares the span bus's streams (closed when the process
stops, or when a later step of start-up fails); ``create_app`` builds the OTLP/HTTP app;
``build_services`` lists what the process runs: the OTLP/HTTP and OTLP/gRPC servers, both on one
:class:`ExportService`.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass

from litestar import Litestar
from nats.aio.client import Client as NatsClient

from spyglass_bus import BusNames, connect, ensure_streams, nats_readiness
from spyglass_bus import close as close_nats
from spyglass_bus.publisher import SpanBatchPublisher
from spyglass_core.health import Readiness, health_routes
from spyglass_core.http import HttpServerService
from spyglass_core.lifecycle import BackgroundService, close_on_exit
from spyglass_ingest.receiver.export import ExportService
from spyglass_ingest.receiver.grpc_server import GrpcServerService
from spyglass_ingest.receiver.otlp_http import otlp_http_routes
from spyglass_ingest.settings import ReceiverSettings
from spyglass_spans import ModelPriceTable


@dataclass(frozen=True)
class ReceiverResources:
    """The receiver's live clients: the NATS connection and the exporter publishing on it."""

    nats: NatsClient
    exporter: ExportService


async def open_resources(settings: ReceiverSettings, stack: AsyncExitStack) -> ReceiverResources:
    """Connect to NATS and declare the streams, failing fast if NATS is unreachable.

    Raises:
        DependencyUnavailableError: NATS can't be reached; the message names the setting.
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
    return ReceiverResources(nats=nats, exporter=ExportService(publisher, prices, limits))


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
            create_app(resources.nats, resources.exporter, limits.max_request_bytes),
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
        ),
    ]


def create_app(nats: NatsClient, exporter: ExportService, max_request_bytes: int) -> Litestar:
    """The receiver's HTTP app: OTLP/HTTP, health and metrics; ready while NATS is connected."""
    readiness = Readiness()

    readiness.add("nats", nats_readiness(nats))
    return Litestar(
        route_handlers=[*health_routes(readiness), *otlp_http_routes(exporter, max_request_bytes)],
        openapi_config=None,
        logging_config=None,
        # The handler streams and limits bodies itself (after decompression), with OTLP errors.
        request_max_body_size=None,
    )
