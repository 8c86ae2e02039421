"""``POST /v1/chat/completions`` through the real ``openai`` SDK pointed at Spyglass's ``/v1``,
with the fake provider behind: answers, streams, tool calls, templates, every error the
contract names, hostile bodies, and the playground span each call leaves.

The query API runs in-process on a real socket (uvicorn), so streams cross TCP as they do in
production; its span bus is this test's NATS namespace.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, cast

import httpx
import openai
import pytest

from spyglass_bus import BusNames, ensure_streams
from spyglass_bus import connect as connect_nats
from spyglass_bus.publisher import SpanBatchPublisher
from spyglass_core.http import HttpServerService
from spyglass_core.settings import DbSettings, NatsSettings
from spyglass_db import create_engine, create_session_maker
from spyglass_llm.secrets import SecretsSettings
from spyglass_query_api.app import QueryApiResources, create_app
from spyglass_query_api.rest.span_upload import SpanUpload
from spyglass_query_api.settings import (
    PlaygroundSettings,
    QueryApiServerSettings,
    QueryApiSettings,
)
from spyglass_spans import ModelPriceTable
from tests.support.database import fetch
from tests.support.fake_provider_fixtures import FakeProviderServer
from tests.support.ingest import StartIngest
from tests.support.stack import Stack
from tests.support.waiting import assert_eventually

SECRETS_KEY = "a-test-key-that-is-long-enough-for-fernet-0123456789"
TIMEOUT_SECONDS = 1.5
TOOLS: Any = [
    {
        "type": "function",
        "function": {
            "name": "lookup_order",
            "description": "Find an order",
            "parameters": {"type": "object", "properties": {"input": {"type": "string"}}},
        },
    }
]


@dataclass
class ChatApi:
    """A query API on a socket: its ``/v1`` URL, an ``openai`` client and a plain one."""

    base_url: str
    database_url: str
    openai: openai.AsyncOpenAI
    http: httpx.AsyncClient

    async def post(self, body: Any, **headers: str) -> httpx.Response:
        """``POST /v1/chat/completions`` with ``body`` (bytes as they are, else JSON)."""
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        return await self.http.post(
            "/v1/chat/completions",
            content=content,
            headers={"content-type": "application/json", **headers},
        )


@asynccontextmanager
async def serve_query_api(
    settings: QueryApiSettings, upload: SpanUpload | None
) -> AsyncIterator[str]:
    """The app of ``settings`` served on a free port of 127.0.0.1; yields its base URL."""
    engine = create_engine(settings.db)
    app = create_app(settings, QueryApiResources(engine, create_session_maker(engine), upload))
    server = HttpServerService("http", app, QueryApiServerSettings(port=0), 1.0)
    await server.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        await server.stop()
        await engine.dispose()


@pytest.fixture
def provider_environment(
    monkeypatch: pytest.MonkeyPatch, fake_provider: FakeProviderServer
) -> FakeProviderServer:
    """OpenAI's key and base URL (the fake's) in the environment the resolver reads."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-environment")
    monkeypatch.setenv("OPENAI_BASE_URL", fake_provider.openai_base_url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-anthropic")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake_provider.base_url)
    return fake_provider


@pytest.fixture
async def chat(database_url: str, stack: Stack, nats_namespace: str) -> AsyncIterator[ChatApi]:
    """A query API with a secrets key, a short provider timeout and this test's span bus."""
    nats_settings = NatsSettings(url=stack.nats_url, namespace=nats_namespace)
    settings = QueryApiSettings(
        db=DbSettings(url=database_url),
        nats=nats_settings,
        secrets=SecretsSettings(key=SECRETS_KEY),
        playground=PlaygroundSettings(timeout_seconds=TIMEOUT_SECONDS),
    )
    nats = await connect_nats(nats_settings, "chat-test")
    names = BusNames(nats_namespace)
    await ensure_streams(nats.jetstream(), names, nats_settings.spans_max_bytes)
    upload = SpanUpload(SpanBatchPublisher(nats, names, timeout_seconds=3), ModelPriceTable.load())
    try:
        async with serve_query_api(settings, upload) as base_url:
            client = openai.AsyncOpenAI(
                base_url=f"{base_url}/v1", api_key="not-needed", max_retries=0, timeout=30
            )
            async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
                yield ChatApi(base_url, database_url, client, http)
            await client.close()
    finally:
        await nats.close()


def last_request(fake: FakeProviderServer) -> dict[str, Any]:
    """The body of the last request the fake received."""
    body: dict[str, Any] = fake.calls()["last_requests"][-1]["body"]
    return body


async def test_a_completion_through_the_openai_sdk(
    chat: ChatApi, provider_environment: FakeProviderServer
) -> None:
    raw = await chat.openai.chat.completions.with_raw_response.create(
        model="openai:gpt-4o-mini",
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "hello there friend"},
        ],
        temperature=0.25,
        top_p=0.5,
        max_tokens=50,
        stop=["END"],
        seed=7,
        presence_penalty=0.1,
        frequency_penalty=0.2,
    )
    completion = raw.parse()

    assert completion.choices[0].message.content == "hello there friend"
    assert completion.choices[0].message.role == "assistant"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.model == "openai:gpt-4o-mini"
    assert completion.object == "chat.completion"
    assert completion.id.startswith("chatcmpl-")
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (5, 3)
    assert completion.usage.total_tokens == 8
    assert len(raw.headers["x-spyglass-trace-id"]) == 32
    sent = last_request(provider_environment)
    assert sent["model"] == "gpt-4o-mini"
    assert {
        name: sent[name] for name in ("temperature", "top_p", "max_tokens", "stop", "seed")
    } == {
        "temperature": 0.25,
        "top_p": 0.5,
        "max_tokens": 50,
        "stop": ["END"],
        "seed": 7,
    }
    assert (sent["presence_penalty"], sent["frequency_penalty"]) == (0.1, 0.2)
    assert provider_environment.calls()["by_key"] == {"sk-environment": {"200": 1}}


