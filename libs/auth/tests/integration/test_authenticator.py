"""Credentials checked against real PostgreSQL: keys, sessions, revocation, deleted users."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from spyglass_auth import (
    ANONYMOUS,
    Authenticator,
    AuthSettings,
    Credential,
    Role,
    TokenKind,
    hash_password,
)
from spyglass_db import auth as store
from spyglass_db.models.auth import SYSTEM_USER_ID
from tests.support.trace_rows import engine_for

SECRET = "a-long-enough-secret-with-digits-0123456789"
ADMIN_SECRET = "the-admin-secret-is-long-too-9876543210"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    async with engine_for(database_url) as engine:
        yield engine


def _authenticator(engine: AsyncEngine, clock: Clock) -> Authenticator:
    settings = AuthSettings(
        enabled=True, secret=SECRET, admin_secret=ADMIN_SECRET, cache_seconds=2.0
    )
    return Authenticator(settings, engine, clock=clock)


async def _user(engine: AsyncEngine, email: str, role: str) -> int:
    async with engine.begin() as connection:
        user = await store.create_user(
            connection,
            email=email,
            username=email.split("@")[0],
            role=role,
            password_hash=hash_password("a password"),
            password_needs_reset=False,
        )
    return user.id


async def test_auth_off_makes_everyone_anonymous(engine: AsyncEngine) -> None:
    authenticator = Authenticator(AuthSettings(enabled=False), None)
    assert await authenticator.principal("") is ANONYMOUS
    assert await authenticator.principal("anything") is ANONYMOUS


async def test_keys_act_as_their_owner_until_revoked(engine: AsyncEngine) -> None:
    clock = Clock()
    authenticator = _authenticator(engine, clock)
    assert authenticator.codec is not None
    member = await _user(engine, "member@example.com", "MEMBER")
    async with engine.begin() as connection:
        user_key = await store.create_key(
            connection,
            user_id=member,
            kind="USER",
            name="laptop",
            description=None,
            project_name=None,
            expires_at=None,
        )
        ingest_key = await store.create_key(
            connection,
            user_id=member,
            kind="INGEST",
            name="collector",
            description=None,
            project_name="shop",
            expires_at=None,
        )
        system_key = await store.create_key(
            connection,
            user_id=SYSTEM_USER_ID,
            kind="SYSTEM",
            name="ci",
            description=None,
            project_name=None,
            expires_at=None,
        )
    user_token = authenticator.codec.issue(TokenKind.API_KEY, user_key.id)
    ingest_token = authenticator.codec.issue(TokenKind.API_KEY, ingest_key.id)
    system_token = authenticator.codec.issue(TokenKind.API_KEY, system_key.id)

    acting = await authenticator.principal(user_token)
    assert acting is not None
    assert (acting.user_id, acting.role, acting.credential) == (
        member,
        Role.MEMBER,
        Credential.USER_KEY,
    )
    ingest = await authenticator.principal(ingest_token)
    assert ingest is not None and (ingest.credential, ingest.project_name) == (
        Credential.INGEST_KEY,
        "shop",
    )
    system = await authenticator.principal(system_token)
    assert system is not None and (system.role, system.credential) == (
        Role.SYSTEM,
        Credential.SYSTEM_KEY,
    )
    admin = await authenticator.principal(ADMIN_SECRET)
    assert admin is not None and admin.credential is Credential.ADMIN_SECRET

    async with engine.begin() as connection:
        assert await store.delete_key(connection, user_key.id, ["USER"], member)
    # Another process remembers the key for cache_seconds, then refuses it.
    assert await authenticator.principal(user_token) is not None
    clock.now += 2.5
    assert await authenticator.principal(user_token) is None

    async with engine.begin() as connection:
        assert await store.delete_user(connection, member)
    authenticator.forget_everything()
    assert await authenticator.principal(ingest_token) is None  # its owner was deleted


async def test_expired_forged_and_foreign_credentials_prove_nothing(engine: AsyncEngine) -> None:
    authenticator = _authenticator(engine, Clock())
    assert authenticator.codec is not None
    member = await _user(engine, "m@example.com", "MEMBER")
    async with engine.begin() as connection:
        expired = await store.create_key(
            connection,
            user_id=member,
            kind="USER",
            name="old",
            description=None,
            project_name=None,
            expires_at=datetime.now(UTC) - timedelta(minutes=1),
        )
        session = await store.create_session(
            connection, member, datetime.now(UTC) + timedelta(hours=1)
        )
    refresh = authenticator.codec.issue(TokenKind.REFRESH, session)
    values = [
        authenticator.codec.issue(TokenKind.API_KEY, expired.id),
        authenticator.codec.issue(TokenKind.API_KEY, 999_999),  # never made
        refresh,  # a refresh token opens no door
        "Bearer",
        "\x00" * 50,
        ADMIN_SECRET + " ",
    ]
    assert [await authenticator.principal(value) for value in values] == [None] * len(values)
    garbage = [f"{index}" * 1000 for index in range(200)]
    assert [await authenticator.principal(value) for value in garbage] == [None] * 200
    assert authenticator.remembered == 2  # the two signed keys the database refused
    access = authenticator.codec.issue(TokenKind.ACCESS, session)
    signed_in = await authenticator.principal(access)
    assert signed_in is not None and (signed_in.credential, signed_in.session_id) == (
        Credential.SESSION,
        session,
    )
    async with engine.begin() as connection:
        await store.delete_session(connection, session)  # logout
    authenticator.forget(access)
    assert await authenticator.principal(access) is None


async def test_the_default_admin_is_made_once_and_only_on_an_empty_database(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as connection:
        assert await store.ensure_default_admin(connection, hash_password("admin-initial"))
        assert not await store.ensure_default_admin(connection, hash_password("other"))
        admin = await store.user_by_login(connection, "ADMIN@localhost")
    assert admin is not None and (admin.role, admin.password_needs_reset) == ("ADMIN", True)
    async with engine.begin() as connection:
        await store.delete_user(connection, admin.id)
        await store.create_user(
            connection,
            email="ops@example.com",
            username="ops",
            role="ADMIN",
            password_hash=None,
            password_needs_reset=False,
        )
        # Someone deleted the default admin on purpose: it does not come back.
        assert not await store.ensure_default_admin(connection, hash_password("admin"))
        with pytest.raises(store.EmailTakenError):
            await store.create_user(
                connection,
                email="OPS@example.com",
                username="ops2",
                role="VIEWER",
                password_hash=None,
                password_needs_reset=False,
            )
