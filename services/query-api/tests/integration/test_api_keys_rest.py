"""API keys through the REST API with auth on: user keys, system keys and project ingest keys,
each shown once, working as bearer tokens, never listed with their token, and dead at once
when revoked; who may manage which; hostile input."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from spyglass_auth import AuthSettings, TokenCodec, TokenKind
from spyglass_core.settings import DbSettings, RedisSettings
from spyglass_db import auth as store
from spyglass_db import create_engine, create_session_maker
from spyglass_query_api.app import QueryApiResources, create_app, statement_pool
from spyglass_query_api.queries.ids import global_id
from spyglass_query_api.settings import QueryApiSettings

SECRET = "a-long-enough-secret-with-digits-0123456789"
ADMIN_SECRET = "the-admin-secret-is-long-too-9876543210"
KEY_FIELDS = {"id", "name", "description", "created_at", "expires_at"}


@dataclass
class Team:
    client: httpx.AsyncClient
    keys: dict[str, str]
    """A user key each of: viewer, member, other (a second member), admin; and system (the
    admin secret)."""
    database_url: str

    def as_(self, who: str) -> dict[str, str]:
        return {"authorization": f"Bearer {self.keys[who]}"}

    def bearer(self, key: str) -> dict[str, str]:
        return {"authorization": f"Bearer {key}"}


@pytest.fixture
async def team(database_url: str, redis_url: str) -> AsyncIterator[Team]:
    """A query API with auth on, and users of each role holding a user key each."""
    settings = QueryApiSettings(
        db=DbSettings(url=database_url),
        redis=RedisSettings(url=redis_url),
        auth=AuthSettings(enabled=True, secret=SECRET, admin_secret=ADMIN_SECRET),
    )
    engine = create_engine(settings.db)
    statements = statement_pool(settings)
    app = create_app(
        settings, QueryApiResources(engine, create_session_maker(engine), statements=statements)
    )
    codec = TokenCodec(SECRET)
    keys = {"system": ADMIN_SECRET}
    async with engine.begin() as connection:
        for name, role in (
            ("viewer", "VIEWER"),
            ("member", "MEMBER"),
            ("other", "MEMBER"),
            ("admin", "ADMIN"),
        ):
            user = await store.create_user(
                connection,
                email=f"{name}@example.com",
                username=name,
                role=role,
                password_hash=None,
                password_needs_reset=False,
            )
            key = await store.create_key(
                connection,
                user_id=user.id,
                kind="USER",
                name="seed",
                description=None,
                project_name=None,
                expires_at=None,
            )
            keys[name] = codec.issue(TokenKind.API_KEY, key.id)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        yield Team(client, keys, database_url)
    for close in app.on_shutdown:
        await close()
    await statements.close()
    await engine.dispose()


def key_body(name: str, **fields: Any) -> dict[str, Any]:
    return {"data": {"name": name, **fields}}


async def test_a_user_key_is_shown_once_works_and_dies_when_revoked(team: Team) -> None:
    client = team.client
    later = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    made = await client.post(
        "/v1/user/api_keys",
        json=key_body("notebook", description="my notebook", expires_at=later.isoformat()),
        headers=team.as_("viewer"),  # any role manages its own keys
    )
    assert made.status_code == 201, made.text
    created = made.json()["data"]
    assert set(created) == KEY_FIELDS | {"key"}
    assert (created["name"], created["description"]) == ("notebook", "my notebook")
    assert datetime.fromisoformat(created["expires_at"]) == later
    assert base64.b64decode(created["id"]).decode().startswith("UserApiKey:")
    key = created["key"]

    assert (await client.get("/v1/projects", headers=team.bearer(key))).status_code == 200
    me = await client.get("/v1/user", headers=team.bearer(key))
    assert me.json()["data"]["username"] == "viewer"
    # Acting as a viewer: it reads, it can't write.
    refused = await client.post("/v1/projects", json={"name": "p"}, headers=team.bearer(key))
    assert refused.status_code == 403

    listed = await client.get("/v1/user/api_keys", headers=team.as_("viewer"))
    assert listed.status_code == 200
    rows = listed.json()["data"]
    assert [row["name"] for row in rows] == ["seed", "notebook"]
    assert all(set(row) == KEY_FIELDS for row in rows)
    assert key not in listed.text
    # Nobody else's keys are in my list.
    others = await client.get("/v1/user/api_keys", headers=team.as_("member"))
    assert [row["name"] for row in others.json()["data"]] == ["seed"]

    # Another member can't revoke it (it isn't theirs: 404); its holder can, at once.
    path = f"/v1/user/api_keys/{created['id']}"
    assert (await client.delete(path, headers=team.as_("member"))).status_code == 404
    assert (await client.delete(path, headers=team.as_("viewer"))).status_code == 204
    dead = await client.get("/v1/projects", headers=team.bearer(key))
    assert dead.status_code == 401
    assert (await client.delete(path, headers=team.as_("viewer"))).status_code == 404


async def test_an_admin_lists_and_revokes_every_users_keys(team: Team) -> None:
    client = team.client
    made = await client.post("/v1/user/api_keys", json=key_body("ci"), headers=team.as_("member"))
    member_key = made.json()["data"]
    everyone = await client.get("/v1/users/api_keys?limit=2", headers=team.as_("admin"))
    assert everyone.status_code == 200
    page = everyone.json()
    assert [row["user"]["username"] for row in page["data"]] == ["viewer", "member"]
    assert page["next_cursor"] is not None
    rows = list(page["data"])
    while page["next_cursor"]:
        page = (
            await client.get(
                f"/v1/users/api_keys?limit=2&cursor={page['next_cursor']}",
                headers=team.as_("admin"),
            )
        ).json()
        rows.extend(page["data"])
    assert [(row["name"], row["user"]["username"]) for row in rows] == [
        ("seed", "viewer"),
        ("seed", "member"),
        ("seed", "other"),
        ("seed", "admin"),
        ("ci", "member"),
    ]
    assert rows[-1]["user"] == {
        "id": global_id("User", 3),
        "username": "member",
        "email": "member@example.com",
    }
    assert member_key["key"] not in str(rows)
    refused = await client.get("/v1/users/api_keys", headers=team.as_("member"))
    assert refused.status_code == 403

    revoked = await client.delete(
        f"/v1/user/api_keys/{member_key['id']}", headers=team.as_("admin")
    )
    assert revoked.status_code == 204
    dead = await client.get("/v1/projects", headers=team.bearer(member_key["key"]))
    assert dead.status_code == 401


async def test_system_keys_act_as_the_system_and_only_admins_manage_them(team: Team) -> None:
    client = team.client
    for who in ("viewer", "member"):
        for attempt in (
            await client.get("/v1/system/api_keys", headers=team.as_(who)),
            await client.post("/v1/system/api_keys", json=key_body("x"), headers=team.as_(who)),
        ):
            assert (attempt.status_code, attempt.text) == (
                403,
                "Only admins can perform this action",
            )
    made = await client.post(
        "/v1/system/api_keys", json=key_body("exporter"), headers=team.as_("admin")
    )
    assert made.status_code == 201, made.text
    created = made.json()["data"]
    assert base64.b64decode(created["id"]).decode().startswith("SystemApiKey:")
    key = created["key"]
    assert (await client.get("/v1/users", headers=team.bearer(key))).status_code == 200
    system = (await client.get("/v1/user", headers=team.bearer(key))).json()["data"]
    assert system["role"] == "SYSTEM"
    # The system has no user keys of its own.
    own = await client.post("/v1/user/api_keys", json=key_body("x"), headers=team.bearer(key))
    assert own.status_code == 403 and "system keys" in own.text

    listed = await client.get("/v1/system/api_keys", headers=team.as_("system"))
    assert [row["name"] for row in listed.json()["data"]] == ["exporter"]
    assert key not in listed.text
    # A user key's id is not a system key's, and the other way round.
    assert (await client.get("/v1/user/api_keys", headers=team.as_("admin"))).status_code == 200
    path = f"/v1/system/api_keys/{created['id']}"
    assert (
        await client.delete(f"/v1/user/api_keys/{created['id']}", headers=team.as_("admin"))
    ).status_code == 422
    assert (await client.delete(path, headers=team.as_("member"))).status_code == 403
    assert (await client.delete(path, headers=team.as_("admin"))).status_code == 204
    assert (await client.get("/v1/projects", headers=team.bearer(key))).status_code == 401


async def test_ingest_keys_send_spans_to_one_project_and_nothing_else(team: Team) -> None:
    client = team.client
    viewer = await client.post(
        "/v1/ingest_keys", json=key_body("c", project_name="shop"), headers=team.as_("viewer")
    )
    assert (viewer.status_code, viewer.text) == (403, "Viewers cannot perform this action")
    made = await client.post(
        "/v1/ingest_keys",
        json=key_body("collector", project_name="shop", description="the OTLP collector"),
        headers=team.as_("member"),
    )
    assert made.status_code == 201, made.text
    created = made.json()["data"]
    assert (created["project_name"], created["user"]["username"]) == ("shop", "member")
    assert base64.b64decode(created["id"]).decode().startswith("IngestKey:")
    key = created["key"]
    closed = await client.get("/v1/projects", headers=team.bearer(key))
    assert (closed.status_code, closed.text) == (403, "An ingest key can only send spans")
    also_closed = await client.get("/v1/ingest_keys", headers=team.bearer(key))
    assert also_closed.status_code == 403
    await client.post(
        "/v1/ingest_keys", json=key_body("other's", project_name="blog"), headers=team.as_("other")
    )

    def names(answer: httpx.Response) -> list[str]:
        assert answer.status_code == 200, answer.text
        assert key not in answer.text
        return [row["name"] for row in answer.json()["data"]]

    assert names(await client.get("/v1/ingest_keys", headers=team.as_("member"))) == ["collector"]
    assert names(await client.get("/v1/ingest_keys", headers=team.as_("other"))) == ["other's"]
    assert names(await client.get("/v1/ingest_keys", headers=team.as_("admin"))) == [
        "collector",
        "other's",
    ]
    path = f"/v1/ingest_keys/{created['id']}"
    assert (await client.delete(path, headers=team.as_("other"))).status_code == 404
    assert (await client.delete(path, headers=team.as_("member"))).status_code == 204
    assert (await client.get("/v1/projects", headers=team.bearer(key))).status_code == 401
    assert names(await client.get("/v1/ingest_keys", headers=team.as_("admin"))) == ["other's"]


async def test_an_expired_key_is_refused(team: Team) -> None:
    engine = create_engine(DbSettings(url=team.database_url))
    try:
        async with engine.begin() as connection:
            admin = await store.user_by_login(connection, "admin")
            assert admin is not None
            row = await store.create_key(
                connection,
                user_id=admin.id,
                kind="USER",
                name="old",
                description=None,
                project_name=None,
                expires_at=datetime.now(UTC) - timedelta(seconds=1),
            )
    finally:
        await engine.dispose()
    # Signed to last, but its row says it has ended.
    key = TokenCodec(SECRET).issue(TokenKind.API_KEY, row.id)
    assert (await team.client.get("/v1/projects", headers=team.bearer(key))).status_code == 401


TOO_BIG_ID = base64.b64encode(f"UserApiKey:{2**63}".encode()).decode()
PAST = (datetime.now(UTC) - timedelta(days=1)).isoformat()
HOSTILE_KEYS: list[tuple[str, str, dict[str, Any], str]] = [
    ("empty name", "/v1/user/api_keys", key_body(""), "at least 1 character"),
    ("huge name", "/v1/user/api_keys", key_body("k" * 10_000), "at most 256 characters"),
    ("NUL name", "/v1/user/api_keys", key_body("a\x00b"), "must not contain NUL"),
    ("huge description", "/v1/user/api_keys", key_body("k", description="d" * 10_000), "1000"),
    ("no name", "/v1/user/api_keys", {"data": {}}, "Field required"),
    ("data a list", "/v1/user/api_keys", {"data": []}, ""),
    ("expired", "/v1/user/api_keys", key_body("k", expires_at=PAST), "must be in the future"),
    ("not a time", "/v1/user/api_keys", key_body("k", expires_at="tomorrow"), "expires_at"),
    (
        "past year 9999",
        "/v1/system/api_keys",
        key_body("k", expires_at="9999-12-31T23:59:59-05:00"),
        "before year 9000",
    ),
    ("unknown key", "/v1/system/api_keys", key_body("k", scopes=["all"]), "Extra inputs"),
    ("no project", "/v1/ingest_keys", key_body("k"), "Field required"),
    ("empty project", "/v1/ingest_keys", key_body("k", project_name=""), "at least 1"),
    ("huge project", "/v1/ingest_keys", key_body("k", project_name="p" * 10_000), "at most 256"),
    ("project a number", "/v1/ingest_keys", key_body("k", project_name=7), "string"),
    ("id past bigint", "/v1/ingest_keys", key_body("k", project_name="p", id=2**63), "between"),
]


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [case[1:] for case in HOSTILE_KEYS],
    ids=[case[0] for case in HOSTILE_KEYS],
)
async def test_hostile_new_keys_are_refused(
    team: Team, path: str, body: dict[str, Any], message: str
) -> None:
    answer = await team.client.post(path, json=body, headers=team.as_("admin"))
    assert answer.status_code == 422, answer.text
    assert message in answer.text
    listed = await team.client.get(path, headers=team.as_("admin"))
    assert [row["name"] for row in listed.json()["data"]] == (
        ["seed"] if path == "/v1/user/api_keys" else []
    )


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/v1/user/api_keys/nonsense", 422, "`api_key_id` must be a GlobalID of type UserApiKey"),
        (f"/v1/user/api_keys/{TOO_BIG_ID}", 422, "must be a GlobalID of type UserApiKey"),
        (f"/v1/user/api_keys/{global_id('User', 1)}", 422, "must be a GlobalID of type UserApiKey"),
        (f"/v1/user/api_keys/{global_id('UserApiKey', 2**62)}", 404, "does not exist"),
        (
            f"/v1/system/api_keys/{global_id('UserApiKey', 1)}",
            422,
            "must be a GlobalID of type SystemApiKey",
        ),
        (f"/v1/system/api_keys/{global_id('SystemApiKey', 99)}", 404, "does not exist"),
        (
            f"/v1/ingest_keys/{global_id('UserApiKey', 1)}",
            422,
            "must be a GlobalID of type IngestKey",
        ),
        (f"/v1/ingest_keys/{global_id('IngestKey', 99)}", 404, "does not exist"),
    ],
)
async def test_hostile_key_ids_name_no_key(
    team: Team, path: str, status: int, message: str
) -> None:
    answer = await team.client.delete(path, headers=team.as_("admin"))
    assert (answer.status_code, message in answer.text) == (status, True), answer.text
    # The key with row id 1 (the viewer's) still works.
    assert (await team.client.get("/v1/projects", headers=team.as_("viewer"))).status_code == 200
