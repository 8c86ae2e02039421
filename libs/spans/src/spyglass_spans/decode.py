"""From an OTLP export request to one normalized ``DecodedSpanBatch`` per project.

Project choice (as Phoenix makes it): the ``x-project-name`` header (passed in as
``project_override``), else the resource attribute ``openinference.project.name``, else
``default``. Spans that can never be stored (ids of the wrong length or all zero, a span ending
before it starts) are left out and counted by reason, for OTLP's ``partial_success``; the rest of
the request goes on. An attribute value over the size limit refuses the whole request instead
(:class:`PayloadTooLargeError`), as OTLP asks for oversized payloads.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from spyglass_proto.bus.v1.spans_pb2 import DecodedSpan, DecodedSpanBatch, StatusCode
from spyglass_spans.attributes import Attributes, decode_key_values, normalize, unflatten
from spyglass_spans.prices import ModelPriceTable

DEFAULT_PROJECT = "default"
PROJECT_ATTRIBUTE = "openinference.project.name"

SPAN_KINDS = frozenset(
    {
        "TOOL",
        "CHAIN",
        "LLM",
        "PROMPT",
        "RETRIEVER",
        "EMBEDDING",
        "AGENT",
        "RERANKER",
        "EVALUATOR",
        "GUARDRAIL",
        "UNKNOWN",
    }
)

_STATUS = {
    Status.STATUS_CODE_UNSET: StatusCode.STATUS_CODE_UNSET,
    Status.STATUS_CODE_OK: StatusCode.STATUS_CODE_OK,
    Status.STATUS_CODE_ERROR: StatusCode.STATUS_CODE_ERROR,
}

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
    max_attributes_per_span: int = 1024


@dataclass
class DecodeResult:
    """The batches to publish and what was rejected."""

    batches: list[DecodedSpanBatch] = field(default_factory=list)
    rejected_by_reason: dict[str, int] = field(default_factory=dict)

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


def _new_batch_id() -> str:
    return uuid.uuid4().hex


def decode_export_request(
    request: ExportTraceServiceRequest,
    project_override: str | None,
    *,
    prices: ModelPriceTable,
    limits: DecodeLimits,
    received_at_unix_nano: int,
    batch_id: Callable[[], str] = _new_batch_id,
) -> DecodeResult:
    """Decode and normalize every span of ``request``, grouped by project.

    Raises:
        PayloadTooLargeError: an attribute value is over ``limits.max_attribute_value_bytes``.
    """
    batches: dict[str, DecodedSpanBatch] = {}
    rejected: Counter[str] = Counter()
    for resource_spans in request.resource_spans:
        resource = decode_key_values(
            resource_spans.resource.attributes, limits.max_attribute_value_bytes, "the resource"
        )
        project = project_override or _project(resource)
        batch = batches.get(project)
        if batch is None:
            batch = batches[project] = DecodedSpanBatch(
                batch_id=batch_id(),
                project_name=project,
                received_at_unix_nano=received_at_unix_nano,
            )
        decoded = batch.spans
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                reason = rejection_reason(span, limits)
                if reason is not None:
                    rejected[reason] += 1
                    continue
                attributes = decode_key_values(
                    span.attributes,
                    limits.max_attribute_value_bytes,
                    f"span {span.span_id.hex()} ({span.name!r})",
                )
                decoded.append(build_span(span, attributes, prices))
    return DecodeResult(
        batches=[batch for batch in batches.values() if batch.spans],
        rejected_by_reason=dict(rejected),
    )


def _project(resource: Mapping[str, Any]) -> str:
    name = resource.get(PROJECT_ATTRIBUTE)
    if isinstance(name, str) and name.strip():
        return name.strip()
    return DEFAULT_PROJECT


def rejection_reason(span: Span, limits: DecodeLimits) -> str | None:
    """Why ``span`` can't be stored, or None if it can."""
    if len(span.trace_id) != 16 or span.trace_id == _ZERO_TRACE_ID:
        return "invalid_trace_id"
    if len(span.span_id) != 8 or span.span_id == _ZERO_SPAN_ID:
        return "invalid_span_id"
    if span.parent_span_id and len(span.parent_span_id) != 8:
        return "invalid_parent_span_id"
    if span.start_time_unix_nano == 0:
        return "missing_start_time"
    if span.end_time_unix_nano < span.start_time_unix_nano:
        return "end_before_start"
    if len(span.attributes) > limits.max_attributes_per_span:
        return "too_many_attributes"
    return None


