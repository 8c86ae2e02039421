"""``GET /v1/projects/{id}/spans/otlpv1``: the span search, answered as OTLP/JSON-shaped spans.

The search is :func:`spyglass_query_api.rest.spans.search_span_rows` (the same filters, order and
cursor pages as ``GET /v1/projects/{id}/spans``). Each span is shaped as OTLP/JSON: ids in hex as
they are stored, times in Unix nanoseconds, attributes as flat ``{key, value: AnyValue}`` pairs
dotted as ``GET .../spans`` dots them (``metadata.tier``, ``llm.input_messages.0.message.role``),
status codes as numbers.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, get
from litestar.params import FromQuery, PathParameter
from pydantic import BaseModel

from spyglass_query_api.dependencies import Db
from spyglass_query_api.phoenix_attributes import dotted_attributes
from spyglass_query_api.rest.spans import Repeated, SpanFilters, search_span_rows

_STATUS_CODES = {"UNSET": 0, "OK": 1, "ERROR": 2}


class OtlpArrayValue(BaseModel):
    values: list[OtlpAnyValue] | None = None


class OtlpAnyValue(BaseModel):
    array_value: OtlpArrayValue | None = None
    bool_value: bool | None = None
    bytes_value: str | None = None
    double_value: float | str | None = None
    int_value: int | None = None
    kvlist_value: None = None
    string_value: str | None = None


class OtlpKeyValue(BaseModel):
    key: str | None = None
    value: OtlpAnyValue | None = None


class OtlpEvent(BaseModel):
    attributes: list[OtlpKeyValue] | None = None
    dropped_attributes_count: int | None = None
    name: str | None = None
    time_unix_nano: int | None = None


class OtlpStatus(BaseModel):
    code: int | None = None
    message: str | None = None


class OtlpSpan(BaseModel):
    attributes: list[OtlpKeyValue] | None = None
    dropped_attributes_count: int | None = None
    dropped_events_count: int | None = None
    dropped_links_count: int | None = None
    end_time_unix_nano: int | None = None
    events: list[OtlpEvent] | None = None
    flags: int | None = None
    kind: str | None = "SPAN_KIND_INTERNAL"
    links: None = None
    name: str | None = None
    parent_span_id: str | None = None
    span_id: str | None = None
    start_time_unix_nano: int | None = None
    status: OtlpStatus | None = None
    trace_id: str | None = None
    trace_state: str | None = None


OtlpArrayValue.model_rebuild()


class OtlpSpansPage(BaseModel):
    data: list[OtlpSpan]
    next_cursor: str | None


def any_value(value: Any) -> OtlpAnyValue:
    """An attribute value as OTLP's ``AnyValue``, as Phoenix answers it: an object (which dotted
    keys never leave) is an empty value, a list an array (:func:`array_value`)."""
    if value is None or isinstance(value, dict):
        return OtlpAnyValue()
    if isinstance(value, bool):
        return OtlpAnyValue(bool_value=value)
    if isinstance(value, int):
        return OtlpAnyValue(int_value=value)
    if isinstance(value, float):
        return OtlpAnyValue(double_value=value if math.isfinite(value) else str(value))
    if isinstance(value, str):
        return OtlpAnyValue(string_value=value)
    if isinstance(value, list):
        return OtlpAnyValue(array_value=array_value(value))
    return OtlpAnyValue(string_value=str(value))


def array_value(values: list[Any]) -> OtlpArrayValue:
    """A list as OTLP's ``ArrayValue``, as Phoenix answers it: arrays don't nest (an inner list
    is its Python text) and hold one type (else every item is its Python text)."""
    items = [str(item) if isinstance(item, list) else item for item in values]
    if items and not all(isinstance(item, type(items[0])) for item in items):
        return OtlpArrayValue(values=[OtlpAnyValue(string_value=str(item)) for item in items])
    return OtlpArrayValue(values=[any_value(item) for item in items])


def key_values(attributes: dict[str, Any]) -> list[OtlpKeyValue]:
    """Nested attributes as OTLP's flat key-value list, dotted as Phoenix dots them
    (``phoenix_attributes.dotted_attributes``), in stored order."""
    return [
        OtlpKeyValue(key=key, value=any_value(value))
        for key, value in dotted_attributes(attributes).items()
    ]


def unix_nano(moment: datetime) -> int:
    """``moment`` in nanoseconds since the epoch, exactly (no float rounding)."""
    whole = int(moment.timestamp())
    return whole * 1_000_000_000 + moment.microsecond * 1000


def _event(event: dict[str, Any]) -> OtlpEvent:
    timestamp = event.get("timestamp")
    time_unix_nano = None
    if isinstance(timestamp, str):
        try:
            time_unix_nano = unix_nano(datetime.fromisoformat(timestamp))
        except ValueError:
            time_unix_nano = None
    return OtlpEvent(
        name=event.get("name"),
        attributes=key_values(event.get("attributes") or {}),
        time_unix_nano=time_unix_nano,
    )


def otlp_span(row: Any) -> OtlpSpan:
    """One stored span (a row of the span search) in the OTLP/JSON shape."""
    return OtlpSpan(
        trace_id=row.trace_id,
        span_id=row.span_id,
        parent_span_id=row.parent_id,
        name=row.name,
        start_time_unix_nano=unix_nano(row.start_time),
        end_time_unix_nano=unix_nano(row.end_time),
        attributes=key_values(row.attributes),
        events=[_event(event) for event in row.events] or None,
        status=OtlpStatus(
            code=_STATUS_CODES.get(row.status_code, 0), message=row.status_message or None
        ),
    )


class OtlpSpanController(Controller):
    path = "/v1"
    tags = ["spans"]  # noqa: RUF012 (litestar declares it as an instance variable)

    @get(
        "/projects/{project_identifier:str}/spans/otlpv1",
        summary="Search spans with simple filters (no DSL)",
    )
    async def search_otlp_spans(
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
        status_code: Repeated = None,
        attribute: Repeated = None,
    ) -> OtlpSpansPage:
        """Spans of a project, newest first, with the span search's filters, shaped as OTLP."""
        filters = SpanFilters(
            start_time=start_time,
            end_time=end_time,
            trace_id=trace_id,
            span_id=span_id,
            parent_id=parent_id,
            name=name,
            status_code=status_code,
            attribute=attribute,
        )
        cut = await search_span_rows(connection, project_identifier, cursor, limit, filters)
        return OtlpSpansPage(data=[otlp_span(row) for row in cut.rows], next_cursor=cut.next_cursor)
