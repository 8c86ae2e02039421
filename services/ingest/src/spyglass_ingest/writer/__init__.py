"""The writer: consumes span batches from JetStream and writes them to PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence

from litestar import Litestar
from nats.aio.client import Client as NatsClient
from sqlalchemy.ext.asyncio import AsyncEngine

from spyglass_bus import BusNames, connect, ensure_streams
from spyglass_core.health import Readiness, create_health_app
from spyglass_core.http import HttpServerService
from spyglass_core.lifecycle import BackgroundService, ResourceService
from spyglass_db import check_database, create_engine, database_readiness
from spyglass_ingest.settings import WriterSettings


def create_writer_health_app(nats: NatsClient, engine: AsyncEngine) -> Litestar:
    """Health and metrics of the writer: ready while it can reach both NATS and PostgreSQL."""
    readiness = Readiness()

    async def nats_connected() -> None:
        if not nats.is_connected:
            raise RuntimeError("not connected to NATS")

    readiness.add("nats", nats_connected)
    readiness.add("database", lambda: database_readiness(engine))
    return create_health_app(readiness)


async def build_writer(settings: WriterSettings) -> Sequence[BackgroundService]:
    """Connect to PostgreSQL and NATS (failing fast), declare the streams, serve health."""
    engine = create_engine(settings.db)
    await check_database(engine, settings.db)
    nats = await connect(settings.nats, "spyglass-ingest-writer")
    await ensure_streams(
        nats.jetstream(), BusNames(settings.nats.namespace), settings.nats.spans_max_bytes
    )
    return [
        ResourceService("database", engine.dispose),
        ResourceService("nats", nats.drain),
        HttpServerService("health", create_writer_health_app(nats, engine), settings.health),
    ]
