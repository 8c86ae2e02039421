"""How the REST API answers errors: the way Phoenix does, so that its clients read them.

Phoenix answers an ``HTTPException`` with its detail as ``text/plain`` and a request that fails
validation with 422 and JSON ``{"detail": [...]}``. Our error tree maps onto that here, and only
here.
"""

from __future__ import annotations

import math
from typing import Any

import asyncpg
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
    HTTP_429_TOO_MANY_REQUESTS,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)
from litestar.types import ExceptionHandlersMap
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from spyglass_core.errors import (
    ClientError,
    ConflictError,
    DependencyUnavailableError,
    ForbiddenError,
    InvalidArgumentError,
    NotFoundError,
    OverloadedError,
    PayloadTooLargeError,
)

log = structlog.get_logger(__name__)


class UnprocessableParameterError(InvalidArgumentError):
    """A parameter or body field has a value the endpoint can't use (422, naming it).

    ``location`` is where it was: ``query``, ``path`` or ``body`` (then ``parameter`` is the
    field's dotted path, ``data.0.name``).
    """

    def __init__(self, parameter: str, message: str, location: str = "query") -> None:
        super().__init__(message)
        self.parameter = parameter
        self.location = location


class UnprocessableEntityError(InvalidArgumentError):
    """A request Phoenix refuses with 422 and a plain-text reason (not a parameter's value)."""


_STATUS: tuple[tuple[type[ClientError], int], ...] = (
    (UnprocessableParameterError, HTTP_422_UNPROCESSABLE_ENTITY),
    (UnprocessableEntityError, HTTP_422_UNPROCESSABLE_ENTITY),
    (NotFoundError, HTTP_404_NOT_FOUND),
    (ConflictError, HTTP_409_CONFLICT),
    (ForbiddenError, HTTP_403_FORBIDDEN),
    (PayloadTooLargeError, HTTP_413_REQUEST_ENTITY_TOO_LARGE),
    (InvalidArgumentError, HTTP_400_BAD_REQUEST),
)


_OUTAGE_ERRORS = (
    OSError,  # refused, reset, unreachable; TimeoutError (a connect timeout) is one too
    asyncpg.PostgresConnectionError,  # SQLSTATE class 08: the connection failed or was lost
    asyncpg.exceptions.OperatorInterventionError,  # class 57: shutting down, starting up
    asyncpg.TooManyConnectionsError,
    PoolTimeoutError,  # every pooled connection is busy
)


def database_outage(error: BaseException) -> DependencyUnavailableError | None:
    """The :class:`DependencyUnavailableError` that ``error`` amounts to if it means PostgreSQL
    can't be reached now (refused, lost, shutting down, out of connections), else None.

    SQLAlchemy wraps asyncpg's errors, so the chain of causes is searched.
    """
    seen: BaseException | None = error
    for _ in range(8):
        if seen is None:
            break
        if isinstance(seen, _OUTAGE_ERRORS) or (
            isinstance(seen, DBAPIError) and seen.connection_invalidated
        ):
            reason = str(seen).splitlines()[0] if str(seen) else type(seen).__name__
            return DependencyUnavailableError(
                f"the database is unavailable ({type(seen).__name__}: {reason}); retry later"
            )
        seen = seen.__cause__ or seen.__context__
    return None


def _plain(status: int, detail: str) -> Response[str]:
    return Response(detail, status_code=status, media_type=MediaType.TEXT)


def client_error_handler(_: Request[Any, Any, Any], error: ClientError) -> Response[Any]:
    """A client error: its message, as text, with the status of its kind."""
    if isinstance(error, UnprocessableParameterError):
        names = error.parameter.split(".") if error.location == "body" else [error.parameter]
        location = [error.location, *(name for name in names if name)]
        return Response(
            {"detail": [{"loc": location, "msg": str(error), "type": "value_error"}]},
            status_code=HTTP_422_UNPROCESSABLE_ENTITY,
        )
    status = next((code for kind, code in _STATUS if isinstance(error, kind)), HTTP_400_BAD_REQUEST)
    return _plain(status, str(error))


def _without_prefix(message: str) -> str:
    # pydantic prefixes the message of a validator's ValueError; ours name field and rule alone
    return message.removeprefix("Value error, ")


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
                    "msg": _without_prefix(str(item.get("message", ""))),
                    "type": "value_error",
                }
            )
    if not details:
        details.append({"loc": ["body"], "msg": error.detail, "type": "value_error"})
    return Response({"detail": details}, status_code=HTTP_422_UNPROCESSABLE_ENTITY)


def http_error_handler(_: Request[Any, Any, Any], error: HTTPException) -> Response[str]:
    """Other HTTP errors (unknown route, method not allowed, 401, 403...): the detail as text,
    with the error's headers (``WWW-Authenticate``, ``Allow``)."""
    response = _plain(error.status_code, error.detail)
    for name, value in (error.headers or {}).items():
        response.headers[name] = value
    return response


def unavailable_handler(
    _: Request[Any, Any, Any], error: DependencyUnavailableError
) -> Response[str]:
    """PostgreSQL (or another dependency) is down: 503, say so, let the client retry."""
    log.warning("dependency_unavailable", error=str(error))
    response = _plain(HTTP_503_SERVICE_UNAVAILABLE, str(error))
    response.headers["Retry-After"] = "5"
    return response


def overloaded_handler(_: Request[Any, Any, Any], error: OverloadedError) -> Response[str]:
    """We (the span bus, say) are at capacity: 429 with ``Retry-After``."""
    response = _plain(HTTP_429_TOO_MANY_REQUESTS, str(error))
    response.headers["Retry-After"] = str(max(1, math.ceil(error.retry_after_seconds)))
    return response


def database_error_handler(request: Request[Any, Any, Any], error: Exception) -> Response[str]:
    """A database error: 503 when PostgreSQL can't be reached (see :func:`database_outage`),
    else an internal error, logged here with its traceback and answered without details."""
    outage = database_outage(error)
    if outage is not None:
        return unavailable_handler(request, outage)
    return internal_error_handler(request, error)


def internal_error_handler(request: Request[Any, Any, Any], error: Exception) -> Response[str]:
    """A bug: logged here with its traceback (the operator's only trace of it), answered 500
    without details."""
    log.error("internal_error", path=request.url.path, exc_info=error)
    return _plain(HTTP_500_INTERNAL_SERVER_ERROR, "Internal Server Error")


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    ClientError: client_error_handler,
    ValidationException: validation_error_handler,
    HTTPException: http_error_handler,
    DependencyUnavailableError: unavailable_handler,
    OverloadedError: overloaded_handler,
    SQLAlchemyError: database_error_handler,
    asyncpg.PostgresError: database_error_handler,
    asyncpg.InterfaceError: database_error_handler,
    OSError: database_error_handler,
    Exception: internal_error_handler,
}
