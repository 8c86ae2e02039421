"""`arize-phoenix-client`'s prompts against Spyglass: the calls Phoenix users make, unchanged.

The client creates chat prompts (its ``PromptVersion`` holds chat templates only), reads them
by name, by version id and by tag, tags versions, formats them for the OpenAI and Anthropic
SDKs, updates and deletes prompts. A string template, which the client can't build or read,
is posted with its own HTTP session and the body types it declares (``v1``), as Phoenix's UI
would, and read back the same way.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from phoenix.client import Client
from phoenix.client.__generated__ import v1
from phoenix.client.types.prompts import PromptVersion

from tests.support.platform import RunningPlatform

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def http(platform: RunningPlatform) -> Iterator[httpx.Client]:
    """An HTTP session on Spyglass's public address, and nothing else."""
    with httpx.Client(base_url=platform.base_url, timeout=30) as session:
        yield session


@pytest.fixture(scope="module")
def client(http: httpx.Client) -> Client:
    """A Phoenix client pointed at Spyglass."""
    return Client(http_client=http)


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_an_openai_chat_prompt_round_trips_and_formats(client: Client) -> None:
    name = _name("compat-openai")
    version = PromptVersion.from_openai(
        {
            "model": "gpt-4o-mini",
            "messages": [
                {"role": "system", "content": "You answer {{topic}} questions."},
                {"role": "user", "content": "{{question}}"},
            ],
            "temperature": 0.2,
            "max_completion_tokens": 300,
            "seed": 7,
            "tools": [
                {
                    "type": "function",
                    "function": {
                        "name": "get_weather",
                        "parameters": {
                            "type": "object",
                            "properties": {"city": {"type": "string"}},
                        },
                    },
                }
            ],
            "tool_choice": "auto",
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "answer", "schema": {"type": "object"}, "strict": True},
            },
        },
        description="answers questions",
    )

    created = client.prompts.create(
        name=name,
        version=version,
        prompt_description="Q&A",
        prompt_metadata={"team": "ml"},
    )
    latest = client.prompts.get(prompt_identifier=name)
    by_id = client.prompts.get(prompt_version_id=created.id or "")
    formatted = latest.format(variables={"topic": "weather", "question": "Rain in Oslo?"})

    assert created.id and latest.id == by_id.id == created.id
    # the client's own serialization (it has no public one): what was sent is what is read
    assert latest._dumps() == version._dumps()
    assert list(formatted.messages) == [
        {"role": "system", "content": "You answer weather questions."},
        {"role": "user", "content": "Rain in Oslo?"},
    ]
    assert formatted.kwargs["model"] == "gpt-4o-mini"
    assert (formatted.kwargs["temperature"], formatted.kwargs["seed"]) == (0.2, 7)
    assert formatted.kwargs["max_completion_tokens"] == 300
    assert formatted.kwargs["tools"][0]["function"]["name"] == "get_weather"
    assert formatted.kwargs["tool_choice"] == "auto"
    assert formatted.kwargs["response_format"]["json_schema"]["name"] == "answer"


def test_an_anthropic_prompt_in_f_string_formats_for_its_sdk(client: Client) -> None:
    name = _name("compat-anthropic")
    version = PromptVersion.from_anthropic(
        {
            "model": "claude-sonnet-4",
            "max_tokens": 2048,
            "stop_sequences": ["END"],
            "system": [{"type": "text", "text": "You are {persona}."}],
            "messages": [{"role": "user", "content": "Tell me about {subject}."}],
            "tools": [
                {
                    "name": "get_weather",
                    "description": "The weather in a city",
                    "input_schema": {
                        "type": "object",
                        "properties": {"city": {"type": "string"}},
                        "required": ["city"],
                    },
                }
            ],
        },
        template_format="F_STRING",
    )

    created = client.prompts.create(name=name, version=version)
    read = client.prompts.get(prompt_identifier=name)
    formatted = read.format(variables={"persona": "a historian", "subject": "Oslo"})

    assert created.id and read._dumps() == version._dumps()
    assert list(formatted.messages) == [{"role": "user", "content": "Tell me about Oslo."}]
    kwargs: dict[str, Any] = dict(formatted.kwargs)
    assert kwargs["system"] == "You are a historian."
    assert (kwargs["model"], kwargs["max_tokens"]) == ("claude-sonnet-4", 2048)
    assert kwargs["stop_sequences"] == ["END"]
    assert kwargs["tools"][0]["name"] == "get_weather"
    assert kwargs["tools"][0]["input_schema"]["required"] == ["city"]


