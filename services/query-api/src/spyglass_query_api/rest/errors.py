"""How the REST API answers errors: the way Phoenix does, so that its clients read them.

Phoenix answers an ``HTTPException`` with its detail as ``text/plain`` and a request that fails
validation with 422 and JSON ``{"detail": [...]}``. Our error tree maps onto that here, and only
here.
"""

from __future__ import annotations

from typing import Any

import structlog
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_503_SERVICE_UNAVAILABLE,
)
from litestar.types import ExceptionHandlersMap

from spyglass_core.errors import (
    ClientError,
    ConflictError,
    DependencyUnavailableError,
    ForbiddenError,
    InvalidArgumentError,
    NotFoundError,
    PayloadTooLargeError,
)

log = structlog.get_logger(__name__)


class UnprocessableParameterError(InvalidArgumentError):
    """A query or path parameter has a value the endpoint can't use (422, naming it)."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter


_STATUS: tuple[tuple[type[ClientError], int], ...] = (
    (UnprocessableParameterError, HTTP_422_UNPROCESSABLE_ENTITY),
    (NotFoundError, HTTP_404_NOT_FOUND),
    (ConflictError, HTTP_409_CONFLICT),
    (ForbiddenError, HTTP_403_FORBIDDEN),
    (PayloadTooLargeError, HTTP_413_REQUEST_ENTITY_TOO_LARGE),
    (InvalidArgumentError, HTTP_400_BAD_REQUEST),
)


def _plain(status: int, detail: str) -> Response[str]:
    return Response(detail, status_code=status, media_type=MediaType.TEXT)


def client_error_handler(_: Request[Any, Any, Any], error: ClientError) -> Response[Any]:
    """A client error: its message, as text, with the status of its kind."""
    if isinstance(error, UnprocessableParameterError):
        return Response(
            {
                "detail": [
                    {"loc": ["query", error.parameter], "msg": str(error), "type": "value_error"}
                ]
            },
            status_code=HTTP_422_UNPROCESSABLE_ENTITY,
        )
    status = next((code for kind, code in _STATUS if isinstance(error, kind)), HTTP_400_BAD_REQUEST)
    return _plain(status, str(error))


def validation_error_handler(
    _: Request[Any, Any, Any], error: ValidationException
) -> Response[dict[str, Any]]:
    """A request that fails validation: 422 with FastAPI's ``{"detail": [...]}`` shape."""
    details = []
    for item in error.extra if isinstance(error.extra, list) else []:
        if isinstance(item, dict):
            details.append(
                {
                    "loc": [item.get("source") or "body", *str(item.get("key") or "").split(".")],
                    "msg": item.get("message", ""),
                    "type": "value_error",
                }
            )
    if not details:
        details.append({"loc": ["body"], "msg": error.detail, "type": "value_error"})
    return Response({"detail": details}, status_code=HTTP_422_UNPROCESSABLE_ENTITY)


def http_error_handler(_: Request[Any, Any, Any], error: HTTPException) -> Response[str]:
    """Other HTTP errors (unknown route, method not allowed...): the detail as text."""
    return _plain(error.status_code, error.detail)


def unavailable_handler(
    _: Request[Any, Any, Any], error: DependencyUnavailableError
) -> Response[str]:
    """PostgreSQL (or another dependency) is down: 503, say so, let the client retry."""
    log.warning("dependency_unavailable", error=str(error))
    response = _plain(HTTP_503_SERVICE_UNAVAILABLE, str(error))
    response.headers["Retry-After"] = "5"
    return response


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    ClientError: client_error_handler,
    ValidationException: validation_error_handler,
    HTTPException: http_error_handler,
    DependencyUnavailableError: unavailable_handler,
}
