"""What the login, user and API key endpoints take (Phoenix's shapes where Phoenix has them).

Checked as every body is: exact JSON types, unknown keys refused, each refusal a 422 naming
its field. An email is trimmed, at most :data:`MAX_EMAIL_LENGTH` characters, and holds one
``@`` with something on each side (nothing more is asked: the address is a login, not a
mailbox we write to). A username is trimmed, 1 to :data:`MAX_USERNAME_LENGTH` characters, with
no control characters. A password to set must pass ``spyglass_auth.password_problem``; one to
check is only held to its maximum length (a longer one can't be anybody's).
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypeAlias

from pydantic import AfterValidator, BeforeValidator, Field, Strict, ValidationInfo, model_validator

from spyglass_auth.passwords import MAX_PASSWORD_LENGTH, password_problem
from spyglass_auth.tokens import MAX_TOKEN_LENGTH
from spyglass_query_api.rest.evaluator_bodies import Body
from spyglass_query_api.rest.fields import Name
from spyglass_query_api.rest.prompt_bodies import Boolean

MAX_EMAIL_LENGTH = 320
MAX_USERNAME_LENGTH = 64
MAX_DESCRIPTION_LENGTH = 1_000
LATEST_EXPIRY = datetime(9000, 1, 1, tzinfo=UTC)
"""The latest a key may expire (later, and a time zone could take it past year 9999)."""

_UNSET: Any = None
"""The default of an optional field whose type has no ``null``: omitted is fine, ``null`` is
refused (pydantic never validates a default)."""


def _field(info: ValidationInfo, default: str) -> str:
    return info.field_name or default


def _has_control(value: str) -> bool:
    return any(unicodedata.category(character) == "Cc" for character in value)


def _email(value: str, info: ValidationInfo) -> str:
    field = _field(info, "email")
    value = value.strip()
    if len(value) > MAX_EMAIL_LENGTH:
        raise ValueError(f"`{field}` must be at most {MAX_EMAIL_LENGTH} characters")
    local, at, domain = value.partition("@")
    if not at or not local or not domain or "@" in domain or _has_control(value):
        raise ValueError(f"`{field}` must be an email address (name@domain)")
    return value


def _username(value: str, info: ValidationInfo) -> str:
    field = _field(info, "username")
    value = value.strip()
    if not value:
        raise ValueError(f"`{field}` must not be empty")
    if len(value) > MAX_USERNAME_LENGTH:
        raise ValueError(f"`{field}` must be at most {MAX_USERNAME_LENGTH} characters")
    if _has_control(value):
        raise ValueError(f"`{field}` must not contain control characters")
    return value


def _new_password(value: str, info: ValidationInfo) -> str:
    problem = password_problem(value)
    if problem is not None:
        raise ValueError(f"`{_field(info, 'password')}` {problem}")
    return value


def _local_only(value: Any) -> Any:
    if value != "LOCAL":
        raise ValueError("`auth_method` must be LOCAL: OAuth2 and LDAP users are not supported yet")
    return value


def _expiry(value: datetime | None, info: ValidationInfo) -> datetime | None:
    if value is None:
        return None
    field = _field(info, "expires_at")
    try:
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        moment = moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"`{field}` must be before year 9000") from None
    if moment <= datetime.now(UTC):
        raise ValueError(f"`{field}` must be in the future")
    if moment >= LATEST_EXPIRY:
        raise ValueError(f"`{field}` must be before year 9000")
    return moment


Email: TypeAlias = Annotated[str, AfterValidator(_email)]
Username: TypeAlias = Annotated[str, AfterValidator(_username)]
NewPassword: TypeAlias = Annotated[str, AfterValidator(_new_password)]
"""A password to set: strong enough (``password_problem``)."""
GivenPassword: TypeAlias = Annotated[str, Field(max_length=MAX_PASSWORD_LENGTH)]
"""A password to check against a stored one."""
AssignableRole: TypeAlias = Literal["ADMIN", "MEMBER", "VIEWER"]
Description: TypeAlias = Annotated[str, Field(max_length=MAX_DESCRIPTION_LENGTH)]
Expiry: TypeAlias = Annotated[datetime, Strict(False), AfterValidator(_expiry)]
"""When a key stops working: in the future (a time without a zone is UTC)."""


# Users ------------------------------------------------------------------------------------------


class LocalUserData(Body):
    """A user who signs in with an email (or username) and a password."""

    email: Email
    username: Username
    role: AssignableRole
    auth_method: Annotated[Literal["LOCAL"], BeforeValidator(_local_only)]
    password: NewPassword = _UNSET

    @model_validator(mode="after")
    def _with_password(self) -> LocalUserData:
        if self.password is None:
            raise ValueError("`password` is required: a LOCAL user signs in with one")
        return self


class CreateUserRequestBody(Body):
    user: LocalUserData
    send_welcome_email: Boolean = Field(
        default=True,
        description="Accepted for Phoenix's clients; no mail is sent (no mail server is "
        "configured): hand the user their password, or a reset link "
        "(`POST /v1/users/{user_id}/password_reset`).",
    )


class PatchUserRequestBody(Body):
    """An admin's change to a user; an omitted field is unchanged. A password set here must be
    changed by its user at their next login, and ends the user's sessions."""

    role: AssignableRole = _UNSET
    username: Username = _UNSET
    password: NewPassword = _UNSET


