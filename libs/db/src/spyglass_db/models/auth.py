"""Who may do what: users, their API keys, their login sessions, password resets.

Roles are Phoenix's: ``SYSTEM`` (one user, ``system@localhost``, owner of system API keys),
``ADMIN``, ``MEMBER`` and ``VIEWER``. Emails are unique whatever their case (the unique index
is on ``lower(email)``); usernames are unique as written.

An API key is a row here and a signed token in the holder's hands; the token names the row
(its ``jti``), so deleting the row revokes the key. Keys are of three kinds: ``USER`` (acts as
its user), ``SYSTEM`` (acts as the system user, with admin rights) and ``INGEST`` (ours: may only
write spans, and only into ``project_name``). A login makes a session: one refresh token and
the access tokens refreshed from it, all rows of ``auth_sessions``; logging out deletes the
row, revoking both.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Text,
    func,
    text,
)
from sqlmodel import Field, SQLModel

from spyglass_db.models.base import TIMESTAMPTZ, created_at_column, id_column, updated_at_column

ROLES = ("SYSTEM", "ADMIN", "MEMBER", "VIEWER")
KEY_KINDS = ("USER", "SYSTEM", "INGEST")
SYSTEM_USER_ID = 1
"""The system user's id: made by the migration, never deleted."""
SYSTEM_USER_EMAIL = "system@localhost"
DEFAULT_ADMIN_EMAIL = "admin@localhost"
DEFAULT_ADMIN_USERNAME = "admin"


class User(SQLModel, table=True):
    """A person (or the system) who signs in or holds keys."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"role IN {ROLES!r}", name="valid_role"),
        CheckConstraint("auth_method IN ('LOCAL', 'OAUTH2', 'LDAP')", name="valid_auth_method"),
        Index("uq_users_email_lower", func.lower(text("email")), unique=True),
    )

    id: int | None = Field(default=None, sa_column=id_column())
    email: str = Field(sa_column=Column(Text, nullable=False))
    username: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    role: str = Field(sa_column=Column(Text, nullable=False))
    auth_method: str = Field(
        default="LOCAL", sa_column=Column(Text, nullable=False, server_default="LOCAL")
    )
    password_hash: str | None = Field(default=None, sa_column=Column(Text))
    """An argon2id hash (its parameters and salt inside); NULL: the user can't log in."""
    password_needs_reset: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default="false")
    )
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())
    updated_at: datetime | None = Field(default=None, sa_column=updated_at_column())


class ApiKey(SQLModel, table=True):
    """A key: the row its token names. Deleting it revokes the key."""

    __tablename__ = "api_keys"
    __table_args__ = (
        CheckConstraint(f"kind IN {KEY_KINDS!r}", name="valid_kind"),
        CheckConstraint(
            "(kind = 'INGEST') = (project_name IS NOT NULL)", name="ingest_keys_name_a_project"
        ),
    )

    id: int | None = Field(default=None, sa_column=id_column())
    user_id: int = Field(
        sa_column=Column(
            BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    """Its owner: the user (USER, INGEST) or the system user (SYSTEM)."""
    kind: str = Field(sa_column=Column(Text, nullable=False))
    name: str = Field(sa_column=Column(Text, nullable=False))
    description: str | None = Field(default=None, sa_column=Column(Text))
    project_name: str | None = Field(default=None, sa_column=Column(Text))
    """The one project an INGEST key writes to (by name: spans name their project so)."""
    expires_at: datetime | None = Field(default=None, sa_column=Column(TIMESTAMPTZ))
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())


class AuthSession(SQLModel, table=True):
    """One login: its refresh token's row, which its access tokens name too."""

    __tablename__ = "auth_sessions"

    id: int | None = Field(default=None, sa_column=id_column())
    user_id: int = Field(
        sa_column=Column(
            BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    expires_at: datetime = Field(sa_column=Column(TIMESTAMPTZ, nullable=False))
    """When the refresh token ends (each refresh moves it on)."""
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())


class PasswordResetToken(SQLModel, table=True):
    """A one-time password reset: the token names the row, which its use deletes."""

    __tablename__ = "password_reset_tokens"

    id: int | None = Field(default=None, sa_column=id_column())
    user_id: int = Field(
        sa_column=Column(
            BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    expires_at: datetime = Field(sa_column=Column(TIMESTAMPTZ, nullable=False))
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())
