"""The writer: consumes span batches from JetStream and writes them to PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
from litestar import Litestar
from nats.aio.client import Client as NatsClient

from spyglass_bus import BusNames, connect, ensure_streams, nats_readiness
from spyglass_bus import close as close_nats
from spyglass_core.errors import DependencyUnavailableError
from spyglass_core.health import Readiness, create_health_app
from spyglass_core.http import HttpServerService
from spyglass_core.lifecycle import BackgroundService, ResourceService
from spyglass_core.settings import DbSettings, env_name
from spyglass_ingest.settings import WriterSettings
from spyglass_ingest.writer.consumer import SpanWriterService, create_pool


def create_writer_health_app(nats: NatsClient, pool: asyncpg.Pool) -> Litestar:
    """Health and metrics of the writer: ready while it can reach both NATS and PostgreSQL."""
    readiness = Readiness()

    async def database_answers() -> None:
        async with pool.acquire(timeout=2) as connection:
            await connection.fetchval("SELECT 1")

    readiness.add("nats", nats_readiness(nats))
    readiness.add("database", database_answers)
    return create_health_app(readiness)


async def build_writer(settings: WriterSettings) -> Sequence[BackgroundService]:
    """Connect to PostgreSQL and NATS (failing fast), declare the streams, start consuming."""
    try:
        pool = await create_pool(settings.db.plain_url, settings.tuning.pool_size)
    except (OSError, TimeoutError, asyncpg.PostgresError) as error:
        raise DependencyUnavailableError(
            f"cannot connect to PostgreSQL ({error or type(error).__name__}); "
            f"check {env_name(DbSettings, 'url')}"
        ) from None
    nats = await connect(settings.nats, "spyglass-ingest-writer")
    names = BusNames(settings.nats.namespace)
    await ensure_streams(nats.jetstream(), names, settings.nats.spans_max_bytes)
    return [
        ResourceService("database", pool.close),
        ResourceService("nats", lambda: close_nats(nats)),
        HttpServerService("health", create_writer_health_app(nats, pool), settings.health),
        SpanWriterService(nats, pool, names, settings.tuning),
    ]
