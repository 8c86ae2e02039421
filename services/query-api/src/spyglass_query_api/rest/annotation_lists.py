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
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from spyglass_core.errors import NotFoundError
from spyglass_db.models import ANNOTATOR_KINDS
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
    """Where one kind of annotation lives and how it reaches its target and project."""

    table: str
    type_name: str
    target_table: str
    join_condition: str
    """Matches the annotation ``a`` with its target ``t``."""
    project_column: str
    target_column: str
    parameter: str
    """The query parameter that lists target ids."""


SPAN_LISTING = Listing(
    "span_annotations", "SpanAnnotation", "spans",
    "t.id = a.span_rowid AND t.start_time = a.span_start_time",
    "t.project_rowid", "t.span_id", "span_ids",
)  # fmt: skip
TRACE_LISTING = Listing(
    "trace_annotations", "TraceAnnotation", "traces", "t.id = a.trace_rowid",
    "t.project_rowid", "t.trace_id", "trace_ids",
)  # fmt: skip
SESSION_LISTING = Listing(
    "project_session_annotations", "ProjectSessionAnnotation", "project_sessions",
    "t.id = a.project_session_id", "t.project_id", "t.session_id", "session_ids",
)  # fmt: skip


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
    conditions = [f"{listing.project_column} = :project"]
    values: dict[str, object] = {"project": project.id, "fetch": page.fetch}
    for condition, key, value in (
        (f"{listing.target_column} = ANY(:targets)", "targets", target_ids),
        ("a.identifier = ANY(:identifiers)", "identifiers", wanted),
        ("a.name = ANY(:include)", "include", include_names),
        ("a.name <> ALL(:exclude)", "exclude", exclude_names),
    ):
        if value:
            conditions.append(condition)
            values[key] = list(value)
    if page.start is not None:
        conditions.append("a.id <= :start")
        values["start"] = page.start
    result = await connection.execute(
        text(
            f"SELECT a.id, {listing.target_column} AS target, a.name, a.label, a.score, "
            "a.explanation, a.metadata, a.annotator_kind, a.identifier, a.source, a.user_id, "
            f"a.created_at, a.updated_at FROM {listing.table} a JOIN {listing.target_table} t "
            f"ON {listing.join_condition} "
            f"WHERE {' AND '.join(conditions)} ORDER BY a.id DESC LIMIT :fetch"
        ),
        values,
    )
    rows = result.all()
    if not rows and target_ids and not wanted:
        await _require_some_target(connection, listing, project.id, target_ids)
    cut = page_of(rows, page, listing.type_name)
    return [_fields(listing, row) for row in cut.rows], cut.next_cursor


async def _require_some_target(
    connection: AsyncConnection, listing: Listing, project_id: int, target_ids: list[str]
) -> None:
    found = await connection.execute(
        text(
            f"SELECT 1 FROM {listing.target_table} t WHERE {listing.project_column} = :project "
            f"AND {listing.target_column} = ANY(:targets) LIMIT 1"
        ),
        {"project": project_id, "targets": target_ids},
    )
    if found.first() is None:
        raise NotFoundError(f"None of the supplied {listing.parameter} exist in this project")


def _fields(listing: Listing, row: Any) -> dict[str, Any]:
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
    conditions = [f"{listing.project_column} = :project", listing.join_condition]
    values: dict[str, object] = {"project": project.id}
    for condition, key, value in (
        ("a.name = :name", "name", filters.name),
        ("a.identifier = :identifier", "identifier", filters.identifier),
        ("a.annotator_kind = :kind", "kind", kind),
        ("a.created_at >= :start", "start", start),
        ("a.created_at < :end", "end", end),
    ):
        if value is not None:
            conditions.append(condition)
            values[key] = value
    deleted = await connection.execute(
        text(
            f"DELETE FROM {listing.table} a USING {listing.target_table} t "
            f"WHERE {' AND '.join(conditions)}"
        ),
        values,
    )
    return deleted.rowcount
