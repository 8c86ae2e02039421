"""The request's DataLoaders: each reads the rows of many keys with one statement.

``projects(context).load(rowid)`` and the like; a loader is made on first use and kept in the
request's context, so a key read once is not read again during the request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from spyglass_query_api.graphql.context import RequestContext
from spyglass_query_api.graphql.dataloader import DataLoader
from spyglass_query_api.queries import annotations as annotations_query
from spyglass_query_api.queries import projects as projects_query
from spyglass_query_api.queries import sessions as sessions_query
from spyglass_query_api.queries import spans as spans_query
from spyglass_query_api.queries import traces as traces_query
from spyglass_query_api.queries.annotations import AnnotationNode
from spyglass_query_api.queries.projects import ProjectNode
from spyglass_query_api.queries.sessions import SessionFigures, SessionNode, SessionTurn
from spyglass_query_api.queries.spans import SpanBody, SpanNode
from spyglass_query_api.queries.traces import TraceFigures, TraceNode

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
    return await context.read(projects_query.get_project_nodes, keys)


def projects(context: RequestContext) -> DataLoader[int, ProjectNode | None]:
    """Projects by rowid."""
    return _loader(context, _projects, _none)


async def _traces(context: RequestContext, keys: Sequence[int]) -> dict[int, TraceNode]:
    return await context.read(traces_query.get_trace_nodes, keys)


def traces(context: RequestContext) -> DataLoader[int, TraceNode | None]:
    """Traces by rowid."""
    return _loader(context, _traces, _none)


async def _sessions(context: RequestContext, keys: Sequence[int]) -> dict[int, SessionNode]:
    return await context.read(sessions_query.get_sessions, keys)


def sessions(context: RequestContext) -> DataLoader[int, SessionNode | None]:
    """Sessions by rowid."""
    return _loader(context, _sessions, _none)


async def fetch_root_spans(context: RequestContext, keys: Sequence[int]) -> dict[int, SpanNode]:
    """The root span of each trace in ``keys`` (one statement; what ``root_spans`` batches)."""
    return await context.read(traces_query.get_root_spans, keys)


def root_spans(context: RequestContext) -> DataLoader[int, SpanNode | None]:
    """The root span of each trace, by trace rowid (as ``queries/traces.py`` defines it)."""
    return _loader(context, fetch_root_spans, _none)


async def _span_bodies(context: RequestContext, keys: Sequence[int]) -> dict[int, SpanBody]:
    return await context.read(spans_query.get_span_bodies, keys)


def span_bodies(context: RequestContext) -> DataLoader[int, SpanBody | None]:
    """Span attributes and events by span rowid."""
    return _loader(context, _span_bodies, _none)


async def fetch_trace_figures(
    context: RequestContext, keys: Sequence[int]
) -> dict[int, TraceFigures]:
    """Span count and cost of each trace in ``keys`` (what ``trace_figures`` batches)."""
    return await context.read(traces_query.get_trace_figures, keys)


def trace_figures(context: RequestContext) -> DataLoader[int, TraceFigures]:
    """Span count and cost of each trace, by trace rowid."""
    return _loader(context, fetch_trace_figures, lambda: TraceFigures(0, 0.0))


async def _trace_spans(context: RequestContext, keys: Sequence[int]) -> dict[int, list[SpanNode]]:
    return await context.read(spans_query.list_trace_span_nodes, keys)


def trace_spans(context: RequestContext) -> DataLoader[int, list[SpanNode]]:
    """Each trace's spans in start order (without previews or bodies), by trace rowid."""
    return _loader(context, _trace_spans, list)


async def _session_figures(
    context: RequestContext, keys: Sequence[int]
) -> dict[int, SessionFigures]:
    return await context.read(sessions_query.get_session_figures, keys)


def session_figures(context: RequestContext) -> DataLoader[int, SessionFigures]:
    """Trace count, tokens and cost of each session, by session rowid."""
    return _loader(context, _session_figures, lambda: SessionFigures(0, 0, 0.0))


async def _session_turns(
    context: RequestContext, keys: Sequence[int]
) -> dict[int, list[SessionTurn]]:
    return await context.read(sessions_query.list_session_turns, keys)


def session_turns(context: RequestContext) -> DataLoader[int, list[SessionTurn]]:
    """Each session's traces in start order with their root input and output."""
    return _loader(context, _session_turns, list)


def _annotations(read: annotations_query.ReadAnnotations) -> Fetch[list[AnnotationNode]]:
    async def fetch(context: RequestContext, keys: Sequence[int]) -> dict[int, list[Any]]:
        return await context.read(read, keys)

    fetch.__name__ = read.__name__
    return fetch


_span_annotations = _annotations(annotations_query.list_span_annotations)
_trace_annotations = _annotations(annotations_query.list_trace_annotations)
_session_annotations = _annotations(annotations_query.list_session_annotations)
_document_annotations = _annotations(annotations_query.list_document_annotations)


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
