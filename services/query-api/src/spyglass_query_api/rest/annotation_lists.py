"""``GET|DELETE /v1/projects/{id}/{span,trace,session}_annotations``: a project's annotations.

Lists take the targets' client ids (``span_ids``, ``trace_ids``, ``session_ids``) and/or
annotation ``identifier``s, at least one of the two, and name filters; annotations come newest
first with cursor pages (10 a page by default, at most 10,000). Deletes need a bounded
``[start_time, end_time)`` window on ``created_at`` or ``delete_all=true``, as in Phoenix.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, TypeAlias

from litestar.params import PathParameter, QueryParameter
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection

from spyglass_core.errors import NotFoundError
from spyglass_db.models import ANNOTATOR_KINDS
from spyglass_query_api.queries.annotations import (
    PROJECT_SESSION_ANNOTATIONS,
    PROJECT_SPAN_ANNOTATIONS,
    PROJECT_TRACE_ANNOTATIONS,
    AnnotationDeletion,
    AnnotationSearch,
    ProjectAnnotationRow,
    ProjectAnnotations,
    delete_project_annotations,
    has_project_targets,
    list_project_annotations,
)
from spyglass_query_api.queries.ids import global_id
from spyglass_query_api.queries.lookup import get_project
from spyglass_query_api.rest.annotations import AnnotationResult
from spyglass_query_api.rest.errors import UnprocessableParameterError
from spyglass_query_api.rest.pagination import page_of, page_request

MAX_ANNOTATIONS_PER_PAGE = 10_000
MAX_TARGET_IDS = 1_000
MAX_IDENTIFIERS = 1_000

ProjectIdentifier: TypeAlias = Annotated[
    str,
    PathParameter(description="The project identifier: either project ID or project name."),
]
Repeated: TypeAlias = Annotated[list[str] | None, QueryParameter()]
NonEmpty: TypeAlias = Annotated[str | None, QueryParameter(min_length=1)]


class Annotation(BaseModel):
    id: str
    created_at: datetime
    updated_at: datetime
    source: str
    user_id: str | None
    name: str
    annotator_kind: str
    result: AnnotationResult | None
    metadata: dict[str, Any] | None
    identifier: str


class SpanAnnotation(Annotation):
    span_id: str


class TraceAnnotation(Annotation):
    trace_id: str


class SessionAnnotation(Annotation):
    session_id: str


class SpanAnnotationsResponseBody(BaseModel):
    data: list[SpanAnnotation]
    next_cursor: str | None


class TraceAnnotationsResponseBody(BaseModel):
    data: list[TraceAnnotation]
    next_cursor: str | None


class SessionAnnotationsResponseBody(BaseModel):
    data: list[SessionAnnotation]
    next_cursor: str | None


@dataclass(frozen=True)
class Listing:
    """One kind of annotation a project lists: its rows (``queries/annotations.py``), its
    GlobalID type and the query parameter that lists target ids."""

    annotations: ProjectAnnotations
    type_name: str
    parameter: str


SPAN_LISTING = Listing(PROJECT_SPAN_ANNOTATIONS, "SpanAnnotation", "span_ids")
TRACE_LISTING = Listing(PROJECT_TRACE_ANNOTATIONS, "TraceAnnotation", "trace_ids")
SESSION_LISTING = Listing(PROJECT_SESSION_ANNOTATIONS, "ProjectSessionAnnotation", "session_ids")


def _validated_filters(
    listing: Listing, targets: list[str] | None, identifiers: list[str] | None
) -> tuple[list[str], list[str]]:
    target_ids = list(dict.fromkeys(targets or []))
    if len(target_ids) > MAX_TARGET_IDS:
        raise UnprocessableParameterError(
            listing.parameter,
            f"Too many {listing.parameter} supplied: {len(target_ids)} (max {MAX_TARGET_IDS})",
        )
    wanted = list(dict.fromkeys(identifiers or []))
    if any(not identifier for identifier in wanted):
        raise UnprocessableParameterError("identifier", "identifier values must be non-empty")
    if len(wanted) > MAX_IDENTIFIERS:
        raise UnprocessableParameterError(
            "identifier",
            f"Too many identifiers supplied: {len(wanted)} (max {MAX_IDENTIFIERS})",
        )
    if not target_ids and not wanted:
        raise UnprocessableParameterError(
            listing.parameter, f"At least one of {listing.parameter} or identifier must be supplied"
        )
    return target_ids, wanted


async def list_annotations(
    connection: AsyncConnection,
    listing: Listing,
    project_identifier: str,
    targets: list[str] | None,
    identifiers: list[str] | None,
    include_names: list[str] | None,
    exclude_names: list[str] | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of a project's annotations of one kind, as response fields, and the next cursor.

    Raises:
        UnprocessableParameterError: bad filters, cursor or limit.
        NotFoundError: no such project, or none of the given targets is in it.
    """
    target_ids, wanted = _validated_filters(listing, targets, identifiers)
    page = page_request(
        cursor, limit, listing.type_name, default=10, maximum=MAX_ANNOTATIONS_PER_PAGE
    )
    project = await get_project(connection, project_identifier)
    search = AnnotationSearch(target_ids, wanted, include_names or (), exclude_names or ())
    rows = await list_project_annotations(
        connection, listing.annotations, project.id, search, fetch=page.fetch, start=page.start
    )
    missing = not rows and target_ids and not wanted
    if missing and not await has_project_targets(
        connection, listing.annotations, project.id, target_ids
    ):
        raise NotFoundError(f"None of the supplied {listing.parameter} exist in this project")
    cut = page_of(rows, page, listing.type_name)
    return [_fields(listing, row) for row in cut.rows], cut.next_cursor


