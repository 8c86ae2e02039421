"""What went wrong with a provider call, and what the caller should do about it.

Every error names the provider (``.provider``, as ``ModelProvider`` spells it) and says in its
class what to do:

============================  ==========================================  =====================
error                         cause                                       caller
============================  ==========================================  =====================
``RateLimited``               429 (``.retry_after`` seconds, when given)  wait, retry
``TransientProviderError``    5xx, timeout, connection refused or reset   back off, retry
``CredentialRejected``        401 / 403                                   stop; fix the key
``UnknownModel``              404, or the provider says no such model     stop; fix the model
``ProviderRequestError``      any other 4xx (the provider's own message)  stop; fix the request
``MissingCredential``         no key configured (names the variable)      stop; set it
``UnsupportedProviderError``  AWS, or an unknown provider name            stop
============================  ==========================================  =====================

``retryable`` is true for the first two only. Messages are safe to show a user: they never
hold a key, and a provider's message is cut to :data:`MAX_PROVIDER_MESSAGE` characters.
"""

from __future__ import annotations

from spyglass_core.errors import InvalidArgumentError, SpyglassError

MAX_PROVIDER_MESSAGE = 1000
"""The most characters of a provider's own error message that an error carries."""


class ProviderError(SpyglassError):
    """Base of every error of a provider call; ``provider`` names the provider."""

    def __init__(self, provider: str, message: str) -> None:
        super().__init__(message)
        self.provider = provider


class RateLimited(ProviderError):  # noqa: N818 - named for what happened, as callers say it
    """The provider answered 429: too many requests or tokens for this key and model.

    ``retry_after`` is the delay the provider asked for (``Retry-After`` or
    ``retry-after-ms``), in seconds, or None when it gave none.
    """

    retryable = True

    def __init__(self, provider: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(provider, message)
        self.retry_after = retry_after


class TransientProviderError(ProviderError):
    """The provider failed in a way that may pass: a 5xx, a timeout, a lost connection."""

    retryable = True


class CredentialRejected(ProviderError):  # noqa: N818 - likewise
    """The provider refused the credential (401 or 403); retrying will not help."""

    def __init__(self, provider: str, detail: str | None = None) -> None:
        message = f"credential rejected by {provider}"
        super().__init__(provider, f"{message}: {detail}" if detail else message)


class UnknownModel(ProviderError):  # noqa: N818 - likewise
    """The provider does not know the model (404, or its "model not found" error)."""

    def __init__(self, provider: str, model: str, detail: str | None = None) -> None:
        message = f"model {model!r} is unknown to {provider}"
        super().__init__(provider, f"{message}: {detail}" if detail else message)
        self.model = model


class ProviderRequestError(ProviderError):
    """The provider refused the request (a 4xx other than 401/403/404/429): its message says why."""

    def __init__(self, provider: str, message: str, status_code: int | None = None) -> None:
        super().__init__(provider, message)
        self.status_code = status_code


class MissingCredential(ProviderError):  # noqa: N818 - likewise
    """No credential is configured for the provider; ``variables`` are the names to set."""

    def __init__(self, provider: str, variables: tuple[str, ...], what: str = "API key") -> None:
        names = " or ".join(variables)
        super().__init__(
            provider,
            f"no {what} configured for {provider}: set the secret {names} "
            f"(PUT /v1/secrets) or the environment variable {names}",
        )
        self.variables = variables


class UnsupportedProviderError(ProviderError, InvalidArgumentError):
    """Spyglass cannot call this provider (AWS Bedrock), or no provider has the name given."""

    def __init__(self, provider: str, message: str) -> None:
        ProviderError.__init__(self, provider, message)


def provider_message(message: str) -> str:
    """A provider's error message, cut to :data:`MAX_PROVIDER_MESSAGE` characters."""
    message = message.strip() or "no message"
    if len(message) > MAX_PROVIDER_MESSAGE:
        return message[: MAX_PROVIDER_MESSAGE - 1] + "…"
    return message


def retry_after_seconds(headers: object) -> float | None:
    """The delay a 429 (or 503) answer asks for: ``retry-after-ms``, else ``Retry-After``.

    ``headers`` is any mapping with a case-insensitive ``get`` (httpx's ``Headers``). An
    HTTP-date ``Retry-After``, a negative, non-finite or unparsable value count as not given;
    values are capped at one day.
    """
    get = getattr(headers, "get", None)
    if get is None:
        return None
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        raw = get(name)
        if raw is None:
            continue
        try:
            value = float(str(raw).strip()) * scale
        except ValueError:
            continue
        if value != value or value < 0 or value == float("inf"):
            continue
        return min(value, 86_400.0)
    return None
