"""The receiver's HTTP application: OTLP/HTTP, health and metrics."""

from __future__ import annotations

from litestar import Litestar
from nats.aio.client import Client as NatsClient

from spyglass_core.health import Readiness, health_routes


def create_app(nats: NatsClient) -> Litestar:
    """The receiver's HTTP app; it is ready while its NATS connection is up."""
    readiness = Readiness()

    async def nats_connected() -> None:
        if not nats.is_connected:
            raise RuntimeError("not connected to NATS")

    readiness.add("nats", nats_connected)
    return Litestar(
        route_handlers=health_routes(readiness), openapi_config=None, logging_config=None
    )
