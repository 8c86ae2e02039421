"""Traces: their root span, figures and lists, defined once for REST, GraphQL and the UI.

**A trace's root span** is the earliest-starting of its spans without a parent; ties go to the
smaller OTel span id. Phoenix documents no rule for a trace with several roots (an app that
starts two top-level spans under one trace id, or a parent that never arrived); its GraphQL
``Trace.rootSpan`` returns one of them. Choosing by (start time, span id) gives the same span
at every read, whatever order the spans were stored in, so a cursor that holds a root's value
finds its row again.

**From the root** come a trace's tokens (``token_count_prompt`` / ``_completion`` / ``_total``)
and its errors: the root's cumulative counts, which the writer maintains (each span's own plus
its descendants'), so a page reads one span per trace. A second root's subtree is not in them:
``/v1`` (which used to sum every root) and GraphQL (which took the earliest) now agree.

**Latency** is the trace's bounds, ``end_time - start_time`` (first span's start to the last
span's end), never stored. **Cost** is the sum of ``llm_cost_total`` over every span of the
trace, as Phoenix's cost summary sums a trace's span costs; summed as ``numeric`` so the same
spans give the same float at every read (a float sum depends on row order).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Double,
    Numeric,
    and_,
    any_,
    bindparam,
    cast,
    exists,
    func,
    literal_column,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import Text

from spyglass_db.filters import SqlCondition
from spyglass_query_api.queries.pages import Keyset, Sorted, keyset_sql, order_sql
from spyglass_query_api.queries.spans import (
    SPAN_LIST_COLUMNS,
    SpanNode,
    SpanSortColumn,
    span_node,
)
from spyglass_query_api.queries.tables import PROJECT_SESSIONS, ROWIDS, SPANS, TRACES, rowids

TraceSort = Literal["start_time", "latency_ms"]
Order = Literal["asc", "desc"]

IS_ROOT = SPANS.c.parent_id.is_(None)
ROOT_ORDER = (SPANS.c.start_time, SPANS.c.span_id)
"""The order that picks a trace's root among its roots: the first one is the root."""

_ONE: ColumnElement[int] = literal_column("1")
"""``LIMIT 1`` written out: as a bind parameter, a generic plan would not know it is one row."""

LATENCY = TRACES.c.end_time - TRACES.c.start_time
"""A trace's latency (an interval)."""


def _roots(*columns: ColumnElement[Any], with_trace: bool = True) -> Any:
    """``columns`` of the root span of each trace in ``:trace_rowids`` (one row a trace);
    ``with_trace`` joins ``traces`` for columns of the trace (its OTel id)."""
    source = SPANS.join(TRACES, TRACES.c.id == SPANS.c.trace_rowid) if with_trace else SPANS
    return (
        select(*columns)
        .select_from(source)
        .where(SPANS.c.trace_rowid == any_(rowids("trace_rowids")), IS_ROOT)
        .ext(distinct_on(SPANS.c.trace_rowid))
        .order_by(SPANS.c.trace_rowid, *ROOT_ORDER)
    )


_ROOT_SPANS = _roots(*SPAN_LIST_COLUMNS)
_ROOT_TOKENS = _roots(
    SPANS.c.trace_rowid,
    SPANS.c.cumulative_llm_token_count_prompt,
    SPANS.c.cumulative_llm_token_count_completion,
    with_trace=False,
)

_ROOT_OF_TRACE_T = (
    select(SPANS)
    .where(SPANS.c.trace_rowid == literal_column("t.id"), IS_ROOT)
    .order_by(*ROOT_ORDER)
    .limit(_ONE)
)

ROOT_SPAN_JOIN_SQL = "LEFT JOIN LATERAL ({}) s ON TRUE".format(
    _ROOT_OF_TRACE_T.compile(
        dialect=postgresql.dialect(),  # type: ignore[no-untyped-call]
        compile_kwargs={"literal_binds": True},
    )
)
"""The root span of the trace ``t`` as ``s``. The span filter language compiles to SQL text over
``s`` and ``t``, so the UI's trace list (``list_trace_nodes``) is SQL text too and joins
this; rendered from the Core statement above so that the definition stays one."""


