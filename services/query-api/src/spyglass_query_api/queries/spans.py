"""Span rows as lists and trees show them: ``SpanNode``, and the Core columns it is read with.

A span is read in two parts: ``SpanNode`` (what lists and the trace tree show: ids, names,
times, status, tokens, cost, and in lists a preview of input and output) and its body
(attributes and events), read only when asked for, since attributes are most of a span's bytes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, FromClause, any_, bindparam, func, select, true
from sqlalchemy.ext.asyncio import AsyncConnection

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
