"""Spans: the rows lists, trees and searches show, and the statements that read them.

A span is read in two parts: ``SpanNode`` (what lists and the trace tree show: ids, names,
times, status, tokens, cost, and in lists a preview of input and output) and its body
(attributes and events), read only when asked for, since attributes are most of a span's bytes.
REST's searches (``/v1/projects/{id}/spans`` and the SpanQuery endpoint) read ``SpanRecord``,
a span whole. Lists that apply the span filter language are SQL text around it (the filter
compiles to text over ``s`` and ``t``) and read their page through ``span_pages``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, NamedTuple

from sqlalchemy import ColumnElement, FromClause, Text, any_, bindparam, func, select, text, true
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from spyglass_db.filters import SqlCondition
from spyglass_query_api.queries.pages import Keyset, Sorted, keyset_sql, order_sql
from spyglass_query_api.queries.span_pages import SpanPageQuery, read_span_page
from spyglass_query_api.queries.tables import SPANS, TRACES, rowids

PREVIEW_LENGTH = 200
MAX_TRACE_SPANS = 10_000


@dataclass(frozen=True)
class SpanNode:
    """A span without its body; ``previews`` is False when the previews were not read."""

    id: int
    span_id: str
    trace_id: str
    parent_id: str | None
    name: str
    span_kind: str
    start_time: datetime
    end_time: datetime
    status_code: str
    status_message: str
    cumulative_error_count: int
    llm_token_count_prompt: int | None
    llm_token_count_completion: int | None
    cumulative_llm_token_count_prompt: int
    cumulative_llm_token_count_completion: int
    llm_cost_prompt: float | None
    llm_cost_completion: float | None
    llm_cost_total: float | None
    trace_rowid: int
    project_rowid: int
    input_preview: str | None = None
    output_preview: str | None = None
    previews: bool = False


def _preview(key: str) -> ColumnElement[str]:
    """The first ``PREVIEW_LENGTH`` characters of ``attributes.<key>.value``."""
    return func.left(SPANS.c.attributes[(key, "value")].astext, PREVIEW_LENGTH)


_TREE_SPAN_COLUMNS = (
    "id",
    "span_id",
    None,  # the trace's OTel id, from traces
    "parent_id",
    "name",
    "span_kind",
    "start_time",
    "end_time",
    "status_code",
    "status_message",
    "cumulative_error_count",
    "llm_token_count_prompt",
    "llm_token_count_completion",
    "cumulative_llm_token_count_prompt",
    "cumulative_llm_token_count_completion",
    "llm_cost_prompt",
    "llm_cost_completion",
    "llm_cost_total",
    "trace_rowid",
    "project_rowid",
)


def _tree_columns(spans: FromClause) -> tuple[ColumnElement[Any], ...]:
    """``SpanNode``'s columns from ``spans`` (the table or a subquery of it) joined to traces."""
    return tuple(
        TRACES.c.trace_id if name is None else spans.c[name] for name in _TREE_SPAN_COLUMNS
    )


SPAN_TREE_COLUMNS = _tree_columns(SPANS)
"""What the trace tree needs (``SPANS`` joined to ``TRACES``): no attributes are read."""

SPAN_LIST_COLUMNS: tuple[ColumnElement[Any], ...] = (
    *SPAN_TREE_COLUMNS,
    _preview("input"),
    _preview("output"),
    true(),
)
"""What span tables need: the tree's columns and previews of input and output."""


def span_node(row: Any) -> SpanNode:
    """A ``SpanNode`` from a row read with ``SPAN_TREE_COLUMNS`` or ``SPAN_LIST_COLUMNS``."""
    return SpanNode(*row[:23])


@dataclass(frozen=True)
class SpanBody:
    attributes: dict[str, Any]
    events: list[dict[str, Any]]


_WITH_TRACE = SPANS.join(TRACES, TRACES.c.id == SPANS.c.trace_rowid)
_SPAN_BY_ROWID = (
    select(*SPAN_LIST_COLUMNS).select_from(_WITH_TRACE).where(SPANS.c.id == bindparam("value"))
)
_SPAN_BY_OTEL_ID = (
    select(*SPAN_LIST_COLUMNS)
    .select_from(_WITH_TRACE)
    .where(SPANS.c.span_id == bindparam("value"))
    .limit(1)
)
_BODIES = select(SPANS.c.id, SPANS.c.attributes, SPANS.c.events).where(
    SPANS.c.id == any_(rowids("span_rowids"))
)
_NUMBERED = (
    select(
        SPANS,
        func.row_number()
        .over(partition_by=SPANS.c.trace_rowid, order_by=(SPANS.c.start_time, SPANS.c.id))
        .label("n"),
    )
    .where(SPANS.c.trace_rowid == any_(rowids("trace_rowids")))
    .subquery("s")
)
_TRACE_TREES = (
    select(*_tree_columns(_NUMBERED))
    .select_from(_NUMBERED.join(TRACES, TRACES.c.id == _NUMBERED.c.trace_rowid))
    .where(_NUMBERED.c.n <= MAX_TRACE_SPANS)
    .order_by(_NUMBERED.c.n)
)