@dataclass(frozen=True)
class TraceTokens:
    """A trace's tokens: its root span's cumulative counts."""

    prompt: int = 0
    completion: int = 0

    @property
    def total(self) -> int:
        return self.prompt + self.completion


@dataclass(frozen=True)
class TraceFigures:
    """What a trace's spans add up to (roots carry the cumulative tokens and errors)."""

    span_count: int
    cost_total: float


COST_TOTAL = cast(func.coalesce(func.sum(cast(SPANS.c.llm_cost_total, Numeric)), 0), Double)
"""Cost of a group of spans, summed exactly so that it is the same at every read."""

_FIGURES = (
    select(SPANS.c.trace_rowid, func.count(), COST_TOTAL)
    .where(SPANS.c.trace_rowid == any_(rowids("trace_rowids")))
    .group_by(SPANS.c.trace_rowid)
)


async def get_root_spans(
    connection: AsyncConnection, trace_rowids: Sequence[int]
) -> dict[int, SpanNode]:
    """``{trace rowid: root span}`` (with previews) of the traces that have a root."""
    if not trace_rowids:
        return {}
    result = await connection.execute(_ROOT_SPANS, {"trace_rowids": list(trace_rowids)})
    nodes = [span_node(row) for row in result]
    return {node.trace_rowid: node for node in nodes}


async def get_trace_tokens(
    connection: AsyncConnection, trace_rowids: Sequence[int]
) -> dict[int, TraceTokens]:
    """``{trace rowid: tokens}``; a trace without a root span (yet) is not in it."""
    if not trace_rowids:
        return {}
    result = await connection.execute(_ROOT_TOKENS, {"trace_rowids": list(trace_rowids)})
    return {row[0]: TraceTokens(row[1], row[2]) for row in result}


async def get_trace_figures(
    connection: AsyncConnection, trace_rowids: Sequence[int]
) -> dict[int, TraceFigures]:
    """``{trace rowid: span count and cost}`` of the traces that have spans."""
    if not trace_rowids:
        return {}
    result = await connection.execute(_FIGURES, {"trace_rowids": list(trace_rowids)})
    return {row[0]: TraceFigures(row[1], float(row[2])) for row in result}


@dataclass(frozen=True)
class TraceNode:
    """A trace; a list reads its root span and figures with the page (``prefetched``), so
    that GraphQL fields resolve without waiting on a loader, one awaitable per field per row."""

    id: int
    trace_id: str
    project_rowid: int
    project_session_rowid: int | None
    start_time: datetime
    end_time: datetime
    root: SpanNode | None = None
    figures: TraceFigures | None = None
    prefetched: bool = False


TRACE_COLUMNS: tuple[ColumnElement[Any], ...] = (
    TRACES.c.id,
    TRACES.c.trace_id,
    TRACES.c.project_rowid,
    TRACES.c.project_session_rowid,
    TRACES.c.start_time,
    TRACES.c.end_time,
)


def trace_node(row: Any) -> TraceNode:
    """A ``TraceNode`` from a row that starts with ``TRACE_COLUMNS``."""
    return TraceNode(*row[:6])


def root_of_trace(trace_rowid: ColumnElement[int], *columns: ColumnElement[Any], name: str) -> Any:
    """``columns`` of the root span of the trace ``trace_rowid`` names, as a LATERAL subquery
    (join it ``ON TRUE``; outer-join it to keep traces without a root)."""
    return (
        select(*columns)
        .where(SPANS.c.trace_rowid == trace_rowid, IS_ROOT)
        .order_by(*ROOT_ORDER)
        .limit(_ONE)
        .lateral(name)
    )


@dataclass(frozen=True)
class TraceListRow:
    id: int
    trace_id: str
    start_time: datetime
    end_time: datetime


@dataclass(frozen=True)
class TraceFilters:
    """What a REST trace list keeps; every field None or empty keeps every trace."""

    start: datetime | None = None
    end: datetime | None = None
    session_rowids: Sequence[int] = ()
    session_ids: Sequence[str] = ()
    min_latency: timedelta | None = None
    max_latency: timedelta | None = None
    error: bool | None = None


