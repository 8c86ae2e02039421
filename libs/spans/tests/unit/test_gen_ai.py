"""OpenTelemetry GenAI attributes (``gen_ai.*``) filling in OpenInference ones."""

from __future__ import annotations

import json
from typing import Any

import pytest

from spyglass_spans import normalize_attributes


def _llm(attributes: dict[str, Any]) -> dict[str, Any]:
    normalized: dict[str, Any] = normalize_attributes(attributes)["llm"]
    return normalized


@pytest.mark.parametrize(
    ("operation", "kind"),
    [
        ("chat", "LLM"),
        ("text_completion", "LLM"),
        ("generate_content", "LLM"),
        ("embeddings", "EMBEDDING"),
        ("execute_tool", "TOOL"),
        ("retrieval", "RETRIEVER"),
        ("invoke_agent", "AGENT"),
        ("create_agent", "AGENT"),
    ],
)
def test_the_operation_gives_the_span_kind(operation: str, kind: str) -> None:
    attributes = normalize_attributes({"gen_ai.operation.name": operation})
    assert attributes["openinference"]["span"]["kind"] == kind


def test_an_openinference_kind_is_never_overwritten() -> None:
    attributes = normalize_attributes(
        {"gen_ai.operation.name": "chat", "openinference.span.kind": "CHAIN"}
    )
    assert attributes["openinference"]["span"]["kind"] == "CHAIN"


def test_model_provider_and_usage_fill_in_without_overwriting() -> None:
    llm = _llm(
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.response.model": "gpt-4o-2024-08-06",
            "gen_ai.provider.name": "openai",
            "gen_ai.usage.input_tokens": 1000,
            "gen_ai.usage.output_tokens": 100,
            "gen_ai.usage.cache_read.input_tokens": 400,
            "gen_ai.usage.cache_creation.input_tokens": 50,
            "llm.token_count.completion": 99,  # OpenInference wins
        }
    )

    assert llm["model_name"] == "gpt-4o-2024-08-06"
    assert (llm["provider"], llm["system"]) == ("openai", "openai")
    assert llm["token_count"] == {
        "prompt": 1000,
        "completion": 99,
        "total": 1099,
        "prompt_details": {"cache_read": 400, "cache_write": 50},
    }


def test_older_usage_names_are_understood() -> None:
    llm = _llm(
        {
            "gen_ai.system": "anthropic",
            "gen_ai.usage.prompt_tokens": 10,
            "gen_ai.usage.completion_tokens": 5,
            "gen_ai.usage.cache_read_input_tokens": 4,
            "gen_ai.usage.cache_creation_input_tokens": 2,
        }
    )

    assert llm["provider"] == "anthropic"
    assert llm["token_count"]["prompt_details"] == {"cache_read": 4, "cache_write": 2}
    assert llm["token_count"]["total"] == 15


@pytest.mark.parametrize(
    ("name", "provider", "system"),
    [
        ("gcp.gemini", "google", None),
        ("gcp.vertex_ai", "google", "vertexai"),
        ("aws.bedrock", "aws", None),
        ("azure.ai.openai", "azure", "openai"),
        ("mistral_ai", "mistralai", "mistralai"),
        ("ibm.watsonx.ai", None, "ibm.watsonx.ai"),
    ],
)
def test_providers_are_spelled_as_openinference_does(
    name: str, provider: str | None, system: str | None
) -> None:
    llm = _llm({"gen_ai.provider.name": name, "gen_ai.request.model": "m"})
    assert (llm.get("provider"), llm.get("system")) == (provider, system)


def test_request_parameters_become_invocation_parameters() -> None:
    llm = _llm(
        {
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.request.temperature": 0.2,
            "gen_ai.request.max_tokens": 512,
            "gen_ai.request.stop_sequences": ["\n\n"],
        }
    )
    assert json.loads(llm["invocation_parameters"]) == {
        "temperature": 0.2,
        "max_tokens": 512,
        "stop": ["\n\n"],
    }


def test_messages_system_instructions_and_tool_calls_become_openinference_messages() -> None:
    llm = _llm(
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.system_instructions": json.dumps([{"type": "text", "content": "Be brief."}]),
            "gen_ai.input.messages": json.dumps(
                [
                    {"role": "user", "parts": [{"type": "text", "content": "Where is A-1?"}]},
                    {
                        "role": "tool",
                        "parts": [{"type": "tool_call_response", "id": "c0", "response": "ok"}],
                    },
                ]
            ),
            "gen_ai.output.messages": json.dumps(
                [
                    {
                        "role": "assistant",
                        "parts": [
                            {"type": "text", "content": "Let me look."},
                            {
                                "type": "tool_call",
                                "id": "c1",
                                "name": "lookup",
                                "arguments": {"order": "A-1"},
                            },
                        ],
                        "finish_reason": "tool_call",
                    }
                ]
            ),
        }
    )

    assert llm["input_messages"] == [
        {"message": {"role": "system", "content": "Be brief."}},
        {"message": {"role": "user", "content": "Where is A-1?"}},
        {"message": {"role": "tool", "tool_call_id": "c0", "content": "ok"}},
    ]
    assert llm["output_messages"] == [
        {
            "message": {
                "role": "assistant",
                "content": "Let me look.",
                "tool_calls": [
                    {
                        "tool_call": {
                            "id": "c1",
                            "function": {"name": "lookup", "arguments": '{"order":"A-1"}'},
                        }
                    }
                ],
            }
        }
    ]


def test_openinference_messages_are_never_overwritten() -> None:
    llm = _llm(
        {
            "gen_ai.input.messages": json.dumps([{"role": "user", "parts": ["from gen_ai"]}]),
            "llm.input_messages.0.message.role": "user",
            "llm.input_messages.0.message.content": "from openinference",
        }
    )
    assert llm["input_messages"] == [{"message": {"role": "user", "content": "from openinference"}}]


def test_openllmetry_indexed_prompts_become_messages() -> None:
    llm = _llm(
        {
            "llm.request.type": "chat",
            "gen_ai.prompt.0.role": "user",
            "gen_ai.prompt.0.content": "hey",
            "gen_ai.completion.0.role": "assistant",
            "gen_ai.completion.0.content": "hello",
        }
    )

    assert llm["input_messages"] == [{"message": {"role": "user", "content": "hey"}}]
    assert llm["output_messages"] == [{"message": {"role": "assistant", "content": "hello"}}]


def test_tool_and_embedding_spans_get_their_own_keys() -> None:
    tool = normalize_attributes(
        {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": "lookup",
            "gen_ai.tool.call.arguments": '{"order": "A-1"}',
            "gen_ai.tool.call.result": "shipped",
        }
    )
    embedding = normalize_attributes(
        {"gen_ai.operation.name": "embeddings", "gen_ai.request.model": "text-embedding-3-small"}
    )

    assert tool["tool"] == {"name": "lookup", "parameters": {"order": "A-1"}}
    assert tool["output"] == {"value": "shipped"}
    assert embedding["embedding"] == {"model_name": "text-embedding-3-small"}
    assert "llm" not in embedding


def test_the_conversation_is_the_session_and_gen_ai_keys_are_kept() -> None:
    attributes = normalize_attributes({"gen_ai.conversation.id": "conv-1"})

    assert attributes["session"] == {"id": "conv-1"}
    assert attributes["gen_ai"] == {"conversation": {"id": "conv-1"}}
