"""Sessions: their traces, figures and turns, for REST and GraphQL.

A session's tokens are the sum of its traces' tokens, each trace's as ``queries/traces.py``
defines it (its root span's cumulative counts), so a session, its traces and the trace page add
up on every door. Its cost is the sum over every span of its traces.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Text, any_, bindparam, cast, delete, func, select, true
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from spyglass_query_api.queries.pages import Keyset, keyset_page
from spyglass_query_api.queries.tables import PROJECT_SESSIONS, SPANS, TRACES, rowids
from spyglass_query_api.queries.traces import (
    COST_TOTAL,
    TRACE_COLUMNS,
    TraceNode,
    TraceTokens,
    root_of_trace,
    trace_node,
)

MAX_SESSION_TURNS = 1_000

SESSION_COLUMNS = (
    PROJECT_SESSIONS.c.id,
    PROJECT_SESSIONS.c.session_id,
    PROJECT_SESSIONS.c.project_id,
    PROJECT_SESSIONS.c.start_time,
    PROJECT_SESSIONS.c.end_time,
)


@dataclass(frozen=True)
class SessionNode:
    id: int
    session_id: str
    project_id: int
    start_time: datetime
    end_time: datetime


@dataclass(frozen=True)
class SessionFigures:
    trace_count: int
    token_count_total: int
    cost_total: float


@dataclass(frozen=True)
class SessionTurn:
    """One trace of a session with its root span's input and output (value, MIME type)."""

    trace: TraceNode
    input: dict[str, Any] | None
    output: dict[str, Any] | None


@dataclass(frozen=True)
class SessionTraceRow:
    id: int
    trace_id: str
    start_time: datetime
    end_time: datetime
    project_session_rowid: int


def io_value(value: str | None, mime_type: str | None) -> dict[str, Any] | None:
    """A ``SpanIOValue``, or None without a value."""
    if value is None:
        return None
    return {"value": value, "mime_type": mime_type}


_IN_SESSIONS = TRACES.c.project_session_rowid == any_(rowids("session_rowids"))

_SESSIONS_BY_ROWID = select(*SESSION_COLUMNS).where(
    PROJECT_SESSIONS.c.id == any_(rowids("session_rowids"))
)

_PROJECT_SESSIONS = select(*SESSION_COLUMNS).where(
    PROJECT_SESSIONS.c.project_id == bindparam("project")
)

_SESSION_TRACES = (
    select(
        TRACES.c.id,
        TRACES.c.trace_id,
        TRACES.c.start_time,
        TRACES.c.end_time,
        TRACES.c.project_session_rowid,
    )
    .where(_IN_SESSIONS)
    .order_by(TRACES.c.start_time, TRACES.c.id)
)

_ROOT_TOKENS = root_of_trace(
    TRACES.c.id,
    SPANS.c.cumulative_llm_token_count_prompt.label("prompt"),
    SPANS.c.cumulative_llm_token_count_completion.label("completion"),
    name="root",
)
_TRACE_COST = (
    select(COST_TOTAL.label("cost")).where(SPANS.c.trace_rowid == TRACES.c.id).lateral("cost")
)

_SESSION_TOKENS = (
    select(
        TRACES.c.project_session_rowid,
        cast(func.coalesce(func.sum(_ROOT_TOKENS.c.prompt), 0), BigInteger),
        cast(func.coalesce(func.sum(_ROOT_TOKENS.c.completion), 0), BigInteger),
    )
    .select_from(TRACES.join(_ROOT_TOKENS, true()))
    .where(_IN_SESSIONS)
    .group_by(TRACES.c.project_session_rowid)
)

_SESSION_FIGURES = (
    select(
        TRACES.c.project_session_rowid,
        func.count(),
        func.coalesce(func.sum(_ROOT_TOKENS.c.prompt + _ROOT_TOKENS.c.completion), 0),
        func.coalesce(func.sum(_TRACE_COST.c.cost), 0),
    )
    .select_from(
        TRACES.outerjoin(_ROOT_TOKENS, true()).outerjoin(_TRACE_COST, true()),
    )
    .where(_IN_SESSIONS)
    .group_by(TRACES.c.project_session_rowid)
)

_TURN_NUMBER = (
    func.row_number()
    .over(
        partition_by=TRACES.c.project_session_rowid,
        order_by=(TRACES.c.start_time, TRACES.c.id),
    )
    .label("turn")
)
_NUMBERED_TRACES = select(*TRACE_COLUMNS, _TURN_NUMBER).where(_IN_SESSIONS).subquery("t")


def _io(key: str, field: str) -> Any:
    return SPANS.c.attributes[(key, field)].astext.label(f"{key}_{field}")


_ROOT_IO = root_of_trace(
    _NUMBERED_TRACES.c.id,
    _io("input", "value"),
    _io("input", "mime_type"),
    _io("output", "value"),
    _io("output", "mime_type"),
    name="r",
)
_TURNS = (
    select(
        *(_NUMBERED_TRACES.c[column.name] for column in TRACE_COLUMNS),
        *_ROOT_IO.c,
    )
    .select_from(_NUMBERED_TRACES.outerjoin(_ROOT_IO, true()))
    .where(_NUMBERED_TRACES.c.turn <= MAX_SESSION_TURNS)
    .order_by(_NUMBERED_TRACES.c.turn)
)

