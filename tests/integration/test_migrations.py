"""The schema library's migrations: they apply to an empty database, match the models, and revert.

Plus the properties the write path relies on: idempotent inserts keyed by OpenTelemetry ids,
a time-partitioned spans table, and the indexes the UI's lists and attribute filters use.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import asyncpg
import orjson
import pytest

from spyglass_db import migrate
from spyglass_db.models.tracing import (
    FILTER_EXCLUDED_KEYS,
    FILTER_EXCLUDED_LLM_KEYS,
    covered_by_filter_index,
)
from tests.support.processes import service_environment

pytestmark = pytest.mark.slow

T = TypeVar("T")

TRACING_TABLES = {
    "projects",
    "project_sessions",
    "traces",
    "spans",
    "span_annotations",
    "trace_annotations",
    "project_session_annotations",
    "document_annotations",
    "annotation_configs",
    "project_annotation_configs",
}


def _query(url: str, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
    async def run() -> T:
        connection = await asyncpg.connect(url)
        try:
            return await work(connection)
        finally:
            await connection.close()

    return asyncio.run(run())


def _tables(url: str) -> set[str]:
    rows = _query(
        url,
        lambda connection: connection.fetch(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
        ),
    )
    return {row["relname"] for row in rows}


def test_migrations_apply_to_an_empty_database_and_revert(empty_database_url: str) -> None:
    assert migrate.current(empty_database_url) is None

    migrate.upgrade(empty_database_url)

    assert migrate.current(empty_database_url) == migrate.head()
    assert _tables(empty_database_url) >= TRACING_TABLES
    migrate.check(empty_database_url)  # raises if the models and the schema differ

    migrate.downgrade(empty_database_url)

    assert migrate.current(empty_database_url) is None
    assert _tables(empty_database_url) == {"alembic_version"}

    migrate.upgrade(empty_database_url)  # and again, after a full revert
    assert _tables(empty_database_url) >= TRACING_TABLES


def test_cli_reports_the_revision_and_checks_for_drift(database_url: str) -> None:
    env = service_environment(SPYGLASS_DB_URL=database_url)

    current = subprocess.run(
        [sys.executable, "-m", "spyglass_db", "current"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    check = subprocess.run(
        [sys.executable, "-m", "spyglass_db", "check"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert current.returncode == 0, current.stderr
    assert current.stdout.strip() == migrate.head()
    assert check.returncode == 0, check.stderr
    assert "matches" in check.stdout


def test_cli_names_the_variable_when_the_database_is_unreachable() -> None:
    env = service_environment(SPYGLASS_DB_URL="postgresql://postgres@127.0.0.1:1/spyglass")

    result = subprocess.run(
        [sys.executable, "-m", "spyglass_db", "upgrade"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )

    assert result.returncode == 3
    assert "SPYGLASS_DB_URL" in result.stderr


def test_spans_are_partitioned_by_start_time(database_url: str) -> None:
    strategy = _query(
        database_url,
        lambda connection: connection.fetchval("SELECT pg_get_partkeydef('spans'::regclass)"),
    )
    partitions = _query(
        database_url,
        lambda connection: connection.fetch(
            "SELECT inhrelid::regclass::text AS name FROM pg_inherits "
            "WHERE inhparent = 'spans'::regclass"
        ),
    )

    options = _query(
        database_url,
        lambda connection: connection.fetchval(
            "SELECT reloptions FROM pg_class WHERE relname = 'spans_default'"
        ),
    )

    assert strategy == "RANGE (start_time)"
    assert "spans_default" in {row["name"] for row in partitions}
    assert "toast_tuple_target=8160" in options  # spans are stored uncompressed, inline


SPAN_INSERT = """
INSERT INTO spans (trace_rowid, project_rowid, span_id, parent_id, name, span_kind,
                   start_time, end_time, attributes)
VALUES ($1, $2, $3, NULL, 'root', 'CHAIN',
        $4::timestamptz, $4::timestamptz + interval '1 second', $5::jsonb)