def test_a_template_without_variables_is_kept_as_written(client: Client) -> None:
    name = _name("compat-none")
    version = PromptVersion.from_openai(
        {
            "model": "gpt-4o",
            "messages": [{"role": "user", "content": "Reply with {{literal}} and {these}."}],
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "answer", "schema": {"type": "object"}},
            },
        },
        template_format="NONE",
    )

    client.prompts.create(name=name, version=version)
    formatted = client.prompts.get(prompt_identifier=name).format(variables={"literal": "x"})

    assert formatted.messages[0]["content"] == "Reply with {{literal}} and {these}."
    assert formatted.kwargs["response_format"]["json_schema"]["name"] == "answer"


def test_versions_tags_and_reading_by_tag(client: Client) -> None:
    name = _name("compat-tags")

    def version(text: str) -> PromptVersion:
        return PromptVersion([{"role": "user", "content": text}], model_name="gpt-4o")

    first = client.prompts.create(name=name, version=version("first {{x}}"))
    second = client.prompts.create(name=name, version=version("second {{x}}"))
    client.prompts.tags.create(
        prompt_version_id=first.id or "", name="production", description="live"
    )
    client.prompts.tags.create(prompt_version_id=first.id or "", name="staging")
    production = client.prompts.get(prompt_identifier=name, tag="production")
    client.prompts.tags.create(prompt_version_id=second.id or "", name="production")
    moved = client.prompts.get(prompt_identifier=name, tag="production")
    first_tags = client.prompts.tags.list(prompt_version_id=first.id or "")
    second_tags = client.prompts.tags.list(prompt_version_id=second.id or "")
    latest = client.prompts.get(prompt_identifier=name)

    assert production.id == first.id
    assert moved.id == second.id
    assert [tag["name"] for tag in first_tags] == ["staging"]
    assert [(tag["name"], tag.get("description")) for tag in second_tags] == [("production", None)]
    assert latest.id == second.id
    with pytest.raises(ValueError, match="Prompt not found"):
        client.prompts.get(prompt_identifier=name, tag="nothing")
    with pytest.raises(ValueError, match="Prompt not found"):
        client.prompts.get(prompt_identifier=_name("compat-missing"))
    with pytest.raises(httpx.HTTPStatusError) as refused:
        client.prompts.tags.create(prompt_version_id=first.id or "", name="Not A Tag")
    assert refused.value.response.status_code == 422


def test_update_and_delete(client: Client, http: httpx.Client) -> None:
    name = _name("compat-update")
    client.prompts.create(
        name=name,
        version=PromptVersion([{"role": "user", "content": "hi"}], model_name="gpt-4o"),
        prompt_description="before",
        prompt_metadata={"env": "dev"},
    )

    updated = client.prompts.update(
        prompt_identifier=name, prompt_description="after", prompt_metadata={"env": "prod"}
    )
    cleared = client.prompts.update(prompt_identifier=name, prompt_description=None)
    client.prompts.delete(prompt_identifier=updated["id"])

    assert (updated["name"], updated.get("description")) == (name, "after")
    assert updated.get("metadata") == {"env": "prod"}
    assert cleared.get("description") is None and cleared.get("metadata") == {"env": "prod"}
    with pytest.raises(ValueError, match="Prompt not found"):
        client.prompts.get(prompt_identifier=name)
    with pytest.raises(ValueError, match="Prompt not found"):
        client.prompts.delete(prompt_identifier=name)
    with pytest.raises(ValueError, match="Prompt not found"):
        client.prompts.update(prompt_identifier=name, prompt_description="x")
    listed = http.get("/v1/prompts", params={"limit": 1000}).json()["data"]
    assert name not in [prompt["name"] for prompt in listed]


def test_a_string_template_posted_with_the_clients_body_types(http: httpx.Client) -> None:
    name = _name("compat-string")
    body = v1.CreatePromptRequestBody(
        prompt=v1.PromptData(name=name),
        version=v1.PromptVersionData(
            model_provider="OPENAI",
            model_name="gpt-4o-mini",
            template=v1.PromptStringTemplate(type="string", template="Summarize: {text}"),
            template_type="STR",
            template_format="F_STRING",
            invocation_parameters=v1.PromptOpenAIInvocationParameters(
                type="openai", openai=v1.PromptOpenAIInvocationParametersContent(temperature=0)
            ),
        ),
    )

    created = http.post("/v1/prompts", json=body)
    latest = http.get(f"/v1/prompts/{name}/latest")

    assert created.status_code == 200, created.text
    assert latest.json()["data"] == created.json()["data"]
    assert latest.json()["data"]["template"] == {"type": "string", "template": "Summarize: {text}"}
