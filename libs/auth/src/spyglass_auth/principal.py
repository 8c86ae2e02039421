"""Who is asking (:class:`Principal`) and whether they may (:func:`denial`).

Every entry point (the gateway, the query API's REST and GraphQL, the ingest receiver, the
workers' jobs) asks the same question in the same words: which :class:`Access` an operation
needs, and whether this principal has it. The rules are Phoenix's, plus ingest keys:

==========  ========================================================================
Access      who has it
==========  ========================================================================
PUBLIC      everyone, signed in or not (health, login, the UI's files)
SIGNED_IN   any user, whatever the role (their own profile and API keys)
READ        any user (viewers included)
WRITE       members, admins and the system (viewers: 403)
ADMIN       admins and the system (user management, system keys)
INGEST      members, admins, the system, and an ingest key for its own project
==========  ========================================================================

An ingest key has INGEST for its project and nothing else. With auth off every request acts
as :data:`ANONYMOUS`, which has every access (Phoenix's behaviour).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """A user's role (Phoenix's names)."""

    SYSTEM = "SYSTEM"
    ADMIN = "ADMIN"
    MEMBER = "MEMBER"
    VIEWER = "VIEWER"


class Credential(StrEnum):
    """How the principal proved who it is."""

    NONE = "NONE"
    """Auth is off."""
    SESSION = "SESSION"
    """An access token from a login (cookie or bearer)."""
    USER_KEY = "USER_KEY"
    SYSTEM_KEY = "SYSTEM_KEY"
    INGEST_KEY = "INGEST_KEY"
    ADMIN_SECRET = "ADMIN_SECRET"  # noqa: S105 (a name, not a secret)
    """``PHOENIX_ADMIN_SECRET`` as a bearer token."""


class Access(StrEnum):
    """What an operation needs."""

    PUBLIC = "PUBLIC"
    SIGNED_IN = "SIGNED_IN"
    READ = "READ"
    WRITE = "WRITE"
    ADMIN = "ADMIN"
    INGEST = "INGEST"


@dataclass(frozen=True)
class Principal:
    """A user (or the system) acting through one credential."""

    user_id: int | None
    role: Role
    credential: Credential
    username: str | None = None
    project_name: str | None = None
    """The one project an ingest key writes to."""
    key_id: int | None = None
    """The API key used (user, system or ingest key)."""
    session_id: int | None = None
    """The login session whose access token was used."""

    @property
    def is_ingest_key(self) -> bool:
        return self.credential is Credential.INGEST_KEY


ANONYMOUS = Principal(user_id=None, role=Role.ADMIN, credential=Credential.NONE)
"""Every request when auth is off: it may do anything, and records no user."""


@dataclass(frozen=True)
class Denial:
    """Why a request is refused: 401 (who are you?) or 403 (not you)."""

    status: int
    message: str


UNAUTHENTICATED = Denial(401, "Authentication required: sign in, or send an API key")
_WRITERS = frozenset({Role.SYSTEM, Role.ADMIN, Role.MEMBER})
_ADMINS = frozenset({Role.SYSTEM, Role.ADMIN})


def denial(
    principal: Principal | None, access: Access, project_name: str | None = None
) -> Denial | None:
    """Why ``principal`` may not perform an operation that needs ``access`` (on
    ``project_name``, for INGEST), or None if it may."""
    if access is Access.PUBLIC or principal is ANONYMOUS:
        return None
    if principal is None:
        return UNAUTHENTICATED
    if principal.is_ingest_key:
        if access is not Access.INGEST:
            return Denial(403, "An ingest key can only send spans")
        if project_name is not None and project_name != principal.project_name:
            return Denial(
                403,
                f"This ingest key writes to project {principal.project_name!r} only, "
                f"not {project_name!r}",
            )
        return None
    if access in (Access.SIGNED_IN, Access.READ):
        return None
    if access in (Access.WRITE, Access.INGEST):
        if principal.role in _WRITERS:
            return None
        return Denial(403, "Viewers cannot perform this action")
    if principal.role in _ADMINS:
        return None
    return Denial(403, "Only admins can perform this action")
