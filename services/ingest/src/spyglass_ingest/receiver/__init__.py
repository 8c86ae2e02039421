"""The OTLP receiver: decodes, normalizes and publishes spans to JetStream."""

from __future__ import annotations

from collections.abc import Sequence

from spyglass_bus import BusNames, connect, ensure_streams
from spyglass_core.http import HttpServerService
from spyglass_core.lifecycle import BackgroundService, ResourceService
from spyglass_ingest.receiver.app import create_app
from spyglass_ingest.receiver.grpc_server import GrpcServerService
from spyglass_ingest.settings import ReceiverSettings


async def build_receiver(settings: ReceiverSettings) -> Sequence[BackgroundService]:
    """Connect to NATS (failing fast), declare the streams, and build both servers."""
    nats = await connect(settings.nats, "spyglass-ingest-receiver")
    await ensure_streams(
        nats.jetstream(), BusNames(settings.nats.namespace), settings.nats.spans_max_bytes
    )
    drain = settings.shutdown_timeout_seconds / 2
    return [
        ResourceService("nats", nats.drain),
        HttpServerService("otlp-http", create_app(nats), settings.http, drain),
        GrpcServerService("otlp-grpc", settings.grpc, drain),
    ]
