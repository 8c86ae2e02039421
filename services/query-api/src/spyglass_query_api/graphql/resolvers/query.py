"""The root fields: project lists and lookups by GlobalID or natural key.

A lookup by an id that names nothing (or a GlobalID of another type) answers null, as GraphQL
clients expect of a missing node; giving none or both of a lookup's arguments is an error.
"""

from __future__ import annotations

from typing import Any

from ariadne import QueryType

from spyglass_query_api.graphql import loaders
from spyglass_query_api.graphql.arguments import (
    Sort,
    connection,
    exactly_one,
    window,
)
from spyglass_query_api.graphql.context import Info, request_context
from spyglass_query_api.queries.ids import rowid_of
from spyglass_query_api.queries.projects import ProjectNode, find_project_node, list_projects
from spyglass_query_api.queries.sessions import SessionNode, find_session_node
from spyglass_query_api.queries.spans import SpanNode, find_span_node
from spyglass_query_api.queries.traces import TraceNode, find_trace_node

query = QueryType()


@query.field("projects")
async def resolve_projects(
    _: Any,
    info: Info,
    first: int | None = None,
    after: str | None = None,
    name_contains: str | None = None,
    include_experiment_projects: bool = False,
) -> dict[str, Any]:
    """Projects, newest first; experiments' projects only when asked for."""
    context = request_context(info)
    page = window(first, after, Sort("id", descending=True))
    nodes = await context.read(
        list_projects, page.keyset, name_contains, include_experiment_projects
    )
    return connection(nodes, page, lambda node: node, lambda node: node.id)


@query.field("project")
async def resolve_project(
    _: Any, info: Info, id: str | None = None, name: str | None = None
) -> ProjectNode | None:
    """A project by GlobalID or name; null if there is none."""
    context = request_context(info)
    argument, value = exactly_one(id=id, name=name)
    if argument == "id":
        rowid = rowid_of(value, "Project")
        return None if rowid is None else await loaders.projects(context).load(rowid)
    return await context.read(find_project_node, value)


@query.field("trace")
async def resolve_trace(
    _: Any, info: Info, id: str | None = None, trace_id: str | None = None
) -> TraceNode | None:
    """A trace by GlobalID or OpenTelemetry trace id; null if there is none."""
    context = request_context(info)
    argument, value = exactly_one(id=id, traceId=trace_id)
    if argument == "id":
        rowid = rowid_of(value, "Trace")
        return None if rowid is None else await loaders.traces(context).load(rowid)
    return await context.read(find_trace_node, value)


@query.field("span")
async def resolve_span(
    _: Any, info: Info, id: str | None = None, span_id: str | None = None
) -> SpanNode | None:
    """A span by GlobalID or OpenTelemetry span id; null if there is none."""
    context = request_context(info)
    argument, value = exactly_one(id=id, spanId=span_id)
    if argument == "id":
        rowid = rowid_of(value, "Span")
        return None if rowid is None else await context.read(find_span_node, rowid=rowid)
    return await context.read(find_span_node, span_id=value)


@query.field("session")
async def resolve_session(
    _: Any, info: Info, id: str | None = None, session_id: str | None = None
) -> SessionNode | None:
    """A session by GlobalID or ``session.id``; null if there is none."""
    context = request_context(info)
    argument, value = exactly_one(id=id, sessionId=session_id)
    if argument == "id":
        rowid = rowid_of(value, "ProjectSession")
        return None if rowid is None else await loaders.sessions(context).load(rowid)
    return await context.read(find_session_node, value)
