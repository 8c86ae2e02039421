"""Users through the REST API with auth on (``/v1/user``, ``/v1/users``), on a real database
and Redis: what admins may do, what the others may not (with nothing changed), the last admin,
taken emails, a deleted user's keys and sessions, and hostile input."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from litestar import Litestar

from spyglass_auth import AuthSettings, TokenCodec, TokenKind
from spyglass_core.settings import DbSettings, RedisSettings
from spyglass_core.storable import MAX_JSON_DEPTH
from spyglass_db import auth as store
from spyglass_db import create_engine, create_session_maker
from spyglass_query_api.app import QueryApiResources, create_app, statement_pool
from spyglass_query_api.queries.ids import global_id
from spyglass_query_api.settings import QueryApiSettings

SECRET = "a-long-enough-secret-with-digits-0123456789"
ADMIN_SECRET = "the-admin-secret-is-long-too-9876543210"
ADMINS_ONLY = "Only admins can perform this action"
LOCAL_USER_FIELDS = {
    "id",
    "created_at",
    "updated_at",
    "email",
    "username",
    "role",
    "auth_method",
    "password_needs_reset",
}


@dataclass
class Team:
    app: Litestar
    client: httpx.AsyncClient
    keys: dict[str, str]
    """A bearer token each: viewer, member, admin (the only admin), ingest, system."""
    user_ids: dict[str, str]
    """The GlobalID of the viewer, the member and the admin."""

    def as_(self, who: str) -> dict[str, str]:
        return {"authorization": f"Bearer {self.keys[who]}"}

    def browser(self) -> httpx.AsyncClient:
        """A client with a cookie jar of its own, to sign in with."""
        transport = httpx.ASGITransport(app=self.app)
        return httpx.AsyncClient(transport=transport, base_url="http://localhost")


@pytest.fixture
async def team(database_url: str, redis_url: str) -> AsyncIterator[Team]:
    """A query API with auth on, and a viewer, a member and an admin holding a key each."""
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
    keys, user_ids = {"system": ADMIN_SECRET}, {}
    async with engine.begin() as connection:
        for role in ("VIEWER", "MEMBER", "ADMIN"):
            name = role.lower()
            user = await store.create_user(
                connection,
                email=f"{name}@example.com",
                username=name,
                role=role,
                password_hash=None,
                password_needs_reset=False,
            )
            user_ids[name] = global_id("User", user.id)
            for kind, project in (("USER", None), ("INGEST", "shop")):
                key = await store.create_key(
                    connection,
                    user_id=user.id,
                    kind=kind,
                    name=name,
                    description=None,
                    project_name=project,
                    expires_at=None,
                )
                keys[name if kind == "USER" else f"{name}-ingest"] = codec.issue(
                    TokenKind.API_KEY, key.id
                )
    keys["ingest"] = keys["member-ingest"]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        yield Team(app, client, keys, user_ids)
    for close in app.on_shutdown:
        await close()
    await statements.close()
    await engine.dispose()


def new_user(email: str, username: str, role: str = "MEMBER", **changes: Any) -> dict[str, Any]:
    user = {
        "email": email,
        "username": username,
        "role": role,
        "auth_method": "LOCAL",
        "password": "a-first-password-1",
        **changes,
    }
    return {"user": user}


async def all_users(team: Team, limit: int = 100) -> list[dict[str, Any]]:
    """Every user, page after page."""
    users, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        page = await team.client.get("/v1/users", params=params, headers=team.as_("admin"))
        assert page.status_code == 200, page.text
        users.extend(page.json()["data"])
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return users


async def test_the_caller_is_answered_as_a_user(team: Team) -> None:
    client = team.client
    me = await client.get("/v1/user", headers=team.as_("member"))
    assert me.status_code == 200
    data = me.json()["data"]
    assert set(data) == LOCAL_USER_FIELDS
    assert (data["id"], data["username"]) == (team.user_ids["member"], "member")
    system = (await client.get("/v1/user", headers=team.as_("system"))).json()["data"]
    assert (system["role"], system["email"]) == ("SYSTEM", "system@localhost")
    nobody = await client.get("/v1/user")
    assert nobody.status_code == 401
    assert nobody.headers["www-authenticate"] == 'Bearer realm="Spyglass"'
    ingest = await client.get("/v1/user", headers=team.as_("ingest"))
    assert (ingest.status_code, ingest.text) == (403, "An ingest key can only send spans")


async def test_admins_create_list_change_and_delete_users(team: Team) -> None:
    client, admin = team.client, team.as_("admin")
    made = await client.post(
        "/v1/users",
        json={**new_user("  Carol@Example.com ", "carol"), "send_welcome_email": False},
        headers=admin,
    )
    assert made.status_code == 201, made.text
    carol = made.json()["data"]
    assert set(carol) == LOCAL_USER_FIELDS
    assert (carol["email"], carol["role"], carol["auth_method"]) == (
        "Carol@Example.com",
        "MEMBER",
        "LOCAL",
    )
    assert carol["password_needs_reset"] is True  # an admin chose it
    assert base64.b64decode(carol["id"]).decode().startswith("User:")

    users = await all_users(team, limit=2)
    assert [user["username"] for user in users] == ["viewer", "member", "admin", "carol"]
    assert "system@localhost" not in [user["email"] for user in users]

    # Carol signs in (by her email in any case) and is asked to change the password.
    browser = team.browser()
    login = {"email": "carol@example.com", "password": "a-first-password-1"}
    assert (await browser.post("/auth/login", json=login)).status_code == 204
    me = (await browser.get("/v1/user")).json()["data"]
    assert (me["username"], me["password_needs_reset"]) == ("carol", True)

    changed = await client.patch(
        f"/v1/users/{carol['id']}",
        json={"role": "VIEWER", "username": "carol.v", "password": "an-admins-choice-2"},
        headers=admin,
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["data"]["role"], changed.json()["data"]["username"]) == (
        "VIEWER",
        "carol.v",
    )
    assert changed.json()["data"]["password_needs_reset"] is True
    # The password an admin set ended her session.
    assert (await browser.get("/v1/user")).status_code == 401
    await browser.aclose()

    deleted = await client.delete(f"/v1/users/{carol['id']}", headers=admin)
    assert deleted.status_code == 204
    assert "carol.v" not in [user["username"] for user in await all_users(team)]
    again = await client.delete(f"/v1/users/{carol['id']}", headers=admin)
    assert again.status_code == 404


async def test_a_taken_email_or_username_is_a_conflict(team: Team) -> None:
    client, admin = team.client, team.as_("admin")
    for body in (
        new_user("MEMBER@example.COM", "someone-else"),
        new_user("new@example.com", "member"),
    ):
        taken = await client.post("/v1/users", json=body, headers=admin)
        assert taken.status_code == 409, body
        assert "exists" in taken.text
    renamed = await client.patch(
        f"/v1/users/{team.user_ids['viewer']}", json={"username": "member"}, headers=admin
    )
    assert (renamed.status_code, renamed.text) == (409, "The username 'member' is taken")
    own = await client.patch("/v1/user", json={"username": "admin"}, headers=team.as_("viewer"))
    assert own.status_code == 409
    assert len(await all_users(team)) == 3


async def test_the_last_admin_can_not_be_demoted_or_deleted(team: Team) -> None:
    client, system = team.client, team.as_("system")
    admin_id = team.user_ids["admin"]
    demoted = await client.patch(f"/v1/users/{admin_id}", json={"role": "MEMBER"}, headers=system)
    assert demoted.status_code == 409
    assert demoted.text == (
        "admin is the last admin: make another user an admin before changing their role"
    )
    deleted = await client.delete(f"/v1/users/{admin_id}", headers=system)
    assert (deleted.status_code, deleted.text) == (
        409,
        "admin is the last admin: make another user an admin first",
    )
    itself = await client.delete(f"/v1/users/{admin_id}", headers=team.as_("admin"))
    assert itself.status_code == 409 and "your own account" in itself.text
    assert (await client.get("/v1/users", headers=team.as_("admin"))).status_code == 200

    promoted = await client.patch(
        f"/v1/users/{team.user_ids['member']}", json={"role": "ADMIN"}, headers=system
    )
    assert promoted.status_code == 200
    # Two admins now: either may go.
    demoted = await client.patch(f"/v1/users/{admin_id}", json={"role": "VIEWER"}, headers=system)
    assert demoted.status_code == 200
    # Its key acts with its new role at once.
    refused = await client.get("/v1/users", headers=team.as_("admin"))
    assert (refused.status_code, refused.text) == (403, ADMINS_ONLY)


async def test_viewers_and_members_can_not_manage_users(team: Team) -> None:
    client = team.client
    before = await all_users(team)
    target = team.user_ids["viewer"]
    for who in ("viewer", "member"):
        headers = team.as_(who)
        attempts = [
            await client.get("/v1/users", headers=headers),
            await client.post("/v1/users", json=new_user("x@example.com", "x"), headers=headers),
            await client.patch(f"/v1/users/{target}", json={"role": "ADMIN"}, headers=headers),
            await client.delete(f"/v1/users/{target}", headers=headers),
            await client.post(f"/v1/users/{target}/password_reset", headers=headers),
        ]
        for attempt in attempts:
            assert (attempt.status_code, attempt.text) == (403, ADMINS_ONLY), attempt.request.url
    for attempt in (
        await client.get("/v1/users", headers=team.as_("ingest")),
        await client.patch("/v1/user", json={"username": "x"}, headers=team.as_("ingest")),
    ):
        assert attempt.status_code == 403
    assert await all_users(team) == before


async def test_a_deleted_users_keys_and_sessions_stop_at_once(team: Team) -> None:
    client, admin = team.client, team.as_("admin")
    made = await client.post("/v1/users", json=new_user("dan@example.com", "dan"), headers=admin)
    dan_id = made.json()["data"]["id"]
    async with team.browser() as dan:
        login = await dan.post(
            "/auth/login", json={"email": "dan@example.com", "password": "a-first-password-1"}
        )
        assert login.status_code == 204
        key = (await dan.post("/v1/user/api_keys", json={"data": {"name": "laptop"}})).json()
        bearer = {"authorization": f"Bearer {key['data']['key']}"}
        # Both are checked (and remembered) just before the deletion.
        assert (await dan.get("/v1/projects")).status_code == 200
        assert (await client.get("/v1/projects", headers=bearer)).status_code == 200

        assert (await client.delete(f"/v1/users/{dan_id}", headers=admin)).status_code == 204

        assert (await dan.get("/v1/projects")).status_code == 401
        assert (await dan.post("/auth/refresh")).status_code == 401
        assert (await client.get("/v1/projects", headers=bearer)).status_code == 401


async def test_the_system_user_is_nobody_to_manage(team: Team) -> None:
    client, admin = team.client, team.as_("admin")
    system = global_id("User", 1)
    for answer in (
        await client.delete(f"/v1/users/{system}", headers=admin),
        await client.patch(f"/v1/users/{system}", json={"role": "VIEWER"}, headers=admin),
        await client.post(f"/v1/users/{system}/password_reset", headers=admin),
    ):
        assert answer.status_code == 404, answer.request.url
    mine = await client.patch("/v1/user", json={"username": "root"}, headers=team.as_("system"))
    assert mine.status_code == 403


def nested(depth: int) -> list[Any]:
    """Lists in lists, ``depth`` deep."""
    value: list[Any] = []
    for _ in range(depth - 1):
        value = [value]
    return value


BIG = "x" * 10_000
TOO_BIG_ID = base64.b64encode(f"User:{2**63}".encode()).decode()
HOSTILE_USERS: list[tuple[str, dict[str, Any] | str, str]] = [
    ("not an email", new_user("not-an-email", "u1"), "`email` must be an email address"),
    ("two @", new_user("a@b@example.com", "u2"), "`email` must be an email address"),
    ("nothing before @", new_user("@example.com", "u3"), "`email` must be an email address"),
    ("email too long", new_user(f"{BIG}@example.com", "u4"), "at most 320 characters"),
    ("control character", new_user("a\tb@example.com", "u5"), "`email` must be an email"),
    ("NUL", new_user("a\x00b@example.com", "u6"), "must not contain NUL"),
    ("empty username", new_user("u7@example.com", "   "), "`username` must not be empty"),
    ("username too long", new_user("u8@example.com", "u" * 65), "at most 64 characters"),
    ("newline in username", new_user("u9@example.com", "a\nb"), "control characters"),
    ("unknown role", new_user("u10@example.com", "u10", role="OWNER"), "'ADMIN', 'MEMBER'"),
    ("the system role", new_user("u11@example.com", "u11", role="SYSTEM"), "'ADMIN', 'MEMBER'"),
    ("OAuth2", new_user("u12@example.com", "u12", auth_method="OAUTH2"), "not supported yet"),
    ("weak password", new_user("u13@example.com", "u13", password="short"), "at least 8"),
    ("huge password", new_user("u14@example.com", "u14", password=BIG), "at most 1024"),
    ("no password", {"user": {**new_user("u15@e.com", "u15")["user"], "password": None}}, ""),
    ("unknown key", new_user("u16@example.com", "u16", is_admin=True), "Extra inputs"),
    ("user not an object", {"user": "u17@example.com"}, ""),
    ("welcome is not a bool", {**new_user("u18@e.com", "u18"), "send_welcome_email": "y"}, ""),
    ("nested deep", {"user": {"email": nested(MAX_JSON_DEPTH + 1)}}, "must not nest"),
    ("a list", "[1, 2]", ""),
    ("not JSON", "{", "Input data was truncated"),
]


@pytest.mark.parametrize(
    ("body", "message"),
    [(body, message) for _, body, message in HOSTILE_USERS],
    ids=[case for case, _, _ in HOSTILE_USERS],
)
async def test_hostile_new_users_are_refused(team: Team, body: Any, message: str) -> None:
    headers = {**team.as_("admin"), "content-type": "application/json"}
    content = body if isinstance(body, str) else None
    answer = await team.client.post(
        "/v1/users", json=None if content else body, content=content, headers=headers
    )
    assert answer.status_code == (400 if body == "{" else 422), answer.text
    assert message in answer.text
    assert len(await all_users(team)) == 3


HOSTILE_IDS: list[tuple[str, str, int, str]] = [
    ("garbage", "nonsense", 422, "`user_id` must be a GlobalID of type User"),
    ("another type", global_id("Project", 2), 422, "`user_id` must be a GlobalID of type User"),
    ("past bigint", TOO_BIG_ID, 422, "`user_id` must be a GlobalID of type User"),
    ("nobody", global_id("User", 2**62), 404, "does not exist"),
]


@pytest.mark.parametrize(
    ("user_id", "status", "message"),
    [case[1:] for case in HOSTILE_IDS],
    ids=[case[0] for case in HOSTILE_IDS],
)
async def test_hostile_user_ids_name_nobody(
    team: Team, user_id: str, status: int, message: str
) -> None:
    client, admin = team.client, team.as_("admin")
    for answer in (
        await client.delete(f"/v1/users/{user_id}", headers=admin),
        await client.patch(f"/v1/users/{user_id}", json={"role": "VIEWER"}, headers=admin),
        await client.post(f"/v1/users/{user_id}/password_reset", headers=admin),
    ):
        assert (answer.status_code, message in answer.text) == (status, True), answer.text


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "No fields to update"),
        ({"role": "ROOT"}, "'ADMIN', 'MEMBER'"),
        ({"role": None}, ""),
        ({"username": BIG}, "at most 64 characters"),
        ({"password": "short"}, "at least 8 characters"),
        ({"email": "new@example.com"}, "Extra inputs"),
    ],
)
async def test_hostile_changes_to_a_user_are_refused(
    team: Team, body: dict[str, Any], message: str
) -> None:
    answer = await team.client.patch(
        f"/v1/users/{team.user_ids['viewer']}", json=body, headers=team.as_("admin")
    )
    assert answer.status_code == 422 and message in answer.text, answer.text
    viewer = [user for user in await all_users(team) if user["id"] == team.user_ids["viewer"]]
    assert (viewer[0]["role"], viewer[0]["username"]) == ("VIEWER", "viewer")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("cursor=garbage", "Invalid cursor"),
        (f"cursor={global_id('Project', 1)}", "Invalid cursor"),
        ("limit=0", "limit must be at least 1"),
        (f"limit={2**63}", "must be an integer between"),
        ("limit=ten", ""),
    ],
)
async def test_hostile_pages_of_users_are_refused(team: Team, query: str, message: str) -> None:
    answer = await team.client.get(f"/v1/users?{query}", headers=team.as_("admin"))
    assert answer.status_code == 422 and message in answer.text, answer.text
