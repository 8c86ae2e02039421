"""A query API with auth on, in process, and a credential for every kind of caller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx

from spyglass_auth import AuthSettings, TokenCodec, TokenKind
from spyglass_core.settings import DbSettings
from spyglass_db import auth as store
from spyglass_db import create_engine, create_session_maker
from spyglass_db.models.auth import SYSTEM_USER_ID
from spyglass_query_api.app import QueryApiResources, create_app, statement_pool
from spyglass_query_api.settings import QueryApiSettings

SECRET = "a-long-enough-secret-with-digits-0123456789"
ADMIN_SECRET = "the-admin-secret-is-long-too-9876543210"
CALLERS = (
    "anonymous",
    "viewer",
    "member",
    "admin",
    "system key",
    "ingest key",
    "expired key",
    "revoked key",
)
"""Every kind of caller the authorization matrix tries."""


@dataclass
class AuthedApi:
    client: httpx.AsyncClient
    tokens: dict[str, str]
    """A bearer token per caller (none for anonymous); the ingest key writes to "shop"."""

    def as_(self, caller: str) -> dict[str, str]:
        token = self.tokens.get(caller)
        return {"authorization": f"Bearer {token}"} if token else {}


async def _key(
    connection: object, codec: TokenCodec, user_id: int, kind: str, **fields: object
) -> str:
    key = await store.create_key(
        connection,  # type: ignore[arg-type]
        user_id=user_id,
        kind=kind,
        name=f"{kind.lower()} key",
        description=None,
        project_name=fields.get("project_name"),  # type: ignore[arg-type]
        expires_at=fields.get("expires_at"),  # type: ignore[arg-type]
    )
    return codec.issue(TokenKind.API_KEY, key.id)


async def user_key(
    database_url: str, role: str, secret: str = SECRET, name: str | None = None
) -> tuple[int, str]:
    """A user of ``role`` (named after it, or ``name``) and a bearer key of theirs, signed
    with ``secret``: (user id, key)."""
    username = name or role.lower()
    engine = create_engine(DbSettings(url=database_url))
    try:
        async with engine.begin() as connection:
            user = await store.create_user(
                connection,
                email=f"{username}@example.com",
                username=username,
                role=role,
                password_hash=None,
                password_needs_reset=False,
            )
            token = await _key(connection, TokenCodec(secret), user.id, "USER")
    finally:
        await engine.dispose()
    return user.id, token


@asynccontextmanager
async def authed_api(database_url: str) -> AsyncIterator[AuthedApi]:
    """The query API with auth on over this test's database, and a token per caller."""
    settings = QueryApiSettings(
        db=DbSettings(url=database_url),
        auth=AuthSettings(enabled=True, secret=SECRET, admin_secret=ADMIN_SECRET),
    )
    engine = create_engine(settings.db)
    statements = statement_pool(settings)
    app = create_app(
        settings, QueryApiResources(engine, create_session_maker(engine), statements=statements)
    )
    codec = TokenCodec(SECRET)
    tokens: dict[str, str] = {}
    async with engine.begin() as connection:
        users = {}
        for role in ("VIEWER", "MEMBER", "ADMIN"):
            user = await store.create_user(
                connection,
                email=f"{role.lower()}@example.com",
                username=role.lower(),
                role=role,
                password_hash=None,
                password_needs_reset=False,
            )
            users[role] = user.id
            tokens[role.lower()] = await _key(connection, codec, user.id, "USER")
        tokens["system key"] = await _key(connection, codec, SYSTEM_USER_ID, "SYSTEM")
        tokens["ingest key"] = await _key(
            connection, codec, users["MEMBER"], "INGEST", project_name="shop"
        )
        tokens["expired key"] = await _key(
            connection,
            codec,
            users["ADMIN"],
            "USER",
            expires_at=datetime.now(UTC) - timedelta(seconds=1),
        )
        revoked = await store.create_key(
            connection,
            user_id=users["ADMIN"],
            kind="USER",
            name="revoked",
            description=None,
            project_name=None,
            expires_at=None,
        )
        tokens["revoked key"] = codec.issue(TokenKind.API_KEY, revoked.id)
        await store.delete_key(connection, revoked.id, ["USER"])
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            yield AuthedApi(client, tokens)
    finally:
        for close in app.on_shutdown:
            await close()
        await statements.close()
        await engine.dispose()
