"""Weekly span partitions against real PostgreSQL: created ahead, over occupied ranges, dropped
by the global maximum age with the rows that depended on them; and migrations that take turns."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from spyglass_db import migrate
from spyglass_db.partitions import (
    apply_max_age,
    create_partition,
    ensure_partitions,
    list_partitions,
    partition_for,
    week_start,
)
from tests.support.database import fetch
from tests.support.trace_rows import create_project, create_trace, engine_for

NOW = datetime.now(UTC)


@pytest.fixture
async def connection(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(database_url)
    yield connection
    await connection.close()


async def _span_count(connection: asyncpg.Connection, trace_rowid: int) -> int:
    count: int = await connection.fetchval(
        "SELECT count(*) FROM spans WHERE trace_rowid = $1", trace_rowid
    )
    return count


async def _where(connection: asyncpg.Connection, trace_rowid: int) -> set[str]:
    rows = await connection.fetch(
        "SELECT DISTINCT tableoid::regclass::text FROM spans WHERE trace_rowid = $1", trace_rowid
    )
    return {row[0] for row in rows}


async def test_this_week_and_the_next_have_partitions_from_the_migration_on(
    database_url: str,
) -> None:
    async with engine_for(database_url) as engine, engine.connect() as sql:
        partitions = await list_partitions(sql)
    this_week = week_start(NOW)
    assert [p.start for p in partitions[:2]] == [this_week, this_week + timedelta(weeks=1)]
    assert all(p.end - p.start == timedelta(weeks=1) for p in partitions)


async def test_a_week_already_written_into_the_default_stays_there(
    database_url: str, connection: asyncpg.Connection
) -> None:
    """An upgraded database: this week's spans are in the default; they are not moved."""
    this_week = partition_for(week_start(NOW))
    await connection.execute(f"ALTER TABLE spans DETACH PARTITION {this_week.name}")
    await connection.execute(f"DROP TABLE {this_week.name}")
    project = await create_project(connection, "upgraded")
    trace = await create_trace(connection, project, [NOW])

    async with engine_for(database_url) as engine:
        created = await ensure_partitions(engine, NOW, weeks_ahead=8)

    assert this_week.name not in created
    assert len(created) == 4  # the migration made the next four weeks
    assert await _where(connection, trace) == {"spans_default"}


async def test_spans_of_any_time_are_stored_and_land_in_their_week(
    database_url: str, connection: asyncpg.Connection
) -> None:
    project = await create_project(connection, "times")
    next_week = week_start(NOW) + timedelta(weeks=1, hours=3)
    old = await create_trace(connection, project, [datetime(1990, 1, 1, tzinfo=UTC)])
    future = await create_trace(connection, project, [datetime(2200, 6, 1, tzinfo=UTC)])
    soon = await create_trace(connection, project, [next_week])

    assert await _where(connection, old) == {"spans_default"}
    assert await _where(connection, future) == {"spans_default"}
    assert await _where(connection, soon) == {partition_for(week_start(next_week)).name}


async def test_creating_a_partition_over_rows_in_the_default_moves_them_with_annotations(
    database_url: str, connection: asyncpg.Connection
) -> None:
    project = await create_project(connection, "ahead")
    far_week = week_start(NOW) + timedelta(weeks=30)
    early = await create_trace(
        connection,
        project,
        [far_week + timedelta(days=2), far_week + timedelta(days=3)],
        annotate=True,
    )
    assert await _where(connection, early) == {"spans_default"}

    async with engine_for(database_url) as engine:
        created = await ensure_partitions(engine, NOW, weeks_ahead=30)

    name = partition_for(far_week).name
    assert name in created
    assert await _where(connection, early) == {name}
    assert await _span_count(connection, early) == 2
    assert await connection.fetchval("SELECT count(*) FROM span_annotations") == 1
    assert (
        await connection.fetchval(
            "SELECT count(*) FROM span_annotations a JOIN spans s "
            "ON (s.id, s.start_time) = (a.span_rowid, a.span_start_time)"
        )
        == 1
    )


async def test_every_partition_keeps_span_rows_inline_and_uncompressed(
    database_url: str, connection: asyncpg.Connection
) -> None:
    """Storage parameters belong to each partition: the migration's, the maintainer's, and one
    created before migration 0010 set them (a row compressed into TOAST costs ingest a third)."""
    oldest = await connection.fetch("SELECT relname FROM pg_class WHERE relname LIKE 'spans_p%'")
    before_0010 = min(row[0] for row in oldest)
    await connection.execute(f"ALTER TABLE {before_0010} RESET (toast_tuple_target)")
    await asyncio.to_thread(migrate.downgrade, database_url, "0009")
    await asyncio.to_thread(migrate.upgrade, database_url)
    async with engine_for(database_url) as engine:
        created = await ensure_partitions(engine, NOW, weeks_ahead=12)

    rows = await connection.fetch(
        "SELECT c.relname, c.reloptions FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'spans'::regclass"
    )
    options = {row[0]: row[1] for row in rows}
    assert set(created) <= set(options) and created
    assert before_0010 in options and "spans_default" in options
    assert all(value == ["toast_tuple_target=8160"] for value in options.values()), options


async def test_max_age_drops_whole_old_weeks_and_what_lost_all_its_spans(
    database_url: str, connection: asyncpg.Connection
) -> None:
    project = await create_project(connection, "aged")
    other = await create_project(connection, "neighbour")
    old_week = week_start(NOW) - timedelta(weeks=10)
    async with engine_for(database_url) as engine:
        async with engine.begin() as sql:
            await create_partition(sql, partition_for(old_week))
        gone = await create_trace(
            connection, project, [old_week + timedelta(days=1)], session="s-old", annotate=True
        )
        in_default = await create_trace(connection, other, [old_week - timedelta(weeks=5)])
        straddling = await create_trace(
            connection, project, [old_week + timedelta(days=6), NOW], session="s-mixed"
        )
        recent = await create_trace(connection, project, [NOW - timedelta(days=1)], annotate=True)

        report = await apply_max_age(engine, NOW, timedelta(weeks=4), batch_size=2)

        assert report.partitions == (partition_for(old_week).name,)
        async with engine.connect() as sql:
            assert partition_for(old_week).name not in {p.name for p in await list_partitions(sql)}

    traces = {row[0] for row in await connection.fetch("SELECT id FROM traces")}
    assert traces == {straddling, recent}
    assert gone not in traces and in_default not in traces
    assert await _span_count(connection, recent) == 1
    # The straddling trace keeps its recent span; its session keeps it.
    assert await _span_count(connection, straddling) == 1
    sessions = {row[0] for row in await connection.fetch("SELECT session_id FROM project_sessions")}
    assert sessions == {"s-mixed"}
    assert await connection.fetchval("SELECT count(*) FROM trace_annotations") == 1
    assert await connection.fetchval("SELECT count(*) FROM span_annotations") == 1


def test_two_migrations_at_once_on_an_empty_database_both_succeed(empty_database_url: str) -> None:
    """Two init containers: two `spyglass-db upgrade` processes started together."""
    environment = {**os.environ, "SPYGLASS_DB_URL": empty_database_url}
    command = [sys.executable, "-m", "spyglass_db", "upgrade"]
    runs = [
        subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=120)[0].decode() for run in runs]

    assert [run.returncode for run in runs] == [0, 0], outputs
    assert migrate.current(empty_database_url) == migrate.head()
    projects = fetch(empty_database_url, "SELECT name FROM projects")
    assert [row[0] for row in projects] == ["default"]
