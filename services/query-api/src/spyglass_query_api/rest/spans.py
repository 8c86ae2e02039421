"""``/v1/projects/{id}/spans`` (search) and ``/v1/spans/{id}`` (delete), in Phoenix's shapes.

Spans come newest first (by start time, then row id) with cursor pages; the cursor is the
GlobalID of the next page's first span, as in Phoenix. Filters combine with AND; a repeated
parameter (``span_kind=LLM&span_kind=TOOL``) matches any of its values. ``parent_id=null``
asks for root spans. ``attribute=key:value`` matches a dotted attribute key against a JSON value
(``metadata.tier:"gold"``, ``llm.token_count.total:42``); a value that isn't JSON is text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, TypeAlias

import orjson
from litestar import Controller, delete, get
from litestar.params import FromQuery, PathParameter, QueryParameter
from litestar.status_codes import HTTP_204_NO_CONTENT
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection

from spyglass_db.deletion import delete_spans
from spyglass_db.filters import SqlCondition
from spyglass_db.filters.attributes import attribute_containment, attribute_document
from spyglass_query_api.dependencies import Db
from spyglass_query_api.phoenix_attributes import dotted_attributes
from spyglass_query_api.queries.ids import global_id
from spyglass_query_api.queries.lookup import get_project, get_span
from spyglass_query_api.queries.spans import (
    SpanRecord,
    SpanSearch,
    get_span_start_time,
    list_span_records,
)
from spyglass_query_api.queries.traces import list_trace_rowids
from spyglass_query_api.rest.errors import UnprocessableParameterError
from spyglass_query_api.rest.pagination import Page, page_of, page_request, time_range

MAX_SPANS_PER_PAGE = 1000

Repeated: TypeAlias = Annotated[list[str] | None, QueryParameter()]


class SpanContext(BaseModel):
    trace_id: str
    span_id: str


class SpanEvent(BaseModel):
    name: str
    timestamp: str
    attributes: dict[str, Any] = {}


class Span(BaseModel):
    id: str
    name: str
    context: SpanContext
    span_kind: str
    parent_id: str | None
    start_time: datetime
    end_time: datetime
    status_code: str
    status_message: str
    attributes: dict[str, Any]
    events: list[SpanEvent]


class SpansPage(BaseModel):
    data: list[Span]
    next_cursor: str | None


def flat_attributes(nested: dict[str, Any]) -> dict[str, Any]:
    """Dotted keys, as Phoenix returns them (``phoenix_attributes.dotted_attributes``), without
    ``openinference.span.kind`` (the span's ``span_kind`` says it)."""
    flat = dotted_attributes(nested)
    flat.pop("openinference.span.kind", None)
    return flat


def attribute_condition(raw: str, number: int) -> SqlCondition:
    """The condition of one ``attribute=key:value`` filter.

    Raises:
        UnprocessableParameterError: no ``:``, or an empty key.
    """
    key, separator, value_text = raw.partition(":")
    if not separator or not key.strip():
        raise UnprocessableParameterError(
            "attribute", f'attribute filters are key:value, e.g. metadata.tier:"gold"; got {raw!r}'
        )
    try:
        value = orjson.loads(value_text)
    except orjson.JSONDecodeError:
        value = value_text
    path = tuple(key.strip().split("."))
    name = f"attribute_{number}"
    return SqlCondition(
        attribute_containment("s", path, name), {name: attribute_document(path, value)}
    )


@dataclass(frozen=True)
class SpanFilters:
    """The filters of a span search; each repeated one matches any of its values."""

    start_time: datetime | None = None
    end_time: datetime | None = None
    trace_id: list[str] | None = None
    span_id: list[str] | None = None
    parent_id: str | None = None
    name: list[str] | None = None
    span_kind: list[str] | None = None
    status_code: list[str] | None = None
    attribute: list[str] | None = None


async def search_span_rows(
    connection: AsyncConnection,
    project_identifier: str,
    cursor: str | None,
    limit: int | None,
    filters: SpanFilters,
) -> Page[SpanRecord]:
    """One page of a project's spans matching ``filters``, newest first by start time; shared
    by every endpoint that searches spans.

    Raises:
        NotFoundError: no such project.
        UnprocessableParameterError: a bad cursor, limit or attribute filter.
    """
    project = await get_project(connection, project_identifier)
    page = page_request(cursor, limit, "Span", default=100, maximum=MAX_SPANS_PER_PAGE)
    start_time, end_time = time_range(filters.start_time, filters.end_time)
    at = None
    if page.start is not None:
        cursor_start_time = await get_span_start_time(connection, project.id, page.start)
        if cursor_start_time is None:
            raise UnprocessableParameterError(
                "cursor", f"Invalid cursor: {cursor!r} names no span of this project"
            )
        at = (cursor_start_time, page.start)
    # resolved first, so that PostgreSQL reads the traces' spans by their index
    trace_rowids = (
        await list_trace_rowids(connection, filters.trace_id) if filters.trace_id else None
    )
    attribute_filters = [
        attribute_condition(raw, number) for number, raw in enumerate(filters.attribute or [])
    ]
    search = SpanSearch(
        start=start_time,
        end=end_time,
        at=at,
        roots_only=filters.parent_id == "null",
        parent_id=filters.parent_id,
        trace_rowids=trace_rowids,
        span_ids=filters.span_id or (),
        names=filters.name or (),
        span_kinds=filters.span_kind or (),
        status_codes=[code.upper() for code in filters.status_code or []],
        filters=attribute_filters,
    )
    rows = await list_span_records(connection, project.id, search, page.fetch)
    return page_of(rows, page, "Span")


class SpanController(Controller):
    path = "/v1"
    tags = ["spans"]  # noqa: RUF012 (litestar declares it as an instance variable)

    @get("/projects/{project_identifier:str}/spans", summary="Search spans")
    async def search_spans(
        self,
        connection: Db,
        project_identifier: Annotated[str, PathParameter()],
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[int] = 100,
        start_time: FromQuery[datetime | None] = None,
        end_time: FromQuery[datetime | None] = None,
        trace_id: Repeated = None,
        span_id: Repeated = None,
        parent_id: FromQuery[str | None] = None,
        name: Repeated = None,
        span_kind: Repeated = None,
        status_code: Repeated = None,
        attribute: Repeated = None,
    ) -> SpansPage:
        """Spans of a project, newest first, with Phoenix's filters."""
        filters = SpanFilters(
            start_time, end_time, trace_id, span_id, parent_id, name, span_kind, status_code,
            attribute,
        )  # fmt: skip
        cut = await search_span_rows(connection, project_identifier, cursor, limit, filters)
        return SpansPage(data=[_span(row) for row in cut.rows], next_cursor=cut.next_cursor)

    @delete(
        "/spans/{span_identifier:str}", summary="Delete a span", status_code=HTTP_204_NO_CONTENT
    )
    async def delete_span(
        self, connection: Db, span_identifier: Annotated[str, PathParameter()]
    ) -> None:
        """Delete one span (by GlobalID or OTel span id); its children stay."""
        span = await get_span(connection, span_identifier)
        await delete_spans(connection, [(span.id, span.start_time)])


def _span(row: SpanRecord) -> Span:
    return Span(
        id=global_id("Span", row.id),
        name=row.name,
        context=SpanContext(trace_id=row.trace_id, span_id=row.span_id),
        span_kind=row.span_kind,
        parent_id=row.parent_id,
        start_time=row.start_time,
        end_time=row.end_time,
        status_code=row.status_code,
        status_message=row.status_message,
        attributes=flat_attributes(row.attributes),
        events=[
            SpanEvent(
                name=event.get("name", ""),
                timestamp=str(event.get("timestamp", "")),
                attributes=event.get("attributes") or {},
            )
            for event in row.events
        ],
    )
