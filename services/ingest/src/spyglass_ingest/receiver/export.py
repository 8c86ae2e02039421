"""What both OTLP transports do with a decoded export request: normalize, publish, report.

The receiver answers success only after JetStream stored every batch of the request (ARCHITECTURE
rule 1). Memory stays bounded because the bytes of requests in flight are budgeted: a request
that would go over the budget is refused at once with back-pressure instead of queued.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTracePartialSuccess,
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from spyglass_bus.publisher import SpanBatchPublisher
from spyglass_core.errors import OverloadedError
from spyglass_core.logging import get_logger
from spyglass_ingest.receiver import metrics
from spyglass_ingest.settings import ReceiverLimitSettings
from spyglass_spans import DecodeLimits, ModelPriceTable, decode_export_request

log = get_logger(__name__)


@dataclass(frozen=True)
class ExportOutcome:
    """What the exporter is told: how many spans were refused, and why (OTLP partial success)."""

    rejected_spans: int
    error_message: str

    def response(self) -> ExportTraceServiceResponse:
        """The OTLP answer, with ``partial_success`` when spans were refused."""
        response = ExportTraceServiceResponse()
        if self.rejected_spans:
            response.partial_success.CopyFrom(
                ExportTracePartialSuccess(
                    rejected_spans=self.rejected_spans, error_message=self.error_message
                )
            )
        return response


MEMORY_PER_REQUEST_BYTE = 4
"""While a request is decoded and published it is held about four times over: the parsed
request, the normalized batch, its serialized copy and the body itself. The budget charges that,
so that ``max_inflight_bytes`` bounds memory rather than only bodies."""


class InflightBudget:
    """Counts the memory of requests being handled; refuses one that would exceed the limit."""

    def __init__(self, max_bytes: int, retry_after_seconds: float) -> None:
        self.max_bytes = max_bytes
        self.used_bytes = 0
        self._retry_after_seconds = retry_after_seconds

    @contextmanager
    def reserve(self, size: int) -> Iterator[None]:
        """Hold ``size`` bytes of the budget for the duration of the block.

        Raises:
            OverloadedError: the budget can't hold ``size`` more bytes now.
        """
        size *= MEMORY_PER_REQUEST_BYTE
        if self.used_bytes + size > self.max_bytes and self.used_bytes > 0:
            log.warning(
                "receiver_at_capacity",
                inflight_bytes=self.used_bytes,
                request_bytes=size,
                limit_bytes=self.max_bytes,
            )
            raise OverloadedError(
                "the receiver is at capacity; retry later",
                retry_after_seconds=self._retry_after_seconds,
            )
        self.used_bytes += size
        try:
            yield
        finally:
            self.used_bytes -= size


class ExportService:
    """Turns export requests into published span batches; shared by OTLP/gRPC and OTLP/HTTP."""

    def __init__(
        self,
        publisher: SpanBatchPublisher,
        prices: ModelPriceTable,
        limits: ReceiverLimitSettings,
    ) -> None:
        self._publisher = publisher
        self._prices = prices
        self._decode_limits = DecodeLimits(
            max_attribute_value_bytes=limits.max_attribute_value_bytes,
            max_attributes_per_span=limits.max_attributes_per_span,
        )
        self.budget = InflightBudget(limits.max_inflight_bytes, limits.retry_after_seconds)

    async def export(
        self, request: ExportTraceServiceRequest, project_override: str | None, transport: str
    ) -> ExportOutcome:
        """Normalize the spans of ``request`` and publish them, one batch per project.

        Raises:
            PayloadTooLargeError: an attribute value is over the limit (nothing is published).
            OverloadedError: the span bus is full.
            DependencyUnavailableError: the span bus can't be reached.
        """
        started = time.perf_counter()
        result = decode_export_request(
            request,
            project_override,
            prices=self._prices,
            limits=self._decode_limits,
            received_at_unix_nano=time.time_ns(),
        )
        accepted = sum(len(batch.spans) for batch in result.batches)
        metrics.SPANS_RECEIVED.labels(transport).inc(accepted + result.rejected_count)
        for reason, count in result.rejected_by_reason.items():
            metrics.SPANS_REJECTED.labels(reason).inc(count)
        if result.rejected_count:
            log.info(
                "spans_rejected",
                count=result.rejected_count,
                accepted=accepted,
                reasons=result.rejected_by_reason,
                transport=transport,
            )
        messages = 0
        for batch in result.batches:
            messages += await self._publisher.publish(batch)
        metrics.SPANS_PUBLISHED.inc(accepted)
        metrics.BATCH_MESSAGES_PUBLISHED.inc(messages)
        metrics.EXPORT_SECONDS.observe(time.perf_counter() - started)
        return ExportOutcome(result.rejected_count, result.rejection_message)
