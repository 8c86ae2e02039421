"""Composition root of the writer.

``open_resources`` connects to NATS (declaring the streams) and opens the PostgreSQL pool with
the ``SPYGLASS_DB_*`` settings every process reads (each closed when the process stops, or when
a later step of start-up fails); ``build_services`` lists what the process runs: the health
server and the JetStream consumer that writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass

import asyncpg
from litestar import Litestar
from nats.aio.client import Client as NatsClient

from spyglass_bus import BusNames, connect, ensure_streams, nats_readiness
from spyglass_bus import close as close_nats
from spyglass_core.health import Readiness, create_health_app
from spyglass_core.http import HttpServerService
from spyglass_core.lifecycle import BackgroundService, close_on_exit
from spyglass_db.pool import create_pool
from spyglass_ingest.settings import WriterSettings
from spyglass_ingest.writer.consumer import SpanWriterService
from spyglass_span_store import prepare_connection


@dataclass(frozen=True)
class WriterResources:
    """The writer's live clients."""

    nats: NatsClient
    pool: asyncpg.Pool
    """Connections with the staging table spans are COPied into (``prepare_connection``)."""
    names: BusNames


async def open_resources(settings: WriterSettings, stack: AsyncExitStack) -> WriterResources:
    """Connect to NATS and declare the streams, then open the PostgreSQL pool; fail fast,
    naming the setting, if either is unreachable.

    Raises:
        DependencyUnavailableError: NATS or PostgreSQL can't be reached.
    """
    nats = await connect(settings.nats, "spyglass-ingest-writer")
    close_on_exit(stack, "nats", lambda: close_nats(nats))
    names = BusNames(settings.nats.namespace)
    await ensure_streams(nats.jetstream(), names, settings.nats.spans_max_bytes)
    pool = await create_pool(settings.db, "spyglass-ingest-writer", init=prepare_connection)
    close_on_exit(stack, "database", pool.close)
    return WriterResources(nats=nats, pool=pool, names=names)


def build_services(
    settings: WriterSettings, resources: WriterResources
) -> Sequence[BackgroundService]:
    """The health server first (so a stuck start is visible), then the consumer."""
    return [
        HttpServerService(
            "health", create_writer_health_app(resources.nats, resources.pool), settings.health
        ),
        SpanWriterService(resources.nats, resources.pool, resources.names, settings.tuning),
    ]


def create_writer_health_app(nats: NatsClient, pool: asyncpg.Pool) -> Litestar:
    """Health and metrics of the writer: ready while it can reach both NATS and PostgreSQL."""
    readiness = Readiness()

    async def database_answers() -> None:
        async with pool.acquire(timeout=2) as connection:
            await connection.fetchval("SELECT 1")

    readiness.add("nats", nats_readiness(nats))
    readiness.add("database", database_answers)
    return create_health_app(readiness)