class PatchViewerRequestBody(Body):
    """A change to your own account; ``current_password`` is required to set ``new_password``
    (which ends your other sessions)."""

    username: Username = _UNSET
    current_password: GivenPassword = _UNSET
    new_password: NewPassword = _UNSET

    @model_validator(mode="after")
    def _password_pair(self) -> PatchViewerRequestBody:
        if self.new_password is not None and self.current_password is None:
            raise ValueError("`current_password` is required to set a new password")
        if self.current_password is not None and self.new_password is None:
            raise ValueError("`new_password` is missing: `current_password` alone changes nothing")
        return self


# API keys ---------------------------------------------------------------------------------------


class ApiKeyData(Body):
    name: Name = Field(description="A human-readable name for the API key.")
    description: Description | None = Field(
        default=None, description="An optional description of what the API key is for."
    )
    expires_at: Expiry | None = Field(
        default=None, description="When the API key expires. The key never expires when omitted."
    )


class CreateApiKeyRequestBody(Body):
    data: ApiKeyData


class IngestKeyData(Body):
    name: Name = Field(description="A human-readable name (the collector that holds it).")
    description: Description | None = None
    project_name: Name = Field(description="The one project the key may send spans into.")
    expires_at: Expiry | None = Field(
        default=None, description="When the key expires. The key never expires when omitted."
    )


class CreateIngestKeyRequestBody(Body):
    data: IngestKeyData


# Login ------------------------------------------------------------------------------------------


class LoginRequestBody(Body):
    """Who is signing in (``email``, or ``username``) and their password."""

    email: Annotated[str, Field(max_length=MAX_EMAIL_LENGTH)] = _UNSET
    """The user's email (any case) or, as Phoenix's form allows, their username."""
    username: Annotated[str, Field(max_length=MAX_USERNAME_LENGTH)] = _UNSET
    password: GivenPassword

    @model_validator(mode="after")
    def _one_login(self) -> LoginRequestBody:
        if (self.email is None) == (self.username is None):
            raise ValueError("give `email` or `username` (one of them)")
        return self

    @property
    def login(self) -> str:
        """The email or username given, trimmed."""
        return (self.email if self.email is not None else self.username or "").strip()


class PasswordResetRequestBody(Body):
    """A reset link's token and the new password."""

    token: Annotated[str, Field(max_length=MAX_TOKEN_LENGTH)]
    password: NewPassword
