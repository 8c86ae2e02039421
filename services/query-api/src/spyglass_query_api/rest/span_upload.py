"""``POST /v1/projects/{id}/spans``: log spans in Phoenix's Span shape, through the span bus.

The spans take the receiver's path: each is normalized as OTLP spans are
(:func:`spyglass_spans.normalized_span`), the batch is published to JetStream with the
receiver's publisher, and the writer stores it. The answer, 202, comes only once JetStream has
stored the batch, so an accepted span is never lost; a full bus answers 429 and an unreachable
one 503, both with ``Retry-After``.

As in Phoenix, the whole request is checked first: if any span is invalid (ids that are not
hex of the right length, times without a time zone or outside 1970..2262-04-11, an end before
the start, attributes that can't be stored: nested deeper than ``MAX_JSON_DEPTH``, a
``session.id`` over ``MAX_SESSION_ID_LENGTH`` characters, numbers JSON can't hold, a span larger
than one span-bus message) or a duplicate (its span id is stored already, or appears twice in
the body), nothing is published and the answer is 400 with a JSON detail listing each of them.
NULs in span text are made safe (U+FFFD) by the shared normalization, as for OTLP spans.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, TypeAlias

import orjson
from litestar import post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, PathParameter
from litestar.status_codes import HTTP_202_ACCEPTED
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncConnection

from spyglass_bus.publisher import SpanBatchPublisher
from spyglass_core.errors import DependencyUnavailableError, InvalidArgumentError, NotFoundError
from spyglass_core.storable import MAX_TIME, MIN_TIME
from spyglass_proto.bus.v1.spans_pb2 import DecodedSpan, DecodedSpanBatch
from spyglass_query_api.dependencies import Db
from spyglass_query_api.queries.ids import rowid_of
from spyglass_query_api.queries.lookup import find_project
from spyglass_query_api.queries.projects import create_project_if_missing
from spyglass_query_api.queries.spans import list_stored_span_ids
from spyglass_spans import STATUS_CODES, ModelPriceTable, new_batch_id, normalized_span

_TRACE_ID = re.compile(r"^[0-9a-fA-F]{32}$")
_SPAN_ID = re.compile(r"^[0-9a-fA-F]{16}$")
_KIND_ATTRIBUTE = "openinference.span.kind"


@dataclass(frozen=True)
class SpanUpload:
    """What uploads need: the publisher of the span bus and the model price table."""

    publisher: SpanBatchPublisher
    prices: ModelPriceTable


SpanUploadDependency: TypeAlias = NamedDependency[SpanUpload | None]
"""The span bus of uploads, or None when the app was built without one (then 503)."""


def span_upload_provider(upload: SpanUpload | None) -> Provide:
    """Provide ``span_upload``."""

    def span_upload() -> SpanUpload | None:
        return upload

    return Provide(span_upload, sync_to_thread=False)


class UploadSpanContext(BaseModel):
    trace_id: str
    span_id: str


class UploadSpanEvent(BaseModel):
    name: str
    timestamp: datetime
    attributes: dict[str, Any] = Field(default_factory=dict)


class UploadSpan(BaseModel):
    id: str = ""
    name: str
    context: UploadSpanContext
    span_kind: str
    parent_id: str | None = None
    start_time: datetime
    end_time: datetime
    status_code: str
    status_message: str = ""
    attributes: dict[str, Any] = Field(default_factory=dict)
    events: list[UploadSpanEvent] = Field(default_factory=list)


class CreateSpansRequest(BaseModel):
    data: list[UploadSpan]


class CreateSpansResponse(BaseModel):
    total_received: int
    total_queued: int


def _unix_nano(moment: datetime) -> int:
    return int(moment.timestamp()) * 1_000_000_000 + moment.microsecond * 1000


def _check_ids(span: UploadSpan) -> None:
    if not _TRACE_ID.match(span.context.trace_id) or not int(span.context.trace_id, 16):
        raise InvalidArgumentError("trace_id must be 32 hex digits, not all zero")
    if not _SPAN_ID.match(span.context.span_id) or not int(span.context.span_id, 16):
        raise InvalidArgumentError("span_id must be 16 hex digits, not all zero")
    if span.parent_id and not _SPAN_ID.match(span.parent_id):
        raise InvalidArgumentError("parent_id must be empty or 16 hex digits")


def _check_times(span: UploadSpan) -> None:
    moments = [("start_time", span.start_time), ("end_time", span.end_time)]
    moments += [(f"event {event.name!r} timestamp", event.timestamp) for event in span.events]
    for label, moment in moments:
        if moment.tzinfo is None:
            raise InvalidArgumentError(f"{label} must be timezone-aware")
        if not MIN_TIME <= moment <= MAX_TIME:
            raise InvalidArgumentError(
                f"{label} must be between {MIN_TIME.date()} and {MAX_TIME.date()} "
                "(OTLP's nanosecond times)"
            )
    if span.end_time < span.start_time:
        raise InvalidArgumentError("end_time is before start_time")


def decoded_span(
    span: UploadSpan, prices: ModelPriceTable, max_span_bytes: int | None = None
) -> DecodedSpan:
    """``span`` as the bus message the receiver would have made of it.

    Unknown kinds are stored as ``UNKNOWN`` and unknown status codes as ``UNSET``, as Phoenix
    does.

    Raises:
        InvalidArgumentError: the span can't be stored; the message says why.
    """
    _check_ids(span)
    _check_times(span)
    attributes = dict(span.attributes)
    attributes[_KIND_ATTRIBUTE] = span.span_kind
    decoded = normalized_span(
        trace_id=span.context.trace_id.lower(),
        span_id=span.context.span_id.lower(),
        parent_span_id=(span.parent_id or "").lower(),
        name=span.name,
        start_time_unix_nano=_unix_nano(span.start_time),
        end_time_unix_nano=_unix_nano(span.end_time),
        status_code=STATUS_CODES.get(span.status_code.strip().upper(), STATUS_CODES["UNSET"]),
        status_message=span.status_message,
        attributes=attributes,
        events=[
            (event.name, _unix_nano(event.timestamp), event.attributes) for event in span.events
        ],
        prices=prices,
    )
    if max_span_bytes is not None and (size := decoded.ByteSize()) > max_span_bytes:
        raise InvalidArgumentError(
            f"span {decoded.span_id!r} is {size} bytes, more than the span bus takes in one "
            f"message ({max_span_bytes} bytes)"
        )
    return decoded


async def _project_name(connection: AsyncConnection, identifier: str) -> str:
    """The project's name; a name that is not a project yet becomes one, as in Phoenix.

    Raises:
        NotFoundError: ``identifier`` is a Project GlobalID of no project.
    """
    project = await find_project(connection, identifier)
    if project is not None:
        return project.name
    if rowid_of(identifier, "Project") is not None:
        raise NotFoundError(f"Project with ID {identifier} not found")
    await create_project_if_missing(connection, identifier)
    return identifier


# A function, not a controller: Litestar refuses a second controller on the path of
# SpanController's search (it would register OPTIONS twice).
@post(
    "/v1/projects/{project_identifier:str}/spans",
    summary="Create spans",
    tags=["spans"],
    status_code=HTTP_202_ACCEPTED,
)
async def create_spans(
    connection: Db,
    span_upload: SpanUploadDependency,
    project_identifier: Annotated[
        str,
        PathParameter(description="The project identifier: either project ID or project name."),
    ],
    data: JSONBody[CreateSpansRequest],
) -> CreateSpansResponse:
    """Queue spans for storing; 202 once the span bus holds them, 400 if any is bad."""
    if span_upload is None:
        raise DependencyUnavailableError("span upload needs the span bus, which is not set up")
    project_name = await _project_name(connection, project_identifier)
    stored = await list_stored_span_ids(connection, [s.context.span_id.lower() for s in data.data])
    seen: set[str] = set()
    duplicates: list[dict[str, str]] = []
    invalid: list[dict[str, str]] = []
    spans: list[DecodedSpan] = []
    for span in data.data:
        key = span.context.span_id.lower()
        identity = {"span_id": span.context.span_id, "trace_id": span.context.trace_id}
        if key in stored or key in seen:
            duplicates.append(identity)
            continue
        seen.add(key)
        try:
            spans.append(
                decoded_span(span, span_upload.prices, span_upload.publisher.max_span_bytes)
            )
        except InvalidArgumentError as error:
            invalid.append({**identity, "error": error.message})
    if duplicates or invalid:
        raise InvalidArgumentError(
            orjson.dumps(
                {
                    "error": "Request contains invalid or duplicate spans",
                    "total_received": len(data.data),
                    "total_queued": 0,
                    "total_duplicates": len(duplicates),
                    "total_invalid": len(invalid),
                    "duplicate_spans": duplicates,
                    "invalid_spans": invalid,
                }
            ).decode()
        )
    if spans:
        batch = DecodedSpanBatch(
            batch_id=new_batch_id(),
            project_name=project_name,
            received_at_unix_nano=time.time_ns(),
            spans=spans,
        )
        await span_upload.publisher.publish(batch)
    return CreateSpansResponse(total_received=len(data.data), total_queued=len(spans))
