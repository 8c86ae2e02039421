"""``/v1/projects/{id}/spans`` (search) and ``/v1/spans/{id}`` (delete), in Phoenix's shapes.

Spans come newest first (by start time, then row id) with cursor pages; the cursor is the
GlobalID of the next page's first span, as in Phoenix. Filters combine with AND; a repeated
parameter (``span_kind=LLM&span_kind=TOOL``) matches any of its values. ``parent_id=null``
asks for root spans. ``attribute=key:value`` matches a dotted attribute key against a JSON value
(``metadata.tier:"gold"``, ``llm.token_count.total:42``); a value that isn't JSON is text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, TypeAlias

import orjson
from litestar import Controller, delete, get
from litestar.params import FromQuery, PathParameter, QueryParameter
from litestar.status_codes import HTTP_204_NO_CONTENT
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from spyglass_db.deletion import delete_spans
from spyglass_query_api.dependencies import Db
from spyglass_query_api.filters.attributes import attribute_containment, attribute_document
from spyglass_query_api.phoenix_attributes import dotted_attributes
from spyglass_query_api.queries.ids import global_id
from spyglass_query_api.queries.lookup import get_project, get_span
from spyglass_query_api.rest.errors import UnprocessableParameterError
from spyglass_query_api.rest.pagination import Page, page_of, page_request, time_range
from spyglass_query_api.span_pages import SpanPageQuery, read_span_page

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


def attribute_condition(raw: str, number: int) -> tuple[str, dict[str, object]]:
    """SQL and its parameters for one ``attribute=key:value`` filter.

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
    return attribute_containment("s", path, name), {name: attribute_document(path, value)}


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


SPAN_ROW_COLUMNS = (
    "s.id, s.name, t.trace_id, s.span_id, s.span_kind, s.parent_id, s.start_time, s.end_time, "
    "s.status_code, s.status_message, s.attributes, s.events"
)


async def search_span_rows(
    connection: AsyncConnection,
    project_identifier: str,
    cursor: str | None,
    limit: int | None,
    filters: SpanFilters,
) -> Page[Any]:
    """One page of a project's spans matching ``filters``, newest first by start time (rows
    with the span's columns and its ``trace_id``); shared by every endpoint that searches spans.

    Raises:
        NotFoundError: no such project.
        UnprocessableParameterError: a bad cursor, limit or attribute filter.
    """
    project = await get_project(connection, project_identifier)
    page = page_request(cursor, limit, "Span", default=100, maximum=MAX_SPANS_PER_PAGE)
    start_time, end_time = time_range(filters.start_time, filters.end_time)
    conditions = ["s.project_rowid = :project"]
    values: dict[str, object] = {"project": project.id}
    if page.start is not None:
        position = await connection.execute(
            text("SELECT start_time FROM spans WHERE id = :id AND project_rowid = :project"),
            {"id": page.start, "project": project.id},
        )
        cursor_start_time = position.scalar_one_or_none()
        if cursor_start_time is None:
            raise UnprocessableParameterError(
                "cursor", f"Invalid cursor: {cursor!r} names no span of this project"
            )
        # The first comparison alone bounds the index walk; the second breaks ties by row id.
        conditions.append("s.start_time <= :cursor_start_time")
        conditions.append("(s.start_time, s.id) <= (:cursor_start_time, :cursor_rowid)")
        values.update(cursor_start_time=cursor_start_time, cursor_rowid=page.start)
    if start_time is not None:
        conditions.append("s.start_time >= :start_time")
        values["start_time"] = start_time
    if end_time is not None:
        conditions.append("s.start_time < :end_time")
        values["end_time"] = end_time
    if filters.parent_id == "null":
        conditions.append("s.parent_id IS NULL")
    elif filters.parent_id:
        conditions.append("s.parent_id = :parent_id")
        values["parent_id"] = filters.parent_id
    if filters.trace_id:
        # resolved first, so that PostgreSQL reads the traces' spans by their index
        found = await connection.execute(
            text("SELECT id FROM traces WHERE trace_id = ANY(:trace_ids)"),
            {"trace_ids": list(filters.trace_id)},
        )
        conditions.append("s.trace_rowid = ANY(:trace_rowids)")
        values["trace_rowids"] = list(found.scalars())
    for column, wanted in (
        ("s.span_id", filters.span_id),
        ("s.name", filters.name),
        ("s.span_kind", filters.span_kind),
        ("s.status_code", [code.upper() for code in filters.status_code or []] or None),
    ):
        if wanted:
            key = column.replace(".", "_")
            conditions.append(f"{column} = ANY(:{key})")
            values[key] = list(wanted)
    attribute_filters = []
    for number, raw in enumerate(filters.attribute or []):
        condition, parameters = attribute_condition(raw, number)
        attribute_filters.append(condition)
        values.update(parameters)

    async def execute(sql: str, parameters: Mapping[str, object]) -> Sequence[Any]:
        return (await connection.execute(text(sql), parameters)).all()

    rows = await read_span_page(
        execute,
        SpanPageQuery(SPAN_ROW_COLUMNS, conditions, attribute_filters, values, page.fetch),
    )
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


def _span(row: Any) -> Span:
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
