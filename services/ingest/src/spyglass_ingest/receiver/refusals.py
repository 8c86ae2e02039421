"""How the receiver refuses a request, the same way on both transports.

One table maps the error tree to the OTLP/HTTP status and the gRPC code that exporters understand:
``INVALID_ARGUMENT`` is never retried; ``RESOURCE_EXHAUSTED`` (too large, or the bus is full) and
``UNAVAILABLE`` are retried with back-off, over HTTP as 429 / 503 with ``Retry-After``.
"""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from spyglass_core.errors import (
    DependencyUnavailableError,
    InvalidArgumentError,
    OverloadedError,
    PayloadTooLargeError,
    SpyglassError,
)
from spyglass_ingest.receiver import metrics


class UnsupportedMediaError(SpyglassError):
    """The body's content type or encoding is not one OTLP/HTTP allows (415)."""


@dataclass(frozen=True)
class Refusal:
    """What a refused request is answered with."""

    http_status: int
    grpc_code: grpc.StatusCode
    retry_after_seconds: int | None
    """Set for errors worth retrying later."""


_REFUSALS: list[tuple[type[SpyglassError], int, grpc.StatusCode]] = [
    (UnsupportedMediaError, 415, grpc.StatusCode.INVALID_ARGUMENT),
    (PayloadTooLargeError, 413, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (InvalidArgumentError, 400, grpc.StatusCode.INVALID_ARGUMENT),
    (OverloadedError, 429, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (DependencyUnavailableError, 503, grpc.StatusCode.UNAVAILABLE),
]


def refusal(error: SpyglassError, transport: str) -> Refusal:
    """How to answer ``error`` on ``transport``; counts the refusal."""
    metrics.REQUESTS_REFUSED.labels(transport, type(error).__name__).inc()
    status, code = next(
        ((status, code) for kind, status, code in _REFUSALS if isinstance(error, kind)),
        (500, grpc.StatusCode.INTERNAL),
    )
    retry_after = None
    if error.retryable:
        retry_after = max(1, round(getattr(error, "retry_after_seconds", 2)))
    return Refusal(status, code, retry_after)
