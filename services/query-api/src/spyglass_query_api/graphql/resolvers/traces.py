"""``Trace`` (figures from its root span and its spans) and a project's trace list.

A trace's root span, tokens, errors and cost are defined in ``queries/traces.py`` (the root is
the earliest-starting span without a parent), so the UI shows what ``/v1`` answers. The trace
list's ``filter`` is applied to each trace's root span, as the UI's traces table (a table of
root spans) expects.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, TypeVar, cast

from ariadne import ObjectType

from spyglass_query_api.graphql import loaders, outline
from spyglass_query_api.graphql.arguments import TimeRange, Window, connection, span_filter
from spyglass_query_api.graphql.context import Info, RequestContext, request_context
from spyglass_query_api.graphql.resolvers.annotations import summaries
from spyglass_query_api.queries.annotations import AnnotationNode
from spyglass_query_api.queries.ids import global_id
from spyglass_query_api.queries.pages import Sorted
from spyglass_query_api.queries.projects import ProjectNode
from spyglass_query_api.queries.sessions import SessionNode
from spyglass_query_api.queries.spans import SpanNode, SpanSortColumn
from spyglass_query_api.queries.traces import TraceFigures, TraceNode, list_trace_nodes

trace = ObjectType("Trace")


async def list_traces(
    context: RequestContext,
    project_rowid: int,
    period: TimeRange,
    expression: str | None,
    page: Window,
) -> dict[str, Any]:
    """A page of a project's traces that start in ``period`` and whose root matches."""
    rows = await context.read(
        list_trace_nodes,
        project_rowid,
        span_filter(expression),
        page.keyset,
        sort=cast(SpanSortColumn, page.sort.column),  # the schema's enum
        start=period.start,
        end=period.end,
    )
    rowids = [row.id for row in rows[: page.first]]
    roots = await loaders.fetch_root_spans(context, rowids) if rowids else {}
    figures = await loaders.fetch_trace_figures(context, rowids) if rowids else {}

    def node(row: Sorted[TraceNode]) -> TraceNode:
        return replace(
            row.node,
            root=roots.get(row.id),
            figures=figures.get(row.id, TraceFigures(0, 0.0)),
            prefetched=True,
        )

    return connection(rows, page, node, lambda row: row.value)


Resolved = TypeVar("Resolved")
Loaded = TypeVar("Loaded")


def _from_root(
    node: TraceNode, info: Info, pick: Callable[[SpanNode | None], Resolved]
) -> Resolved | Awaitable[Resolved]:
    """``pick(root span)``: at once when the list read it, else through the loader."""
    if node.prefetched:
        return pick(node.root)
    return _after(loaders.root_spans(request_context(info)).load(node.id), pick)


def _from_figures(
    node: TraceNode, info: Info, pick: Callable[[TraceFigures], Resolved]
) -> Resolved | Awaitable[Resolved]:
    """``pick(figures)``: at once when the list read them, else through the loader."""
    if node.prefetched and node.figures is not None:
        return pick(node.figures)
    return _after(loaders.trace_figures(request_context(info)).load(node.id), pick)


async def _after(value: Awaitable[Loaded], pick: Callable[[Loaded], Resolved]) -> Resolved:
    return pick(await value)


def _status(root: SpanNode | None) -> str:
    if root is None:
        return "UNSET"
    return "ERROR" if root.cumulative_error_count > 0 else root.status_code


def _tokens_total(root: SpanNode | None) -> int:
    if root is None:
        return 0
    return root.cumulative_llm_token_count_prompt + root.cumulative_llm_token_count_completion


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
def resolve_root_span(node: TraceNode, info: Info) -> Any:
    """The root span, with previews of its input and output."""
    return _from_root(node, info, lambda root: root)


@trace.field("statusCode")
def resolve_status(node: TraceNode, info: Info) -> Any:
    """ERROR if any span failed, else the root span's status."""
    return _from_root(node, info, _status)


@trace.field("errorCount")
def resolve_error_count(node: TraceNode, info: Info) -> Any:
    """Spans with status ERROR (as far as the root span has counted them)."""
    return _from_root(node, info, lambda root: 0 if root is None else root.cumulative_error_count)


@trace.field("tokenCountPrompt")
def resolve_tokens_prompt(node: TraceNode, info: Info) -> Any:
    """Prompt tokens of the whole trace."""
    return _from_root(
        node, info, lambda root: 0 if root is None else root.cumulative_llm_token_count_prompt
    )


@trace.field("tokenCountCompletion")
def resolve_tokens_completion(node: TraceNode, info: Info) -> Any:
    """Completion tokens of the whole trace."""
    return _from_root(
        node, info, lambda root: 0 if root is None else root.cumulative_llm_token_count_completion
    )


@trace.field("tokenCountTotal")
def resolve_tokens_total(node: TraceNode, info: Info) -> Any:
    """Tokens of the whole trace."""
    return _from_root(node, info, _tokens_total)


@trace.field("costTotal")
def resolve_cost(node: TraceNode, info: Info) -> Any:
    """USD of all the trace's spans."""
    return _from_figures(node, info, lambda figures: figures.cost_total)


@trace.field("spanCount")
def resolve_span_count(node: TraceNode, info: Info) -> Any:
    """How many spans the trace has."""
    return _from_figures(node, info, lambda figures: figures.span_count)


@trace.field("spans")
async def resolve_spans(node: TraceNode, info: Info) -> list[SpanNode]:
    """The trace's spans in start order, without their bodies (they load on demand)."""
    return await loaders.trace_spans(request_context(info)).load(node.id)


@trace.field("outline")
async def resolve_outline(node: TraceNode, info: Info) -> dict[str, Any]:
    """The trace's spans as rows of ``outline.OUTLINE_COLUMNS``, in start order."""
    found = await outline.trace_outlines(request_context(info)).load(node.id)
    return (found or outline.TraceOutline(node.start_time, [], truncated=False)).value()


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
