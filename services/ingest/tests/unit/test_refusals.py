"""How the receiver answers a refused request: each 5xx logged once, never gRPC UNKNOWN."""

from __future__ import annotations

import grpc
import pytest
from structlog.testing import capture_logs

from spyglass_core.errors import (
    DependencyUnavailableError,
    ForbiddenError,
    InvalidArgumentError,
    PayloadTooLargeError,
    SpyglassError,
    UnauthorizedError,
)
from spyglass_ingest.receiver.refusals import ReceiverFaultError, Refusal, refusal


def test_an_unexpected_failure_is_500_internal_logged_with_its_exception() -> None:
    cause = RuntimeError("boom")

    with capture_logs() as logs:
        answer = refusal(ReceiverFaultError(cause), "grpc")

    assert answer == Refusal(500, grpc.StatusCode.INTERNAL, None)
    assert [(log["event"], log["status"], log["exc_info"]) for log in logs] == [
        ("export_failed", 500, cause)
    ]


def test_an_unavailable_bus_is_503_logged_with_its_reason() -> None:
    with capture_logs() as logs:
        answer = refusal(DependencyUnavailableError("the span bus is down"), "http")

    assert answer == Refusal(503, grpc.StatusCode.UNAVAILABLE, 2)
    assert [(log["event"], log["reason"]) for log in logs] == [
        ("export_failed", "the span bus is down")
    ]


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (InvalidArgumentError("bad"), 400, grpc.StatusCode.INVALID_ARGUMENT),
        (PayloadTooLargeError("big"), 413, grpc.StatusCode.RESOURCE_EXHAUSTED),
        (UnauthorizedError("who?"), 401, grpc.StatusCode.UNAUTHENTICATED),
        (ForbiddenError("not you"), 403, grpc.StatusCode.PERMISSION_DENIED),
    ],
)
def test_client_errors_are_not_logged_as_failures(
    error: SpyglassError, status: int, code: grpc.StatusCode
) -> None:
    with capture_logs() as logs:
        answer = refusal(error, "http")

    assert (answer.http_status, answer.grpc_code) == (status, code)
    assert logs == []
