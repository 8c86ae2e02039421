"""What the user and API key endpoints answer: Phoenix's shapes (``LocalUser``, ``ApiKey``,
``CreatedApiKey``, ``UserApiKey``...) under Phoenix's names, and our ingest keys beside them.

Ids are GlobalIDs: ``User:N``, ``UserApiKey:N``, ``SystemApiKey:N``, ``IngestKey:N``. A user is
never answered with its password hash, and a key's token (``key``) only once, by the request
that created it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, TypeAlias

from pydantic import BaseModel, Field

from spyglass_db.auth import KeyRow, UserRow
from spyglass_query_api.queries.ids import global_id

RoleName: TypeAlias = Literal["SYSTEM", "ADMIN", "MEMBER", "VIEWER"]
KEY_TYPES = {"USER": "UserApiKey", "SYSTEM": "SystemApiKey", "INGEST": "IngestKey"}
"""The GlobalID type of each kind of key."""


class LocalUser(BaseModel):
    """A user who signs in with a password (Phoenix's ``LocalUser``)."""

    id: str
    created_at: datetime
    updated_at: datetime
    email: str
    username: str
    role: RoleName
    auth_method: Literal["LOCAL"]
    password_needs_reset: bool
    """The password was set by an admin (or is the default admin's): change it."""


class AnonymousUser(BaseModel):
    """Who everyone is while auth is off."""

    auth_method: Literal["ANONYMOUS"]


class GetViewerResponseBody(BaseModel):
    data: Annotated[LocalUser | AnonymousUser, Field(discriminator="auth_method")]


class GetUsersResponseBody(BaseModel):
    data: list[LocalUser]
    next_cursor: str | None


class CreateUserResponseBody(BaseModel):
    data: LocalUser


class UserResponseBody(BaseModel):
    """A user, as changed."""

    data: LocalUser


class PasswordReset(BaseModel):
    """A one-time password reset to hand to its user (there is no mail server to send it)."""

    token: str
    expires_at: datetime
    url: str
    """Where the user sets the new password (relative to the UI's address)."""


class PasswordResetResponseBody(BaseModel):
    data: PasswordReset


class ApiKey(BaseModel):
    """A user or system API key (never its token)."""

    id: str
    name: str
    description: str | None = None
    created_at: datetime
    expires_at: datetime | None = None


class CreatedApiKey(ApiKey):
    key: str = Field(
        description="The API key. This is the only time it is returned; it cannot be "
        "recovered from the listing endpoints."
    )


class GetApiKeysResponseBody(BaseModel):
    data: list[ApiKey]


class CreateApiKeyResponseBody(BaseModel):
    data: CreatedApiKey


class ApiKeyUser(BaseModel):
    """Who holds a key."""

    id: str
    username: str
    email: str | None


class UserApiKey(ApiKey):
    user: ApiKeyUser


class GetAllUserApiKeysResponseBody(BaseModel):
    data: list[UserApiKey]
    next_cursor: str | None


class IngestKey(BaseModel):
    """A key that can only send spans, and only into ``project_name`` (an OTLP collector's)."""

    id: str
    name: str
    description: str | None = None
    project_name: str
    created_at: datetime
    expires_at: datetime | None = None
    user: ApiKeyUser
    """Who made it (the system user for one made with the admin secret or a system key)."""


class CreatedIngestKey(IngestKey):
    key: str = Field(
        description="The ingest key. This is the only time it is returned; it cannot be "
        "recovered from the listing endpoint."
    )


class GetIngestKeysResponseBody(BaseModel):
    data: list[IngestKey]


class CreateIngestKeyResponseBody(BaseModel):
    data: CreatedIngestKey


def local_user(row: UserRow) -> LocalUser:
    """``row`` as the API answers a user."""
    return LocalUser(
        id=global_id("User", row.id),
        created_at=row.created_at,
        updated_at=row.updated_at,
        email=row.email,
        username=row.username,
        role=row.role,
        auth_method="LOCAL",
        password_needs_reset=row.password_needs_reset,
    )


def api_key(row: KeyRow) -> ApiKey:
    """A user or system key, without its token."""
    return ApiKey(
        id=global_id(KEY_TYPES[row.kind], row.id),
        name=row.name,
        description=row.description,
        created_at=row.created_at,
        expires_at=row.expires_at,
    )


def key_user(row: KeyRow) -> ApiKeyUser:
    """The holder of key ``row``."""
    return ApiKeyUser(id=global_id("User", row.user_id), username=row.username, email=row.email)


def user_api_key(row: KeyRow) -> UserApiKey:
    """A user key with its holder."""
    return UserApiKey(**api_key(row).model_dump(), user=key_user(row))


def ingest_key(row: KeyRow) -> IngestKey:
    """An ingest key with its project and maker."""
    assert row.project_name is not None
    return IngestKey(
        id=global_id("IngestKey", row.id),
        name=row.name,
        description=row.description,
        project_name=row.project_name,
        created_at=row.created_at,
        expires_at=row.expires_at,
        user=key_user(row),
    )
