"""How GraphQL answers errors: client errors say what is wrong; anything else is masked.

Resolvers raise the ``spyglass_core.errors`` tree; this module maps it, and only this one. A
client error keeps its message and gets ``extensions.code`` (``BAD_USER_INPUT``, ``NOT_FOUND``,
``INVALID_FILTER``...) and, where one argument is at fault, ``extensions.argument``. Any other
exception is logged once, here, and answered as ``Internal error``.
"""

from __future__ import annotations

from typing import Any

import structlog
from graphql import GraphQLError

from spyglass_core.errors import (
    ClientError,
    ConflictError,
    DependencyUnavailableError,
    ForbiddenError,
    InvalidArgumentError,
    NotFoundError,
)
from spyglass_db.filters import FilterExpressionError

log = structlog.get_logger(__name__)

INTERNAL_ERROR_MESSAGE = "Internal error"


class ArgumentError(InvalidArgumentError):
    """An argument has a value the field can't use; ``argument`` names it."""

    def __init__(self, argument: str, message: str) -> None:
        super().__init__(message)
        self.argument = argument


class FilterArgumentError(ArgumentError):
    """The ``filter`` argument is not a valid expression of the span filter language."""

    def __init__(self, argument: str, error: FilterExpressionError) -> None:
        super().__init__(argument, str(error))
        self.line = error.line
        self.column = error.column
        self.reason = error.reason


_CODES: tuple[tuple[type[Exception], str], ...] = (
    (FilterArgumentError, "INVALID_FILTER"),
    (ArgumentError, "BAD_USER_INPUT"),
    (NotFoundError, "NOT_FOUND"),
    (ConflictError, "CONFLICT"),
    (ForbiddenError, "FORBIDDEN"),
    (InvalidArgumentError, "BAD_USER_INPUT"),
    (ClientError, "BAD_REQUEST"),
)


def _extensions(error: ClientError) -> dict[str, Any]:
    code = next((code for kind, code in _CODES if isinstance(error, kind)), "BAD_REQUEST")
    extensions: dict[str, Any] = {"code": code}
    if isinstance(error, ArgumentError):
        extensions["argument"] = error.argument
    if isinstance(error, FilterArgumentError):
        extensions.update(line=error.line, column=error.column, reason=error.reason)
    return extensions


def format_error(error: GraphQLError, debug: bool = False) -> dict[str, Any]:
    """One error of a response: client errors as they are, anything else masked and logged.

    Errors without a path come from parsing, validation and variable coercion (unknown fields,
    a malformed DateTime, a query too deep): their messages are for the client and pass
    unchanged.
    """
    formatted: dict[str, Any] = dict(error.formatted)
    original = error.original_error
    if error.path is None or original is None or isinstance(original, GraphQLError):
        formatted.setdefault("extensions", {}).setdefault("code", "GRAPHQL_VALIDATION_FAILED")
        return formatted
    if isinstance(original, ClientError):
        formatted["message"] = str(original)
        formatted["extensions"] = _extensions(original)
        return formatted
    if isinstance(original, DependencyUnavailableError):
        log.warning("dependency_unavailable", error=str(original))
        formatted["message"] = str(original)
        formatted["extensions"] = {"code": "SERVICE_UNAVAILABLE"}
        return formatted
    log.error("graphql_resolver_failed", path=error.path, exc_info=original)
    formatted["message"] = INTERNAL_ERROR_MESSAGE
    formatted["extensions"] = {"code": "INTERNAL_SERVER_ERROR"}
    return formatted
