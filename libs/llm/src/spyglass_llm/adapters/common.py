"""What the provider adapters share: JSON text of values, and the error an HTTP status means."""

from __future__ import annotations

from typing import Any

import orjson

from spyglass_llm.errors import (
    CredentialRejected,
    ProviderError,
    ProviderRequestError,
    RateLimited,
    TransientProviderError,
    UnknownModel,
    retry_after_seconds,
)


def json_text(value: Any) -> str:
    """``value`` as text for a provider: a string as it is, anything else as JSON."""
    if isinstance(value, str):
        return value
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def without_none(mapping: dict[str, Any]) -> dict[str, Any]:
    """``mapping`` without its None values."""
    return {key: value for key, value in mapping.items() if value is not None}


def parse_arguments(provider: str, arguments: str) -> dict[str, Any]:
    """A tool call's JSON arguments as an object, for providers that take one.

    Raises:
        ProviderRequestError: the arguments are not a JSON object.
    """
    try:
        value = orjson.loads(arguments) if arguments.strip() else {}
    except orjson.JSONDecodeError:
        value = None
    if not isinstance(value, dict):
        raise ProviderRequestError(
            provider, f"tool call arguments must be a JSON object for {provider}"
        )
    return value


def status_error(
    provider: str, model: str, status: int, message: str, headers: object, code: object = None
) -> ProviderError:
    """The error a provider's HTTP answer means: 429, 401/403, 404, 408/409/5xx, other 4xx."""
    if status == 429:
        return RateLimited(
            provider, f"rate limited by {provider}: {message}", retry_after_seconds(headers)
        )
    if status in (401, 403):
        return CredentialRejected(provider, message)
    if status == 404 or code == "model_not_found":
        return UnknownModel(provider, model, message)
    if status in (408, 409) or status >= 500:
        return TransientProviderError(provider, f"{provider} failed ({status}): {message}")
    return ProviderRequestError(
        provider, f"{provider} refused the request ({status}): {message}", status
    )
