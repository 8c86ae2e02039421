"""``PUT /v1/secrets`` (Phoenix's) and ``GET /v1/secrets`` (ours): stored encrypted, Phoenix's
semantics, refusals naming the entry, no key configured, values never answered or logged, and a
change used by the same process's next chat completion at once."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import asyncpg
import httpx
import pytest

from spyglass_core.settings import DbSettings
from spyglass_db import create_engine, create_session_maker
from spyglass_llm.secrets import SecretsSettings
from spyglass_query_api.app import QueryApiResources, create_app, statement_pool
from spyglass_query_api.settings import QueryApiSettings
from tests.support.fake_provider_fixtures import FakeProviderServer

SECRETS_KEY = "a-test-key-that-is-long-enough-for-fernet-0123456789"
PLAINTEXT = "sk-live-PLAINTEXT-7f3a9c"


OpenApi = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def open_api(database_url: str) -> OpenApi:
    """``async with open_api(key=...) as client``: an in-process query API on this test's
    database, with that secrets key (None: none configured)."""

    @asynccontextmanager
    async def open_client(key: str | None = SECRETS_KEY) -> AsyncIterator[httpx.AsyncClient]:
        settings = QueryApiSettings(
            db=DbSettings(url=database_url), secrets=SecretsSettings(key=key)
        )
        engine = create_engine(settings.db)
        statements = statement_pool(settings)
        app = create_app(
            settings, QueryApiResources(engine, create_session_maker(engine), statements=statements)
        )
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        try:
            async with httpx.AsyncClient(
                transport=transport, base_url="http://localhost"
            ) as client:
                yield client
        finally:
            # The transport runs no lifespan: close what the app would close at shutdown (the
            # LLM client's connections, opened by the chat completions some tests make).
            for close in app.on_shutdown:
                await close()
            await statements.close()
            await engine.dispose()

    return open_client


@pytest.fixture
async def api(open_api: OpenApi) -> AsyncIterator[httpx.AsyncClient]:
    async with open_api() as client:
        yield client


async def put(client: httpx.AsyncClient, *entries: dict[str, Any]) -> httpx.Response:
    return await client.put("/v1/secrets", json={"secrets": list(entries)})


async def stored(database_url: str) -> dict[str, bytes]:
    """The secrets table as it is: key to stored value."""
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch("SELECT key, value FROM secrets ORDER BY key")
    finally:
        await connection.close()
    return {row["key"]: bytes(row["value"]) for row in rows}


async def test_secrets_are_stored_encrypted_and_listed_without_values(
    api: httpx.AsyncClient, database_url: str
) -> None:
    response = await put(
        api, {"key": "OPENAI_API_KEY", "value": PLAINTEXT}, {"key": "GROQ_API_KEY", "value": "g"}
    )
    listed = await api.get("/v1/secrets")

    assert response.status_code == 200, response.text
    assert response.json() == {
        "data": {"upserted_keys": ["OPENAI_API_KEY", "GROQ_API_KEY"], "deleted_keys": []}
    }
    rows = await stored(database_url)
    assert set(rows) == {"GROQ_API_KEY", "OPENAI_API_KEY"}
    assert PLAINTEXT.encode() not in rows["OPENAI_API_KEY"]
    assert rows["OPENAI_API_KEY"].startswith(b"gAAAA")  # a Fernet token
    assert listed.status_code == 200
    body = listed.json()
    assert [item["key"] for item in body["data"]] == ["GROQ_API_KEY", "OPENAI_API_KEY"]
    assert set(body["data"][0]) == {"key", "created_at", "updated_at"}
    assert (body["writable"], body["reason"]) == (True, None)
    assert PLAINTEXT not in listed.text


async def test_put_replaces_deletes_and_the_last_entry_of_a_key_wins(
    api: httpx.AsyncClient, database_url: str
) -> None:
    await put(api, {"key": "A_KEY", "value": "one"}, {"key": "B_KEY", "value": "two"})
    first = await stored(database_url)
    response = await put(
        api,
        {"key": "A_KEY", "value": "first"},
        {"key": "B_KEY", "value": None},
        {"key": "NEVER_STORED", "value": None},
        {"key": " A_KEY ", "value": "  last  "},
        {"key": "C_KEY", "value": "three"},
        {"key": "C_KEY", "value": None},
    )
    listed = (await api.get("/v1/secrets")).json()["data"]

    assert response.status_code == 200, response.text
    assert response.json()["data"] == {
        "upserted_keys": ["A_KEY"],
        "deleted_keys": ["B_KEY", "NEVER_STORED", "C_KEY"],
    }
    assert set(await stored(database_url)) == {"A_KEY"}
    assert (await stored(database_url))["A_KEY"] != first["A_KEY"]
    assert [item["key"] for item in listed] == ["A_KEY"]
    assert listed[0]["updated_at"] >= listed[0]["created_at"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"secrets": [{"key": "OPENAI_API_KEY"}]}, "value"),
        ({"secrets": [{"value": "x"}]}, "key"),
        ({"secrets": [{"key": "1ABC", "value": "x"}]}, "key"),
        ({"secrets": [{"key": "A-B", "value": "x"}]}, "key"),
        ({"secrets": [{"key": "  ", "value": "x"}]}, "key"),
        ({"secrets": [{"key": "A" * 257, "value": "x"}]}, "key"),
        ({"secrets": [{"key": "A", "value": "   "}]}, "value"),
        ({"secrets": [{"key": "A", "value": 12}]}, "value"),
        ({"secrets": [{"key": "A\x00B", "value": "x"}]}, "key"),
        ({"secrets": [{"key": "A", "value": "x\x00y"}]}, "value"),
        ({"secrets": []}, "secrets"),
        ({"secrets": "OPENAI_API_KEY=x"}, "secrets"),
        ({}, "secrets"),
    ],
)
async def test_unusable_entries_are_422_naming_them(
    api: httpx.AsyncClient, database_url: str, body: dict[str, Any], field: str
) -> None:
    response = await api.put("/v1/secrets", json=body)

    assert response.status_code == 422, response.text
    locations = [".".join(map(str, item["loc"])) for item in response.json()["detail"]]
    assert any(location.endswith(field) for location in locations), locations
    assert (await stored(database_url)) == {}


async def test_a_value_too_large_is_413(api: httpx.AsyncClient, database_url: str) -> None:
    response = await put(api, {"key": "BIG", "value": "x" * (64 * 1024 + 1)})

    assert response.status_code == 413
    assert "secrets[0].value" in response.text
    assert (await stored(database_url)) == {}


async def test_without_a_secrets_key_put_is_503_naming_the_variable(
    open_api: OpenApi, database_url: str
) -> None:
    async with open_api(key=None) as client:
        refused = await put(client, {"key": "OPENAI_API_KEY", "value": PLAINTEXT})
        listed = await client.get("/v1/secrets")

    assert refused.status_code == 503
    assert "SPYGLASS_SECRETS_KEY" in refused.text
    assert "retry-after" not in refused.headers
    assert listed.status_code == 200
    assert listed.json()["writable"] is False
    assert "SPYGLASS_SECRETS_KEY" in listed.json()["reason"]
    assert (await stored(database_url)) == {}


async def test_values_are_never_answered_or_logged(
    api: httpx.AsyncClient, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    answers = [
        await put(api, {"key": "OPENAI_API_KEY", "value": PLAINTEXT}),
        await put(api, {"key": "BAD KEY", "value": PLAINTEXT}),
        await put(api, {"key": "A" * 300, "value": PLAINTEXT}),
        await put(api, {"key": "OPENAI_API_KEY", "value": PLAINTEXT + "\x00"}),
        await put(api, {"key": "OPENAI_API_KEY", "value": PLAINTEXT * 3000}),
        await api.put("/v1/secrets", json={"secrets": [{"key": PLAINTEXT, "value": [PLAINTEXT]}]}),
        await api.get("/v1/secrets"),
    ]
    output = capfd.readouterr()

    assert [answer.status_code for answer in answers] == [200, 422, 422, 422, 413, 422, 200]
    for answer in answers:
        assert PLAINTEXT not in answer.text
    assert PLAINTEXT not in output.out
    assert PLAINTEXT not in output.err
    assert PLAINTEXT not in caplog.text


async def test_a_change_is_used_by_the_next_call_at_once(
    api: httpx.AsyncClient, fake_provider: FakeProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The environment's key, then a stored one, then another stored one, then the
    environment's again: each call uses the key of the moment, not one cached for 5 s."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-environment")
    monkeypatch.setenv("OPENAI_BASE_URL", fake_provider.openai_base_url)
    body = {"model": "openai:gpt-4o", "messages": [{"role": "user", "content": "hi"}]}

    answers = [(await api.post("/v1/chat/completions", json=body)).status_code]
    for value in ("sk-first", "sk-second", None):
        await put(api, {"key": "OPENAI_API_KEY", "value": value})
        answers.append((await api.post("/v1/chat/completions", json=body)).status_code)

    assert answers == [200, 200, 200, 200]
    assert fake_provider.calls()["by_key"] == {
        "sk-environment": {"200": 2},
        "sk-first": {"200": 1},
        "sk-second": {"200": 1},
    }
