"""Users, API keys, login sessions and password resets: every statement on them, in one place.

Emails are compared in lower case (the unique index is on ``lower(email)``). The system user
(``SYSTEM_USER_ID``) is never listed as a user, deleted or changed here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from spyglass_db.models.auth import DEFAULT_ADMIN_EMAIL, DEFAULT_ADMIN_USERNAME, SYSTEM_USER_ID


@dataclass(frozen=True)
class UserRow:
    """A user as the auth code and the API see it."""

    id: int
    email: str
    username: str
    role: str
    auth_method: str
    password_hash: str | None
    password_needs_reset: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class KeyRow:
    """An API key and its owner."""

    id: int
    kind: str
    name: str
    description: str | None
    project_name: str | None
    expires_at: datetime | None
    created_at: datetime
    user_id: int
    username: str
    email: str
    role: str


@dataclass(frozen=True)
class SessionRow:
    """A login session and its user."""

    id: int
    expires_at: datetime
    user_id: int
    username: str
    role: str


class EmailTakenError(Exception):
    """Another user has this email (whatever its case) or username."""


_USER_COLUMNS = (
    "u.id, u.email, u.username, u.role, u.auth_method, u.password_hash, "
    "u.password_needs_reset, u.created_at, u.updated_at"
)
_KEY_COLUMNS = (
    "k.id, k.kind, k.name, k.description, k.project_name, k.expires_at, k.created_at, "
    "u.id AS user_id, u.username, u.email, u.role"
)


def _user(row: object) -> UserRow:
    return UserRow(**row._mapping)  # type: ignore[attr-defined]


def _key(row: object) -> KeyRow:
    return KeyRow(**row._mapping)  # type: ignore[attr-defined]


async def user_by_id(connection: AsyncConnection, user_id: int) -> UserRow | None:
    """The user ``user_id`` (the system user included), or None."""
    row = (
        await connection.execute(
            text(f"SELECT {_USER_COLUMNS} FROM users AS u WHERE u.id = :id"), {"id": user_id}
        )
    ).first()
    return _user(row) if row is not None else None


async def user_by_login(connection: AsyncConnection, login: str) -> UserRow | None:
    """The user whose email (any case) or username is ``login``; never the system user."""
    row = (
        await connection.execute(
            text(
                f"SELECT {_USER_COLUMNS} FROM users AS u "
                "WHERE (lower(u.email) = lower(:login) OR u.username = :login) "
                "AND u.role <> 'SYSTEM' ORDER BY lower(u.email) = lower(:login) DESC LIMIT 1"
            ),
            {"login": login},
        )
    ).first()
    return _user(row) if row is not None else None


async def list_users(
    connection: AsyncConnection, after: int | None, limit: int
) -> tuple[list[UserRow], int | None]:
    """Users by id (the system user left out), ``limit`` at a time; the next page's cursor."""
    rows = (
        await connection.execute(
            text(
                f"SELECT {_USER_COLUMNS} FROM users AS u WHERE u.role <> 'SYSTEM' "
                "AND (CAST(:after AS bigint) IS NULL OR u.id > :after) ORDER BY u.id LIMIT :limit"
            ),
            {"after": after, "limit": limit + 1},
        )
    ).all()
    users = [_user(row) for row in rows[:limit]]
    return users, (users[-1].id if len(rows) > limit else None)


async def create_user(
    connection: AsyncConnection,
    *,
    email: str,
    username: str,
    role: str,
    password_hash: str | None,
    password_needs_reset: bool,
) -> UserRow:
    """A new user.

    Raises:
        EmailTakenError: the email (any case) or the username is another user's.
    """
    try:
        async with connection.begin_nested():
            row = (
                await connection.execute(
                    text(
                        "INSERT INTO users AS u (email, username, role, password_hash, "
                        "password_needs_reset) VALUES (:email, :username, :role, :hash, :reset) "
                        f"RETURNING {_USER_COLUMNS}"
                    ),
                    {
                        "email": email,
                        "username": username,
                        "role": role,
                        "hash": password_hash,
                        "reset": password_needs_reset,
                    },
                )
            ).one()
    except IntegrityError as error:
        raise EmailTakenError(email) from error
    return _user(row)


