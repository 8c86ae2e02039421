"""Signing in and out of the query API (``/auth/*``, ``/v1/user``) with auth on, on a real
database and Redis: cookies, refresh, logout, password changes and resets, and failed logins
limited per account and per address."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from litestar import Litestar

from spyglass_auth import AuthSettings, TokenCodec, TokenKind, hash_password
from spyglass_core.settings import DbSettings, RedisSettings
from spyglass_db import auth as store
from spyglass_db import create_engine, create_session_maker
from spyglass_launcher.ports import free_port
from spyglass_query_api.app import QueryApiResources, create_app, statement_pool
from spyglass_query_api.rest.login_limits import LoginLimits
from spyglass_query_api.settings import QueryApiSettings

SECRET = "a-long-enough-secret-with-digits-0123456789"
ATTEMPTS = 3
"""Failed logins allowed per minute, per account and per address, in these tests."""
LOGIN_FAILED = "Invalid email and/or password"


@dataclass
class SignIn:
    app: Litestar
    database_url: str

    def client(self, address: str = "198.51.100.1") -> httpx.AsyncClient:
        """A browser of its own (its own cookie jar), connecting from ``address``."""
        transport = httpx.ASGITransport(app=self.app, client=(address, 40000))
        return httpx.AsyncClient(transport=transport, base_url="http://localhost")


@pytest.fixture
async def signin(database_url: str, redis_url: str) -> AsyncIterator[SignIn]:
    """A query API with auth on, started (its default admin made), on a fresh database."""
    settings = QueryApiSettings(
        db=DbSettings(url=database_url),
        redis=RedisSettings(url=redis_url),
        auth=AuthSettings(enabled=True, secret=SECRET, login_attempts_per_minute=ATTEMPTS),
    )
    engine = create_engine(settings.db)
    statements = statement_pool(settings)
    app = create_app(
        settings, QueryApiResources(engine, create_session_maker(engine), statements=statements)
    )
    for start in app.on_startup:  # the transport runs no lifespan
        await start()
    yield SignIn(app, database_url)
    for close in app.on_shutdown:
        await close()
    await statements.close()
    await engine.dispose()


def cookies_set(response: httpx.Response) -> dict[str, dict[str, str]]:
    """Each Set-Cookie of ``response`` by name: its value and attributes (lower-case names)."""
    found = {}
    for header in response.headers.get_list("set-cookie"):
        name_value, *attributes = [part.strip() for part in header.split(";")]
        name, _, value = name_value.partition("=")
        fields = {"value": value}
        for attribute in attributes:
            key, _, setting = attribute.partition("=")
            fields[key.lower()] = setting
        found[name] = fields
    return found


async def login(client: httpx.AsyncClient, email: str, password: str, **headers: str) -> int:
    answer = await client.post(
        "/auth/login", json={"email": email, "password": password}, headers=headers
    )
    return answer.status_code


async def make_user(client: httpx.AsyncClient, email: str, password: str, role: str) -> str:
    """A user made by the default admin (signed in on ``client``); their GlobalID."""
    made = await client.post(
        "/v1/users",
        json={
            "user": {
                "email": email,
                "username": email.split("@")[0],
                "role": role,
                "auth_method": "LOCAL",
                "password": password,
            }
        },
    )
    assert made.status_code == 201, made.text
    user_id: str = made.json()["data"]["id"]
    return user_id


async def test_the_default_admin_signs_in_and_changes_the_password(signin: SignIn) -> None:
    async with signin.client() as browser:
        assert await login(browser, "admin@localhost", "admin") == 204
        viewer = (await browser.get("/v1/user")).json()["data"]
        assert viewer["email"] == "admin@localhost" and viewer["role"] == "ADMIN"
        assert viewer["auth_method"] == "LOCAL" and viewer["password_needs_reset"] is True
        assert "password" not in viewer and "password_hash" not in viewer

        changed = await browser.patch(
            "/v1/user",
            json={"current_password": "admin", "new_password": "a-better-password-1"},
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["data"]["password_needs_reset"] is False
        # The session that changed the password goes on.
        assert (await browser.get("/v1/user")).status_code == 200
    async with signin.client("198.51.100.2") as other:
        assert await login(other, "admin@localhost", "admin") == 401
        assert await login(other, "ADMIN@localhost", "a-better-password-1") == 204


async def test_login_cookies_refresh_and_logout(signin: SignIn) -> None:
    async with signin.client() as browser:
        answer = await browser.post(
            "/auth/login", json={"email": "admin@localhost", "password": "admin"}
        )
        assert answer.status_code == 204
        cookies = cookies_set(answer)
        access, refresh = cookies["phoenix-access-token"], cookies["phoenix-refresh-token"]
        for cookie in (access, refresh):
            assert "httponly" in cookie and cookie["samesite"].lower() == "strict"
            assert "secure" not in cookie  # plain HTTP, no TLS in front
        assert (access["path"], access["max-age"]) == ("/", "600")
        assert (refresh["path"], refresh["max-age"]) == ("/auth", str(7 * 24 * 3600))

        me = await browser.get("/v1/user")
        assert me.status_code == 200 and me.json()["data"]["username"] == "admin"
        assert (await browser.get("/v1/projects")).status_code == 200

        refreshed = await browser.post("/auth/refresh")
        assert refreshed.status_code == 204, refreshed.text
        renewed = cookies_set(refreshed)
        assert set(renewed) == {"phoenix-access-token", "phoenix-refresh-token"}
        assert (
            renewed["phoenix-access-token"]["value"] and renewed["phoenix-refresh-token"]["value"]
        )
        assert renewed["phoenix-refresh-token"]["path"] == "/auth"
        assert (await browser.get("/v1/user")).status_code == 200

        old_access = renewed["phoenix-access-token"]["value"]
        old_refresh = renewed["phoenix-refresh-token"]["value"]
        logged_out = await browser.post("/auth/logout")
        assert logged_out.status_code == 204
        cleared = cookies_set(logged_out)
        assert cleared["phoenix-access-token"]["value"] in ("", '""')
        assert cleared["phoenix-access-token"]["max-age"] == "0"
        assert cleared["phoenix-refresh-token"]["max-age"] == "0"
        assert (await browser.get("/v1/user")).status_code == 401

    # Copies of the session's tokens are dead too: the session's row is gone.
    async with signin.client() as thief:
        copied = await thief.get(
            "/v1/user", headers={"cookie": f"phoenix-access-token={old_access}"}
        )
        assert copied.status_code == 401
        refused = await thief.post(
            "/auth/refresh", headers={"cookie": f"phoenix-refresh-token={old_refresh}"}
        )
        assert (refused.status_code, refused.text) == (401, "Your session has ended: sign in again")
        assert cookies_set(refused)["phoenix-refresh-token"]["max-age"] == "0"
        garbage = await thief.post("/auth/refresh", headers={"cookie": "phoenix-refresh-token=x"})
        assert garbage.status_code == 401


async def test_cookies_are_secure_behind_tls(signin: SignIn) -> None:
    async with signin.client() as browser:
        answer = await browser.post(
            "/auth/login",
            json={"email": "admin@localhost", "password": "admin"},
            headers={"x-forwarded-proto": "https"},
        )
        assert answer.status_code == 204
        for cookie in cookies_set(answer).values():
            assert "secure" in cookie


async def test_logout_by_get_redirects_to_the_login_page(signin: SignIn) -> None:
    async with signin.client() as browser:
        assert await login(browser, "admin@localhost", "admin") == 204
        answer = await browser.get("/auth/logout")
        assert answer.status_code == 302 and answer.headers["location"] == "/login"
        assert cookies_set(answer)["phoenix-access-token"]["max-age"] == "0"
        assert (await browser.get("/v1/user")).status_code == 401


async def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(signin: SignIn) -> None:
    async with signin.client() as browser:
        wrong = await browser.post(
            "/auth/login", json={"email": "admin@localhost", "password": "not-the-one"}
        )
        unknown = await browser.post(
            "/auth/login", json={"email": "nobody@localhost", "password": "not-the-one"}
        )
        assert (wrong.status_code, wrong.text) == (401, LOGIN_FAILED)
        assert (unknown.status_code, unknown.text) == (401, LOGIN_FAILED)
        assert "set-cookie" not in wrong.headers and "set-cookie" not in unknown.headers
        # A username signs in as well as an email does.
        by_name = await browser.post("/auth/login", json={"username": "admin", "password": "admin"})
        assert by_name.status_code == 204


async def test_failed_logins_are_limited_per_account(signin: SignIn) -> None:
    async with signin.client() as browser:
        for attempt in range(ATTEMPTS):  # from different addresses: the account's counter
            address = f"192.0.2.{attempt + 1}"
            assert (
                await login(browser, "admin@localhost", "wrong", **{"x-forwarded-for": address})
                == 401
            )
        refused = await browser.post(
            "/auth/login",
            json={"email": "Admin@Localhost", "password": "admin"},
            headers={"x-forwarded-for": "192.0.2.99"},
        )
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert "Too many failed logins" in refused.text
        # Signing in by username counts against the same account.
        by_name = await browser.post(
            "/auth/login",
            json={"username": "admin", "password": "admin"},
            headers={"x-forwarded-for": "192.0.2.98"},
        )
        assert by_name.status_code == 429
        # Another account, from an address that failed once, is not held up.
        await store_member(signin, "member@example.com", "member-password-1")
        assert (
            await login(
                browser,
                "member@example.com",
                "member-password-1",
                **{"x-forwarded-for": "192.0.2.1"},
            )
            == 204
        )


async def test_a_successful_login_clears_the_accounts_failures(signin: SignIn) -> None:
    async with signin.client() as browser:
        for round_ in range(3):
            for attempt in range(ATTEMPTS - 1):
                address = f"192.0.2.{round_ * 10 + attempt}"
                assert (
                    await login(browser, "admin@localhost", "no", **{"x-forwarded-for": address})
                    == 401
                )
            ok = await login(
                browser, "admin@localhost", "admin", **{"x-forwarded-for": "192.0.2.200"}
            )
            assert ok == 204


async def test_failed_logins_are_limited_per_address(signin: SignIn) -> None:
    async with signin.client("203.0.113.7") as attacker:
        for number in range(ATTEMPTS):
            assert await login(attacker, f"guess{number}@example.com", "password") == 401
        assert await login(attacker, "admin@localhost", "admin") == 429
    async with signin.client("203.0.113.8") as someone_else:
        assert await login(someone_else, "admin@localhost", "admin") == 204


async def test_the_counters_are_forgotten_after_their_window(redis_url: str) -> None:
    limits = LoginLimits(RedisSettings(url=redis_url), attempts_per_minute=1, window_seconds=1)
    try:
        assert await limits.attempt("someone@example.com", "192.0.2.1") is None  # fails
        refusal = await limits.attempt("someone@example.com", "192.0.2.2")
        assert refusal is not None and refusal.counter == "account"
        assert refusal.retry_after_seconds == 1
        deadline = time.monotonic() + 10
        while await limits.attempt("someone@example.com", "192.0.2.3") is not None:
            assert time.monotonic() < deadline, "the account's counter was never forgotten"
            await asyncio.sleep(0.2)
    finally:
        await limits.close()


async def test_changing_your_password_ends_your_other_sessions(signin: SignIn) -> None:
    async with signin.client() as laptop, signin.client("198.51.100.2") as phone:
        assert await login(laptop, "admin@localhost", "admin") == 204
        assert await login(phone, "admin@localhost", "admin") == 204
        wrong = await laptop.patch(
            "/v1/user", json={"current_password": "nope", "new_password": "a-new-password-2"}
        )
        assert wrong.status_code == 422
        assert wrong.json()["detail"][0]["loc"] == ["body", "current_password"]
        assert (await phone.get("/v1/user")).status_code == 200
        missing = await laptop.patch("/v1/user", json={"new_password": "a-new-password-2"})
        assert missing.status_code == 422 and "current_password" in missing.text
        weak = await laptop.patch(
            "/v1/user", json={"current_password": "admin", "new_password": "short"}
        )
        assert weak.status_code == 422 and "at least 8 characters" in weak.text

        changed = await laptop.patch(
            "/v1/user",
            json={
                "current_password": "admin",
                "new_password": "a-new-password-2",
                "username": "root",
            },
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["data"]["username"] == "root"
        assert (await laptop.get("/v1/user")).status_code == 200
        assert (await phone.get("/v1/user")).status_code == 401


async def test_a_password_reset_link_works_once(signin: SignIn) -> None:
    async with signin.client() as admin, signin.client("198.51.100.3") as member:
        assert await login(admin, "admin@localhost", "admin") == 204
        user_id = await make_user(admin, "member@example.com", "first-password-1", "MEMBER")
        assert await login(member, "member@example.com", "first-password-1") == 204

        reset = await admin.post(f"/v1/users/{user_id}/password_reset")
        assert reset.status_code == 201, reset.text
        token = reset.json()["data"]["token"]
        assert reset.json()["data"]["url"] == f"/reset-password-with-token?token={token}"

        async with signin.client("198.51.100.4") as anonymous:
            weak = await anonymous.post(
                "/auth/password-reset", json={"token": token, "password": "short"}
            )
            assert weak.status_code == 422  # and the token is not spent
            used = await anonymous.post(
                "/auth/password-reset", json={"token": token, "password": "second-password-2"}
            )
            assert used.status_code == 204, used.text
            again = await anonymous.post(
                "/auth/password-reset", json={"token": token, "password": "third-password-3"}
            )
            assert again.status_code == 401 and "ask an admin" in again.text
            assert await login(anonymous, "member@example.com", "first-password-1") == 401
            assert await login(anonymous, "member@example.com", "second-password-2") == 204
            me = (await anonymous.get("/v1/user")).json()["data"]
            assert me["password_needs_reset"] is False
        # The member's sessions ended with the reset.
        assert (await member.get("/v1/user")).status_code == 401


async def test_an_expired_or_forged_reset_token_is_refused(signin: SignIn) -> None:
    codec = TokenCodec(SECRET)
    engine = create_engine(DbSettings(url=signin.database_url))
    try:
        async with engine.begin() as connection:
            admin = await store.user_by_login(connection, "admin@localhost")
            assert admin is not None
            past = datetime.now(UTC) - timedelta(minutes=1)
            expired_row = await store.create_reset_token(connection, admin.id, past)
    finally:
        await engine.dispose()
    future = datetime.now(UTC) + timedelta(hours=1)
    tokens = [
        codec.issue(TokenKind.PASSWORD_RESET, expired_row, future),  # its row has expired
        codec.issue(TokenKind.PASSWORD_RESET, expired_row, past),  # the token has expired
        TokenCodec("another-secret-of-the-right-length-123456").issue(
            TokenKind.PASSWORD_RESET, expired_row, future
        ),
        codec.issue(TokenKind.ACCESS, expired_row, future),  # a token of another kind
        "not-a-token",
    ]
    async with signin.client() as anonymous:
        for token in tokens:
            answer = await anonymous.post(
                "/auth/password-reset", json={"token": token, "password": "a-fine-password-1"}
            )
            assert answer.status_code == 401, token
        assert await login(anonymous, "admin@localhost", "admin") == 204


async def test_reset_by_email_says_there_is_no_mail_server(signin: SignIn) -> None:
    async with signin.client() as anonymous:
        answer = await anonymous.post(
            "/auth/password-reset-email", json={"email": "admin@localhost"}
        )
    assert answer.status_code == 503
    assert answer.text == "No mail server is configured: ask an admin for a password reset link"


async def test_ldap_and_oauth2_say_they_are_not_supported(signin: SignIn) -> None:
    async with signin.client() as anonymous:
        answers = [
            await anonymous.post("/auth/ldap/login", json={"username": "a", "password": "b"}),
            await anonymous.get("/oauth2/google/login?returnUrl=/projects"),
            await anonymous.post("/oauth2/google/login"),
            await anonymous.get("/oauth2/google/tokens?state=x&code=y"),
        ]
    for answer in answers:
        assert answer.status_code == 501, answer.request.url
        assert "is not supported yet" in answer.text


async def test_with_auth_off_everyone_is_anonymous_and_keys_are_refused(
    api: httpx.AsyncClient,
) -> None:
    viewer = await api.get("/v1/user")
    assert viewer.json() == {"data": {"auth_method": "ANONYMOUS"}}
    key = {"data": {"name": "k"}}
    refusals = [
        await api.get("/v1/user/api_keys"),
        await api.post("/v1/user/api_keys", json=key),
        await api.get("/v1/system/api_keys"),
        await api.post("/v1/system/api_keys", json=key),
        await api.get("/v1/users"),
        await api.get("/v1/users/api_keys"),
        await api.get("/v1/ingest_keys"),
        await api.post("/v1/ingest_keys", json={"data": {"name": "k", "project_name": "p"}}),
        await api.patch("/v1/user", json={"username": "me"}),
        await api.post("/auth/login", json={"email": "admin@localhost", "password": "admin"}),
    ]
    for refused in refusals:
        assert (refused.status_code, refused.text) == (403, "Authentication is not enabled"), (
            refused.request.url
        )


async def test_passwords_and_tokens_never_reach_the_logs(
    signin: SignIn, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    secrets = ["a-secret-password-9", "the-wrong-password-7", "a-changed-password-8"]
    async with signin.client() as browser:
        await login(browser, "admin@localhost", "the-wrong-password-7")
        answer = await browser.post(
            "/auth/login", json={"email": "admin@localhost", "password": "admin"}
        )
        secrets.extend(cookie["value"] for cookie in cookies_set(answer).values())
        made = await browser.post("/v1/user/api_keys", json={"data": {"name": "ci"}})
        secrets.append(made.json()["data"]["key"])
        user_id = await make_user(browser, "someone@example.com", "a-secret-password-9", "VIEWER")
        reset = await browser.post(f"/v1/users/{user_id}/password_reset")
        secrets.append(reset.json()["data"]["token"])
        await browser.patch(
            "/v1/user", json={"current_password": "admin", "new_password": "a-changed-password-8"}
        )
        await browser.post("/auth/refresh")
        await browser.post("/auth/logout")
    output = capfd.readouterr()
    logged = output.out + output.err + caplog.text
    assert "login_succeeded" in logged  # the events are there, with ids
    for secret in secrets:
        assert secret not in logged


async def store_member(signin: SignIn, email: str, password: str) -> None:
    """A MEMBER made straight in the database (the admin's account is locked in the test)."""
    engine = create_engine(DbSettings(url=signin.database_url))
    try:
        async with engine.begin() as connection:
            await store.create_user(
                connection,
                email=email,
                username=email.split("@")[0],
                role="MEMBER",
                password_hash=hash_password(password),
                password_needs_reset=False,
            )
    finally:
        await engine.dispose()


HOSTILE_LOGINS: list[tuple[str, object, str]] = [
    ("email too long", {"email": "a" * 10_000, "password": "admin"}, "at most 320 characters"),
    ("password too long", {"email": "admin@localhost", "password": "a" * 10_000}, "at most 1024"),
    ("NUL", {"email": "admin@localhost\x00", "password": "admin"}, "must not contain NUL"),
    (
        "both logins",
        {"email": "admin@localhost", "username": "admin", "password": "admin"},
        "one of",
    ),
    ("no login", {"password": "admin"}, "give `email` or `username`"),
    ("no password", {"email": "admin@localhost"}, "Field required"),
    ("password a number", {"email": "admin@localhost", "password": 12345678}, "valid string"),
    ("email an object", {"email": {"$ne": ""}, "password": "admin"}, "valid string"),
    ("unknown key", {"email": "admin@localhost", "password": "admin", "remember": True}, "Extra"),
    ("a list", ["admin@localhost", "admin"], ""),
]


@pytest.mark.parametrize(
    ("body", "message"),
    [case[1:] for case in HOSTILE_LOGINS],
    ids=[case[0] for case in HOSTILE_LOGINS],
)
async def test_hostile_logins_are_refused_before_any_check(
    signin: SignIn, body: object, message: str
) -> None:
    async with signin.client() as browser:
        answer = await browser.post("/auth/login", json=body)
        assert answer.status_code == 422, answer.text
        assert message in answer.text
        assert "set-cookie" not in answer.headers
        # Refused bodies count as no failure: the account and the address are still free.
        for _ in range(ATTEMPTS):
            await browser.post("/auth/login", json=body)
        assert await login(browser, "admin@localhost", "admin") == 204


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"token": "t" * 10_000, "password": "a-fine-password-1"}, "at most 4096"),
        ({"token": "t", "password": "p" * 10_000}, "at most 1024"),
        ({"token": "t", "password": "a-fine\x00password"}, "must not contain NUL"),
        ({"token": 5, "password": "a-fine-password-1"}, "valid string"),
        ({"password": "a-fine-password-1"}, "Field required"),
    ],
)
async def test_hostile_password_resets_are_refused(
    signin: SignIn, body: dict[str, object], message: str
) -> None:
    async with signin.client() as anonymous:
        answer = await anonymous.post("/auth/password-reset", json=body)
    assert answer.status_code == 422 and message in answer.text, answer.text


async def test_without_redis_logins_are_refused_not_let_through(database_url: str) -> None:
    """Failed logins can't be counted: 503 naming the setting, rather than unlimited tries."""
    settings = QueryApiSettings(
        db=DbSettings(url=database_url),
        redis=RedisSettings(url=f"redis://127.0.0.1:{free_port()}/0"),  # nothing listens
        auth=AuthSettings(enabled=True, secret=SECRET),
    )
    engine = create_engine(settings.db)
    app = create_app(settings, QueryApiResources(engine, create_session_maker(engine)))
    for start in app.on_startup:
        await start()
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            answer = await client.post(
                "/auth/login", json={"email": "admin@localhost", "password": "admin"}
            )
        assert answer.status_code == 503
        assert "SPYGLASS_REDIS_URL" in answer.text
        assert "set-cookie" not in answer.headers
    finally:
        for close in app.on_shutdown:
            await close()
        await engine.dispose()
