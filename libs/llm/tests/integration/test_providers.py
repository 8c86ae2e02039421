"""The real ``openai``, ``anthropic`` and ``google-genai`` clients, driven through spyglass_llm
against the fake provider: answers, streams, tokens and cost, and every failure a provider has
turned into the error that tells the caller what to do."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any

import httpx
import pytest

from spyglass_launcher.ports import free_port
from spyglass_llm import (
    ChatRequest,
    CredentialRejected,
    Credentials,
    LLMClient,
    ModelProvider,
    RateLimited,
    StreamEnd,
    TextDelta,
    ToolCallDelta,
    TransientProviderError,
    UnknownModel,
    collect_tool_calls,
)
from spyglass_spans import ModelPriceTable
from tests.support.fake_provider_fixtures import FakeProviderServer

# A model of each provider that the built-in price table knows; Azure's deployment is named
# after its model, as deployments usually are.
MODELS = {
    ModelProvider.OPENAI: "gpt-4o",
    ModelProvider.AZURE_OPENAI: "gpt-4o-mini",
    ModelProvider.ANTHROPIC: "claude-3-5-haiku-20241022",
    ModelProvider.GOOGLE: "gemini-2.0-flash",
    ModelProvider.DEEPSEEK: "deepseek-chat",
    ModelProvider.CUSTOM: "gpt-4.1-mini",
}
PROVIDERS = list(MODELS)


def credentials(
    fake: FakeProviderServer, provider: ModelProvider, api_key: str = "good-key"
) -> Credentials:
    """Credentials that point ``provider``'s SDK at the fake."""
    if provider is ModelProvider.AZURE_OPENAI:
        return Credentials(
            provider, api_key=api_key, endpoint=fake.base_url, api_version="2024-10-21"
        )
    if provider in (ModelProvider.ANTHROPIC, ModelProvider.GOOGLE):
        return Credentials(provider, api_key=api_key, base_url=fake.base_url)
    return Credentials(provider, api_key=api_key, base_url=fake.openai_base_url)


def request(
    provider: ModelProvider, text: str = "the answer is forty two", **fields: Any
) -> ChatRequest:
    return ChatRequest.model_validate(
        {
            "provider": provider,
            "model": MODELS[provider],
            "messages": [
                {"role": "system", "content": "You repeat things."},
                {"role": "user", "content": text},
            ],
            **fields,
        }
    )


WEATHER_TOOLS = {
    "type": "tools",
    "tools": [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "The weather in a city",
                "parameters": {"type": "object", "properties": {"input": {"type": "string"}}},
            },
        }
    ],
}