@dataclass(frozen=True)
class TraceKeyset:
    """Where a page starts: at this trace (its rowid and its value in the list's order)."""

    rowid: int
    value: datetime | timedelta


_TEXTS = postgresql.ARRAY(Text)

_SORT = {"start_time": TRACES.c.start_time, "latency_ms": LATENCY}

_LIST = select(TRACES.c.id, TRACES.c.trace_id, TRACES.c.start_time, TRACES.c.end_time).where(
    TRACES.c.project_rowid == bindparam("project")
)

_ROOT_ERRORS = (
    select(SPANS.c.cumulative_error_count)
    .where(SPANS.c.trace_rowid == TRACES.c.id, IS_ROOT)
    .order_by(*ROOT_ORDER)
    .limit(_ONE)
    .correlate(TRACES)
    .scalar_subquery()
)

_TRACE_ROWIDS_OF_IDS = select(TRACES.c.id).where(
    TRACES.c.trace_id == any_(bindparam("trace_ids", type_=_TEXTS))
)

_CURSOR_TRACE = select(TRACES.c.start_time, TRACES.c.end_time).where(
    TRACES.c.id == bindparam("id"), TRACES.c.project_rowid == bindparam("project")
)


def _conditions(filters: TraceFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.start is not None:
        conditions.append(TRACES.c.start_time >= filters.start)
    if filters.end is not None:
        conditions.append(TRACES.c.start_time < filters.end)
    sessions: list[ColumnElement[bool]] = []
    if filters.session_rowids:
        sessions.append(
            TRACES.c.project_session_rowid
            == any_(bindparam("session_rowids", list(filters.session_rowids), type_=ROWIDS))
        )
    if filters.session_ids:
        named = select(PROJECT_SESSIONS.c.id).where(
            PROJECT_SESSIONS.c.session_id
            == any_(bindparam("session_ids", list(filters.session_ids), type_=_TEXTS)),
            PROJECT_SESSIONS.c.project_id == bindparam("project"),
        )
        sessions.append(TRACES.c.project_session_rowid.in_(named))
    if sessions:
        conditions.append(or_(*sessions))
    if filters.min_latency is not None:
        conditions.append(filters.min_latency <= LATENCY)
    if filters.max_latency is not None:
        conditions.append(filters.max_latency >= LATENCY)
    if filters.error is True:
        conditions.append(_ROOT_ERRORS > 0)
    elif filters.error is False:
        conditions.append(func.coalesce(_ROOT_ERRORS, 0) == 0)
    return conditions


async def list_trace_rowids(connection: AsyncConnection, trace_ids: Sequence[str]) -> list[int]:
    """The rowids of the traces whose OTel trace ids are among ``trace_ids``."""
    result = await connection.execute(_TRACE_ROWIDS_OF_IDS, {"trace_ids": list(trace_ids)})
    return list(result.scalars())


async def get_keyset(
    connection: AsyncConnection, project_rowid: int, trace_rowid: int, sort: TraceSort
) -> TraceKeyset | None:
    """Where a page starting at ``trace_rowid`` begins, or None if that trace is not in the
    project (deleted or moved since the cursor was made)."""
    result = await connection.execute(_CURSOR_TRACE, {"id": trace_rowid, "project": project_rowid})
    row = result.one_or_none()
    if row is None:
        return None
    value = row.start_time if sort == "start_time" else row.end_time - row.start_time
    return TraceKeyset(trace_rowid, value)


async def list_traces(
    connection: AsyncConnection,
    project_rowid: int,
    filters: TraceFilters,
    *,
    sort: TraceSort,
    order: Order,
    after: TraceKeyset | None,
    fetch: int,
) -> list[TraceListRow]:
    """Up to ``fetch`` of a project's traces in ``sort`` order, from ``after`` on.

    Sorted by start time it is a walk of ``(project_rowid, start_time DESC)`` that stops after
    ``fetch`` rows; sorted by latency, PostgreSQL reads the traces in the time range and keeps
    the top ``fetch`` (a bounded heap): no index holds ``end_time - start_time``.
    """
    sort_value = _SORT[sort]
    statement = _LIST.where(*_conditions(filters))
    if after is not None:
        at_or_before = sort_value <= after.value if order == "desc" else sort_value >= after.value
        before = sort_value < after.value if order == "desc" else sort_value > after.value
        id_at_or_before = (
            TRACES.c.id <= after.rowid if order == "desc" else TRACES.c.id >= after.rowid
        )
        # The first comparison alone can use the index; the second breaks ties by id.
        statement = statement.where(and_(at_or_before, or_(before, id_at_or_before)))
    if order == "desc":
        statement = statement.order_by(sort_value.desc(), TRACES.c.id.desc())
    else:
        statement = statement.order_by(sort_value.asc(), TRACES.c.id.asc())
    result = await connection.execute(
        statement.limit(bindparam("fetch")), {"project": project_rowid, "fetch": fetch}
    )
    return [TraceListRow(*row) for row in result]


@dataclass(frozen=True)
class TraceSpanRow:
    """A span as a REST trace lists it (no attributes)."""

    id: int
    trace_rowid: int
    span_id: str
    parent_id: str | None
    name: str
    span_kind: str
    status_code: str
    start_time: datetime
    end_time: datetime


_TRACE_SPANS = (
    select(
        SPANS.c.id,
        SPANS.c.trace_rowid,
        SPANS.c.span_id,
        SPANS.c.parent_id,
        SPANS.c.name,
        SPANS.c.span_kind,
        SPANS.c.status_code,
        SPANS.c.start_time,
        SPANS.c.end_time,
    )
    .where(SPANS.c.trace_rowid == any_(rowids("trace_rowids")))
    .order_by(SPANS.c.start_time, SPANS.c.id)
)


async def list_trace_spans(
    connection: AsyncConnection, trace_rowids: Sequence[int]
) -> dict[int, list[TraceSpanRow]]:
    """Each trace's spans in start order, by trace rowid (every trace of ``trace_rowids``)."""
    spans: dict[int, list[TraceSpanRow]] = {rowid: [] for rowid in trace_rowids}
    if not trace_rowids:
        return spans
    result = await connection.execute(_TRACE_SPANS, {"trace_rowids": list(trace_rowids)})
    for row in result:
        spans[row.trace_rowid].append(TraceSpanRow(*row))
    return spans


@dataclass(frozen=True)
class TransferRow:
    id: int
    trace_id: str
    project_rowid: int
    project_session_rowid: int | None


_LOCK_FOR_TRANSFER = (
    select(TRACES.c.id, TRACES.c.trace_id, TRACES.c.project_rowid, TRACES.c.project_session_rowid)
    .where(
        or_(
            TRACES.c.id == any_(rowids("rowids")),
            TRACES.c.trace_id == any_(bindparam("otel_ids", type_=_TEXTS)),
        )
    )
    .with_for_update()
)


async def lock_traces(
    connection: AsyncConnection, trace_rowids: Sequence[int], otel_trace_ids: Sequence[str]
) -> list[TransferRow]:
    """The traces named by rowid or OTel trace id, locked until the transaction ends."""
    result = await connection.execute(
        _LOCK_FOR_TRANSFER, {"rowids": list(trace_rowids), "otel_ids": list(otel_trace_ids)}
    )
    return [TransferRow(*row) for row in result]


_MOVE_TRACES = (
    update(TRACES)
    .where(TRACES.c.id == any_(rowids("ids")))
    .values(project_rowid=bindparam("project"))
)
_MOVE_SPANS = (
    update(SPANS)
    .where(
        SPANS.c.trace_rowid == any_(rowids("ids")),
        SPANS.c.project_rowid != bindparam("project"),
    )
    .values(project_rowid=bindparam("project"))
)
_OTHER_PROJECT_TRACE = (
    select(true())
    .where(
        TRACES.c.project_session_rowid == PROJECT_SESSIONS.c.id,
        TRACES.c.project_rowid != bindparam("project"),
    )
    .correlate(PROJECT_SESSIONS)
)
_MOVE_SESSIONS = (
    update(PROJECT_SESSIONS)
    .where(PROJECT_SESSIONS.c.id == any_(rowids("ids")), ~exists(_OTHER_PROJECT_TRACE))
    .values(project_id=bindparam("project"))
)


async def move_traces(
    connection: AsyncConnection,
    trace_rowids: Sequence[int],
    session_rowids: Sequence[int],
    project_rowid: int,
) -> None:
    """Re-parent traces, their spans and the sessions wholly among them to ``project_rowid``."""
    values = {"ids": list(trace_rowids), "project": project_rowid}
    await connection.execute(_MOVE_TRACES, values)
    # A new statement: it also sees spans that writers holding these traces committed meanwhile.
    await connection.execute(_MOVE_SPANS, values)
    if session_rowids:
        await connection.execute(
            _MOVE_SESSIONS, {"ids": list(session_rowids), "project": project_rowid}
        )


_TRACES_BY_ROWID = select(*TRACE_COLUMNS).where(TRACES.c.id == any_(rowids("trace_rowids")))
_TRACE_BY_OTEL_ID = select(*TRACE_COLUMNS).where(TRACES.c.trace_id == bindparam("trace_id"))


async def get_trace_nodes(
    connection: AsyncConnection, trace_rowids: Sequence[int]
) -> dict[int, TraceNode]:
    """Traces by rowid."""
    result = await connection.execute(_TRACES_BY_ROWID, {"trace_rowids": list(trace_rowids)})
    return {row[0]: trace_node(row) for row in result}


async def find_trace_node(connection: AsyncConnection, trace_id: str) -> TraceNode | None:
    """The trace whose OTel trace id is ``trace_id``, or None."""
    result = await connection.execute(_TRACE_BY_OTEL_ID, {"trace_id": trace_id})
    row = result.one_or_none()
    return None if row is None else trace_node(row)


TRACE_COLUMNS_SQL = (
    "t.id, t.trace_id, t.project_rowid, t.project_session_rowid, t.start_time, t.end_time"
)
"""``TRACE_COLUMNS`` as SQL text over ``t``."""

TRACE_SORT_SQL: dict[SpanSortColumn, str] = {
    "startTime": "t.start_time",
    "latencyMs": "CAST(EXTRACT(EPOCH FROM t.end_time - t.start_time) * 1000 AS double precision)",
    "tokens": (
        "COALESCE(s.cumulative_llm_token_count_prompt + s.cumulative_llm_token_count_completion, 0)"
    ),
    "cost": (
        "COALESCE(CAST((SELECT sum(CAST(c.llm_cost_total AS numeric)) FROM spans c "
        "WHERE c.trace_rowid = t.id) AS double precision), 0)"
    ),
}
"""The SQL of each sort column of the UI's trace list, over the trace ``t`` and its root span
``s``. Each gives the same value at every read, to the last bit, so that a cursor's value finds
its row again: a sum of floats depends on the order the rows come in, so costs are summed
exactly."""


async def list_trace_nodes(
    connection: AsyncConnection,
    project_rowid: int,
    condition: SqlCondition,
    page: Keyset,
    *,
    sort: SpanSortColumn,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[Sorted[TraceNode]]:
    """Up to ``page.fetch`` of a project's traces that start in ``[start, end)`` and whose root
    span matches ``condition`` (a compiled span filter over ``s``), in ``sort`` order.

    SQL text, since the filter is: the root is joined (``ROOT_SPAN_JOIN_SQL``) only when the
    filter or the sort reads it.
    """
    sort_sql = TRACE_SORT_SQL[sort]
    keyset, values = keyset_sql(page, sort_sql, "t.id")
    conditions = ["t.project_rowid = :project", keyset, f"({condition.sql})"]
    if start is not None:
        conditions.append("t.start_time >= :start")
        values["start"] = start
    if end is not None:
        conditions.append("t.start_time < :end")
        values["end"] = end
    needs_root = condition.sql != "TRUE" or sort == "tokens"
    result = await connection.execute(
        text(
            f"SELECT {TRACE_COLUMNS_SQL}, {sort_sql} FROM traces t "
            f"{ROOT_SPAN_JOIN_SQL if needs_root else ''} WHERE {' AND '.join(conditions)} "
            f"{order_sql(page, sort_sql, 't.id')} LIMIT :fetch"
        ),
        {**values, **condition.parameters, "project": project_rowid, "fetch": page.fetch},
    )
    return [Sorted(row[0], trace_node(row), row[-1]) for row in result]