def build_span(span: Span, attributes: Attributes, prices: ModelPriceTable) -> DecodedSpan:
    """A valid OTLP span and its decoded attributes as a normalized ``DecodedSpan``."""
    parent = span.parent_span_id
    return normalized_span(
        trace_id=span.trace_id.hex(),
        span_id=span.span_id.hex(),
        parent_span_id=parent.hex() if parent and parent != _ZERO_SPAN_ID else "",
        name=span.name,
        start_time_unix_nano=span.start_time_unix_nano,
        end_time_unix_nano=span.end_time_unix_nano,
        status_code=_STATUS.get(span.status.code, StatusCode.STATUS_CODE_UNSET),
        status_message=span.status.message,
        attributes=attributes,
        events=[
            (event.name, event.time_unix_nano, list(event.attributes)) for event in span.events
        ],
        prices=prices,
    )


def normalized_span(
    *,
    trace_id: str,
    span_id: str,
    parent_span_id: str,
    name: str,
    start_time_unix_nano: int,
    end_time_unix_nano: int,
    status_code: int,
    status_message: str,
    attributes: Attributes,
    events: Iterable[tuple[str, int, Any]],
    prices: ModelPriceTable,
) -> DecodedSpan:
    """Normalize one span's parts (flat attributes, events) into a ``DecodedSpan``.

    Shared by OTLP decoding and by span uploads that arrive as JSON (the REST API), which pass
    events' attributes as a mapping or as OTLP ``KeyValue`` objects.
    """
    normalize(attributes)
    kind = str(attributes.get("openinference.span.kind") or "").upper()
    if kind not in SPAN_KINDS:
        kind = "UNKNOWN"
    session_id = attributes.get("session.id")
    user_id = attributes.get("user.id")
    decoded = DecodedSpan(
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=parent_span_id,
        name=name,
        span_kind=kind,
        start_time_unix_nano=start_time_unix_nano,
        end_time_unix_nano=end_time_unix_nano,
        status_code=status_code,  # type: ignore[arg-type]
        status_message=status_message,
        session_id=session_id.strip() if isinstance(session_id, str) else "",
        user_id=str(user_id) if user_id is not None else "",
        model_name=str(attributes.get("llm.model_name") or ""),
        provider=str(attributes.get("llm.provider") or attributes.get("llm.system") or ""),
    )
    prompt = attributes.get("llm.token_count.prompt")
    completion = attributes.get("llm.token_count.completion")
    total = attributes.get("llm.token_count.total")
    if kind == "LLM":
        decoded.llm_token_count_prompt = prompt or 0
        decoded.llm_token_count_completion = completion or 0
        if total is not None:
            decoded.llm_token_count_total = total
        if decoded.model_name.strip():
            cost = prices.cost(
                decoded.model_name,
                decoded.provider,
                prompt or 0,
                completion or 0,
                _int(attributes.get("llm.token_count.prompt_details.cache_read")),
                _int(attributes.get("llm.token_count.prompt_details.cache_write")),
            )
            if cost is not None:
                decoded.cost_prompt_usd = cost.prompt
                decoded.cost_completion_usd = cost.completion
                decoded.cost_total_usd = cost.total
    decoded.attributes_json = orjson.dumps(unflatten(attributes))
    decoded.events_json = orjson.dumps(
        [
            {
                "name": event_name,
                "timestamp": _iso(time_unix_nano),
                "attributes": event_attributes
                if isinstance(event_attributes, Mapping)
                else decode_key_values(event_attributes, 1 << 62, "an event"),
            }
            for event_name, time_unix_nano, event_attributes in events
        ]
    )
    return decoded


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _iso(unix_nano: int) -> str:
    return datetime.fromtimestamp(unix_nano / 1e9, tz=UTC).isoformat()
