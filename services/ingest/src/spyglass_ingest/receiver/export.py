"""What both OTLP transports do with a decoded export request: normalize, publish, report.

The receiver answers success only after JetStream stored every batch of the request (ARCHITECTURE
rule 1). Memory stays bounded because the bytes of requests in flight are budgeted: a request
that would go over the budget is refused at once with back-pressure instead of queued. A request
alone in the receiver is always admitted, so any request up to the size limit gets through an
idle receiver; memory then peaks at the larger of the budget and one request's charge.
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

from spyglass_auth import Principal
from spyglass_bus.publisher import SpanBatchPublisher
from spyglass_core.errors import InvalidArgumentError, OverloadedError
from spyglass_core.logging import get_logger
from spyglass_ingest.receiver import metrics
from spyglass_ingest.receiver.auth import check_projects
from spyglass_ingest.settings import ReceiverLimitSettings
from spyglass_spans import (
    DecodeLimits,
    ModelPriceTable,
    decode_export_request,
    project_name_problem,
)

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
    """Counts the memory of requests being handled; refuses one that would exceed the limit.

    A request is admitted when its charge fits beside the others' or when no other request is
    in flight: the budget bounds how much requests hold together, never what one request may be.
    """

    def __init__(self, max_bytes: int, retry_after_seconds: float) -> None:
        self.max_bytes = max_bytes
        self.used_bytes = 0
        self.requests = 0
        """Requests holding a reservation."""
        self._retry_after_seconds = retry_after_seconds

    @contextmanager
    def reserve(self, size: int) -> Iterator[Reservation]:
        """Hold memory for a request of ``size`` bytes for the duration of the block.

        The reservation can grow (:meth:`Reservation.grow`) once more of the request is known.

        Raises:
            OverloadedError: the budget can't hold ``size`` more bytes now.
        """
        reservation = Reservation(self)
        reservation.grow(size)
        self.requests += 1
        try:
            yield reservation
        finally:
            self.requests -= 1
            self.used_bytes -= reservation.bytes

    def _admit(self, charge: int, others_in_flight: bool) -> None:
        if self.used_bytes + charge > self.max_bytes and others_in_flight:
            log.warning(
                "receiver_at_capacity",
                inflight_bytes=self.used_bytes,
                request_bytes=charge,
                limit_bytes=self.max_bytes,
            )
            raise OverloadedError(
                "the receiver is at capacity; retry later",
                retry_after_seconds=self._retry_after_seconds,
            )
        self.used_bytes += charge


class Reservation:
    """The memory one request holds in an :class:`InflightBudget`."""

    def __init__(self, budget: InflightBudget) -> None:
        self._budget = budget
        self._held = False
        self.bytes = 0

    def grow(self, size: int) -> None:
        """Hold memory for ``size`` more bytes of the request (a body that decompressed larger).

        Raises:
            OverloadedError: other requests hold the budget and ``size`` more does not fit.
        """
        budget = self._budget
        # Until it is held, this request is not among the budget's requests.
        others = budget.requests > (1 if self._held else 0)
        charge = max(size, 0) * MEMORY_PER_REQUEST_BYTE
        budget._admit(charge, others)
        self._held = True
        self.bytes += charge


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
            max_span_bytes=publisher.max_span_bytes,
        )
        self.budget = InflightBudget(limits.max_inflight_bytes, limits.retry_after_seconds)

    async def export(
        self,
        request: ExportTraceServiceRequest,
        project_override: str | None,
        transport: str,
        principal: Principal | None = None,
    ) -> ExportOutcome:
        """Normalize the spans of ``request`` and publish them, one batch per project.

        Args:
            request: the parsed export request.
            project_override: the project the request's header or metadata names, if any.
            transport: ``grpc`` or ``http``, for the metrics.
            principal: who sends it, when auth is on (None: auth is off); every project the
                spans go to must be one it may write to.

        Raises:
            ForbiddenError: a span goes to a project ``principal`` may not write to (nothing
                is published).
            PayloadTooLargeError: an attribute value is over the limit (nothing is published).
            OverloadedError: the span bus is full.
            DependencyUnavailableError: the span bus can't be reached.
        """
        started = time.perf_counter()
        if principal is not None and project_override is not None:
            check_projects(principal, (project_override,))  # before spending the decoding
        result = decode_export_request(
            request,
            project_override,
            prices=self._prices,
            limits=self._decode_limits,
            received_at_unix_nano=time.time_ns(),
        )
        if principal is not None:
            # The projects as the decoder chose them, from the batches it made anyway.
            check_projects(principal, (batch.project_name for batch in result.batches), result)
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
            messages += await self._publisher.publish(batch, result.encoded.get(batch.batch_id))
        metrics.SPANS_PUBLISHED.inc(accepted)
        metrics.BATCH_MESSAGES_PUBLISHED.inc(messages)
        metrics.EXPORT_SECONDS.observe(time.perf_counter() - started)
        return ExportOutcome(result.rejected_count, result.rejection_message)


def project_override(value: str | None, source: str) -> str | None:
    """The project a request names in its ``x-project-name`` header (None when absent or blank).

    Raises:
        InvalidArgumentError: the name is too long or holds a NUL; the message names ``source``.
    """
    name = (value or "").strip()
    if not name:
        return None
    problem = project_name_problem(name)
    if problem is not None:
        raise InvalidArgumentError(f"the {source} {problem}")
    return name
