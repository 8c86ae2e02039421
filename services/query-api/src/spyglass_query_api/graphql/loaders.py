"""The request's DataLoaders: each reads the rows of many keys with one statement.

``projects(context).load(rowid)`` and the like; a loader is made on first use and kept in the
request's context, so a key read once is not read again during the request.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from spyglass_query_api.graphql.context import RequestContext
from spyglass_query_api.graphql.dataloader import DataLoader
from spyglass_query_api.graphql.rows import (
    ANNOTATION_COLUMNS,
    PROJECT_COLUMNS,
    SESSION_COLUMNS,
    SPAN_LIST_COLUMNS,
    SPAN_TREE_COLUMNS,
    TRACE_COLUMNS,
    AnnotationNode,
    ProjectNode,
    SessionFigures,
    SessionNode,
    SessionTurn,
    SpanBody,
    SpanNode,
    TraceFigures,
    TraceNode,
    io_value,
    span_node,
    trace_node,
)

MAX_TRACE_SPANS = 10_000
MAX_SESSION_TURNS = 1_000

Value = TypeVar("Value")
Fetch = Callable[[RequestContext, Sequence[int]], Awaitable[Mapping[int, Value]]]


def _loader(
    context: RequestContext, fetch: Fetch[Value], missing: Callable[[], Value]
) -> DataLoader[int, Value]:
    name = fetch.__name__
    if name not in context.loaders:
        context.loaders[name] = DataLoader(lambda keys: fetch(context, keys), missing)
    loader: DataLoader[int, Value] = context.loaders[name]
    return loader


def _none() -> None:
    return None


async def _projects(context: RequestContext, keys: Sequence[int]) -> dict[int, ProjectNode]:
    rows = await context.fetch(
        f"SELECT {PROJECT_COLUMNS} FROM projects p WHERE p.id = ANY(:keys)", {"keys": list(keys)}
    )
    return {row[0]: ProjectNode(*row) for row in rows}


def projects(context: RequestContext) -> DataLoader[int, ProjectNode | None]:
    """Projects by rowid."""
    return _loader(context, _projects, _none)


async def _traces(context: RequestContext, keys: Sequence[int]) -> dict[int, TraceNode]:
    rows = await context.fetch(
        f"SELECT {TRACE_COLUMNS} FROM traces t WHERE t.id = ANY(:keys)", {"keys": list(keys)}
    )
    return {row[0]: trace_node(row) for row in rows}


def traces(context: RequestContext) -> DataLoader[int, TraceNode | None]:
    """Traces by rowid."""
    return _loader(context, _traces, _none)


async def _sessions(context: RequestContext, keys: Sequence[int]) -> dict[int, SessionNode]:
    rows = await context.fetch(
        f"SELECT {SESSION_COLUMNS} FROM project_sessions ps WHERE ps.id = ANY(:keys)",
        {"keys": list(keys)},
    )
    return {row[0]: SessionNode(*row) for row in rows}


def sessions(context: RequestContext) -> DataLoader[int, SessionNode | None]:
    """Sessions by rowid."""
    return _loader(context, _sessions, _none)


async def fetch_root_spans(context: RequestContext, keys: Sequence[int]) -> dict[int, SpanNode]:
    """The root span of each trace in ``keys`` (one statement; what ``root_spans`` batches)."""
    rows = await context.fetch(
        f"SELECT DISTINCT ON (s.trace_rowid) {SPAN_LIST_COLUMNS} FROM spans s "
        "JOIN traces t ON t.id = s.trace_rowid "
        "WHERE s.trace_rowid = ANY(:keys) AND s.parent_id IS NULL "
        "ORDER BY s.trace_rowid, s.start_time, s.id",
        {"keys": list(keys)},
    )
    nodes = [span_node(row) for row in rows]
    return {node.trace_rowid: node for node in nodes}


def root_spans(context: RequestContext) -> DataLoader[int, SpanNode | None]:
    """The root span of each trace, by trace rowid (the earliest, should there be several)."""
    return _loader(context, fetch_root_spans, _none)


async def _span_bodies(context: RequestContext, keys: Sequence[int]) -> dict[int, SpanBody]:
    rows = await context.fetch(
        "SELECT id, attributes, events FROM spans WHERE id = ANY(:keys)", {"keys": list(keys)}
    )
    return {row[0]: SpanBody(row[1], row[2]) for row in rows}


def span_bodies(context: RequestContext) -> DataLoader[int, SpanBody | None]:
    """Span attributes and events by span rowid."""
    return _loader(context, _span_bodies, _none)


async def fetch_trace_figures(
    context: RequestContext, keys: Sequence[int]
) -> dict[int, TraceFigures]:
    """Span count and cost of each trace in ``keys`` (what ``trace_figures`` batches)."""
    rows = await context.fetch(
        "SELECT trace_rowid, count(*), COALESCE(sum(llm_cost_total), 0) FROM spans "
        "WHERE trace_rowid = ANY(:keys) GROUP BY trace_rowid",
        {"keys": list(keys)},
    )
    return {row[0]: TraceFigures(row[1], row[2]) for row in rows}


def trace_figures(context: RequestContext) -> DataLoader[int, TraceFigures]:
    """Span count and cost of each trace, by trace rowid."""
    return _loader(context, fetch_trace_figures, lambda: TraceFigures(0, 0.0))


async def _trace_spans(context: RequestContext, keys: Sequence[int]) -> dict[int, list[SpanNode]]:
    rows = await context.fetch(
        f"SELECT {SPAN_TREE_COLUMNS} FROM ("
        "  SELECT *, row_number() OVER (PARTITION BY trace_rowid ORDER BY start_time, id) AS n"
        "  FROM spans WHERE trace_rowid = ANY(:keys)"
        ") s JOIN traces t ON t.id = s.trace_rowid WHERE s.n <= :most ORDER BY s.n",
        {"keys": list(keys), "most": MAX_TRACE_SPANS},
    )
    spans: dict[int, list[SpanNode]] = defaultdict(list)
    for row in rows:
        node = span_node(row)
        spans[node.trace_rowid].append(node)
    return spans


def trace_spans(context: RequestContext) -> DataLoader[int, list[SpanNode]]:
    """Each trace's spans in start order (without previews or bodies), by trace rowid."""
    return _loader(context, _trace_spans, list)


