"""Writing projects, sessions, traces, spans and annotations straight into a test's database.

The write path (the span store) has its own tests; these tests only need rows that look like
what it writes: a trace's bounds covering its spans, a session's covering its traces.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

import asyncpg
import orjson
from sqlalchemy.ext.asyncio import AsyncEngine

from spyglass_core.settings import DbSettings
from spyglass_db import create_engine

_ids = itertools.count(1)


@asynccontextmanager
async def engine_for(url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on the test database, disposed afterwards."""
    engine = create_engine(DbSettings(url=url))
    try:
        yield engine
    finally:
        await engine.dispose()


async def create_project(connection: asyncpg.Connection, name: str) -> int:
    project_id: int = await connection.fetchval(
        "INSERT INTO projects (name) VALUES ($1) RETURNING id", name
    )
    return project_id


async def create_span(
    connection: asyncpg.Connection,
    project_id: int,
    trace_id: str,
    span_id: str,
    kind: str,
    at: datetime,
    *,
    attributes: dict[str, object] | None = None,
    session: str | None = None,
) -> None:
    """A span of a second starting ``at``, in trace ``trace_id`` (created on first use; a
    ``session`` given later still links it) and, if given, session ``session``."""
    session_rowid = None
    if session is not None:
        session_rowid = await connection.fetchval(
            "INSERT INTO project_sessions (session_id, project_id, start_time, end_time) "
            "VALUES ($1, $2, $3, $3) ON CONFLICT (session_id) DO UPDATE SET "
            "end_time = EXCLUDED.end_time RETURNING id",
            session,
            project_id,
            at,
        )
    trace_rowid = await connection.fetchval(
        "INSERT INTO traces (project_rowid, trace_id, project_session_rowid, start_time, "
        "end_time) VALUES ($1, $2, $3, $4, $4) ON CONFLICT (trace_id) DO UPDATE SET "
        "project_session_rowid = coalesce(EXCLUDED.project_session_rowid, "
        "traces.project_session_rowid) RETURNING id",
        project_id,
        trace_id,
        session_rowid,
        at,
    )
    await connection.execute(
        "INSERT INTO spans (trace_rowid, project_rowid, span_id, name, span_kind, start_time, "
        "end_time, attributes) VALUES ($1, $2, $3, 'step', $4, $5, $6, $7::jsonb)",
        trace_rowid,
        project_id,
        span_id,
        kind,
        at,
        at + timedelta(seconds=1),
        orjson.dumps(attributes or {}).decode(),
    )


async def create_trace(
    connection: asyncpg.Connection,
    project_id: int,
    span_starts: Sequence[datetime],
    *,
    session: str | None = None,
    annotate: bool = False,
) -> int:
    """A trace whose spans start at ``span_starts`` (each lasting a second); returns its row id.

    With ``annotate``, the trace and its first span get an annotation each.
    """
    start, end = min(span_starts), max(span_starts) + timedelta(seconds=1)
    session_rowid = None
    if session is not None:
        session_rowid = await connection.fetchval(
            "INSERT INTO project_sessions (session_id, project_id, start_time, end_time) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT (session_id) DO UPDATE SET "
            "start_time = LEAST(project_sessions.start_time, EXCLUDED.start_time), "
            "end_time = GREATEST(project_sessions.end_time, EXCLUDED.end_time) RETURNING id",
            session,
            project_id,
            start,
            end,
        )
    trace_rowid: int = await connection.fetchval(
        "INSERT INTO traces (project_rowid, trace_id, project_session_rowid, start_time, "
        "end_time) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        project_id,
        f"trace-{next(_ids):012d}",
        session_rowid,
        start,
        end,
    )
    span_rows = await connection.fetch(
        "INSERT INTO spans (trace_rowid, project_rowid, span_id, name, span_kind, start_time, "
        "end_time) SELECT $1, $2, 'span-' || nextval_id, 'step', 'CHAIN', s, "
        "s + interval '1 second' FROM unnest($3::timestamptz[], $4::bigint[]) "
        "AS u(s, nextval_id) RETURNING id, start_time",
        trace_rowid,
        project_id,
        list(span_starts),
        [next(_ids) for _ in span_starts],
    )
    if annotate:
        await connection.execute(
            "INSERT INTO trace_annotations (name, annotator_kind, source, trace_rowid) "
            "VALUES ('quality', 'HUMAN', 'API', $1)",
            trace_rowid,
        )
        await connection.execute(
            "INSERT INTO span_annotations (name, annotator_kind, source, span_rowid, "
            "span_start_time) VALUES ('quality', 'HUMAN', 'API', $1, $2)",
            span_rows[0]["id"],
            span_rows[0]["start_time"],
        )
    return trace_rowid