@pytest.fixture
async def llm() -> AsyncIterator[LLMClient]:
    async with LLMClient(prices=ModelPriceTable.load()) as client:
        yield client


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_completion_has_the_answer_its_tokens_and_its_cost(
    llm: LLMClient, fake_provider: FakeProviderServer, provider: ModelProvider
) -> None:
    completion = await llm.complete(
        request(provider), credentials(fake_provider, provider), timeout=10
    )

    assert completion.text == "the answer is forty two"
    assert completion.finish_reason == "stop"
    assert completion.tool_calls == ()
    assert completion.usage is not None
    # The fake counts words: 3 of the system message and 5 of the user's; 5 answered.
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (8, 5)
    prices = ModelPriceTable.load()
    expected = prices.cost(MODELS[provider], provider.value.lower(), 8, 5)
    assert expected is not None and completion.cost == expected
    assert completion.cost.total > 0
    seen = fake_provider.calls()
    assert seen["by_model"][MODELS[provider]] == {"200": 1}
    assert seen["by_key"]["good-key"] == {"200": 1}


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_stream_sends_the_answer_in_pieces_and_ends_with_usage_and_cost(
    llm: LLMClient, fake_provider: FakeProviderServer, provider: ModelProvider
) -> None:
    chunks = [
        chunk
        async for chunk in llm.stream(
            request(provider), credentials(fake_provider, provider), timeout=10
        )
    ]

    texts = [chunk.text for chunk in chunks if isinstance(chunk, TextDelta)]
    assert len(texts) == 5
    assert "".join(texts) == "the answer is forty two"
    end = chunks[-1]
    assert isinstance(end, StreamEnd)
    assert [chunk for chunk in chunks if isinstance(chunk, StreamEnd)] == [end]
    assert end.finish_reason == "stop"
    assert end.usage is not None
    assert (end.usage.prompt_tokens, end.usage.completion_tokens) == (8, 5)
    assert end.cost is not None and end.cost.total > 0
    assert len(fake_provider.calls()["first_chunks"]) == 1


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_tools_are_called_whole_and_streamed(
    llm: LLMClient, fake_provider: FakeProviderServer, provider: ModelProvider
) -> None:
    fake_provider.control(call_tools=True)
    call = request(provider, "Paris", tools=WEATHER_TOOLS)
    given = credentials(fake_provider, provider)

    completion = await llm.complete(call, given, timeout=10)
    deltas = [
        chunk
        async for chunk in llm.stream(call, given, timeout=10)
        if isinstance(chunk, ToolCallDelta)
    ]

    assert completion.finish_reason == "tool_calls"
    assert [(tool.name, tool.arguments) for tool in completion.tool_calls] == [
        ("get_weather", '{"input":"Paris"}')
    ]
    streamed = collect_tool_calls(deltas)
    assert [(tool.name, tool.arguments.replace(" ", "")) for tool in streamed] == [
        ("get_weather", '{"input":"Paris"}')
    ]
    assert streamed[0].id


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_429_is_rate_limited_with_the_delay_the_provider_asked_for(
    llm: LLMClient, fake_provider: FakeProviderServer, provider: ModelProvider
) -> None:
    fake_provider.control(rate_limit_fraction=1.0, retry_after=7)

    with pytest.raises(RateLimited) as caught:
        await llm.complete(request(provider), credentials(fake_provider, provider), timeout=10)

    assert caught.value.retry_after == 7.0
    assert caught.value.provider == provider.value
    assert caught.value.retryable
    # The SDK did not retry on its own: the caller owns retries.
    assert fake_provider.calls()["calls"] == 1


async def test_retry_after_ms_is_read_in_milliseconds_and_a_stream_is_rate_limited_too(
    llm: LLMClient, fake_provider: FakeProviderServer
) -> None:
    fake_provider.control(rate_limit_fraction=1.0, retry_after=None, retry_after_ms=1500)
    provider = ModelProvider.OPENAI

    with pytest.raises(RateLimited) as caught:
        async for _ in llm.stream(
            request(provider), credentials(fake_provider, provider), timeout=10
        ):
            pass

    assert caught.value.retry_after == 1.5


async def test_a_429_without_a_delay_says_none(
    llm: LLMClient, fake_provider: FakeProviderServer
) -> None:
    fake_provider.control(rate_limit_fraction=1.0, retry_after=None)

    with pytest.raises(RateLimited) as caught:
        await llm.complete(
            request(ModelProvider.ANTHROPIC),
            credentials(fake_provider, ModelProvider.ANTHROPIC),
            timeout=10,
        )

    assert caught.value.retry_after is None


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_500_is_transient(
    llm: LLMClient, fake_provider: FakeProviderServer, provider: ModelProvider
) -> None:
    fake_provider.control(error_fraction=1.0)

    with pytest.raises(TransientProviderError) as caught:
        await llm.complete(request(provider), credentials(fake_provider, provider), timeout=10)

    assert caught.value.retryable
    assert fake_provider.calls()["calls"] == 1


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_provider_that_never_answers_times_out_as_transient(
    llm: LLMClient, fake_provider: FakeProviderServer, provider: ModelProvider
) -> None:
    fake_provider.control(hang=True)
    given = credentials(fake_provider, provider)

    with pytest.raises(TransientProviderError):
        await llm.complete(request(provider), given, timeout=0.5)
    with pytest.raises(TransientProviderError):
        async for _ in llm.stream(request(provider), given, timeout=0.5):
            pass


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_rejected_key_is_credential_rejected(
    llm: LLMClient, fake_provider: FakeProviderServer, provider: ModelProvider
) -> None:
    fake_provider.control(rejected_keys=["revoked-key"])

    with pytest.raises(CredentialRejected) as caught:
        await llm.complete(
            request(provider), credentials(fake_provider, provider, "revoked-key"), timeout=10
        )

    assert str(caught.value).startswith(f"credential rejected by {provider.value}")
    assert "revoked-key" not in str(caught.value)
    assert not caught.value.retryable


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_an_unknown_model_is_unknown_model(
    llm: LLMClient, fake_provider: FakeProviderServer, provider: ModelProvider
) -> None:
    fake_provider.control(unknown_models=[MODELS[provider]])

    with pytest.raises(UnknownModel) as caught:
        await llm.complete(request(provider), credentials(fake_provider, provider), timeout=10)

    assert MODELS[provider] in str(caught.value)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_provider_nobody_listens_at_is_transient(
    llm: LLMClient, provider: ModelProvider
) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    given = Credentials(
        provider,
        api_key="k",
        base_url=None if provider is ModelProvider.AZURE_OPENAI else nowhere,
        endpoint=nowhere if provider is ModelProvider.AZURE_OPENAI else None,
        api_version="2024-10-21" if provider is ModelProvider.AZURE_OPENAI else None,
    )

    with pytest.raises(TransientProviderError):
        await llm.complete(request(provider), given, timeout=5)


