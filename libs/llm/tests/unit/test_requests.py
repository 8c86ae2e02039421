"""Requests in Phoenix's prompt shape: what validates, what is refused naming the field, what the
providers are sent, and where credentials come from."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pydantic import ValidationError

from spyglass_llm import (
    ChatRequest,
    Credentials,
    LLMClient,
    MissingCredential,
    ModelProvider,
    ProviderRequestError,
    TransientProviderError,
    credentials_from,
)
from spyglass_llm.adapters import anthropic_messages, google_genai, openai_chat
from spyglass_llm.chat import ToolCallDelta, collect_tool_calls, finish_reason

CONVERSATION: list[dict[str, Any]] = [
    {"role": "system", "content": "Be brief."},
    {"role": "developer", "content": "Use tools."},
    {"role": "user", "content": "Weather in Paris?"},
    {
        "role": "ai",
        "content": [
            {
                "type": "tool_call",
                "tool_call_id": "call_1",
                "tool_call": {
                    "type": "function",
                    "name": "weather",
                    "arguments": '{"city": "Paris"}',
                },
            }
        ],
    },
    {
        "role": "tool",
        "content": [{"type": "tool_result", "tool_call_id": "call_1", "tool_result": {"c": 21}}],
    },
]
TOOLS = {
    "type": "tools",
    "tools": [
        {
            "type": "function",
            "function": {"name": "weather", "parameters": {"type": "object", "properties": {}}},
        }
    ],
    "tool_choice": {"type": "one_or_more"},
    "disable_parallel_tool_calls": True,
}


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


NESTED = _nested(600)


def _request(provider: str, **fields: Any) -> ChatRequest:
    return ChatRequest.model_validate(
        {"provider": provider, "model": "m", "messages": CONVERSATION, "tools": TOOLS, **fields}
    )


def test_phoenix_shaped_requests_validate_with_providers_in_any_case() -> None:
    request = _request(
        "azure_openai",
        invocation_parameters={"type": "azure_openai", "azure_openai": {"temperature": 0.1}},
    )

    assert request.provider is ModelProvider.AZURE_OPENAI
    assert request.invocation_parameters == {"temperature": 0.1}
    assert request.messages[3].normalized_role == "assistant"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"messages": []}, "messages"),
        ({"model": " "}, "model"),
        ({"model": "a\x00b"}, "model"),
        ({"model": "m" * 10_000}, "model"),
        ({"messages": [{"role": "robot", "content": "x"}]}, "messages.0.role"),
        ({"messages": [{"role": "user", "content": []}]}, "messages.0.content"),
        ({"messages": [{"role": "user", "content": [{"type": "image"}]}]}, "messages.0.content"),
        ({"invocation_parameters": {"t": float("nan")}}, "invocation_parameters holds NaN"),
        ({"invocation_parameters": {"t": [float("inf")]}}, "invocation_parameters holds NaN"),
        ({"invocation_parameters": {"t": NESTED}}, "invocation_parameters nests deeper"),
        (
            {
                "messages": [
                    {
                        "role": "tool",
                        "content": [
                            {"type": "tool_result", "tool_call_id": "c", "tool_result": NESTED}
                        ],
                    }
                ]
            },
            "messages nests deeper",
        ),
        ({"surprise": 1}, "surprise"),
        ({"provider": "bedrock"}, "provider"),
    ],
)
def test_malformed_requests_are_refused_naming_the_field(
    fields: dict[str, Any], field: str
) -> None:
    body = {"provider": "openai", "model": "m", "messages": [{"role": "user", "content": "x"}]}

    with pytest.raises(ValidationError) as caught:
        ChatRequest.model_validate({**body, **fields})

    problems = [
        f"{'.'.join(str(part) for part in error['loc'])} {error['msg']}"
        for error in caught.value.errors()
    ]
    assert any(field in problem for problem in problems), problems


def test_openai_is_sent_roles_tool_calls_results_and_tool_choice() -> None:
    body = openai_chat.request_body(_request("openai", invocation_parameters={"seed": 3}))

    assert [message["role"] for message in body["messages"]] == [
        "system",
        "developer",
        "user",
        "assistant",
        "tool",
    ]
    assert body["messages"][3]["tool_calls"][0]["function"]["arguments"] == '{"city": "Paris"}'
    assert body["messages"][4] == {"role": "tool", "tool_call_id": "call_1", "content": '{"c":21}'}
    assert body["tool_choice"] == "required"
    assert body["parallel_tool_calls"] is False
    assert body["seed"] == 3


def test_compatible_providers_get_developer_as_system() -> None:
    body = openai_chat.request_body(_request("deepseek"))

    assert body["messages"][1]["role"] == "system"


def test_anthropic_gets_a_system_parameter_tool_blocks_and_a_default_max_tokens() -> None:
    body = anthropic_messages.request_body(_request("anthropic"))

    assert body["system"] == [
        {"type": "text", "text": "Be brief."},
        {"type": "text", "text": "Use tools."},
    ]
    assert [message["role"] for message in body["messages"]] == ["user", "assistant", "user"]
    assert body["messages"][1]["content"][0]["input"] == {"city": "Paris"}
    assert body["messages"][2]["content"][0]["type"] == "tool_result"
    assert body["tool_choice"] == {"type": "any", "disable_parallel_tool_use": True}
    assert body["max_tokens"] == anthropic_messages.DEFAULT_MAX_TOKENS


def test_anthropic_refuses_tool_arguments_that_are_not_an_object() -> None:
    conversation = [dict(message) for message in CONVERSATION]
    conversation[3] = {
        "role": "assistant",
        "content": [
            {
                "type": "tool_call",
                "tool_call_id": "c",
                "tool_call": {"name": "w", "arguments": "[1"},
            }
        ],
    }

    with pytest.raises(ProviderRequestError, match="JSON object"):
        anthropic_messages.request_body(_request("anthropic", messages=conversation))


def test_google_gets_model_turns_function_responses_by_name_and_a_system_instruction() -> None:
    contents, config = google_genai.request_arguments(
        _request("google", response_format=None), timeout=5
    )

    assert [content["role"] for content in contents] == ["user", "model", "user"]
    assert contents[2]["parts"][0]["function_response"]["name"] == "weather"
    assert config["system_instruction"] == "Be brief.\n\nUse tools."
    assert config["tool_config"] == {"function_calling_config": {"mode": "ANY"}}


def test_finish_reasons_read_as_openais_words() -> None:
    assert [
        finish_reason(reason)
        for reason in ("end_turn", "max_tokens", "tool_use", "STOP", "SAFETY", "stop")
    ] == [
        "stop",
        "length",
        "tool_calls",
        "stop",
        "content_filter",
        "stop",
    ]


def test_tool_call_deltas_assemble() -> None:
    calls = collect_tool_calls(
        [
            ToolCallDelta(1, "b", "second", '{"x"'),
            ToolCallDelta(0, "a", "first", "{}"),
            ToolCallDelta(1, arguments=": 1}"),
        ]
    )

    assert [(call.id, call.name, call.arguments) for call in calls] == [
        ("a", "first", "{}"),
        ("b", "second", '{"x": 1}'),
    ]


def _lookup(values: dict[str, str]) -> Any:
    return values.get


def test_credentials_name_the_variable_to_set_and_take_defaults() -> None:
    with pytest.raises(MissingCredential, match="OPENAI_API_KEY"):
        credentials_from(ModelProvider.OPENAI, _lookup({}))
    with pytest.raises(MissingCredential, match="AZURE_OPENAI_ENDPOINT"):
        credentials_from(ModelProvider.AZURE_OPENAI, _lookup({"AZURE_OPENAI_API_KEY": "k"}))
    with pytest.raises(MissingCredential, match="CUSTOM_BASE_URL"):
        credentials_from(ModelProvider.CUSTOM, _lookup({}))

    google = credentials_from(ModelProvider.GOOGLE, _lookup({"GOOGLE_API_KEY": "g"}))
    ollama = credentials_from(ModelProvider.OLLAMA, _lookup({}))
    azure = credentials_from(
        ModelProvider.AZURE_OPENAI,
        _lookup({"AZURE_OPENAI_API_KEY": "k", "AZURE_OPENAI_ENDPOINT": "https://r.test"}),
    )
    groq = credentials_from(
        ModelProvider.GROQ, _lookup({"GROQ_API_KEY": "k", "GROQ_BASE_URL": "http://proxy.test/v1"})
    )

    assert google.api_key == "g"
    assert ollama.api_key is None and ollama.base_url == "http://localhost:11434/v1"
    assert azure.api_version == "2024-10-21"
    assert groq.base_url == "http://proxy.test/v1"


def test_a_fingerprint_identifies_a_credential_without_showing_it() -> None:
    one = Credentials(ModelProvider.OPENAI, api_key="sk-secret-one")
    again = Credentials(ModelProvider.OPENAI, api_key="sk-secret-one")
    other = Credentials(ModelProvider.OPENAI, api_key="sk-secret-two")
    elsewhere = Credentials(ModelProvider.OPENAI, api_key="sk-secret-one", base_url="http://x")

    assert one.fingerprint == again.fingerprint
    assert len({one.fingerprint, other.fingerprint, elsewhere.fingerprint}) == 3
    assert "sk-secret" not in one.fingerprint and "sk-secret" not in repr(one)


def test_an_llm_client_refuses_a_second_event_loop_clearly() -> None:
    client = LLMClient()
    given = Credentials(ModelProvider.OPENAI, api_key="k", base_url="http://127.0.0.1:9/v1")
    request = ChatRequest.model_validate(
        {"provider": "openai", "model": "m", "messages": [{"role": "user", "content": "x"}]}
    )

    async def first() -> None:
        with pytest.raises(TransientProviderError):  # nothing listens there
            await client.complete(request, given, timeout=1)

    async def second() -> None:
        try:
            await client.complete(request, given, timeout=1)
        finally:
            await client.aclose()

    asyncio.run(first())
    with pytest.raises(RuntimeError, match="event loop it was first used on"):
        asyncio.run(second())
