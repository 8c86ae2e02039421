"""From an OTLP export request to one normalized ``DecodedSpanBatch`` per project.

Project choice (as Phoenix makes it): the ``x-project-name`` header (passed in as
``project_override``), else the resource attribute ``openinference.project.name`` (a non-blank
string), else ``default``.

Two kinds of bad input, handled differently:

- a span that can never be stored (ids of the wrong length or all zero, no start time, a time
  at or past 2**63 ns, an end before its start, too many attributes, a ``session.id`` too long,
  attributes nested too deep, a project name from its resource that is too long or holds a
  NUL, more bytes than one bus message takes) is left out and counted by reason
  (``REJECTION_REASONS``), for OTLP's ``partial_success``; the rest of the request goes on;
- an attribute value over the size limit refuses the whole request
  (:class:`~spyglass_core.errors.PayloadTooLargeError`, which the receiver answers with 413 /
  ``RESOURCE_EXHAUSTED``), because OTLP exporters do not retry that and the sender has to
  change something. Truncating would store a value the sender never wrote.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, Span

from spyglass_core.errors import InvalidArgumentError, PayloadTooLargeError
from spyglass_core.storable import MAX_BIGINT, MAX_NAME_LENGTH, NUL, without_nul
from spyglass_proto.bus.v1.spans_pb2 import DecodedSpan, DecodedSpanBatch
from spyglass_spans.attributes import decode_attributes
from spyglass_spans.prices import ModelPriceTable
from spyglass_spans.rejections import REJECTION_REASONS, InvalidSpanError, project_name_problem
from spyglass_spans.span import NO_EVENTS, events_json, span_fields

DEFAULT_PROJECT = "default"
PROJECT_ATTRIBUTE = "openinference.project.name"

_ZERO_TRACE_ID = bytes(16)
_ZERO_SPAN_ID = bytes(8)


@dataclass(frozen=True)
class DecodeLimits:
    """What one span may carry."""

    max_attribute_value_bytes: int = 1024 * 1024
    """Largest attribute value (UTF-8 bytes of text); a larger one refuses the request."""
    max_attributes_per_span: int = 1024
    """Most attributes of one span; a span with more is rejected."""
    max_span_bytes: int | None = None
    """Largest serialized ``DecodedSpan`` (what the span bus takes in one message); a larger
    span is rejected. None: no limit."""


@dataclass
class DecodeResult:
    """The batches to publish, one per project, and the spans that were rejected."""

    batches: list[DecodedSpanBatch] = field(default_factory=list)
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    """Rejected spans by reason (a key of ``REJECTION_REASONS``)."""
    encoded: dict[str, bytes] = field(default_factory=dict)
    """Batch id -> the batch serialized, for batches that were serialized to measure them (the
    publisher sends these bytes instead of encoding the batch again)."""

    @property
    def accepted_count(self) -> int:
        """Spans in the batches."""
        return sum(len(batch.spans) for batch in self.batches)

    @property
    def rejected_count(self) -> int:
        """Spans left out of the batches."""
        return sum(self.rejected_by_reason.values())

    @property
    def rejection_message(self) -> str:
        """One sentence for OTLP's ``partial_success.error_message``; empty if none."""
        if not self.rejected_by_reason:
            return ""
        parts = [
            f"{self.rejected_by_reason[reason]} with {description}"
            for reason, description in REJECTION_REASONS.items()
            if reason in self.rejected_by_reason
        ]
        plural = "s" if self.rejected_count > 1 else ""
        return f"{self.rejected_count} span{plural} rejected: " + "; ".join(parts)


def new_batch_id() -> str:
    """A fresh, unique batch id (also the batch's ``Nats-Msg-Id``)."""
    return uuid.uuid4().hex


def decode_export_request(
    request: ExportTraceServiceRequest,
    project_override: str | None,
    *,
    prices: ModelPriceTable,
    limits: DecodeLimits,
    received_at_unix_nano: int,
    batch_id: Callable[[], str] = new_batch_id,
) -> DecodeResult:
    """Decode and normalize every span of ``request``, one batch per project.

    Args:
        request: the parsed OTLP request.
        project_override: the ``x-project-name`` header; None or blank when absent.
        prices: the model price table, for the cost of LLM spans.
        limits: what one span may carry.
        received_at_unix_nano: stamped on every batch.
        batch_id: makes each batch's id (injectable for tests).

    Returns:
        The non-empty batches in the order their projects first appear, and the rejections.

    Raises:
        PayloadTooLargeError: an attribute value is over ``limits.max_attribute_value_bytes``;
            the message names the span and the key.
        InvalidArgumentError: ``project_override`` is too long or holds a NUL (the receiver
            checks its header first, to name it).
    """
    override = project_override.strip() if project_override else ""
    if override and (problem := project_name_problem(override)) is not None:
        raise InvalidArgumentError(f"the project name {problem}")
    batches: dict[str, DecodedSpanBatch] = {}
    rejected: dict[str, int] = {}
    for resource_spans in request.resource_spans:
        project = override or _project(resource_spans)
        if not override and (reason := _project_rejection(project)) is not None:
            spans = sum(len(scope_spans.spans) for scope_spans in resource_spans.scope_spans)
            if spans:
                rejected[reason] = rejected.get(reason, 0) + spans
            continue
        batch = batches.get(project)
        if batch is None:
            batch = batches[project] = DecodedSpanBatch(
                batch_id=batch_id(),
                project_name=project,
                received_at_unix_nano=received_at_unix_nano,
            )
        add = batch.spans.add
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                try:
                    add(**_decoded_fields(span, prices, limits))
                except InvalidSpanError as error:
                    rejected[error.reason] = rejected.get(error.reason, 0) + 1
    kept = [batch for batch in batches.values() if batch.spans]
    encoded: dict[str, bytes] = {}
    if limits.max_span_bytes is not None:
        for batch in kept:
            data = _drop_oversized_spans(batch, limits.max_span_bytes, rejected)
            if data is not None:
                encoded[batch.batch_id] = data
        kept = [batch for batch in kept if batch.spans]
    return DecodeResult(batches=kept, rejected_by_reason=rejected, encoded=encoded)


