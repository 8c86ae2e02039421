"""The one error tree of Spyglass.

Code raises these; each edge (HTTP, GraphQL, gRPC, Celery, the launcher) maps them to its own
status once. ``ClientError`` and its subclasses carry messages that are safe to show to the
caller; anything else is an internal error whose details stay in the logs.

``retryable`` tells a caller whether the same request may succeed later (a dependency was down)
or never will (the input is wrong).
"""

from __future__ import annotations


class SpyglassError(Exception):
    """Base of every error Spyglass raises on purpose."""

    retryable: bool = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigurationError(SpyglassError):
    """The configuration is invalid; the message says which setting to fix."""


class ClientError(SpyglassError):
    """The caller's request is at fault; the message is safe to return to them."""


class InvalidArgumentError(ClientError):
    """A value in the request is malformed or out of range."""


class NotFoundError(ClientError):
    """The thing the request names does not exist."""


class ConflictError(ClientError):
    """The request conflicts with the current state (a duplicate name, say)."""


class UnauthorizedError(ClientError):
    """The request carries no valid credentials."""


class ForbiddenError(ClientError):
    """The credentials are valid but do not allow this request."""


class PayloadTooLargeError(ClientError):
    """The request, or a part of it, is over a configured size limit."""


class DependencyUnavailableError(SpyglassError):
    """A server we depend on (PostgreSQL, NATS, Redis, an upstream) can't be reached now."""

    retryable = True


class OverloadedError(SpyglassError):
    """We are at capacity; the caller should back off and retry."""

    retryable = True

    def __init__(self, message: str, retry_after_seconds: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds
