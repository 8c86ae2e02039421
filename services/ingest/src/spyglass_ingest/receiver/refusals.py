"""How the receiver refuses a request, the same way on both transports.

One table maps the error tree to the OTLP/HTTP status and the gRPC code that exporters understand:
``INVALID_ARGUMENT``, ``UNAUTHENTICATED`` (401) and ``PERMISSION_DENIED`` (403) are never
retried; ``RESOURCE_EXHAUSTED`` (too large, or the bus is full) and ``UNAVAILABLE`` (the bus, or
the database holding the keys, can't be reached) are retried with back-off, over HTTP as 429 /
503 with ``Retry-After``.

Every 5xx answered is logged here, once: an unexpected failure (:class:`ReceiverFaultError`, 500 /
``INTERNAL``) with its exception, an unavailable bus (503 / ``UNAVAILABLE``) with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from spyglass_core.errors import (
    DependencyUnavailableError,
    ForbiddenError,
    InvalidArgumentError,
    OverloadedError,
    PayloadTooLargeError,
    SpyglassError,
    UnauthorizedError,
)
from spyglass_core.logging import get_logger
from spyglass_ingest.receiver import metrics

log = get_logger(__name__)


class UnsupportedMediaError(SpyglassError):
    """The body's content type or encoding is not one OTLP/HTTP allows (415)."""


class ReceiverFaultError(SpyglassError):
    """Handling the request failed unexpectedly (500 / ``INTERNAL``); its cause is logged."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__("the receiver failed to handle the request; see its log")
        self.cause = cause


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
    (UnauthorizedError, 401, grpc.StatusCode.UNAUTHENTICATED),
    (ForbiddenError, 403, grpc.StatusCode.PERMISSION_DENIED),
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
    if status >= 500:
        fields = {"transport": transport, "status": status, "grpc_code": code.name}
        if isinstance(error, ReceiverFaultError):
            log.error("export_failed", **fields, exc_info=error.cause)
        elif error.retryable:
            log.warning("export_failed", **fields, reason=error.message)
        else:
            log.error("export_failed", **fields, reason=error.message, exc_info=error)
    return Refusal(status, code, retry_after)