def _drop_oversized_spans(
    batch: DecodedSpanBatch, max_bytes: int, rejected: dict[str, int]
) -> bytes | None:
    """Leave out of ``batch`` the spans over ``max_bytes``, counted as ``span_too_large``.

    Returns the batch serialized when it fits whole (most requests), else None.
    """
    # No span is larger than its batch: most requests need no look at single spans. Measuring
    # is encoding (upb's ByteSize encodes), so the encoding is kept for the publisher.
    data = batch.SerializeToString()
    if len(data) <= max_bytes:
        return data
    fitting = [span for span in batch.spans if span.ByteSize() <= max_bytes]
    dropped = len(batch.spans) - len(fitting)
    if dropped:
        del batch.spans[:]
        batch.spans.extend(fitting)
        rejected["span_too_large"] = rejected.get("span_too_large", 0) + dropped
    return None


def _project_rejection(name: str) -> str | None:
    """Why the spans of a resource naming project ``name`` are rejected; None: they aren't."""
    if len(name) > MAX_NAME_LENGTH:
        return "project_name_too_long"
    if NUL in name:
        return "project_name_has_nul"
    return None


def _project(resource_spans: ResourceSpans) -> str:
    """The resource's project name (perhaps one that can't be stored), else the default."""
    for item in resource_spans.resource.attributes:
        if item.key == PROJECT_ATTRIBUTE:
            name = item.value.string_value.strip()
            if name:
                return name
    return DEFAULT_PROJECT


def decode_span(span: Span, *, prices: ModelPriceTable, limits: DecodeLimits) -> DecodedSpan:
    """One OTLP span as a normalized ``DecodedSpan``.

    Raises:
        InvalidSpanError: the span can't be stored; its ``reason`` and message say why.
        PayloadTooLargeError: an attribute value is over the limit.
    """
    return DecodedSpan(**_decoded_fields(span, prices, limits))


def _decoded_fields(span: Span, prices: ModelPriceTable, limits: DecodeLimits) -> dict[str, Any]:
    """The fields of the ``DecodedSpan`` of ``span``; each protobuf field is read once.

    Raises:
        InvalidSpanError: the span can't be stored.
        PayloadTooLargeError: an attribute value is over the limit.
    """
    trace_id = span.trace_id
    span_id = span.span_id
    parent_span_id = span.parent_span_id
    start = span.start_time_unix_nano
    end = span.end_time_unix_nano
    key_values = span.attributes
    if len(trace_id) != 16 or trace_id == _ZERO_TRACE_ID:
        raise InvalidSpanError("invalid_trace_id", span_id.hex())
    if len(span_id) != 8 or span_id == _ZERO_SPAN_ID:
        raise InvalidSpanError("invalid_span_id", span_id.hex())
    if parent_span_id and len(parent_span_id) != 8:
        raise InvalidSpanError("invalid_parent_span_id", span_id.hex())
    if start == 0:
        raise InvalidSpanError("missing_start_time", span_id.hex())
    # fixed64 holds times past the int64 nanoseconds that PostgreSQL and the bus hold.
    if start > MAX_BIGINT:
        raise InvalidSpanError("start_time_out_of_range", span_id.hex())
    if end > MAX_BIGINT:
        raise InvalidSpanError("end_time_out_of_range", span_id.hex())
    if end < start:
        raise InvalidSpanError("end_before_start", span_id.hex())
    if len(key_values) > limits.max_attributes_per_span:
        raise InvalidSpanError("too_many_attributes", span_id.hex())
    max_value_bytes = limits.max_attribute_value_bytes
    try:
        fields = span_fields(decode_attributes(key_values, max_value_bytes), prices)
        events = span.events
        fields["events_json"] = (
            events_json(
                (
                    event.name,
                    event.time_unix_nano,
                    decode_attributes(event.attributes, max_value_bytes),
                )
                for event in events
            )
            if events
            else NO_EVENTS
        )
    except InvalidSpanError as error:
        raise error.of_span(span_id.hex()) from None
    except PayloadTooLargeError as error:
        raise PayloadTooLargeError(
            f"span {span_id.hex()} ({without_nul(span.name)[:200]!r}): {error.message}"
        ) from None
    status = span.status
    status_code = status.code
    name = span.name
    status_message = status.message
    fields["trace_id"] = trace_id.hex()
    fields["span_id"] = span_id.hex()
    fields["parent_span_id"] = parent_span_id.hex() if parent_span_id != _ZERO_SPAN_ID else ""
    fields["name"] = without_nul(name) if NUL in name else name
    fields["start_time_unix_nano"] = start
    fields["end_time_unix_nano"] = end
    # OTLP's status codes are the bus's (0 unset, 1 ok, 2 error); others read as unset.
    fields["status_code"] = status_code if 0 <= status_code <= 2 else 0
    fields["status_message"] = (
        without_nul(status_message) if NUL in status_message else status_message
    )
    return fields
