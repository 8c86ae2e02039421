"""From an OTLP export request to one normalized ``DecodedSpanBatch`` per project.

Project choice (as Phoenix makes it): the ``x-project-name`` header (passed in as
``project_override``), else the resource attribute ``openinference.project.name`` (a non-blank
string), else ``default``.

Two kinds of bad input, handled differently:

- a span that can never be stored (ids of the wrong length or all zero, no start time, an end
  before its start, too many attributes) is left out and counted by reason, for OTLP's
  ``partial_success``; the rest of the request goes on;
- an attribute value over the size limit refuses the whole request
  (:class:`~spyglass_core.errors.PayloadTooLargeError`, which the receiver answers with 413 /
  ``RESOURCE_EXHAUSTED``), because OTLP exporters do not retry that and the sender has to
  change something. Truncating would store a value the sender never wrote.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from spyglass_core.errors import InvalidArgumentError, PayloadTooLargeError
from spyglass_proto.bus.v1.spans_pb2 import DecodedSpan, DecodedSpanBatch
from spyglass_spans.attributes import decode_attributes
from spyglass_spans.prices import ModelPriceTable
from spyglass_spans.span import NO_EVENTS, events_json, span_fields

DEFAULT_PROJECT = "default"
PROJECT_ATTRIBUTE = "openinference.project.name"

REJECTION_REASONS = {
    "invalid_trace_id": "an invalid trace_id (must be 16 bytes, not all zero)",
    "invalid_span_id": "an invalid span_id (must be 8 bytes, not all zero)",
    "invalid_parent_span_id": "an invalid parent_span_id (must be empty or 8 bytes)",
    "missing_start_time": "no start time",
    "end_before_start": "an end time before its start time",
    "too_many_attributes": "more attributes than allowed",
}
"""Why a span is rejected (the metric label) and how the message puts it."""

_ZERO_TRACE_ID = bytes(16)
_ZERO_SPAN_ID = bytes(8)


@dataclass(frozen=True)
class DecodeLimits:
    """What one span may carry."""

    max_attribute_value_bytes: int = 1024 * 1024
    """Largest attribute value (UTF-8 bytes of text); a larger one refuses the request."""
    max_attributes_per_span: int = 1024
    """Most attributes of one span; a span with more is rejected."""


@dataclass
class DecodeResult:
    """The batches to publish, one per project, and the spans that were rejected."""

    batches: list[DecodedSpanBatch] = field(default_factory=list)
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    """Rejected spans by reason (a key of ``REJECTION_REASONS``)."""

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
            f"{count} with {REJECTION_REASONS[reason]}"
            for reason, count in sorted(self.rejected_by_reason.items())
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
    """
    override = project_override.strip() if project_override else ""
    batches: dict[str, DecodedSpanBatch] = {}
    rejected: dict[str, int] = {}
    for resource_spans in request.resource_spans:
        project = override or _project(resource_spans)
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
                reason = rejection_reason(span, limits)
                if reason is None:
                    add(**_decoded_fields(span, prices, limits))
                else:
                    rejected[reason] = rejected.get(reason, 0) + 1
    return DecodeResult(
        batches=[batch for batch in batches.values() if batch.spans],
        rejected_by_reason=rejected,
    )


def _project(resource_spans: object) -> str:
    for item in resource_spans.resource.attributes:  # type: ignore[attr-defined]
        if item.key == PROJECT_ATTRIBUTE:
            name = item.value.string_value.strip()
            if name:
                return str(name)
    return DEFAULT_PROJECT


def rejection_reason(span: Span, limits: DecodeLimits) -> str | None:
    """Why ``span`` can't be stored (a key of ``REJECTION_REASONS``), or None if it can."""
    trace_id = span.trace_id
    if len(trace_id) != 16 or trace_id == _ZERO_TRACE_ID:
        return "invalid_trace_id"
    span_id = span.span_id
    if len(span_id) != 8 or span_id == _ZERO_SPAN_ID:
        return "invalid_span_id"
    parent_span_id = span.parent_span_id
    if parent_span_id and len(parent_span_id) != 8:
        return "invalid_parent_span_id"
    start = span.start_time_unix_nano
    if start == 0:
        return "missing_start_time"
    if span.end_time_unix_nano < start:
        return "end_before_start"
    if len(span.attributes) > limits.max_attributes_per_span:
        return "too_many_attributes"
    return None


def decode_span(span: Span, *, prices: ModelPriceTable, limits: DecodeLimits) -> DecodedSpan:
    """One OTLP span as a normalized ``DecodedSpan``.

    Raises:
        InvalidArgumentError: the span can't be stored; the message says why.
        PayloadTooLargeError: an attribute value is over the limit.
    """
    reason = rejection_reason(span, limits)
    if reason is not None:
        raise InvalidArgumentError(f"span {span.span_id.hex()!r} has {REJECTION_REASONS[reason]}")
    return DecodedSpan(**_decoded_fields(span, prices, limits))


def _decoded_fields(span: Span, prices: ModelPriceTable, limits: DecodeLimits) -> dict[str, object]:
    """The fields of the ``DecodedSpan`` of a valid span."""
    max_value_bytes = limits.max_attribute_value_bytes
    try:
        fields: dict[str, object] = span_fields(
            decode_attributes(span.attributes, max_value_bytes), prices
        )
        events = (
            events_json(
                (
                    event.name,
                    event.time_unix_nano,
                    decode_attributes(event.attributes, max_value_bytes),
                )
                for event in span.events
            )
            if span.events
            else NO_EVENTS
        )
    except PayloadTooLargeError as error:
        raise PayloadTooLargeError(
            f"span {span.span_id.hex()} ({span.name!r}): {error.message}"
        ) from None
    parent_span_id = span.parent_span_id
    status = span.status
    fields.update(
        trace_id=span.trace_id.hex(),
        span_id=span.span_id.hex(),
        parent_span_id=parent_span_id.hex() if parent_span_id != _ZERO_SPAN_ID else "",
        name=span.name,
        start_time_unix_nano=span.start_time_unix_nano,
        end_time_unix_nano=span.end_time_unix_nano,
        # OTLP's status codes are the bus's (0 unset, 1 ok, 2 error); others read as unset.
        status_code=status.code if 0 <= status.code <= 2 else 0,
        status_message=status.message,
        events_json=events,
    )
    return fields
