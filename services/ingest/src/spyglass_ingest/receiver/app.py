"""The receiver's HTTP application: OTLP/HTTP, health and metrics."""

from __future__ import annotations

from litestar import Litestar
from nats.aio.client import Client as NatsClient

from spyglass_bus import nats_readiness
from spyglass_core.health import Readiness, health_routes
from spyglass_ingest.receiver.export import ExportService
from spyglass_ingest.receiver.otlp_http import otlp_http_routes


def create_app(nats: NatsClient, exporter: ExportService, max_request_bytes: int) -> Litestar:
    """The receiver's HTTP app; it is ready while its NATS connection is up."""
    readiness = Readiness()

    readiness.add("nats", nats_readiness(nats))
    return Litestar(
        route_handlers=[*health_routes(readiness), *otlp_http_routes(exporter, max_request_bytes)],
        openapi_config=None,
        logging_config=None,
        # The handler streams and limits bodies itself (after decompression), with OTLP errors.
        request_max_body_size=None,
    )
