"""The OTLP receiver: decodes, normalizes and publishes spans to JetStream."""

from __future__ import annotations

from collections.abc import Sequence

from spyglass_bus import BusNames, connect, ensure_streams
from spyglass_bus import close as close_nats
from spyglass_bus.publisher import SpanBatchPublisher
from spyglass_core.http import HttpServerService
from spyglass_core.lifecycle import BackgroundService, ResourceService
from spyglass_ingest.receiver.app import create_app
from spyglass_ingest.receiver.export import ExportService
from spyglass_ingest.receiver.grpc_server import GrpcServerService
from spyglass_ingest.settings import ReceiverSettings
from spyglass_spans import ModelPriceTable


async def build_receiver(settings: ReceiverSettings) -> Sequence[BackgroundService]:
    """Connect to NATS (failing fast), declare the streams, and build both servers."""
    limits = settings.limits
    prices = ModelPriceTable.load(limits.model_prices_file)
    nats = await connect(settings.nats, "spyglass-ingest-receiver")
    names = BusNames(settings.nats.namespace)
    await ensure_streams(nats.jetstream(), names, settings.nats.spans_max_bytes)
    publisher = SpanBatchPublisher(
        nats, names, limits.publish_timeout_seconds, limits.retry_after_seconds
    )
    exporter = ExportService(publisher, prices, limits)
    drain = settings.shutdown_timeout_seconds / 2
    return [
        ResourceService("nats", lambda: close_nats(nats)),
        HttpServerService(
            "otlp-http", create_app(nats, exporter, limits.max_request_bytes), settings.http, drain
        ),
        GrpcServerService(
            "otlp-grpc", settings.grpc, exporter, limits.max_request_bytes, drain_seconds=drain
        ),
    ]
