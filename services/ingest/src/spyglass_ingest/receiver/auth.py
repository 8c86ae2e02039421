"""Who may send spans to the receiver, and to which projects (issue 18).

With auth off (the default) nothing here runs: the transports are given no guard, and an export
costs exactly what it did before auth existed. With auth on, an export request is checked twice:

1. **Before its body is read**: the credential it carries (``Authorization: Bearer <key>`` or an
   ``api_key`` header over HTTP; the same two keys in gRPC metadata) must prove a principal with
   :attr:`~spyglass_auth.Access.INGEST`. None, or one that proves nothing (malformed, forged,
   expired, revoked): 401 / ``UNAUTHENTICATED``. A viewer: 403 / ``PERMISSION_DENIED``. The
   :class:`~spyglass_auth.Authenticator` trusts what it read for ``cache_seconds``, so a
   collector's steady stream of exports costs a dictionary lookup each, not a query.
2. **After decoding, before anything is published**: the decoder already groups the spans into
   one batch per project (the ``x-project-name`` header, else the resource's
   ``openinference.project.name``, else ``default``); each of those projects must be one the
   principal may write to. Only an ingest key is limited to a project; one span bound elsewhere
   refuses the whole request, naming both projects, and nothing of it is published.

A database that can't be read while checking a credential not remembered yet is 503 /
``UNAVAILABLE`` with ``Retry-After``: exporters retry, and keys already checked keep working.

Credentials are never logged: a refusal is logged with the key id and user id it proved.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import asyncpg
from sqlalchemy.exc import SQLAlchemyError

from spyglass_auth import Access, Authenticator, Principal, credential_from, denial
from spyglass_auth.tokens import MAX_TOKEN_LENGTH
from spyglass_core.errors import DependencyUnavailableError, ForbiddenError, UnauthorizedError
from spyglass_core.logging import get_logger
from spyglass_spans import DecodeResult

log = get_logger(__name__)

CREDENTIAL_KEYS = frozenset({"authorization", "api_key"})
"""The headers (and gRPC metadata keys) a credential is read from."""

NO_CREDENTIAL = (
    "Authentication required: send an API key as `Authorization: Bearer <key>` "
    "or in an `api_key` header"
)
BAD_CREDENTIAL = "Authentication required: the API key is invalid, expired or revoked"

_UNSTORABLE_PROJECT_REASONS = ("project_name_too_long", "project_name_has_nul")

# What reading a key can raise when PostgreSQL is down, refusing, or out of connections
# (SQLAlchemy wraps most of asyncpg's errors, not all of those raised while connecting).
_DATABASE_ERRORS = (SQLAlchemyError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError)


class CredentialUncheckableError(DependencyUnavailableError):
    """The credential can't be checked now: the database holding the keys can't be read."""

    def __init__(self, message: str, retry_after_seconds: float) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class IngestGuard:
    """Admits the export requests whose credential allows sending spans; one per process."""

    def __init__(self, authenticator: Authenticator, retry_after_seconds: float) -> None:
        self.authenticator = authenticator
        self._retry_after_seconds = retry_after_seconds
        # No valid credential is longer. Longer ones are refused before the authenticator,
        # which remembers every answer by its credential: HTTP headers may be megabytes long,
        # and a stream of distinct long garbage would fill its memory.
        admin_secret = authenticator.settings.admin_secret
        self._longest_credential = max(
            MAX_TOKEN_LENGTH, len(admin_secret.get_secret_value()) if admin_secret else 0
        )

    async def admit(self, headers: Mapping[str, str]) -> Principal:
        """The principal the request's credential proves, if it may send spans at all.

        Args:
            headers: the request's headers or gRPC metadata, names in lower case.

        Raises:
            UnauthorizedError: no credential, or one that proves nothing.
            ForbiddenError: the principal may not send spans (a viewer).
            CredentialUncheckableError: the database can't be read to check the credential.
        """
        credential = credential_from(headers)
        if len(credential) > self._longest_credential:
            raise UnauthorizedError(BAD_CREDENTIAL)
        try:
            principal = await self.authenticator.principal(credential)
        except _DATABASE_ERRORS as error:
            lines = str(error).splitlines()
            reason = lines[0] if lines else type(error).__name__
            raise CredentialUncheckableError(
                f"the API key can't be checked now: the database is unavailable "
                f"({type(error).__name__}: {reason}); retry later",
                self._retry_after_seconds,
            ) from None
        if principal is None:
            raise UnauthorizedError(BAD_CREDENTIAL if credential else NO_CREDENTIAL)
        refused = denial(principal, Access.INGEST)
        if refused is not None:
            raise _forbidden(principal, refused.message)
        return principal


def check_projects(
    principal: Principal, projects: Iterable[str], decoded: DecodeResult | None = None
) -> None:
    """Refuse the request unless ``principal`` may send spans to every one of ``projects``.

    Args:
        principal: who sends the request (admitted by :meth:`IngestGuard.admit`).
        projects: the projects the request's spans go to.
        decoded: the decoded request, when decoded: spans whose resource names a project that
            can't be stored are rejected by the decoder and in no batch, but they were not
            meant for an ingest key's project either.

    Raises:
        ForbiddenError: a project is not the principal's to write to; the message names it.
    """
    for project in projects:
        refused = denial(principal, Access.INGEST, project)
        if refused is not None:
            raise _forbidden(principal, refused.message, project=project)
    if decoded is not None and principal.is_ingest_key:
        rejected = decoded.rejected_by_reason
        if any(reason in rejected for reason in _UNSTORABLE_PROJECT_REASONS):
            raise _forbidden(
                principal,
                f"This ingest key writes to project {principal.project_name!r} only, not to "
                "the project named by a resource whose name is too long or holds a NUL",
            )


def _forbidden(principal: Principal, message: str, project: str | None = None) -> ForbiddenError:
    log.info(
        "export_forbidden",
        user_id=principal.user_id,
        key_id=principal.key_id,
        credential=principal.credential.value,
        key_project=principal.project_name,
        project=project,
        reason=message,
    )
    return ForbiddenError(message)
