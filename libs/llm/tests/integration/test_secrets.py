"""Provider secrets in PostgreSQL: stored encrypted (no plaintext in the table), unreadable with
another key, Phoenix's PUT semantics, rotation, and resolved before the environment."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from spyglass_core.errors import DependencyUnavailableError, InvalidArgumentError
from spyglass_launcher.ports import free_port
from spyglass_llm import (
    ChatRequest,
    CredentialResolver,
    LLMClient,
    MissingCredential,
    ModelProvider,
    SecretBox,
    SecretDecryptionError,
    get_secrets,
    list_secrets,
    reencrypt_secrets,
    upsert_or_delete_secrets,
)
from tests.support.fake_provider_fixtures import FakeProviderServer
from tests.support.trace_rows import engine_for

KEY = "a-deployment-secret-long-enough-for-the-box"
OTHER_KEY = "another-deployment-secret-long-enough-too"


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    async with engine_for(database_url) as engine:
        yield engine


async def _store(engine: AsyncEngine, box: SecretBox, *entries: tuple[str, str | None]) -> None:
    async with engine.begin() as connection:
        await upsert_or_delete_secrets(connection, box, entries)


async def test_the_table_holds_tokens_never_plaintexts(
    engine: AsyncEngine, database_url: str
) -> None:
    box = SecretBox(KEY)

    await _store(
        engine, box, ("OPENAI_API_KEY", "sk-live-plaintext-1"), ("NOTE", "ünïcode \x00 ok")
    )

    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch("SELECT key, value FROM secrets ORDER BY key")
    finally:
        await connection.close()
    assert [row["key"] for row in rows] == ["NOTE", "OPENAI_API_KEY"]
    for row in rows:
        assert b"sk-live" not in row["value"] and "ünïcode".encode() not in row["value"]
    async with engine.connect() as connection:
        assert await get_secrets(connection, box, ["OPENAI_API_KEY", "NOTE", "ABSENT"]) == {
            "OPENAI_API_KEY": "sk-live-plaintext-1",
            "NOTE": "ünïcode \x00 ok",
        }
        listed = await list_secrets(connection)
    assert [secret.key for secret in listed] == ["NOTE", "OPENAI_API_KEY"]
    assert "sk-live" not in repr(listed)


async def test_another_key_cannot_read_them(engine: AsyncEngine) -> None:
    await _store(engine, SecretBox(KEY), ("OPENAI_API_KEY", "sk-live-plaintext-1"))

    async with engine.connect() as connection:
        with pytest.raises(SecretDecryptionError, match="OPENAI_API_KEY"):
            await get_secrets(connection, SecretBox(OTHER_KEY), ["OPENAI_API_KEY"])


async def test_put_semantics_last_occurrence_wins_and_deleting_an_absent_key_is_fine(
    engine: AsyncEngine,
) -> None:
    box = SecretBox(KEY)
    await _store(engine, box, ("A", "1"), ("B", "2"))

    async with engine.begin() as connection:
        change = await upsert_or_delete_secrets(
            connection, box, [("A", "first"), ("B", None), ("NEVER_SET", None), ("A", "last")]
        )

    assert change.upserted_keys == ["A"]
    assert change.deleted_keys == ["B", "NEVER_SET"]
    async with engine.connect() as connection:
        assert await get_secrets(connection, box, ["A", "B", "NEVER_SET"]) == {"A": "last"}


async def test_a_refused_entry_writes_nothing(engine: AsyncEngine) -> None:
    box = SecretBox(KEY)

    with pytest.raises(InvalidArgumentError, match=r"secrets\[1\].key"):
        await _store(engine, box, ("GOOD", "1"), ("BAD\x00KEY", "2"))

    async with engine.connect() as connection:
        assert await list_secrets(connection) == []


async def test_after_rotation_secrets_read_with_the_previous_key_then_move_to_the_new(
    engine: AsyncEngine,
) -> None:
    await _store(engine, SecretBox(OTHER_KEY), ("ANTHROPIC_API_KEY", "sk-ant-1"))
    rotated = SecretBox(KEY, [OTHER_KEY])

    async with engine.begin() as connection:
        assert await get_secrets(connection, rotated, ["ANTHROPIC_API_KEY"]) == {
            "ANTHROPIC_API_KEY": "sk-ant-1"
        }
        assert await reencrypt_secrets(connection, rotated) == 1

    async with engine.connect() as connection:
        assert await get_secrets(connection, SecretBox(KEY), ["ANTHROPIC_API_KEY"]) == {
            "ANTHROPIC_API_KEY": "sk-ant-1"
        }


async def test_stored_secrets_come_before_the_environment(
    engine: AsyncEngine, fake_provider: FakeProviderServer
) -> None:
    box = SecretBox(KEY)
    environment = {
        "OPENAI_API_KEY": "environment-key",
        "OPENAI_BASE_URL": fake_provider.openai_base_url,
        "ANTHROPIC_API_KEY": "environment-anthropic-key",
    }
    await _store(engine, box, ("OPENAI_API_KEY", "stored-key"))
    resolver = CredentialResolver(engine, box, environ=environment)

    openai_credentials = await resolver.resolve(ModelProvider.OPENAI)
    anthropic_credentials = await resolver.resolve("anthropic")

    assert openai_credentials.api_key == "stored-key"
    assert openai_credentials.base_url == fake_provider.openai_base_url
    assert anthropic_credentials.api_key == "environment-anthropic-key"
    async with LLMClient() as llm:
        request = ChatRequest.model_validate(
            {
                "provider": "openai",
                "model": "gpt-4o",
                "messages": [{"role": "user", "content": "hi"}],
            }
        )
        await llm.complete(request, openai_credentials, timeout=10)
    assert fake_provider.calls()["by_key"] == {"stored-key": {"200": 1}}

    await _store(engine, box, ("OPENAI_API_KEY", None))
    resolver.invalidate()
    assert (await resolver.resolve(ModelProvider.OPENAI)).api_key == "environment-key"


async def test_a_missing_credential_names_the_secret_to_set(engine: AsyncEngine) -> None:
    resolver = CredentialResolver(engine, SecretBox(KEY), environ={})

    with pytest.raises(MissingCredential, match="XAI_API_KEY"):
        await resolver.resolve(ModelProvider.XAI)


async def test_the_table_is_read_once_per_cache_period(engine: AsyncEngine) -> None:
    box = SecretBox(KEY)
    now = [0.0]
    resolver = CredentialResolver(engine, box, environ={}, cache_seconds=5, clock=lambda: now[0])
    await _store(engine, box, ("GROQ_API_KEY", "first"))
    assert (await resolver.resolve(ModelProvider.GROQ)).api_key == "first"

    await _store(engine, box, ("GROQ_API_KEY", "second"))
    now[0] = 4.0
    assert (await resolver.resolve(ModelProvider.GROQ)).api_key == "first"
    now[0] = 5.5
    assert (await resolver.resolve(ModelProvider.GROQ)).api_key == "second"


async def test_an_unreachable_database_on_first_read_is_a_dependency_error(
    free_engine: AsyncEngine,
) -> None:
    resolver = CredentialResolver(free_engine, SecretBox(KEY), environ={"OPENAI_API_KEY": "k"})

    with pytest.raises(DependencyUnavailableError):
        await resolver.resolve(ModelProvider.OPENAI)


@pytest.fixture
async def free_engine() -> AsyncIterator[AsyncEngine]:
    async with engine_for(f"postgresql://postgres@127.0.0.1:{free_port()}/nothing") as engine:
        yield engine


async def test_a_secret_no_key_opens_fails_its_provider_only(engine: AsyncEngine) -> None:
    box = SecretBox(KEY)
    await _store(engine, SecretBox(OTHER_KEY), ("ANTHROPIC_API_KEY", "sk-ant-old"))
    await _store(engine, box, ("OPENAI_API_KEY", "sk-openai"))
    resolver = CredentialResolver(engine, box, environ={"ANTHROPIC_API_KEY": "from-env"})

    assert (await resolver.resolve(ModelProvider.OPENAI)).api_key == "sk-openai"
    with pytest.raises(SecretDecryptionError, match="ANTHROPIC_API_KEY"):
        await resolver.resolve(ModelProvider.ANTHROPIC)