async def test_invocation_parameters_reach_the_provider_as_phoenix_stores_them(
    llm: LLMClient, fake_provider: FakeProviderServer
) -> None:
    parameters = {
        ModelProvider.OPENAI: {"type": "openai", "openai": {"temperature": 0.25, "seed": 7}},
        ModelProvider.ANTHROPIC: {
            "type": "anthropic",
            "anthropic": {"temperature": 0.25, "max_tokens": 77},
        },
        ModelProvider.GOOGLE: {
            "type": "google",
            "google": {"temperature": 0.25, "max_output_tokens": 77},
        },
    }
    for provider, stored in parameters.items():
        await llm.complete(
            request(provider, invocation_parameters=stored),
            credentials(fake_provider, provider),
            timeout=10,
        )

    bodies = {sent["api"]: sent["body"] for sent in fake_provider.calls()["last_requests"]}
    assert bodies["openai"]["temperature"] == 0.25 and bodies["openai"]["seed"] == 7
    assert bodies["anthropic"]["temperature"] == 0.25 and bodies["anthropic"]["max_tokens"] == 77
    assert bodies["anthropic"]["system"] == [{"type": "text", "text": "You repeat things."}]
    assert bodies["google"]["generationConfig"] == {"temperature": 0.25, "maxOutputTokens": 77}


async def test_one_sdk_client_serves_every_call_of_a_credential(
    llm: LLMClient, fake_provider: FakeProviderServer
) -> None:
    provider = ModelProvider.OPENAI
    for _ in range(3):
        await llm.complete(request(provider), credentials(fake_provider, provider), timeout=10)
    await llm.complete(
        request(provider), credentials(fake_provider, provider, "other-key"), timeout=10
    )

    assert llm.client_count == 2
    assert fake_provider.calls()["by_key"] == {"good-key": {"200": 3}, "other-key": {"200": 1}}


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_stream_cut_short_is_transient_after_the_chunks_that_came(
    llm: LLMClient, fake_provider: FakeProviderServer, provider: ModelProvider
) -> None:
    fake_provider.control(cut_after_chunks=2)
    received: list[object] = []

    with pytest.raises(TransientProviderError):
        async for chunk in llm.stream(
            request(provider), credentials(fake_provider, provider), timeout=10
        ):
            received.append(chunk)

    assert not any(isinstance(chunk, StreamEnd) for chunk in received)


async def test_a_stream_left_early_lets_the_next_call_go_through(
    llm: LLMClient, fake_provider: FakeProviderServer
) -> None:
    provider = ModelProvider.ANTHROPIC
    given = credentials(fake_provider, provider)

    async with aclosing(llm.stream(request(provider), given, timeout=10)) as stream:
        async for chunk in stream:
            assert isinstance(chunk, TextDelta)
            break
    completion = await llm.complete(request(provider), given, timeout=10)

    assert completion.text == "the answer is forty two"


def test_the_fakes_script_refuses_what_it_could_not_follow(
    fake_provider: FakeProviderServer,
) -> None:
    for script in ({"latency": 5}, {"error_fraction": 2}, {"rejected_keys": "k"}, {"hang": "yes"}):
        response = httpx.post(f"{fake_provider.base_url}/_control", json=script, timeout=10)
        assert response.status_code == 422, script

    assert fake_provider.control(latency_ms=1)["latency_ms"] == 1
