"""The routes of a project's annotation lists and deletes (the queries are in annotation_lists)."""

from __future__ import annotations

from datetime import datetime

from litestar import Controller, delete, get
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromQuery
from litestar.status_codes import HTTP_204_NO_CONTENT

from spyglass_query_api.dependencies import Db
from spyglass_query_api.rest.annotation_lists import (
    SESSION_LISTING,
    SPAN_LISTING,
    TRACE_LISTING,
    DeleteFilters,
    Listing,
    NonEmpty,
    ProjectIdentifier,
    Repeated,
    SessionAnnotation,
    SessionAnnotationsResponseBody,
    SpanAnnotation,
    SpanAnnotationsResponseBody,
    TraceAnnotation,
    TraceAnnotationsResponseBody,
    delete_annotations,
    list_annotations,
)

_Limit = FromQuery[int]
_Moment = FromQuery[datetime | None]


def _delete_route(kind: str, listing: Listing) -> HTTPRouteHandler:
    """``DELETE /v1/projects/{id}/<kind>_annotations``: the three kinds take the same filters."""

    async def delete_matching(
        self: Controller,
        connection: Db,
        project_identifier: ProjectIdentifier,
        name: NonEmpty = None,
        identifier: NonEmpty = None,
        annotator_kind: FromQuery[str | None] = None,
        start_time: _Moment = None,
        end_time: _Moment = None,
        delete_all: FromQuery[bool] = False,
    ) -> None:
        filters = DeleteFilters(name, identifier, annotator_kind, start_time, end_time, delete_all)
        await delete_annotations(connection, listing, project_identifier, filters)

    # the name makes the operation id, the docstring the description
    delete_matching.__name__ = f"delete_{kind}_annotations"
    delete_matching.__doc__ = f"Delete the project's {kind} annotations that match every filter."
    return delete(
        f"/{kind}_annotations",
        summary=f"Delete {kind} annotations in a project that match the filter",
        status_code=HTTP_204_NO_CONTENT,
    )(delete_matching)


class ProjectAnnotationController(Controller):
    path = "/v1/projects/{project_identifier:str}"
    tags = ["annotations"]  # noqa: RUF012 (litestar declares it as an instance variable)

    @get("/span_annotations", summary="Get span annotations by span ids and/or identifier")
    async def list_span_annotations(
        self,
        connection: Db,
        project_identifier: ProjectIdentifier,
        span_ids: Repeated = None,
        identifier: Repeated = None,
        include_annotation_names: Repeated = None,
        exclude_annotation_names: Repeated = None,
        cursor: FromQuery[str | None] = None,
        limit: _Limit = 10,
    ) -> SpanAnnotationsResponseBody:
        """A project's span annotations, newest first, for the given spans and/or identifiers."""
        fields, next_cursor = await list_annotations(
            connection, SPAN_LISTING, project_identifier, span_ids, identifier,
            include_annotation_names, exclude_annotation_names, cursor, limit,
        )  # fmt: skip
        return SpanAnnotationsResponseBody(
            data=[SpanAnnotation(span_id=item.pop("target"), **item) for item in fields],
            next_cursor=next_cursor,
        )

    @get("/trace_annotations", summary="Get trace annotations by trace ids and/or identifier")
    async def list_trace_annotations(
        self,
        connection: Db,
        project_identifier: ProjectIdentifier,
        trace_ids: Repeated = None,
        identifier: Repeated = None,
        include_annotation_names: Repeated = None,
        exclude_annotation_names: Repeated = None,
        cursor: FromQuery[str | None] = None,
        limit: _Limit = 10,
    ) -> TraceAnnotationsResponseBody:
        """A project's trace annotations, newest first, for the given traces and/or identifiers."""
        fields, next_cursor = await list_annotations(
            connection, TRACE_LISTING, project_identifier, trace_ids, identifier,
            include_annotation_names, exclude_annotation_names, cursor, limit,
        )  # fmt: skip
        return TraceAnnotationsResponseBody(
            data=[TraceAnnotation(trace_id=item.pop("target"), **item) for item in fields],
            next_cursor=next_cursor,
        )

    @get("/session_annotations", summary="Get session annotations by session ids and/or identifier")
    async def list_session_annotations(
        self,
        connection: Db,
        project_identifier: ProjectIdentifier,
        session_ids: Repeated = None,
        identifier: Repeated = None,
        include_annotation_names: Repeated = None,
        exclude_annotation_names: Repeated = None,
        cursor: FromQuery[str | None] = None,
        limit: _Limit = 10,
    ) -> SessionAnnotationsResponseBody:
        """A project's session annotations, newest first, for the given sessions and/or
        identifiers."""
        fields, next_cursor = await list_annotations(
            connection, SESSION_LISTING, project_identifier, session_ids, identifier,
            include_annotation_names, exclude_annotation_names, cursor, limit,
        )  # fmt: skip
        return SessionAnnotationsResponseBody(
            data=[SessionAnnotation(session_id=item.pop("target"), **item) for item in fields],
            next_cursor=next_cursor,
        )

    delete_span_annotations = _delete_route("span", SPAN_LISTING)
    delete_trace_annotations = _delete_route("trace", TRACE_LISTING)
    delete_session_annotations = _delete_route("session", SESSION_LISTING)
