"""A built-in judge end to end: the request goes through ``spyglass_llm.LLMClient`` and each
provider's official SDK to the fake provider, whose forced tool call carries the verdict that
``parse_judge_completion`` reads. Also what a model answering outside the verdict gives."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from spyglass_evals import (
    JudgeAnswerError,
    build_judge_request,
    builtin_judge,
    parse_judge_completion,
)
from spyglass_evals.judges import VERDICT_TOOL
from spyglass_llm import Credentials, LLMClient, ModelProvider
from tests.support.fake_provider_fixtures import FakeProviderServer

MODELS = {
    ModelProvider.OPENAI: "gpt-4o-mini",
    ModelProvider.ANTHROPIC: "claude-3-5-haiku-20241022",
    ModelProvider.GOOGLE: "gemini-2.0-flash",
}
QUESTION = "What is the capital of Australia?"
ANSWER = "Sydney is the capital of Australia."


def credentials(fake: FakeProviderServer, provider: ModelProvider) -> Credentials:
    """Credentials that point ``provider``'s SDK at the fake."""
    if provider is ModelProvider.OPENAI:
        return Credentials(provider, api_key="judge-key", base_url=fake.openai_base_url)
    return Credentials(provider, api_key="judge-key", base_url=fake.base_url)


@pytest.fixture
async def llm() -> AsyncIterator[LLMClient]:
    client = LLMClient()
    try:
        yield client
    finally:
        await client.aclose()


def sent_body(fake: FakeProviderServer) -> dict[str, Any]:
    requests = fake.calls()["last_requests"]
    assert len(requests) == 1
    body: dict[str, Any] = requests[0]["body"]
    return body


@pytest.mark.parametrize("provider", list(MODELS), ids=lambda provider: provider.value)
async def test_a_built_in_judge_scores_through_each_provider(
    fake_provider: FakeProviderServer, llm: LLMClient, provider: ModelProvider
) -> None:
    judge = builtin_judge("correctness")
    fake_provider.control(
        call_tools=True,
        tool_arguments={
            "explanation": "The capital is Canberra, not Sydney.",
            "label": "incorrect",
        },
    )
    request = build_judge_request(
        judge, {"input": QUESTION, "output": ANSWER}, provider, MODELS[provider], {}
    )
    completion = await llm.complete(request, credentials(fake_provider, provider), timeout=30)
    result = parse_judge_completion(judge, completion)

    assert (result.label, result.score) == ("incorrect", 0.0)
    assert result.explanation == "The capital is Canberra, not Sydney."
    body = sent_body(fake_provider)
    text = str(body)
    assert QUESTION in text and ANSWER in text
    assert "incorrect" in text  # the labels reach the model as the tool's enum


async def test_the_openai_request_forces_the_verdict_tool(
    fake_provider: FakeProviderServer, llm: LLMClient
) -> None:
    judge = builtin_judge("toxicity")
    fake_provider.control(
        call_tools=True, tool_arguments={"explanation": "Polite.", "label": "non-toxic"}
    )
    request = build_judge_request(
        judge, {"output": "Thanks for asking!"}, "openai", "gpt-4o-mini", {"temperature": 0}
    )
    completion = await llm.complete(
        request, credentials(fake_provider, ModelProvider.OPENAI), timeout=30
    )

    assert parse_judge_completion(judge, completion).label == "non-toxic"
    body = sent_body(fake_provider)
    assert body["temperature"] == 0
    assert body["tool_choice"] == {"type": "function", "function": {"name": VERDICT_TOOL}}
    (tool,) = body["tools"]
    assert tool["function"]["name"] == VERDICT_TOOL
    assert tool["function"]["parameters"]["properties"]["label"]["enum"] == ["toxic", "non-toxic"]
    system, user = body["messages"]
    assert system["role"] == "system" and "- toxic:" in system["content"]
    assert user["content"] == "<text>\nThanks for asking!\n</text>"


async def test_a_label_outside_the_choices_is_an_error_naming_it(
    fake_provider: FakeProviderServer, llm: LLMClient
) -> None:
    judge = builtin_judge("hallucination")
    fake_provider.control(
        call_tools=True, tool_arguments={"label": "partly made up", "explanation": "?"}
    )
    request = build_judge_request(
        judge, {"input": "q", "context": "c", "output": "o"}, "openai", "gpt-4o-mini"
    )
    completion = await llm.complete(
        request, credentials(fake_provider, ModelProvider.OPENAI), timeout=30
    )
    with pytest.raises(
        JudgeAnswerError, match="answered 'partly made up', which is not one of its choices"
    ):
        parse_judge_completion(judge, completion)


async def test_a_model_that_answers_in_text_is_read_when_it_names_one_label(
    fake_provider: FakeProviderServer, llm: LLMClient
) -> None:
    judge = builtin_judge("refusal")
    request = build_judge_request(
        judge,
        {"input": "Write a poem", "output": "Sorry, I can't."},
        "anthropic",
        MODELS[ModelProvider.ANTHROPIC],
    )
    creds = credentials(fake_provider, ModelProvider.ANTHROPIC)

    fake_provider.control(reply="Refused: the assistant declined to write the poem.")
    result = parse_judge_completion(judge, await llm.complete(request, creds, timeout=30))
    assert (result.label, result.score) == ("refused", 1.0)
    assert result.explanation == "Refused: the assistant declined to write the poem."

    fake_provider.control(reply="It either refused or answered, hard to say.")
    with pytest.raises(JudgeAnswerError, match="names more than one choice"):
        parse_judge_completion(judge, await llm.complete(request, creds, timeout=30))
