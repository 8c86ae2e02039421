"""``Trace`` (figures from its root span and its spans) and a project's trace list.

A trace's tokens and errors are its root span's cumulative counts; its cost is the sum over its
spans. The trace list's ``filter`` is applied to each trace's root span, as the UI's traces
table (a table of root spans) expects.
"""

from __future__ import annotations

from typing import Any

from ariadne import ObjectType

from spyglass_query_api.graphql import loaders
from spyglass_query_api.graphql.arguments import (
    TimeRange,
    Window,
    connection,
    keyset_condition,
    order_by,
    span_filter,
)
from spyglass_query_api.graphql.context import Info, RequestContext, request_context
from spyglass_query_api.graphql.resolvers.annotations import summaries
from spyglass_query_api.graphql.rows import (
    TRACE_COLUMNS,
    AnnotationNode,
    ProjectNode,
    SessionNode,
    SpanNode,
    TraceNode,
    trace_node,
)
from spyglass_query_api.rest.ids import global_id

trace = ObjectType("Trace")

ROOT_SPAN_JOIN = (
    "LEFT JOIN LATERAL (SELECT * FROM spans root WHERE root.trace_rowid = t.id "
    "AND root.parent_id IS NULL ORDER BY root.start_time LIMIT 1) s ON TRUE"
)
"""The root span of trace ``t`` as ``s`` (for filters and token sorts)."""

TRACE_SORT_SQL = {
    "startTime": "t.start_time",
    "latencyMs": "CAST(EXTRACT(EPOCH FROM t.end_time - t.start_time) * 1000 AS double precision)",
    "tokens": (
        "COALESCE(s.cumulative_llm_token_count_prompt + s.cumulative_llm_token_count_completion, 0)"
    ),
    "cost": ("COALESCE((SELECT sum(c.llm_cost_total) FROM spans c WHERE c.trace_rowid = t.id), 0)"),
}
"""The SQL of each ``SpanSortColumn`` over the trace ``t`` and its root span ``s``."""


async def list_traces(
    context: RequestContext,
    project_rowid: int,
    period: TimeRange,
    expression: str | None,
    page: Window,
) -> dict[str, Any]:
    """A page of a project's traces that start in ``period`` and whose root matches."""
    sort_sql = TRACE_SORT_SQL[page.sort.column]
    condition = span_filter(expression)
    keyset, values = keyset_condition(page, sort_sql, "t.id")
    conditions = ["t.project_rowid = :project", keyset, f"({condition.sql})"]
    if period.start is not None:
        conditions.append("t.start_time >= :start")
        values["start"] = period.start
    if period.end is not None:
        conditions.append("t.start_time < :end")
        values["end"] = period.end
    needs_root = condition.sql != "TRUE" or page.sort.column == "tokens"
    rows = await context.fetch(
        f"SELECT {TRACE_COLUMNS}, {sort_sql} FROM traces t "
        f"{ROOT_SPAN_JOIN if needs_root else ''} WHERE {' AND '.join(conditions)} "
        f"{order_by(page, sort_sql, 't.id')} LIMIT :fetch",
        {**values, **condition.parameters, "project": project_rowid, "fetch": page.fetch},
    )
    return connection(rows, page, trace_node, lambda row: row[-1])


async def _root(node: TraceNode, info: Info) -> SpanNode | None:
    return await loaders.root_spans(request_context(info)).load(node.id)


@trace.field("id")
def resolve_id(node: TraceNode, _: Any) -> str:
    """The trace's GlobalID."""
    return global_id("Trace", node.id)


@trace.field("latencyMs")
def resolve_latency(node: TraceNode, _: Any) -> float:
    """Milliseconds from the first span's start to the last span's end."""
    return (node.end_time - node.start_time).total_seconds() * 1000


@trace.field("project")
async def resolve_project(node: TraceNode, info: Info) -> ProjectNode | None:
    """The trace's project."""
    return await loaders.projects(request_context(info)).load(node.project_rowid)


@trace.field("rootSpan")
async def resolve_root_span(node: TraceNode, info: Info) -> SpanNode | None:
    """The root span, with previews of its input and output."""
    return await _root(node, info)


@trace.field("statusCode")
async def resolve_status(node: TraceNode, info: Info) -> str:
    """ERROR if any span failed, else the root span's status."""
    root = await _root(node, info)
    if root is None:
        return "UNSET"
    return "ERROR" if root.cumulative_error_count > 0 else root.status_code


@trace.field("errorCount")
async def resolve_error_count(node: TraceNode, info: Info) -> int:
    """Spans with status ERROR (as far as the root span has counted them)."""
    root = await _root(node, info)
    return 0 if root is None else root.cumulative_error_count


@trace.field("tokenCountPrompt")
async def resolve_tokens_prompt(node: TraceNode, info: Info) -> int:
    """Prompt tokens of the whole trace."""
    root = await _root(node, info)
    return 0 if root is None else root.cumulative_llm_token_count_prompt


@trace.field("tokenCountCompletion")
async def resolve_tokens_completion(node: TraceNode, info: Info) -> int:
    """Completion tokens of the whole trace."""
    root = await _root(node, info)
    return 0 if root is None else root.cumulative_llm_token_count_completion


@trace.field("tokenCountTotal")
async def resolve_tokens_total(node: TraceNode, info: Info) -> int:
    """Tokens of the whole trace."""
    root = await _root(node, info)
    if root is None:
        return 0
    return root.cumulative_llm_token_count_prompt + root.cumulative_llm_token_count_completion


@trace.field("costTotal")
async def resolve_cost(node: TraceNode, info: Info) -> float:
    """USD of all the trace's spans."""
    return (await loaders.trace_figures(request_context(info)).load(node.id)).cost_total


@trace.field("spanCount")
async def resolve_span_count(node: TraceNode, info: Info) -> int:
    """How many spans the trace has."""
    return (await loaders.trace_figures(request_context(info)).load(node.id)).span_count


@trace.field("spans")
async def resolve_spans(node: TraceNode, info: Info) -> list[SpanNode]:
    """The trace's spans in start order, without their bodies (they load on demand)."""
    return await loaders.trace_spans(request_context(info)).load(node.id)


@trace.field("session")
async def resolve_session(node: TraceNode, info: Info) -> SessionNode | None:
    """The session the trace belongs to, if any."""
    if node.project_session_rowid is None:
        return None
    return await loaders.sessions(request_context(info)).load(node.project_session_rowid)


@trace.field("annotations")
async def resolve_annotations(node: TraceNode, info: Info) -> list[AnnotationNode]:
    """The trace's annotations, oldest first."""
    return await loaders.trace_annotations(request_context(info)).load(node.id)


@trace.field("annotationSummaries")
async def resolve_summaries(node: TraceNode, info: Info) -> list[dict[str, Any]]:
    """The trace's annotations summed up by name."""
    return summaries(await loaders.trace_annotations(request_context(info)).load(node.id))
