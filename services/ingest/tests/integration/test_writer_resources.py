"""The writer's connections honour ``SPYGLASS_DB_*`` as every process's do.

Built through the writer's own ``open_resources`` (what ``spyglass-ingest writer`` runs), against
a real PostgreSQL and NATS: the statement timeout is set on the server for each connection, the
pool never opens more than its size allows, and an unreachable database fails start-up after
closing the NATS connection that was opened first.
"""

from __future__ import annotations

import contextlib

import asyncpg
import pytest
from structlog.testing import capture_logs

from spyglass_core.errors import DependencyUnavailableError
from spyglass_core.settings import NatsSettings
from spyglass_ingest.settings import WriterDbSettings, WriterSettings
from spyglass_ingest.writer.app import open_resources
from spyglass_launcher.ports import free_port
from tests.support.stack import Stack

pytestmark = pytest.mark.slow


def _settings(db: WriterDbSettings, stack: Stack, namespace: str) -> WriterSettings:
    return WriterSettings(db=db, nats=NatsSettings(url=stack.nats_url, namespace=namespace))


async def test_statement_timeout_and_pool_size_reach_the_writer_connections(
    database_url: str, stack: Stack, nats_namespace: str
) -> None:
    db = WriterDbSettings(
        url=database_url, pool_size=2, pool_max_overflow=1, statement_timeout_seconds=0.25
    )
    async with contextlib.AsyncExitStack() as exit_stack:
        resources = await open_resources(_settings(db, stack, nats_namespace), exit_stack)
        pool = resources.pool

        async with pool.acquire() as connection:
            assert await connection.fetchval("SHOW statement_timeout") == "250ms"
            with pytest.raises(asyncpg.QueryCanceledError):
                await connection.execute("SELECT pg_sleep(2)")
            assert await connection.fetchval("SELECT current_setting('application_name')") == (
                "spyglass-ingest-writer"
            )

        held = [await pool.acquire() for _ in range(3)]  # pool size 2 + overflow 1
        with pytest.raises(TimeoutError):
            await pool.acquire(timeout=0.5)  # a fourth connection is never opened
        for connection in held:
            await pool.release(connection)


async def test_unreachable_database_closes_the_nats_connection_opened_first(
    stack: Stack, nats_namespace: str
) -> None:
    db = WriterDbSettings(url=f"postgresql://postgres@127.0.0.1:{free_port()}/spyglass")

    with capture_logs() as logs, pytest.raises(DependencyUnavailableError) as raised:
        async with contextlib.AsyncExitStack() as exit_stack:
            await open_resources(_settings(db, stack, nats_namespace), exit_stack)

    assert "SPYGLASS_DB_URL" in raised.value.message
    closed = [log["component"] for log in logs if log["event"] == "resource_closed"]
    assert closed == ["nats"]