async def update_user(
    connection: AsyncConnection,
    user_id: int,
    *,
    username: str | None = None,
    role: str | None = None,
    password_hash: str | None = None,
    password_needs_reset: bool | None = None,
) -> UserRow | None:
    """Change what is given of user ``user_id`` (never the system user); None if none.

    Raises:
        EmailTakenError: the username is another user's.
    """
    try:
        async with connection.begin_nested():
            row = (
                await connection.execute(
                    text(
                        "UPDATE users AS u SET username = coalesce(:username, u.username), "
                        "role = coalesce(:role, u.role), "
                        "password_hash = coalesce(:hash, u.password_hash), "
                        "password_needs_reset = coalesce(:reset, u.password_needs_reset), "
                        "updated_at = now() "
                        f"WHERE u.id = :id AND u.role <> 'SYSTEM' RETURNING {_USER_COLUMNS}"
                    ),
                    {
                        "id": user_id,
                        "username": username,
                        "role": role,
                        "hash": password_hash,
                        "reset": password_needs_reset,
                    },
                )
            ).first()
    except IntegrityError as error:
        raise EmailTakenError(username or "") from error
    return _user(row) if row is not None else None


async def delete_user(connection: AsyncConnection, user_id: int) -> bool:
    """Delete user ``user_id`` with its keys and sessions; False if there is none (or it is
    the system user)."""
    result = await connection.execute(
        text("DELETE FROM users WHERE id = :id AND role <> 'SYSTEM'"), {"id": user_id}
    )
    return bool(result.rowcount)


ADMINS_LOCK = 0x5350_4741_444D
"""The advisory lock (``pg_advisory_xact_lock``) of changes that could leave no admin."""


async def lock_admins(connection: AsyncConnection) -> None:
    """Hold, until the transaction ends, the lock every change that could remove the last
    admin takes first (a demotion, a deletion): two admins removing each other at once would
    otherwise each count the other and leave none."""
    await connection.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": ADMINS_LOCK})


async def count_admins(connection: AsyncConnection) -> int:
    """How many ADMIN users there are (the system user aside)."""
    return int(
        await connection.scalar(text("SELECT count(*) FROM users WHERE role = 'ADMIN'")) or 0
    )


async def ensure_default_admin(connection: AsyncConnection, password_hash: str) -> bool:
    """Make ``admin@localhost`` (password to be reset at first login) if the database has no
    user but the system; True if it was made. Safe to run from several processes at once."""
    result = await connection.execute(
        text(
            "INSERT INTO users (email, username, role, password_hash, password_needs_reset) "
            "SELECT :email, :username, 'ADMIN', :hash, true "
            "WHERE NOT EXISTS (SELECT 1 FROM users WHERE id <> :system) "
            "ON CONFLICT DO NOTHING"
        ),
        {
            "email": DEFAULT_ADMIN_EMAIL,
            "username": DEFAULT_ADMIN_USERNAME,
            "hash": password_hash,
            "system": SYSTEM_USER_ID,
        },
    )
    return bool(result.rowcount)


async def create_key(
    connection: AsyncConnection,
    *,
    user_id: int,
    kind: str,
    name: str,
    description: str | None,
    project_name: str | None,
    expires_at: datetime | None,
) -> KeyRow:
    """A new API key row (its token is made from the id)."""
    key_id = await connection.scalar(
        text(
            "INSERT INTO api_keys (user_id, kind, name, description, project_name, expires_at) "
            "VALUES (:user_id, :kind, :name, :description, :project, :expires) RETURNING id"
        ),
        {
            "user_id": user_id,
            "kind": kind,
            "name": name,
            "description": description,
            "project": project_name,
            "expires": expires_at,
        },
    )
    key = await key_by_id(connection, int(key_id))
    assert key is not None
    return key


async def key_by_id(connection: AsyncConnection, key_id: int) -> KeyRow | None:
    """The key ``key_id`` and its owner, or None (never made, or revoked)."""
    row = (
        await connection.execute(
            text(
                f"SELECT {_KEY_COLUMNS} FROM api_keys AS k JOIN users AS u ON u.id = k.user_id "
                "WHERE k.id = :id"
            ),
            {"id": key_id},
        )
    ).first()
    return _key(row) if row is not None else None


