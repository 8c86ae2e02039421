"""``Session`` and its turns, and a project's session list (newest first)."""

from __future__ import annotations

from typing import Any

from ariadne import ObjectType

from spyglass_query_api.graphql import loaders
from spyglass_query_api.graphql.arguments import (
    TimeRange,
    Window,
    connection,
)
from spyglass_query_api.graphql.context import Info, RequestContext, request_context
from spyglass_query_api.graphql.resolvers.annotations import summaries
from spyglass_query_api.queries.annotations import AnnotationNode
from spyglass_query_api.queries.ids import global_id
from spyglass_query_api.queries.projects import ProjectNode
from spyglass_query_api.queries.sessions import SessionNode, SessionTurn, list_project_sessions

session = ObjectType("Session")


async def list_sessions(
    context: RequestContext, project_rowid: int, period: TimeRange, page: Window
) -> dict[str, Any]:
    """A page of a project's sessions that start in ``period``, newest first."""
    nodes = await context.read(
        list_project_sessions,
        project_rowid,
        page.keyset,
        by_start_time=True,
        start=period.start,
        end=period.end,
    )
    return connection(nodes, page, lambda node: node, lambda node: node.start_time)


@session.field("id")
def resolve_id(node: SessionNode, _: Any) -> str:
    """The session's GlobalID."""
    return global_id("ProjectSession", node.id)


@session.field("project")
async def resolve_project(node: SessionNode, info: Info) -> ProjectNode | None:
    """The session's project."""
    return await loaders.projects(request_context(info)).load(node.project_id)


@session.field("traceCount")
async def resolve_trace_count(node: SessionNode, info: Info) -> int:
    """How many traces the session has."""
    return (await loaders.session_figures(request_context(info)).load(node.id)).trace_count


@session.field("tokenCountTotal")
async def resolve_tokens(node: SessionNode, info: Info) -> int:
    """Tokens of all the session's traces."""
    return (await loaders.session_figures(request_context(info)).load(node.id)).token_count_total


@session.field("costTotal")
async def resolve_cost(node: SessionNode, info: Info) -> float:
    """USD of all the session's traces."""
    return (await loaders.session_figures(request_context(info)).load(node.id)).cost_total


@session.field("turns")
async def resolve_turns(node: SessionNode, info: Info) -> list[SessionTurn]:
    """The session's traces in start order with their root input and output."""
    return await loaders.session_turns(request_context(info)).load(node.id)


@session.field("annotations")
async def resolve_annotations(node: SessionNode, info: Info) -> list[AnnotationNode]:
    """The session's annotations, oldest first."""
    return await loaders.session_annotations(request_context(info)).load(node.id)


@session.field("annotationSummaries")
async def resolve_summaries(node: SessionNode, info: Info) -> list[dict[str, Any]]:
    """The session's annotations summed up by name."""
    return summaries(await loaders.session_annotations(request_context(info)).load(node.id))