async def find_span_node(
    connection: AsyncConnection, *, rowid: int | None = None, span_id: str | None = None
) -> SpanNode | None:
    """The span with this rowid, or else this OTel span id (with previews), or None."""
    statement, value = (_SPAN_BY_ROWID, rowid) if rowid is not None else (_SPAN_BY_OTEL_ID, span_id)
    result = await connection.execute(statement, {"value": value})
    row = result.first()
    return None if row is None else span_node(row)


async def get_span_bodies(
    connection: AsyncConnection, span_rowids: Sequence[int]
) -> dict[int, SpanBody]:
    """Span attributes and events by span rowid."""
    result = await connection.execute(_BODIES, {"span_rowids": list(span_rowids)})
    return {row[0]: SpanBody(row[1], row[2]) for row in result}


async def list_trace_span_nodes(
    connection: AsyncConnection, trace_rowids: Sequence[int]
) -> dict[int, list[SpanNode]]:
    """Each trace's first ``MAX_TRACE_SPANS`` spans in start order, without previews."""
    result = await connection.execute(_TRACE_TREES, {"trace_rowids": list(trace_rowids)})
    spans: dict[int, list[SpanNode]] = defaultdict(list)
    for row in result:
        node = span_node(row)
        spans[node.trace_rowid].append(node)
    return spans


SPAN_TREE_COLUMNS_SQL = (
    "s.id, s.span_id, t.trace_id, s.parent_id, s.name, s.span_kind, s.start_time, s.end_time, "
    "s.status_code, s.status_message, s.cumulative_error_count, s.llm_token_count_prompt, "
    "s.llm_token_count_completion, s.cumulative_llm_token_count_prompt, "
    "s.cumulative_llm_token_count_completion, s.llm_cost_prompt, s.llm_cost_completion, "
    "s.llm_cost_total, s.trace_rowid, s.project_rowid"
)
"""``SPAN_TREE_COLUMNS`` as SQL text over ``s`` and ``t``, for the statements written as text
around the span filter language."""

SPAN_LIST_COLUMNS_SQL = (
    f"{SPAN_TREE_COLUMNS_SQL}, left(s.attributes #>> '{{input,value}}', {PREVIEW_LENGTH}), "
    f"left(s.attributes #>> '{{output,value}}', {PREVIEW_LENGTH}), TRUE"
)
"""``SPAN_LIST_COLUMNS`` as SQL text: the tree's columns and previews of input and output."""

SpanSortColumn = Literal["startTime", "latencyMs", "tokens", "cost"]
"""What the UI sorts span tables by (GraphQL's ``SpanSortColumn``)."""

SPAN_SORT_SQL: dict[SpanSortColumn, str] = {
    "startTime": "s.start_time",
    "latencyMs": "CAST(EXTRACT(EPOCH FROM s.end_time - s.start_time) * 1000 AS double precision)",
    "tokens": "(s.cumulative_llm_token_count_prompt + s.cumulative_llm_token_count_completion)",
    "cost": "COALESCE(s.llm_cost_total, 0)",
}
"""The SQL of each sort column over the spans row ``s``."""


async def list_span_nodes(
    connection: AsyncConnection,
    project_rowid: int,
    condition: SqlCondition,
    page: Keyset,
    *,
    sort: SpanSortColumn,
    start: datetime | None = None,
    end: datetime | None = None,
    roots_only: bool = False,
) -> list[Sorted[SpanNode]]:
    """Up to ``page.fetch`` of a project's spans (with previews) that start in ``[start, end)``
    and match ``condition`` (a compiled span filter over ``s``), in ``sort`` order.

    Sorted by start time the page is read through ``span_pages`` (an index walk, a bounded
    probe for filters); sorted by anything else every match is read, since no index orders them.
    """
    sort_sql = SPAN_SORT_SQL[sort]
    keyset, values = keyset_sql(page, sort_sql, "s.id")
    conditions = ["s.project_rowid = :project", keyset]
    if roots_only:
        conditions.append("s.parent_id IS NULL")
    if start is not None:
        conditions.append("s.start_time >= :start")
        values["start"] = start
    if end is not None:
        conditions.append("s.start_time < :end")
        values["end"] = end
    values.update(condition.parameters, project=project_rowid)
    filters = [condition.sql] if condition.sql != "TRUE" else []
    columns = f"{SPAN_LIST_COLUMNS_SQL}, {sort_sql}"
    rows: Sequence[Any]
    if sort == "startTime":
        query = SpanPageQuery(
            columns, conditions, filters, values, page.fetch, descending=page.descending
        )
        rows = await read_span_page(connection, query)
    else:
        result = await connection.execute(
            text(
                f"SELECT {columns} FROM spans s JOIN traces t ON t.id = s.trace_rowid "
                f"WHERE {' AND '.join([*conditions, *filters])} "
                f"{order_sql(page, sort_sql, 's.id')} LIMIT :fetch"
            ),
            {**values, "fetch": page.fetch},
        )
        rows = result.all()
    return [Sorted(row.id, span_node(row), row[-1]) for row in rows]


