"""The query API process runs the retention loop: a due policy is applied without anyone asking,
and the loop's runs show in ``/metrics``."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest

from spyglass_launcher.ports import free_port
from tests.support.database import fetch
from tests.support.processes import SpawnService, service_environment, wait_healthy
from tests.support.stack import Stack
from tests.support.trace_rows import create_project, create_trace
from tests.support.waiting import assert_eventually

pytestmark = pytest.mark.slow


async def test_the_query_api_applies_the_default_days_it_is_given(
    spawn_service: SpawnService, stack: Stack, database_url: str, nats_namespace: str
) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        project = await create_project(connection, "kept-a-week")
        now = datetime.now(UTC)
        await create_trace(connection, project, [now - timedelta(days=30)])
        kept = await create_trace(connection, project, [now - timedelta(days=2)])
        # The default policy's weekly run came due since it last ran.
        await connection.execute(
            "UPDATE project_trace_retention_policies "
            "SET last_run_at = now() - interval '8 days' WHERE id = 0"
        )
    finally:
        await connection.close()
    port = free_port()
    service = spawn_service(
        "query-api",
        ("spyglass_query_api",),
        service_environment(
            SPYGLASS_DB_URL=database_url,
            SPYGLASS_NATS_URL=stack.nats_url,
            SPYGLASS_NATS_NAMESPACE=nats_namespace,
            SPYGLASS_QUERY_API_PORT=str(port),
            SPYGLASS_RETENTION_DEFAULT_DAYS="7",
        ),
    )
    base_url = f"http://127.0.0.1:{port}"
    await asyncio.to_thread(wait_healthy, service, f"{base_url}/healthz", 120.0)

    def only_the_recent_trace_is_left() -> None:
        rows = fetch_trace_ids(database_url, project)
        assert rows == [kept]

    await asyncio.to_thread(assert_eventually, only_the_recent_trace_is_left, timeout=60)

    def the_run_is_counted() -> None:
        # The loop counts a policy's run once all its projects are swept, a moment after the
        # deleted rows are committed.
        metrics = httpx.get(f"{base_url}/metrics", timeout=10).text
        assert 'spyglass_retention_policy_executions_total{status="success"} 1.0' in metrics
        assert "spyglass_retention_traces_deleted_total 1.0" in metrics

    await asyncio.to_thread(assert_eventually, the_run_is_counted, timeout=30)
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        policy = (await client.get("/v1/projects/kept-a-week/retention")).json()
    assert policy["data"]["policy"]["rule"] == {"max_days": 7, "max_count": None}


def fetch_trace_ids(database_url: str, project: int) -> list[int]:
    rows = fetch(database_url, "SELECT id FROM traces WHERE project_rowid = $1", project)
    return [row[0] for row in rows]