def _fields(listing: Listing, row: ProjectAnnotationRow) -> dict[str, Any]:
    return {
        "id": global_id(listing.type_name, row.id),
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "source": row.source,
        "user_id": global_id("User", row.user_id) if row.user_id else None,
        "name": row.name,
        "annotator_kind": row.annotator_kind,
        "result": AnnotationResult(label=row.label, score=row.score, explanation=row.explanation),
        "metadata": row.metadata,
        "identifier": row.identifier,
        "target": row.target,
    }


@dataclass(frozen=True)
class DeleteFilters:
    """What a delete narrows to; every given filter must match."""

    name: str | None = None
    identifier: str | None = None
    annotator_kind: str | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    delete_all: bool = False


def _utc(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


async def delete_annotations(
    connection: AsyncConnection,
    listing: Listing,
    project_identifier: str,
    filters: DeleteFilters,
) -> int:
    """Delete a project's annotations of one kind that match ``filters``; return how many.

    Raises:
        UnprocessableParameterError: an unbounded delete without ``delete_all``, an empty or
            reversed time window, or an unknown annotator kind.
        NotFoundError: no such project.
    """
    start, end = _utc(filters.start_time), _utc(filters.end_time)
    if not filters.delete_all and (start is None or end is None):
        raise UnprocessableParameterError(
            "delete_all",
            "Delete is unbounded. Set delete_all=true to acknowledge, or supply both "
            "start_time and end_time to bound the time range.",
        )
    if start is not None and end is not None and start >= end:
        raise UnprocessableParameterError(
            "start_time", "`start_time` must be strictly earlier than `end_time`."
        )
    kind = filters.annotator_kind
    if kind is not None and kind not in ANNOTATOR_KINDS:
        raise UnprocessableParameterError(
            "annotator_kind", f"annotator_kind must be one of LLM, CODE, HUMAN; got {kind!r}"
        )
    project = await get_project(connection, project_identifier)
    deletion = AnnotationDeletion(filters.name, filters.identifier, kind, start, end)
    return await delete_project_annotations(connection, listing.annotations, project.id, deletion)