class SpanRecord(NamedTuple):
    """A span whole, as REST's searches show it (a tuple: a SpanQuery reads up to 100,000)."""

    id: int
    span_id: str
    trace_id: str
    parent_id: str | None
    name: str
    span_kind: str
    start_time: datetime
    end_time: datetime
    status_code: str
    status_message: str
    attributes: dict[str, Any]
    events: list[dict[str, Any]]
    cumulative_llm_token_count_prompt: int
    cumulative_llm_token_count_completion: int
    llm_token_count_prompt: int | None
    llm_token_count_completion: int | None


_RECORD_COLUMNS = (
    "s.id, s.span_id, t.trace_id, s.parent_id, s.name, s.span_kind, s.start_time, s.end_time, "
    "s.status_code, s.status_message, s.attributes, s.events, "
    "s.cumulative_llm_token_count_prompt, s.cumulative_llm_token_count_completion, "
    "s.llm_token_count_prompt, s.llm_token_count_completion"
)


@dataclass(frozen=True)
class SpanSearch:
    """What a REST span search keeps; a list matches any of its values, empty keeps all.

    ``at`` (start time, rowid) starts a newest-first page at that span (a REST cursor names the
    next page's first row). ``filters`` are compiled conditions over ``s`` that may read
    attributes or other rows (the span filter language, attribute filters).
    """

    start: datetime | None = None
    end: datetime | None = None
    at: tuple[datetime, int] | None = None
    roots_only: bool = False
    parent_id: str | None = None
    trace_rowids: Sequence[int] | None = None
    span_ids: Sequence[str] = ()
    names: Sequence[str] = ()
    span_kinds: Sequence[str] = ()
    status_codes: Sequence[str] = ()
    filters: Sequence[SqlCondition] = ()


_LISTED_COLUMNS = (
    ("s.span_id", "span_ids"),
    ("s.name", "names"),
    ("s.span_kind", "span_kinds"),
    ("s.status_code", "status_codes"),
)


async def list_span_records(
    connection: AsyncConnection, project_rowid: int, search: SpanSearch, fetch: int
) -> list[SpanRecord]:
    """Up to ``fetch`` of a project's spans that ``search`` keeps, newest first (start time,
    then rowid), read through ``span_pages`` (so a rare attribute filter stays fast)."""
    conditions = ["s.project_rowid = :project"]
    values: dict[str, object] = {"project": project_rowid}
    if search.at is not None:
        # The first comparison alone bounds the index walk; the second breaks ties by row id.
        conditions.append("s.start_time <= :at_start_time")
        conditions.append("(s.start_time, s.id) <= (:at_start_time, :at_rowid)")
        values.update(at_start_time=search.at[0], at_rowid=search.at[1])
    if search.start is not None:
        conditions.append("s.start_time >= :start_time")
        values["start_time"] = search.start
    if search.end is not None:
        conditions.append("s.start_time < :end_time")
        values["end_time"] = search.end
    if search.roots_only:
        conditions.append("s.parent_id IS NULL")
    elif search.parent_id:
        conditions.append("s.parent_id = :parent_id")
        values["parent_id"] = search.parent_id
    if search.trace_rowids is not None:
        conditions.append("s.trace_rowid = ANY(:trace_rowids)")
        values["trace_rowids"] = list(search.trace_rowids)
    for column, field in _LISTED_COLUMNS:
        wanted: Sequence[str] = getattr(search, field)
        if wanted:
            conditions.append(f"{column} = ANY(:{field})")
            values[field] = list(wanted)
    filters = []
    for condition in search.filters:
        filters.append(condition.sql)
        values.update(condition.parameters)
    query = SpanPageQuery(_RECORD_COLUMNS, conditions, filters, values, fetch)
    return [SpanRecord._make(row) for row in await read_span_page(connection, query)]


_START_TIME_IN_PROJECT = select(SPANS.c.start_time).where(
    SPANS.c.id == bindparam("span_rowid"), SPANS.c.project_rowid == bindparam("project_rowid")
)


async def get_span_start_time(
    connection: AsyncConnection, project_rowid: int, span_rowid: int
) -> datetime | None:
    """The start time of span ``span_rowid`` if it is in the project, else None."""
    result = await connection.execute(
        _START_TIME_IN_PROJECT, {"span_rowid": span_rowid, "project_rowid": project_rowid}
    )
    return result.scalar_one_or_none()


_TEXTS = ARRAY(Text)
_STORED_SPAN_IDS = select(SPANS.c.span_id).where(
    SPANS.c.span_id == any_(bindparam("span_ids", type_=_TEXTS))
)


async def list_stored_span_ids(connection: AsyncConnection, span_ids: Sequence[str]) -> set[str]:
    """Those of ``span_ids`` (OTel span ids) that a stored span has."""
    result = await connection.execute(_STORED_SPAN_IDS, {"span_ids": list(span_ids)})
    return set(result.scalars())
