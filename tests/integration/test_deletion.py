"""Deleting a project or a trace removes its spans too (spans carry no foreign keys)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from spyglass_db.deletion import delete_projects, delete_traces

pytestmark = pytest.mark.slow

START = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)

SEED = [
    "INSERT INTO projects (id, name) VALUES (101, 'doomed'), (102, 'kept')",
    (
        "INSERT INTO traces (id, project_rowid, trace_id, start_time, end_time) VALUES "
        "(10, 101, 't10', :start, :start), (11, 101, 't11', :start, :start), "
        "(20, 102, 't20', :start, :start)"
    ),
    (
        "INSERT INTO spans (id, trace_rowid, project_rowid, span_id, name, span_kind, start_time, "
        "end_time) VALUES (100, 10, 101, 's100', 'a', 'LLM', :start, :start), "
        "(101, 10, 101, 's101', 'b', 'LLM', :start, :start), "
        "(110, 11, 101, 's110', 'c', 'LLM', :start, :start), "
        "(200, 20, 102, 's200', 'd', 'LLM', :start, :start)"
    ),
    (
        "INSERT INTO span_annotations (span_rowid, span_start_time, name, annotator_kind, source) "
        "VALUES (100, :start, 'correctness', 'HUMAN', 'APP'), "
        "(200, :start, 'correctness', 'HUMAN', 'APP')"
    ),
]


async def _run(url: str, delete: str, ids: list[int]) -> dict[str, list[str]]:
    engine = create_async_engine(url.replace("postgresql://", "postgresql+asyncpg://", 1))
    try:
        async with engine.begin() as connection:
            for statement in SEED:
                await connection.execute(text(statement), {"start": START})
        async with engine.begin() as connection:
            if delete == "projects":
                assert await delete_projects(connection, ids) == len(ids)
            else:
                assert await delete_traces(connection, ids) == len(ids)
        async with engine.connect() as connection:
            left = {}
            for table, column in (
                ("projects", "name"),
                ("traces", "trace_id"),
                ("spans", "span_id"),
                ("span_annotations", "span_rowid::text"),
            ):
                rows = await connection.execute(text(f"SELECT {column} FROM {table} ORDER BY 1"))
                left[table] = [row[0] for row in rows]
            return left
    finally:
        await engine.dispose()


def test_deleting_a_project_removes_its_traces_spans_and_annotations(database_url: str) -> None:
    left = asyncio.run(_run(database_url, "projects", [101]))

    assert left == {
        "projects": ["default", "kept"],
        "traces": ["t20"],
        "spans": ["s200"],
        "span_annotations": ["200"],
    }


def test_deleting_a_trace_removes_only_its_spans(database_url: str) -> None:
    left = asyncio.run(_run(database_url, "traces", [10]))

    assert left == {
        "projects": ["default", "doomed", "kept"],
        "traces": ["t11", "t20"],
        "spans": ["s110", "s200"],
        "span_annotations": ["200"],
    }