_DELETE_SESSIONS = delete(PROJECT_SESSIONS).where(
    PROJECT_SESSIONS.c.id == any_(rowids("session_rowids"))
)
_SESSION_TRACE_ROWIDS = select(TRACES.c.id).where(_IN_SESSIONS)
_ROWIDS_OF_SESSION_IDS = select(PROJECT_SESSIONS.c.id).where(
    PROJECT_SESSIONS.c.session_id == any_(bindparam("session_ids", type_=ARRAY(Text)))
)


async def get_sessions(
    connection: AsyncConnection, session_rowids: Sequence[int]
) -> dict[int, SessionNode]:
    """Sessions by rowid."""
    result = await connection.execute(_SESSIONS_BY_ROWID, {"session_rowids": list(session_rowids)})
    return {row[0]: SessionNode(*row) for row in result}


async def list_project_sessions(
    connection: AsyncConnection,
    project_rowid: int,
    page: Keyset,
    *,
    by_start_time: bool,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[SessionNode]:
    """Up to ``page.fetch`` of a project's sessions, ordered by start time (GraphQL) or by
    rowid (REST, as Phoenix lists them), starting in ``[start, end)``."""
    statement = _PROJECT_SESSIONS
    if start is not None:
        statement = statement.where(PROJECT_SESSIONS.c.start_time >= start)
    if end is not None:
        statement = statement.where(PROJECT_SESSIONS.c.start_time < end)
    sort = PROJECT_SESSIONS.c.start_time if by_start_time else PROJECT_SESSIONS.c.id
    statement, values = keyset_page(statement, sort, PROJECT_SESSIONS.c.id, page)
    result = await connection.execute(statement, {**values, "project": project_rowid})
    return [SessionNode(*row) for row in result]


async def list_session_traces(
    connection: AsyncConnection, session_rowids: Sequence[int]
) -> dict[int, list[SessionTraceRow]]:
    """Each session's traces, oldest first, by session rowid (every session asked for)."""
    traces: dict[int, list[SessionTraceRow]] = {rowid: [] for rowid in session_rowids}
    result = await connection.execute(_SESSION_TRACES, {"session_rowids": list(session_rowids)})
    for row in result:
        traces[row.project_session_rowid].append(SessionTraceRow(*row))
    return traces


async def get_session_tokens(
    connection: AsyncConnection, session_rowids: Sequence[int]
) -> dict[int, TraceTokens]:
    """``{session rowid: tokens}`` of the sessions that have traces."""
    result = await connection.execute(_SESSION_TOKENS, {"session_rowids": list(session_rowids)})
    return {row[0]: TraceTokens(row[1], row[2]) for row in result}


async def get_session_figures(
    connection: AsyncConnection, session_rowids: Sequence[int]
) -> dict[int, SessionFigures]:
    """``{session rowid: trace count, tokens and cost}`` of the sessions that have traces."""
    result = await connection.execute(_SESSION_FIGURES, {"session_rowids": list(session_rowids)})
    return {row[0]: SessionFigures(row[1], row[2], float(row[3])) for row in result}


async def list_session_turns(
    connection: AsyncConnection, session_rowids: Sequence[int]
) -> dict[int, list[SessionTurn]]:
    """Each session's traces in start order (the first ``MAX_SESSION_TURNS``) with their root
    span's input and output, by session rowid."""
    result = await connection.execute(_TURNS, {"session_rowids": list(session_rowids)})
    turns: dict[int, list[SessionTurn]] = defaultdict(list)
    for row in result:
        trace = trace_node(row)
        assert trace.project_session_rowid is not None
        turns[trace.project_session_rowid].append(
            SessionTurn(trace, io_value(row[6], row[7]), io_value(row[8], row[9]))
        )
    return turns


async def find_session_rowids(
    connection: AsyncConnection, session_rowids: Sequence[int], session_ids: Sequence[str]
) -> list[int]:
    """The rowids of the sessions that exist among those named by rowid or ``session.id``."""
    found: list[int] = []
    if session_rowids:
        result = await connection.execute(
            _SESSIONS_BY_ROWID, {"session_rowids": list(session_rowids)}
        )
        found.extend(row.id for row in result)
    if session_ids:
        result = await connection.execute(
            _ROWIDS_OF_SESSION_IDS, {"session_ids": list(session_ids)}
        )
        found.extend(row.id for row in result)
    return found


async def list_session_trace_rowids(
    connection: AsyncConnection, session_rowids: Sequence[int]
) -> list[int]:
    """The rowids of the sessions' traces."""
    result = await connection.execute(
        _SESSION_TRACE_ROWIDS, {"session_rowids": list(session_rowids)}
    )
    return [row.id for row in result]


async def delete_project_sessions(
    connection: AsyncConnection, session_rowids: Sequence[int]
) -> None:
    """Delete the session rows (their traces are the caller's to delete first)."""
    await connection.execute(_DELETE_SESSIONS, {"session_rowids": list(session_rowids)})


_SESSION_BY_SESSION_ID = select(*SESSION_COLUMNS).where(
    PROJECT_SESSIONS.c.session_id == bindparam("session_id")
)


async def find_session_node(connection: AsyncConnection, session_id: str) -> SessionNode | None:
    """The session whose ``session.id`` is ``session_id``, or None."""
    result = await connection.execute(_SESSION_BY_SESSION_ID, {"session_id": session_id})
    row = result.one_or_none()
    return None if row is None else SessionNode(*row)