async def test_a_stream_through_the_openai_sdk(
    chat: ChatApi, provider_environment: FakeProviderServer
) -> None:
    raw = await chat.openai.chat.completions.with_raw_response.create(
        model="openai:gpt-4o-mini",
        messages=[{"role": "user", "content": "one two three"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = [chunk async for chunk in raw.parse()]

    assert raw.headers["content-type"].startswith("text/event-stream")
    assert "content-encoding" not in raw.headers  # the SDK accepts gzip; streams go as they are
    assert len(raw.headers["x-spyglass-trace-id"]) == 32
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.split() == ["one", "two", "three"]
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None
    assert (chunks[-1].usage.prompt_tokens, chunks[-1].usage.completion_tokens) == (3, 3)
    assert {chunk.object for chunk in chunks} == {"chat.completion.chunk"}
    assert {chunk.model for chunk in chunks} == {"openai:gpt-4o-mini"}


async def test_each_word_is_passed_on_before_the_provider_sends_the_next(
    chat: ChatApi, provider_environment: FakeProviderServer
) -> None:
    """No buffering on the way: every word reaches the client while the provider waits to send
    the following one (a long pause between words makes that an order, not a timing)."""
    pause = 0.4  # three pauses after the last word (finish, usage, [DONE]) stay under 1.5 s
    provider_environment.control(inter_token_ms=pause * 1000)
    stream = await chat.openai.chat.completions.create(
        model="openai:gpt-4o-mini",
        messages=[{"role": "user", "content": "alpha beta gamma"}],
        stream=True,
    )
    arrivals: list[tuple[str, float]] = []
    async for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            arrivals.append((chunk.choices[0].delta.content.strip(), time.time()))

    # The fake's first event (the role, no text) goes at first_chunk_at; word i follows it
    # after (i + 1) pauses.
    role_sent = provider_environment.calls()["first_chunks"][-1]["first_chunk_at"]
    assert [word for word, _ in arrivals] == ["alpha", "beta", "gamma"]
    for index, (word, arrived) in enumerate(arrivals[:-1]):
        next_sent = role_sent + (index + 2) * pause
        assert arrived < next_sent, f"{word!r} arrived only after the provider sent the next word"
    delay = arrivals[0][1] - (role_sent + pause)
    print(f"first word: {1000 * delay:.1f} ms after the provider sent it")


async def test_tool_calls_come_back_in_openai_shape(
    chat: ChatApi, provider_environment: FakeProviderServer
) -> None:
    provider_environment.control(call_tools=True)
    completion = await chat.openai.chat.completions.create(
        model="openai:gpt-4o-mini",
        messages=[{"role": "user", "content": "where is order 42"}],
        tools=TOOLS,
        tool_choice="required",
    )
    stream = await chat.openai.chat.completions.create(
        model="openai:gpt-4o-mini",
        messages=[{"role": "user", "content": "where is order 43"}],
        tools=TOOLS,
        stream=True,
    )
    deltas = [c.choices[0] async for c in stream if c.choices]

    call: Any = completion.choices[0].message.tool_calls[0]  # type: ignore[index]
    assert call.type == "function"
    assert call.function.name == "lookup_order"
    assert json.loads(call.function.arguments) == {"input": "where is order 42"}
    assert completion.choices[0].finish_reason == "tool_calls"
    streamed = [c for d in deltas for c in d.delta.tool_calls or []]
    assert streamed[0].function.name == "lookup_order"  # type: ignore[union-attr]
    assert streamed[0].id
    arguments = "".join(c.function.arguments or "" for c in streamed)  # type: ignore[union-attr]
    assert json.loads(arguments) == {"input": "where is order 43"}
    assert deltas[-1].finish_reason == "tool_calls"
    first = provider_environment.calls()["last_requests"][-2]["body"]
    assert first["tool_choice"] == "required"
    assert first["tools"][0]["function"]["name"] == "lookup_order"


async def test_a_tool_result_goes_back_to_the_provider(
    chat: ChatApi, provider_environment: FakeProviderServer
) -> None:
    """A tool loop as an SDK user writes it: the call, then a ``tool`` message answering it;
    Phoenix's prompt tools object is taken as well as OpenAI's list."""
    completion = await chat.openai.chat.completions.create(
        model="openai:gpt-4o-mini",
        messages=[
            {"role": "user", "content": "where is order 42"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "lookup_order", "arguments": '{"input": "42"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "shipped yesterday"},
            {"role": "user", "content": "so when will it arrive"},
        ],
        tools=cast(Any, {"type": "tools", "tools": TOOLS, "tool_choice": {"type": "zero_or_more"}}),
    )

    assert completion.choices[0].message.content == "so when will it arrive"
    sent = last_request(provider_environment)
    assert sent["messages"][1]["tool_calls"][0]["id"] == "call_1"
    assert sent["messages"][2] == {
        "role": "tool",
        "tool_call_id": "call_1",
        "content": "shipped yesterday",
    }
    assert sent["tool_choice"] == "auto"


async def test_templates_are_filled_in_on_the_server(
    chat: ChatApi, provider_environment: FakeProviderServer
) -> None:
    body = {
        "model": "openai:gpt-4o-mini",
        "messages": [{"role": "user", "content": "Tell {{ who }} about {{topic}}"}],
        "template_format": "MUSTACHE",
        "template_variables": {"who": "Ada", "topic": "engines"},
    }
    filled = await chat.post(body)
    missing = await chat.post({**body, "template_variables": {"who": "Ada"}})
    f_string = await chat.post(
        {
            "model": "openai:gpt-4o-mini",
            "messages": [{"role": "user", "content": "Hello {name}!"}],
            "template_format": "F_STRING",
            "template_variables": {"name": "Grace"},
        }
    )

    assert filled.status_code == 200, filled.text
    assert filled.json()["choices"][0]["message"]["content"] == "Tell Ada about engines"
    assert missing.status_code == 422
    assert missing.json()["error"]["param"] == "template_variables"
    assert "topic" in missing.json()["error"]["message"]
    assert f_string.json()["choices"][0]["message"]["content"] == "Hello Grace!"


@pytest.mark.parametrize(
    ("model", "status", "code"),
    [
        ("nowhere:gpt-4o", 404, "model_not_found"),
        ("gpt-4o", 404, "model_not_found"),
        ("openai:", 404, "model_not_found"),
        ("openai:gpt-gone", 404, "model_not_found"),
        ("aws:anthropic.claude-v2", 400, None),
    ],
)
async def test_unknown_providers_and_models(
    chat: ChatApi, provider_environment: FakeProviderServer, model: str, status: int, code: str
) -> None:
    provider_environment.control(unknown_models=["gpt-gone"])
    with pytest.raises(openai.APIStatusError) as raised:
        await chat.openai.chat.completions.create(
            model=model, messages=[{"role": "user", "content": "hi"}]
        )

    assert raised.value.status_code == status
    assert raised.value.code == code
    assert raised.value.param == "model"


async def test_a_missing_credential_names_what_to_set(
    chat: ChatApi, fake_provider: FakeProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_BASE_URL", fake_provider.openai_base_url)
    with pytest.raises(openai.BadRequestError) as raised:
        await chat.openai.chat.completions.create(
            model="openai:gpt-4o", messages=[{"role": "user", "content": "hi"}]
        )

    assert raised.value.code == "missing_credential"
    assert "OPENAI_API_KEY" in raised.value.message
    assert fake_provider.calls()["calls"] == 0


async def test_a_rejected_key_is_a_clear_400(
    chat: ChatApi, provider_environment: FakeProviderServer
) -> None:
    provider_environment.control(rejected_keys=["sk-environment"])
    with pytest.raises(openai.BadRequestError) as raised:
        await chat.openai.chat.completions.create(
            model="openai:gpt-4o", messages=[{"role": "user", "content": "hi"}]
        )

    assert raised.value.code == "invalid_api_key"
    assert "OPENAI_API_KEY" in raised.value.message
    assert "sk-environment" not in raised.value.message


async def test_a_rate_limited_provider_is_a_429_with_its_retry_after(
    chat: ChatApi, provider_environment: FakeProviderServer
) -> None:
    provider_environment.control(rate_limit_fraction=1.0, retry_after=7)
    with pytest.raises(openai.RateLimitError) as plain:
        await chat.openai.chat.completions.create(
            model="openai:gpt-4o", messages=[{"role": "user", "content": "hi"}]
        )
    with pytest.raises(openai.RateLimitError) as streamed:
        await chat.openai.chat.completions.create(
            model="openai:gpt-4o", messages=[{"role": "user", "content": "hi"}], stream=True
        )

    for raised in (plain, streamed):
        assert raised.value.response.headers["retry-after"] == "7"
        assert raised.value.code == "rate_limit_exceeded"
        assert "rate limited by OPENAI" in raised.value.message
        assert len(raised.value.response.headers["x-spyglass-trace-id"]) == 32


async def test_a_failing_provider_is_a_502_not_a_500(
    chat: ChatApi, provider_environment: FakeProviderServer
) -> None:
    provider_environment.control(error_fraction=1.0)
    with pytest.raises(openai.InternalServerError) as raised:
        await chat.openai.chat.completions.create(
            model="openai:gpt-4o", messages=[{"role": "user", "content": "hi"}]
        )

    assert raised.value.status_code == 502
    assert raised.value.code == "provider_unavailable"
    assert "OPENAI failed (500)" in raised.value.message


async def test_a_provider_that_hangs_is_a_504_naming_the_setting(
    chat: ChatApi, provider_environment: FakeProviderServer
) -> None:
    provider_environment.control(hang=True)
    with pytest.raises(openai.InternalServerError) as plain:
        await chat.openai.chat.completions.create(
            model="openai:gpt-4o", messages=[{"role": "user", "content": "hi"}]
        )
    with pytest.raises(openai.InternalServerError) as streamed:
        await chat.openai.chat.completions.create(
            model="openai:gpt-4o", messages=[{"role": "user", "content": "hi"}], stream=True
        )

    for raised in (plain, streamed):
        assert raised.value.status_code == 504
        assert raised.value.code == "timeout"
        assert "SPYGLASS_QUERY_API_PLAYGROUND_TIMEOUT_SECONDS" in raised.value.message


async def test_an_error_mid_stream_is_a_last_error_event(
    chat: ChatApi, provider_environment: FakeProviderServer
) -> None:
    provider_environment.control(cut_after_chunks=2)
    words = "one two three four five six"
    stream = await chat.openai.chat.completions.create(
        model="openai:gpt-4o", messages=[{"role": "user", "content": words}], stream=True
    )
    received = []
    with pytest.raises(openai.APIError) as raised:
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                received.append(chunk.choices[0].delta.content.strip())
    raw = await chat.post(
        {"model": "openai:gpt-4o", "messages": [{"role": "user", "content": words}], "stream": True}
    )
    events = [line.removeprefix("data: ") for line in raw.text.split("\n\n") if line]

    assert received and received == words.split()[: len(received)]
    assert len(received) < len(words.split())
    assert "OPENAI" in raised.value.message
    assert raw.status_code == 200
    assert events[-1] == "[DONE]"
    error = json.loads(events[-2])["error"]
    assert error["code"] == "provider_unavailable"
    assert error["type"] == "api_error"


MINIMAL_BODY = b'{"model": "openai:gpt-4o", "messages": [{"role": "user", "content": "a"}]}'
HOSTILE: list[tuple[str, bytes | dict[str, Any], str]] = [
    ("nul", {"model": "openai:gpt-4o", "messages": [{"role": "user", "content": "a\x00b"}]},
     "messages.0.content"),
    ("2^70 max_tokens", {"model": "openai:gpt-4o", "messages": [{"role": "user", "content": "a"}],
                         "max_tokens": 2**70}, "max_tokens"),
    ("2^63 seed", {"model": "openai:gpt-4o", "messages": [{"role": "user", "content": "a"}],
                   "seed": 2**63}, "seed"),
    ("NaN temperature",
     MINIMAL_BODY[:-1] + b', "temperature": NaN}', "temperature"),
    ("1e400 top_p",
     MINIMAL_BODY[:-1] + b', "top_p": 1e400}', "top_p"),
    ("long model", {"model": "openai:" + "m" * 10_000,
                    "messages": [{"role": "user", "content": "a"}]}, "model"),
    ("no messages", {"model": "openai:gpt-4o", "messages": []}, "messages"),
    ("bad role", {"model": "openai:gpt-4o", "messages": [{"role": "king", "content": "a"}]},
     "messages.0.role"),
    ("zero max_tokens", {"model": "openai:gpt-4o",
                         "messages": [{"role": "user", "content": "a"}], "max_tokens": 0},
     "max_tokens"),
    ("unknown field", {"model": "openai:gpt-4o", "messages": [{"role": "user", "content": "a"}],
                       "logit_bias_x": 1}, "logit_bias_x"),
    ("bad tool", {"model": "openai:gpt-4o", "messages": [{"role": "user", "content": "a"}],
                  "tools": [{"type": "function", "function": {"description": "no name"}}]},
     "tools"),
    ("bad template format", {"model": "openai:gpt-4o",
                             "messages": [{"role": "user", "content": "a"}],
                             "template_format": "JINJA"}, "template_format"),
]  # fmt: skip


def nested(depth: int) -> dict[str, Any]:
    """An object nested ``depth`` levels deep."""
    value: dict[str, Any] = {}
    for _ in range(depth):
        value = {"x": value}
    return value


HOSTILE.append(
    (
        "600-deep tools",
        {
            "model": "openai:gpt-4o",
            "messages": [{"role": "user", "content": "a"}],
            "tools": [{"type": "function", "function": {"name": "f", "parameters": nested(600)}}],
        },
        "tools",
    )
)


@pytest.mark.parametrize(
    ("body", "field"), [(b, f) for _, b, f in HOSTILE], ids=[n for n, _, _ in HOSTILE]
)
async def test_hostile_bodies_are_refused_naming_the_field(
    chat: ChatApi, provider_environment: FakeProviderServer, body: Any, field: str
) -> None:
    response = await chat.post(body)

    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["param"].startswith(field), error
    assert field.split(".")[0] in error["message"]
    assert provider_environment.calls()["calls"] == 0


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({"n": 2}, "n", "n=1"),
        ({"stream_options": {"include_usage": True}}, "stream_options", "stream"),
        ({"tool_choice": "auto"}, "tool_choice", "without tools"),
    ],
)
async def test_parameters_spyglass_cannot_honour_are_400(
    chat: ChatApi,
    provider_environment: FakeProviderServer,
    extra: dict[str, Any],
    field: str,
    message: str,
) -> None:
    response = await chat.post(
        {"model": "openai:gpt-4o", "messages": [{"role": "user", "content": "a"}], **extra}
    )

    assert response.status_code == 400
    assert response.json()["error"]["param"] == field
    assert message in response.json()["error"]["message"]


async def test_parameters_are_renamed_for_anthropic_or_refused(
    chat: ChatApi, provider_environment: FakeProviderServer
) -> None:
    answered = await chat.openai.chat.completions.create(
        model="anthropic:claude-sonnet-4-5",
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "hi you"},
        ],
        max_tokens=20,
        stop="END",
    )
    sent = last_request(provider_environment)
    with pytest.raises(openai.BadRequestError) as refused:
        await chat.openai.chat.completions.create(
            model="anthropic:claude-sonnet-4-5",
            messages=[{"role": "user", "content": "hi"}],
            seed=3,
        )

    assert answered.choices[0].message.content == "hi you"
    assert (sent["max_tokens"], sent["stop_sequences"]) == (20, ["END"])
    assert refused.value.param == "seed"


def stored_spans(database_url: str, trace_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The stored spans of ``trace_ids`` by trace id, with their project's name."""
    rows = fetch(
        database_url,
        "SELECT t.trace_id, s.name, s.span_kind, s.status_code, s.status_message, "
        "s.attributes::text AS attributes, s.llm_token_count_prompt AS prompt_tokens, "
        "s.llm_token_count_completion AS completion_tokens, p.name AS project "
        "FROM spans s JOIN traces t ON t.id = s.trace_rowid "
        "JOIN projects p ON p.id = s.project_rowid WHERE t.trace_id = ANY($1)",
        trace_ids,
    )
    return {row["trace_id"]: {**row, "attributes": json.loads(row["attributes"])} for row in rows}


async def test_every_call_is_an_llm_span_in_the_playground_project(
    chat: ChatApi, provider_environment: FakeProviderServer, start_ingest: StartIngest
) -> None:
    await asyncio.to_thread(start_ingest, writer=True)
    provider_environment.control(call_tools=True)
    answered = await chat.openai.chat.completions.with_raw_response.create(
        model="openai:gpt-4o-mini",
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "find 42"},
        ],
        tools=TOOLS,
        temperature=0.5,
    )
    provider_environment.control(call_tools=False, cut_after_chunks=2)
    streamed = await chat.post(
        {"model": "openai:gpt-4o-mini", "stream": True,
         "messages": [{"role": "user", "content": "{{ a }} b c d"}],
         "template_variables": {"a": "first"}}
    )  # fmt: skip
    provider_environment.control(cut_after_chunks=None, inter_token_ms=300)
    left_body = {
        "model": "openai:gpt-4o-mini",
        "stream": True,
        "messages": [{"role": "user", "content": "w1 w2 w3 w4 w5 w6"}],
    }
    async with chat.http.stream("POST", "/v1/chat/completions", json=left_body) as left:
        async for line in left.aiter_lines():
            if "w1" in line:
                break  # the client goes away after the first word
    provider_environment.control(inter_token_ms=0, rate_limit_fraction=1.0)
    limited = await chat.post(
        {"model": "openai:gpt-4o-mini", "messages": [{"role": "user", "content": "x"}]}
    )
    ids = [
        answered.headers["x-spyglass-trace-id"],
        streamed.headers["x-spyglass-trace-id"],
        limited.headers["x-spyglass-trace-id"],
        left.headers["x-spyglass-trace-id"],
    ]

    def all_stored() -> dict[str, dict[str, Any]]:
        found = stored_spans(chat.database_url, ids)
        assert len(found) == len(ids), found
        return found

    spans = await asyncio.to_thread(assert_eventually, all_stored, 60)
    ok, cut, refused, abandoned = (spans[trace_id] for trace_id in ids)
    assert {span["project"] for span in spans.values()} == {"playground"}
    assert {span["span_kind"] for span in spans.values()} == {"LLM"}
    assert {span["name"] for span in spans.values()} == {"ChatCompletion"}
    llm = ok["attributes"]["llm"]
    assert (llm["provider"], llm["model_name"]) == ("openai", "gpt-4o-mini")
    assert json.loads(llm["invocation_parameters"]) == {"temperature": 0.5}
    assert [m["message"]["role"] for m in llm["input_messages"]] == ["system", "user"]
    assert llm["input_messages"][1]["message"]["content"] == "find 42"
    call = llm["output_messages"][0]["message"]["tool_calls"][0]["tool_call"]
    assert call["function"]["name"] == "lookup_order"
    assert json.loads(llm["tools"][0]["tool"]["json_schema"])["function"]["name"] == "lookup_order"
    assert llm["token_count"]["prompt"] == ok["prompt_tokens"] == 4
    assert json.loads(ok["attributes"]["input"]["value"])["model"] == "openai:gpt-4o-mini"
    assert ok["status_code"] == "OK"
    assert cut["status_code"] == "ERROR"
    assert "OPENAI" in cut["status_message"]
    assert cut["attributes"]["llm"]["input_messages"][0]["message"]["content"] == "first b c d"
    assert cut["attributes"]["llm"]["output_messages"][0]["message"]["content"].strip() == "first"
    assert refused["status_code"] == "ERROR"
    assert "rate limited" in refused["status_message"]
    assert abandoned["status_code"] == "ERROR"
    assert abandoned["status_message"] == "the client went away before the answer was complete"
    output = abandoned["attributes"]["llm"]["output_messages"][0]["message"]["content"]
    assert output.startswith("w1") and "w6" not in output