async def _session_figures(
    context: RequestContext, keys: Sequence[int]
) -> dict[int, SessionFigures]:
    rows = await context.fetch(
        "SELECT t.project_session_rowid, count(*), COALESCE(sum(r.tokens), 0),"
        "  COALESCE(sum(c.cost), 0) FROM traces t"
        " LEFT JOIN LATERAL (SELECT root.cumulative_llm_token_count_prompt"
        "  + root.cumulative_llm_token_count_completion AS tokens FROM spans root"
        "  WHERE root.trace_rowid = t.id AND root.parent_id IS NULL"
        "  ORDER BY root.start_time LIMIT 1) r ON TRUE"
        " LEFT JOIN LATERAL (SELECT sum(span.llm_cost_total) AS cost FROM spans span"
        "  WHERE span.trace_rowid = t.id) c ON TRUE"
        " WHERE t.project_session_rowid = ANY(:keys) GROUP BY 1",
        {"keys": list(keys)},
    )
    return {row[0]: SessionFigures(row[1], row[2], row[3]) for row in rows}


def session_figures(context: RequestContext) -> DataLoader[int, SessionFigures]:
    """Trace count, tokens and cost of each session, by session rowid."""
    return _loader(context, _session_figures, lambda: SessionFigures(0, 0, 0.0))


async def _session_turns(
    context: RequestContext, keys: Sequence[int]
) -> dict[int, list[SessionTurn]]:
    rows = await context.fetch(
        f"SELECT {TRACE_COLUMNS}, r.attributes #>> '{{input,value}}', "
        "  r.attributes #>> '{input,mime_type}', r.attributes #>> '{output,value}', "
        "  r.attributes #>> '{output,mime_type}' FROM ("
        "  SELECT *, row_number() OVER (PARTITION BY project_session_rowid"
        "    ORDER BY start_time, id) AS n FROM traces WHERE project_session_rowid = ANY(:keys)"
        ") t LEFT JOIN LATERAL (SELECT attributes FROM spans root"
        "  WHERE root.trace_rowid = t.id AND root.parent_id IS NULL"
        "  ORDER BY root.start_time LIMIT 1) r ON TRUE"
        " WHERE t.n <= :most ORDER BY t.n",
        {"keys": list(keys), "most": MAX_SESSION_TURNS},
    )
    turns: dict[int, list[SessionTurn]] = defaultdict(list)
    for row in rows:
        trace = trace_node(row)
        assert trace.project_session_rowid is not None
        turns[trace.project_session_rowid].append(
            SessionTurn(trace, io_value(row[6], row[7]), io_value(row[8], row[9]))
        )
    return turns


def session_turns(context: RequestContext) -> DataLoader[int, list[SessionTurn]]:
    """Each session's traces in start order with their root input and output."""
    return _loader(context, _session_turns, list)


def _annotation_fetch(type_name: str, table: str, target: str, extra: str = "") -> Fetch[Any]:
    async def fetch(context: RequestContext, keys: Sequence[int]) -> dict[int, list[Any]]:
        rows = await context.fetch(
            f"SELECT id, {target}, {ANNOTATION_COLUMNS}{extra} FROM {table} "
            f"WHERE {target} = ANY(:keys) ORDER BY created_at, id",
            {"keys": list(keys)},
        )
        found: dict[int, list[Any]] = defaultdict(list)
        for row in rows:
            found[row[1]].append(AnnotationNode(row[0], type_name, *row[1:]))
        return found

    fetch.__name__ = f"_{table}"
    return fetch


_span_annotations = _annotation_fetch("SpanAnnotation", "span_annotations", "span_rowid")
_trace_annotations = _annotation_fetch("TraceAnnotation", "trace_annotations", "trace_rowid")
_session_annotations = _annotation_fetch(
    "ProjectSessionAnnotation", "project_session_annotations", "project_session_id"
)
_document_annotations = _annotation_fetch(
    "DocumentAnnotation", "document_annotations", "span_rowid", ", document_position"
)


def span_annotations(context: RequestContext) -> DataLoader[int, list[AnnotationNode]]:
    """Annotations of each span, oldest first, by span rowid."""
    return _loader(context, _span_annotations, list)


def trace_annotations(context: RequestContext) -> DataLoader[int, list[AnnotationNode]]:
    """Annotations of each trace, oldest first, by trace rowid."""
    return _loader(context, _trace_annotations, list)


def session_annotations(context: RequestContext) -> DataLoader[int, list[AnnotationNode]]:
    """Annotations of each session, oldest first, by session rowid."""
    return _loader(context, _session_annotations, list)


def document_annotations(context: RequestContext) -> DataLoader[int, list[AnnotationNode]]:
    """Annotations of the documents of each span (with their positions), by span rowid."""
    return _loader(context, _document_annotations, list)