ON CONFLICT (span_id, start_time) DO NOTHING
"""

TRACE_UPSERT = """
INSERT INTO traces (project_rowid, trace_id, start_time, end_time) VALUES ($1, $2, $3, $4)
ON CONFLICT (trace_id) DO UPDATE
SET start_time = LEAST(traces.start_time, EXCLUDED.start_time),
    end_time = GREATEST(traces.end_time, EXCLUDED.end_time)
RETURNING id
"""


def test_writes_keyed_by_otel_ids_are_idempotent_and_widen_bounds(database_url: str) -> None:
    async def work(connection: asyncpg.Connection) -> tuple[int, int, object, object]:
        start = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
        project = await connection.fetchval("SELECT id FROM projects WHERE name = 'default'")
        trace_id = "0af7651916cd43dd8448eb211c80319c"
        # A redelivered batch: the same trace and span written twice.
        for _ in range(2):
            trace = await connection.fetchval(
                TRACE_UPSERT, project, trace_id, start, start + timedelta(seconds=1)
            )
            await connection.execute(
                SPAN_INSERT, trace, project, "b7ad6b7169203331", start, '{"session": {"id": "s"}}'
            )
        # A later batch of the same trace that starts earlier and ends later.
        await connection.fetchval(
            TRACE_UPSERT,
            project,
            trace_id,
            start - timedelta(seconds=5),
            start + timedelta(seconds=9),
        )
        spans = await connection.fetchval("SELECT count(*) FROM spans")
        traces = await connection.fetchval("SELECT count(*) FROM traces")
        bounds = await connection.fetchrow("SELECT start_time, end_time FROM traces")
        return spans, traces, bounds["start_time"], bounds["end_time"]

    spans, traces, start_time, end_time = _query(database_url, work)

    assert (spans, traces) == (1, 1)
    assert str(start_time).startswith("2026-11-01 11:59:55")
    assert str(end_time).startswith("2026-11-01 12:00:09")


def test_attribute_filters_use_the_gin_index_which_leaves_out_long_texts(
    database_url: str,
) -> None:
    async def work(connection: asyncpg.Connection) -> tuple[str, object]:
        await connection.execute("SET enable_seqscan = off")
        rows = await connection.fetch(
            "EXPLAIN SELECT id FROM spans "
            'WHERE span_filter_attributes(attributes) @> \'{"user": {"id": "u1"}}\''
        )
        projection = await connection.fetchval(
            "SELECT span_filter_attributes($1::jsonb)::text",
            '{"input": {"value": "q"}, "output": {"value": "a"}, "user": {"id": "u1"}, '
            '"llm": {"model_name": "gpt-4o", "input_messages": [{"message": {"content": "x"}}]}, '
            '"retrieval": {"documents": []}, "metadata": {"tier": "gold"}}',
        )
        return "\n".join(row[0] for row in rows), projection

    query_plan, projection = _query(database_url, work)
    # The partition's copy of ix_spans_filter_attributes is named after the partition.
    assert "Bitmap Index Scan on spans_default_span_filter_attributes_idx" in query_plan, query_plan
    assert projection == (
        '{"llm": {"model_name": "gpt-4o"}, "user": {"id": "u1"}, "metadata": {"tier": "gold"}}'
    )


def test_filter_index_rule_matches_the_sql_function(database_url: str) -> None:
    """The query API picks the GIN-indexed expression by ``covered_by_filter_index``; it must
    keep exactly the attributes that ``span_filter_attributes`` keeps."""
    paths = [
        *((key, "x") for key in FILTER_EXCLUDED_KEYS),
        *(("llm", key) for key in FILTER_EXCLUDED_LLM_KEYS),
        ("llm", "model_name"),
        ("metadata", "tier"),
        ("session", "id"),
        ("custom", "key"),
    ]

    async def kept(connection: asyncpg.Connection) -> list[bool]:
        results = []
        for path in paths:
            document = orjson.dumps({path[0]: {path[1]: "v"}}).decode()
            results.append(
                await connection.fetchval(
                    "SELECT span_filter_attributes($1::jsonb) #> $2::text[] IS NOT NULL",
                    document,
                    list(path),
                )
            )
        return results

    assert _query(database_url, kept) == [covered_by_filter_index(path) for path in paths]