async def list_keys(
    connection: AsyncConnection,
    kinds: Sequence[str],
    *,
    user_id: int | None = None,
    after: int | None = None,
    limit: int = 1000,
) -> tuple[list[KeyRow], int | None]:
    """Keys of ``kinds`` (of ``user_id`` if given) by id; the next page's cursor."""
    rows = (
        await connection.execute(
            text(
                f"SELECT {_KEY_COLUMNS} FROM api_keys AS k JOIN users AS u ON u.id = k.user_id "
                "WHERE k.kind = ANY(:kinds) "
                "AND (CAST(:user_id AS bigint) IS NULL OR k.user_id = :user_id) "
                "AND (CAST(:after AS bigint) IS NULL OR k.id > :after) ORDER BY k.id LIMIT :limit"
            ),
            {"kinds": list(kinds), "user_id": user_id, "after": after, "limit": limit + 1},
        )
    ).all()
    keys = [_key(row) for row in rows[:limit]]
    return keys, (keys[-1].id if len(rows) > limit else None)


async def delete_key(
    connection: AsyncConnection, key_id: int, kinds: Sequence[str], user_id: int | None = None
) -> bool:
    """Revoke key ``key_id`` if it is of ``kinds`` (and ``user_id``'s, if given)."""
    result = await connection.execute(
        text(
            "DELETE FROM api_keys WHERE id = :id AND kind = ANY(:kinds) "
            "AND (CAST(:user_id AS bigint) IS NULL OR user_id = :user_id)"
        ),
        {"id": key_id, "kinds": list(kinds), "user_id": user_id},
    )
    return bool(result.rowcount)


async def create_session(connection: AsyncConnection, user_id: int, expires_at: datetime) -> int:
    """A new login session of ``user_id``; its id."""
    session_id = await connection.scalar(
        text(
            "INSERT INTO auth_sessions (user_id, expires_at) VALUES (:user, :expires) RETURNING id"
        ),
        {"user": user_id, "expires": expires_at},
    )
    return int(session_id)


async def session_by_id(connection: AsyncConnection, session_id: int) -> SessionRow | None:
    """The session ``session_id`` and its user, or None (logged out, or its user deleted)."""
    row = (
        await connection.execute(
            text(
                "SELECT s.id, s.expires_at, u.id AS user_id, u.username, u.role "
                "FROM auth_sessions AS s JOIN users AS u ON u.id = s.user_id WHERE s.id = :id"
            ),
            {"id": session_id},
        )
    ).first()
    return SessionRow(**row._mapping) if row is not None else None


async def extend_session(
    connection: AsyncConnection, session_id: int, expires_at: datetime
) -> bool:
    """Move the end of a live session on (a refresh); False if it is gone or has ended."""
    result = await connection.execute(
        text(
            "UPDATE auth_sessions SET expires_at = :expires WHERE id = :id AND expires_at > now()"
        ),
        {"id": session_id, "expires": expires_at},
    )
    return bool(result.rowcount)


async def delete_session(connection: AsyncConnection, session_id: int) -> None:
    """End a session (logout): its refresh and access tokens stop working."""
    await connection.execute(text("DELETE FROM auth_sessions WHERE id = :id"), {"id": session_id})


async def delete_sessions_of(connection: AsyncConnection, user_id: int) -> None:
    """End every session of ``user_id`` (its password changed or was reset)."""
    await connection.execute(
        text("DELETE FROM auth_sessions WHERE user_id = :user"), {"user": user_id}
    )


async def delete_other_sessions(
    connection: AsyncConnection, user_id: int, keep_session_id: int | None
) -> None:
    """End every session of ``user_id`` but ``keep_session_id`` (the one that changed the
    password; None: end them all)."""
    await connection.execute(
        text(
            "DELETE FROM auth_sessions WHERE user_id = :user "
            "AND (CAST(:keep AS bigint) IS NULL OR id <> :keep)"
        ),
        {"user": user_id, "keep": keep_session_id},
    )


async def create_reset_token(
    connection: AsyncConnection, user_id: int, expires_at: datetime
) -> int:
    """A password reset of ``user_id`` (replacing any earlier one); its id."""
    await connection.execute(
        text("DELETE FROM password_reset_tokens WHERE user_id = :user"), {"user": user_id}
    )
    reset_id = await connection.scalar(
        text(
            "INSERT INTO password_reset_tokens (user_id, expires_at) VALUES (:user, :expires) "
            "RETURNING id"
        ),
        {"user": user_id, "expires": expires_at},
    )
    return int(reset_id)


async def use_reset_token(connection: AsyncConnection, reset_id: int) -> int | None:
    """Spend password reset ``reset_id``: its user's id, or None if it is unknown, used or
    expired."""
    user_id = await connection.scalar(
        text(
            "DELETE FROM password_reset_tokens WHERE id = :id AND expires_at > now() "
            "RETURNING user_id"
        ),
        {"id": reset_id},
    )
    return int(user_id) if user_id is not None else None
