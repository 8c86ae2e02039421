"""Retention policies against real PostgreSQL: by age, by count, in bounded batches, with several
sweepers at once, on their schedule, and leaving other projects alone."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import orjson
import pytest

from spyglass_db.partitions import list_partitions, week_start
from spyglass_db.retention import (
    RetentionRule,
    RetentionService,
    RetentionSettings,
    claim_due_policies,
    cron_error,
    delete_trace_batch,
    sweep_due_policies,
    sweep_project,
)
from tests.support.trace_rows import create_project, create_trace, engine_for

NOW = datetime.now(UTC)


@pytest.fixture
async def connection(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(database_url)
    yield connection
    await connection.close()


async def _create_policy(
    connection: asyncpg.Connection, name: str, rule: RetentionRule, cron: str = "0 * * * *"
) -> int:
    policy_id: int = await connection.fetchval(
        "INSERT INTO project_trace_retention_policies (name, cron_expression, rule, last_run_at) "
        "VALUES ($1, $2, $3::jsonb, now() - interval '2 hours') RETURNING id",
        name,
        cron,
        orjson.dumps(rule.to_json()).decode(),
    )
    return policy_id


async def _traces(connection: asyncpg.Connection, project_id: int) -> list[int]:
    rows = await connection.fetch(
        "SELECT id FROM traces WHERE project_rowid = $1 ORDER BY start_time", project_id
    )
    return [row[0] for row in rows]


async def test_a_policy_by_age_deletes_old_traces_with_everything_that_hangs_off_them(
    database_url: str, connection: asyncpg.Connection
) -> None:
    project = await create_project(connection, "kept-a-week")
    neighbour = await create_project(connection, "keeps-everything")
    policy = await _create_policy(connection, "week", RetentionRule(max_days=7))
    await connection.execute(
        "UPDATE projects SET trace_retention_policy_id = $1 WHERE id = $2", policy, project
    )
    old = NOW - timedelta(days=30)
    for _ in range(3):
        await create_trace(connection, project, [old, old], session="s-old", annotate=True)
    kept = await create_trace(
        connection, project, [NOW - timedelta(days=1)], session="s-new", annotate=True
    )
    neighbours = [await create_trace(connection, neighbour, [old]) for _ in range(2)]

    async with engine_for(database_url) as engine:
        deleted = await sweep_due_policies(engine, NOW, batch_size=2)

    assert deleted == 3
    assert await _traces(connection, project) == [kept]
    assert await _traces(connection, neighbour) == neighbours
    assert (
        await connection.fetchval("SELECT count(*) FROM spans WHERE project_rowid = $1", project)
        == 1
    )
    assert await connection.fetchval("SELECT count(*) FROM trace_annotations") == 1
    assert await connection.fetchval("SELECT count(*) FROM span_annotations") == 1
    sessions = await connection.fetch("SELECT session_id FROM project_sessions")
    assert [row[0] for row in sessions] == ["s-new"]


async def test_two_sweepers_by_count_delete_each_trace_once_and_keep_the_newest(
    database_url: str, connection: asyncpg.Connection
) -> None:
    project = await create_project(connection, "kept-ten")
    trace_ids = [
        await create_trace(connection, project, [NOW - timedelta(minutes=minute)] * 2)
        for minute in range(60, 0, -1)
    ]
    rule = RetentionRule(max_count=10)

    async with engine_for(database_url) as engine:
        counts = await asyncio.gather(
            sweep_project(engine, project, rule, NOW, batch_size=3),
            sweep_project(engine, project, rule, NOW, batch_size=3),
        )

    assert sum(counts) == 50
    assert await _traces(connection, project) == trace_ids[-10:]
    assert await connection.fetchval("SELECT count(*) FROM spans") == 20


async def test_a_batch_deletes_at_most_its_size_oldest_first(
    database_url: str, connection: asyncpg.Connection
) -> None:
    project = await create_project(connection, "batched")
    trace_ids = [
        await create_trace(connection, project, [NOW - timedelta(days=day)])
        for day in range(20, 0, -1)
    ]

    async with engine_for(database_url) as engine, engine.begin() as sql:
        count = await delete_trace_batch(sql, project, (NOW, 0), batch_size=7)

    assert count == 7
    assert await _traces(connection, project) == trace_ids[7:]


async def test_one_run_of_a_due_policy_is_claimed_by_one_sweeper(
    database_url: str, connection: asyncpg.Connection
) -> None:
    await _create_policy(connection, "hourly", RetentionRule(max_days=1), cron="0 * * * *")
    await _create_policy(connection, "yearly", RetentionRule(max_days=1), cron="0 0 1 1 *")

    async with engine_for(database_url) as engine:

        async def claim() -> list[str]:
            async with engine.begin() as sql:
                return [policy.name for policy in await claim_due_policies(sql, NOW)]

        claims = await asyncio.gather(claim(), claim(), claim())

    assert sorted(name for names in claims for name in names) == ["hourly"]


async def test_the_default_policy_keeps_everything_until_told_otherwise(
    database_url: str, connection: asyncpg.Connection
) -> None:
    project = await create_project(connection, "default-policy")
    await create_trace(connection, project, [datetime(2001, 1, 1, tzinfo=UTC)])
    await connection.execute(
        "UPDATE project_trace_retention_policies SET last_run_at = now() - interval '8 days' "
        "WHERE id = 0"
    )

    async with engine_for(database_url) as engine:
        assert await sweep_due_policies(engine, NOW) == 0
        assert len(await _traces(connection, project)) == 1


@pytest.mark.parametrize(
    ("expression", "valid"),
    [
        ("0 0 * * 0", True),
        ("*/5 * * * *", True),
        ("0 0 * *", False),
        ("61 * * * *", False),
        ("every day", False),
        ("0 0 * * 0 0", False),
    ],
)
def test_cron_schedules_are_checked(expression: str, valid: bool) -> None:
    assert (cron_error(expression) is None) is valid


async def test_the_service_applies_the_default_days_creates_partitions_and_sweeps(
    database_url: str, connection: asyncpg.Connection
) -> None:
    project = await create_project(connection, "served")
    old = NOW - timedelta(days=30)
    await create_trace(connection, project, [old])
    kept = await create_trace(connection, project, [NOW - timedelta(days=1)])
    await connection.execute(
        "UPDATE project_trace_retention_policies SET last_run_at = now() - interval '8 days' "
        "WHERE id = 0"
    )
    settings = RetentionSettings(default_days=7, partition_weeks_ahead=6, interval_seconds=3600)

    async with engine_for(database_url) as engine:
        service = RetentionService(engine, settings)
        await service.start()
        try:
            for _ in range(200):
                if await _traces(connection, project) == [kept]:
                    break
                await asyncio.sleep(0.05)
        finally:
            await service.stop()
        async with engine.connect() as sql:
            partitions = await list_partitions(sql)

    assert await _traces(connection, project) == [kept]
    rule = await connection.fetchval(
        "SELECT rule FROM project_trace_retention_policies WHERE id = 0"
    )
    assert orjson.loads(rule) == {"type": "max_days", "max_days": 7}
    assert partitions[-1].start == week_start(NOW) + timedelta(weeks=6)
