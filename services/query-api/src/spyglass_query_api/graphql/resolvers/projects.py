"""``Project``: its id, figures and the lists of its traces, spans and sessions."""

from __future__ import annotations

from typing import Any

from ariadne import ObjectType

from spyglass_query_api.graphql import arguments
from spyglass_query_api.graphql.arguments import Sort, sort_of, window
from spyglass_query_api.graphql.context import Info, request_context
from spyglass_query_api.graphql.resolvers.metrics import project_stats, score_series, time_series
from spyglass_query_api.graphql.resolvers.sessions import list_sessions
from spyglass_query_api.graphql.resolvers.spans import list_spans
from spyglass_query_api.graphql.resolvers.traces import list_traces
from spyglass_query_api.queries.ids import global_id
from spyglass_query_api.queries.projects import ProjectNode

project = ObjectType("Project")


@project.field("id")
def resolve_id(node: ProjectNode, _: Any) -> str:
    """The project's GlobalID (the same as REST's)."""
    return global_id("Project", node.id)


@project.field("stats")
async def resolve_stats(
    node: ProjectNode, info: Info, time_range: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Figures over the traces that start in ``timeRange``."""
    return await project_stats(request_context(info), node.id, arguments.time_range(time_range))


@project.field("timeSeries")
async def resolve_time_series(
    node: ProjectNode, info: Info, time_range: dict[str, Any], interval: int
) -> list[dict[str, Any]]:
    """Trace figures in buckets of ``interval`` seconds."""
    return await time_series(
        request_context(info), node.id, arguments.time_range(time_range), interval
    )


@project.field("scoreSeries")
async def resolve_score_series(
    node: ProjectNode, info: Info, time_range: dict[str, Any], interval: int
) -> list[dict[str, Any]]:
    """Each annotation name's mean score in buckets of ``interval`` seconds."""
    return await score_series(
        request_context(info), node.id, arguments.time_range(time_range), interval
    )


@project.field("traces")
async def resolve_traces(
    node: ProjectNode,
    info: Info,
    time_range: dict[str, Any] | None = None,
    filter: str | None = None,
    sort: dict[str, Any] | None = None,
    first: int | None = None,
    after: str | None = None,
) -> dict[str, Any]:
    """A page of the project's traces."""
    period = arguments.time_range(time_range)
    page = window(first, after, sort_of(sort))
    return await list_traces(request_context(info), node.id, period, filter, page)


@project.field("spans")
async def resolve_spans(
    node: ProjectNode,
    info: Info,
    time_range: dict[str, Any] | None = None,
    filter: str | None = None,
    sort: dict[str, Any] | None = None,
    root_spans_only: bool | None = False,
    first: int | None = None,
    after: str | None = None,
) -> dict[str, Any]:
    """A page of the project's spans."""
    period = arguments.time_range(time_range)
    page = window(first, after, sort_of(sort))
    return await list_spans(
        request_context(info), node.id, period, filter, page, roots_only=bool(root_spans_only)
    )


@project.field("sessions")
async def resolve_sessions(
    node: ProjectNode,
    info: Info,
    time_range: dict[str, Any] | None = None,
    first: int | None = None,
    after: str | None = None,
) -> dict[str, Any]:
    """A page of the project's sessions, newest first."""
    page = window(first, after, Sort("startTime", descending=True))
    return await list_sessions(
        request_context(info), node.id, arguments.time_range(time_range), page
    )
