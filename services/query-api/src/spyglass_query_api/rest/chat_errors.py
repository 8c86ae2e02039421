"""How ``POST /v1/chat/completions`` answers errors: OpenAI's ``{"error": {...}}`` object
(Phoenix's ``ChatCompletionErrorResponse``) with the status of the module docstring of
:mod:`.chat_completions`, for a provider's failure, a refused body, and every other failure of
the route (its own exception handlers, so the app's text/plain answers never reach it).
"""

from __future__ import annotations

import math
from typing import Any

import structlog
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import ExceptionHandlersMap

from spyglass_core.errors import (
    ClientError,
    ConflictError,
    DependencyUnavailableError,
    ForbiddenError,
    NotFoundError,
    OverloadedError,
    PayloadTooLargeError,
)
from spyglass_llm.chat import ChatRequest
from spyglass_llm.errors import (
    CredentialRejected,
    MissingCredential,
    ProviderError,
    RateLimited,
    TransientProviderError,
    UnknownModel,
    UnsupportedProviderError,
)
from spyglass_llm.providers import PROVIDERS
from spyglass_query_api.rest.errors import UnprocessableParameterError

log = structlog.get_logger(__name__)


class ChatCompletionError(Exception):
    """An answer in OpenAI's error shape."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        error_type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.param = param
        self.error_type = error_type or (
            "invalid_request_error" if status < 500 and status != 429 else "api_error"
        )
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        """``ChatCompletionErrorResponse`` of this error."""
        return {
            "error": {
                "message": self.message,
                "type": self.error_type,
                "param": self.param,
                "code": self.code,
            }
        }

    def response(self) -> Response[Any]:
        """The JSON answer."""
        return Response(
            self.body(), status_code=self.status, headers=self.headers, media_type=MediaType.JSON
        )


def provider_error(error: ProviderError) -> ChatCompletionError:
    """The answer a provider call's error gets (the table of :mod:`.chat_completions`)."""
    match error:
        case RateLimited():
            headers = {}
            if error.retry_after is not None:
                headers["Retry-After"] = str(max(1, math.ceil(error.retry_after)))
            return ChatCompletionError(
                429,
                error.message,
                code="rate_limit_exceeded",
                error_type="rate_limit_error",
                headers=headers,
            )
        case TransientProviderError():
            return ChatCompletionError(502, error.message, code="provider_unavailable")
        case CredentialRejected():
            variables = _key_variables(error.provider)
            hint = f"; check {variables} (PUT /v1/secrets or the environment)" if variables else ""
            return ChatCompletionError(
                400, error.message + hint, code="invalid_api_key", error_type="authentication_error"
            )
        case UnknownModel():
            return ChatCompletionError(404, error.message, code="model_not_found", param="model")
        case MissingCredential():
            return ChatCompletionError(400, error.message, code="missing_credential")
        case UnsupportedProviderError():
            return ChatCompletionError(400, error.message, param="model")
    return ChatCompletionError(400, error.message)


def _key_variables(provider: str) -> str:
    for provider_enum, spec in PROVIDERS.items():
        if provider_enum.value == provider:
            return " or ".join(spec.api_key_variables)
    return ""


def _timed_out(error: BaseException) -> bool:
    """Whether a provider error was a timeout: the library's own (``TimeoutError``) or the
    SDK's (``APITimeoutError``, httpx's ``ReadTimeout``...), found among its causes."""
    cause = error.__cause__ or error.__context__
    for _ in range(8):
        if cause is None:
            return False
        if isinstance(cause, TimeoutError) or "Timeout" in type(cause).__name__:
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def call_error(
    error: ProviderError, request: ChatRequest, timeout: float, waiting_for: str
) -> ChatCompletionError:
    """The answer to a failed call: 504 for a timeout, else :func:`provider_error`'s."""
    if isinstance(error, TransientProviderError) and _timed_out(error):
        return ChatCompletionError(
            504,
            f"{request.provider.value.lower()} did not {waiting_for} within {timeout:g}s "
            "(SPYGLASS_QUERY_API_PLAYGROUND_TIMEOUT_SECONDS)",
            code="timeout",
        )
    return provider_error(error)


def _json_error(status: int, message: str, param: str | None = None) -> Response[Any]:
    return ChatCompletionError(status, message, param=param).response()


def _validation_error(_: Request[Any, Any, Any], error: ValidationException) -> Response[Any]:
    problems = (
        [item for item in error.extra if isinstance(item, dict)]
        if isinstance(error.extra, list)
        else []
    )
    if not problems:
        return _json_error(422, error.detail)
    first = problems[0]
    key = str(first.get("key") or "")
    message = str(first.get("message", "")).removeprefix("Value error, ")
    return _json_error(422, f"{key}: {message}" if key else message, key or None)


_CLIENT_STATUS: tuple[tuple[type[ClientError], int], ...] = (
    (NotFoundError, 404),
    (PayloadTooLargeError, 413),
    (ForbiddenError, 403),
    (ConflictError, 409),
)


def _client_error(_: Request[Any, Any, Any], error: ClientError) -> Response[Any]:
    if isinstance(error, UnprocessableParameterError):
        return _json_error(422, str(error), error.parameter or None)
    status = next((code for kind, code in _CLIENT_STATUS if isinstance(error, kind)), 400)
    return _json_error(status, str(error))


def _http_error(_: Request[Any, Any, Any], error: HTTPException) -> Response[Any]:
    return _json_error(error.status_code, error.detail)


def _unavailable(_: Request[Any, Any, Any], error: DependencyUnavailableError) -> Response[Any]:
    log.warning("dependency_unavailable", error=str(error))
    return ChatCompletionError(503, str(error), headers={"Retry-After": "5"}).response()


def _overloaded(_: Request[Any, Any, Any], error: OverloadedError) -> Response[Any]:
    retry_after = str(max(1, math.ceil(error.retry_after_seconds)))
    return ChatCompletionError(429, str(error), headers={"Retry-After": retry_after}).response()


def _internal(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    log.error("internal_error", path=request.url.path, exc_info=error)
    return ChatCompletionError(500, "Internal Server Error").response()


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    ChatCompletionError: lambda _, error: error.response(),
    ValidationException: _validation_error,
    ClientError: _client_error,
    HTTPException: _http_error,
    DependencyUnavailableError: _unavailable,
    OverloadedError: _overloaded,
    Exception: _internal,
}
"""Every failure of the route answered in OpenAI's error shape."""
