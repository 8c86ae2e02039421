"""Prompts, versions and tags over ``/v1`` as Phoenix's clients use them, and what they refuse.

Every refusal is a 4xx whose message (or ``loc``) names the field, and leaves nothing stored.
"""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import asyncpg
import httpx
import orjson
import pytest

pytestmark = pytest.mark.slow

Client = httpx.AsyncClient


def gid(type_name: str, rowid: int) -> str:
    return base64.b64encode(f"{type_name}:{rowid}".encode()).decode()


def rowid(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().split(":")[1])


def chat_version(**changes: Any) -> dict[str, Any]:
    """An OpenAI chat version (mustache) with a tool and a response format."""
    version: dict[str, Any] = {
        "description": "first",
        "model_provider": "OPENAI",
        "model_name": "gpt-4o-mini",
        "template_type": "CHAT",
        "template_format": "MUSTACHE",
        "template": {
            "type": "chat",
            "messages": [
                {"role": "system", "content": "You answer {{topic}} questions."},
                {"role": "user", "content": [{"type": "text", "text": "{{question}}"}]},
            ],
        },
        "invocation_parameters": {"type": "openai", "openai": {"temperature": 0.2, "seed": 7}},
        "tools": {
            "type": "tools",
            "tools": [
                {
                    "type": "function",
                    "function": {
                        "name": "lookup",
                        "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
                    },
                }
            ],
            "tool_choice": {"type": "zero_or_more"},
        },
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "answer", "schema": {"type": "object"}, "strict": True},
        },
    }
    version.update(changes)
    return version


async def create(
    api: Client, name: str, version: dict[str, Any] | None = None, **prompt: Any
) -> httpx.Response:
    return await api.post(
        "/v1/prompts",
        json={"prompt": {"name": name, **prompt}, "version": version or chat_version()},
    )


async def created(
    api: Client, name: str, version: dict[str, Any] | None = None, **prompt: Any
) -> dict[str, Any]:
    response = await create(api, name, version, **prompt)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def post_raw(api: Client, body: bytes) -> httpx.Response:
    """POST a create body written by hand (values ``json`` can't write, or won't)."""
    return await api.post("/v1/prompts", content=body, headers={"content-type": "application/json"})


async def prompt_names(api: Client) -> list[str]:
    response = await api.get("/v1/prompts")
    assert response.status_code == 200, response.text
    return [prompt["name"] for prompt in response.json()["data"]]


# Creating and reading ---------------------------------------------------------------------------


async def test_a_version_reads_back_as_it_was_written(api: Client) -> None:
    version = chat_version()
    data = await created(api, "qa", version, description="answers", metadata={"team": "ml"})
    by_id = await api.get(f"/v1/prompt_versions/{data['id']}")
    latest_by_name = await api.get("/v1/prompts/qa/latest")
    prompts = await api.get("/v1/prompts")

    assert base64.b64decode(data["id"]).decode().startswith("PromptVersion:")
    assert data == {**version, "id": data["id"]}  # nothing added, nothing lost
    assert by_id.json()["data"] == data
    assert latest_by_name.json()["data"] == data
    prompt = prompts.json()["data"][0]
    assert prompt == {
        "name": "qa",
        "description": "answers",
        "source_prompt_id": None,
        "metadata": {"team": "ml"},
        "id": prompt["id"],
    }
    latest_by_id = await api.get(f"/v1/prompts/{prompt['id']}/latest")
    assert latest_by_id.json()["data"] == data


async def test_optional_fields_left_out_are_not_stored(api: Client) -> None:
    version = chat_version(
        description=None,
        tools=None,
        response_format=None,
        invocation_parameters={"type": "anthropic", "anthropic": {"max_tokens": 256}},
        model_provider="ANTHROPIC",
        model_name="claude-sonnet-4",
    )
    del version["description"]

    data = await created(api, "terse", version)

    assert data["invocation_parameters"] == {"type": "anthropic", "anthropic": {"max_tokens": 256}}
    assert (data["tools"], data["response_format"], data["description"]) == (None, None, None)


async def test_posting_to_a_taken_name_adds_a_version_and_keeps_the_prompt(api: Client) -> None:
    first = await created(api, "qa", description="answers", metadata={"v": 1})
    second = await created(
        api, "qa", chat_version(description="second"), description="ignored", metadata={"v": 2}
    )
    versions = await api.get("/v1/prompts/qa/versions")
    latest = await api.get("/v1/prompts/qa/latest")
    prompts = (await api.get("/v1/prompts")).json()["data"]

    assert [version["id"] for version in versions.json()["data"]] == [second["id"], first["id"]]
    assert latest.json()["data"]["description"] == "second"
    assert [(p["name"], p["description"], p["metadata"]) for p in prompts] == [
        ("qa", "answers", {"v": 1})
    ]


@pytest.mark.parametrize("template_format", ["MUSTACHE", "F_STRING", "NONE"])
async def test_string_templates_in_each_format(api: Client, template_format: str) -> None:
    version = chat_version(
        template_type="STR",
        template_format=template_format,
        template={"type": "string", "template": "Summarize {text} / {{text}}"},
        tools=None,
    )

    data = await created(api, "summary", version)

    assert data["template"] == {"type": "string", "template": "Summarize {text} / {{text}}"}
    assert (data["template_type"], data["template_format"]) == ("STR", template_format)


async def test_tool_calls_and_results_in_messages(api: Client) -> None:
    messages = [
        {"role": "user", "content": "weather in {{city}}?"},
        {
            "role": "assistant",
            "content": [
                {
                    "type": "tool_call",
                    "tool_call_id": "call-1",
                    "tool_call": {"type": "function", "name": "weather", "arguments": '{"c": 1}'},
                }
            ],
        },
        {
            "role": "tool",
            "content": [{"type": "tool_result", "tool_call_id": "call-1", "tool_result": None}],
        },
    ]
    version = chat_version(template={"type": "chat", "messages": messages})
    version["tools"]["tools"].append({"type": "raw", "raw": {"type": "web_search"}})

    data = await created(api, "tools", version)

    assert data["template"]["messages"] == messages
    assert data["tools"]["tools"][1] == {"type": "raw", "raw": {"type": "web_search"}}


@pytest.mark.parametrize(
    ("provider", "parameters"),
    [
        ("AZURE_OPENAI", {"type": "azure_openai", "azure_openai": {"max_completion_tokens": 9}}),
        ("AZURE_OPENAI", {"type": "openai", "openai": {"reasoning_effort": "low"}}),
        ("GOOGLE", {"type": "google",
                    "google": {"top_k": 3, "thinking_config": {"include_thoughts": True}}}),
        ("AWS", {"type": "aws", "aws": {"stop_sequences": ["x"]}}),
        ("DEEPSEEK", {"type": "deepseek", "deepseek": {}}),
        ("ANTHROPIC", {"type": "anthropic", "anthropic": {
            "max_tokens": 2048, "thinking": {"type": "enabled", "budget_tokens": 1024}}}),
    ],
)  # fmt: skip
async def test_each_provider_takes_its_own_parameters(
    api: Client, provider: str, parameters: dict[str, Any]
) -> None:
    version = chat_version(model_provider=provider, invocation_parameters=parameters)

    data = await created(api, "providers", version)

    assert (data["model_provider"], data["invocation_parameters"]) == (provider, parameters)


# Tags -------------------------------------------------------------------------------------------


async def test_a_tag_moves_between_versions_of_its_prompt(api: Client) -> None:
    first = await created(api, "qa")
    second = await created(api, "qa", chat_version(description="second"))
    other = await created(api, "other")

    tag_first = await api.post(
        f"/v1/prompt_versions/{first['id']}/tags", json={"name": "production", "description": "a"}
    )
    on_first = await api.get("/v1/prompts/qa/tags/production")
    await api.post(f"/v1/prompt_versions/{other['id']}/tags", json={"name": "production"})
    tag_second = await api.post(
        f"/v1/prompt_versions/{second['id']}/tags", json={"name": "production", "description": "b"}
    )
    on_second = await api.get("/v1/prompts/qa/tags/production")
    first_tags = await api.get(f"/v1/prompt_versions/{first['id']}/tags")
    second_tags = await api.get(f"/v1/prompt_versions/{second['id']}/tags")
    other_tagged = await api.get("/v1/prompts/other/tags/production")

    assert (tag_first.status_code, tag_first.content) == (204, b"")
    assert tag_second.status_code == 204
    assert on_first.json()["data"]["id"] == first["id"]
    assert on_second.json()["data"]["id"] == second["id"]
    assert first_tags.json() == {"data": [], "next_cursor": None}
    [tag] = second_tags.json()["data"]
    assert (tag["name"], tag["description"]) == ("production", "b")
    assert tag["id"].startswith(base64.b64encode(b"PromptVersionTag:")[:16].decode())
    assert other_tagged.json()["data"]["id"] == other["id"]  # another prompt's tag is its own


async def test_deleting_a_tag_by_any_version_of_its_prompt(api: Client) -> None:
    first = await created(api, "qa")
    second = await created(api, "qa")
    await api.post(f"/v1/prompt_versions/{second['id']}/tags", json={"name": "staging"})

    deleted = await api.delete(f"/v1/prompt_versions/{first['id']}/tags/staging")
    tagged = await api.get("/v1/prompts/qa/tags/staging")
    again = await api.delete(f"/v1/prompt_versions/{first['id']}/tags/staging")

    assert deleted.status_code == 204
    assert tagged.status_code == 404
    assert again.status_code == 404
    assert "staging" in again.text


async def test_tag_refusals(api: Client) -> None:
    version = await created(api, "qa")
    tags = f"/v1/prompt_versions/{version['id']}/tags"

    upper = await api.post(tags, json={"name": "Production"})
    long_name = await api.post(tags, json={"name": "a" * 10_000})
    nul = await api.post(tags, json={"name": "prod", "description": "a\x00b"})
    unknown_version = await api.post(
        f"/v1/prompt_versions/{gid('PromptVersion', 10**12)}/tags", json={"name": "prod"}
    )
    not_a_version = await api.post(
        f"/v1/prompt_versions/{gid('Prompt', 1)}/tags", json={"name": "p"}
    )
    by_bad_tag = await api.get("/v1/prompts/qa/tags/Not-A-Tag")
    delete_bad_tag = await api.delete(f"{tags}/Not%20a%20tag")
    unknown_tag = await api.get("/v1/prompts/qa/tags/nothing")

    assert upper.status_code == 422 and "name" in upper.text
    assert long_name.status_code == 422
    assert "`name` must be at most 256 characters, got 10000" in long_name.text
    assert nul.status_code == 422 and "description" in nul.text
    assert unknown_version.status_code == 404
    assert not_a_version.status_code == 404
    assert by_bad_tag.status_code == 422 and "tag_name" in by_bad_tag.text
    assert delete_bad_tag.status_code == 422 and "tag_name" in delete_bad_tag.text
    assert unknown_tag.status_code == 404
    assert (await api.get(tags)).json()["data"] == []


# Pages ------------------------------------------------------------------------------------------


async def _pages(api: Client, path: str, limit: int) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        response = await api.get(path, params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append([item["id"] for item in body["data"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


async def test_prompts_versions_and_tags_list_newest_first_in_pages(api: Client) -> None:
    prompts = [(await created(api, f"p{index}")) for index in range(5)]
    versions = [prompts[0]] + [(await created(api, "p0")) for _ in range(4)]
    for name in ("a", "b", "c"):
        await api.post(f"/v1/prompt_versions/{versions[0]['id']}/tags", json={"name": name})

    prompt_pages = await _pages(api, "/v1/prompts", 2)
    version_pages = await _pages(api, "/v1/prompts/p0/versions", 2)
    tag_pages = await _pages(api, f"/v1/prompt_versions/{versions[0]['id']}/tags", 2)

    all_prompts = (await api.get("/v1/prompts")).json()["data"]
    assert [len(page) for page in prompt_pages] == [2, 2, 1]
    assert [item for page in prompt_pages for item in page] == [p["id"] for p in all_prompts]
    assert [p["name"] for p in all_prompts] == ["p4", "p3", "p2", "p1", "p0"]
    assert [item for page in version_pages for item in page] == [
        version["id"] for version in reversed(versions)
    ]
    assert [len(page) for page in tag_pages] == [2, 1]


async def test_page_refusals(api: Client) -> None:
    await created(api, "qa")

    zero = await api.get("/v1/prompts", params={"limit": 0})
    huge = await api.get("/v1/prompts", params={"limit": 2**63})
    bad_cursor = await api.get("/v1/prompts", params={"cursor": "nope"})
    wrong_type = await api.get("/v1/prompts/qa/versions", params={"cursor": gid("Prompt", 1)})

    assert zero.status_code == 422 and "limit" in zero.text
    assert huge.status_code == 422 and "limit" in huge.text
    assert bad_cursor.status_code == 422 and "cursor" in bad_cursor.text
    assert wrong_type.status_code == 422 and "cursor" in wrong_type.text


# Update and delete ------------------------------------------------------------------------------


async def test_update_description_and_metadata(api: Client) -> None:
    await created(api, "qa", description="answers", metadata={"team": "ml"})

    described = await api.patch("/v1/prompts/qa", json={"description": "new"})
    replaced = await api.patch("/v1/prompts/qa", json={"metadata": {"env": "prod"}})
    cleared = await api.patch("/v1/prompts/qa", json={"description": None})
    unchanged = await api.patch("/v1/prompts/qa", json={})
    null_metadata = await api.patch("/v1/prompts/qa", json={"metadata": None})
    unknown = await api.patch("/v1/prompts/nothing", json={"description": "x"})

    assert described.json()["data"]["description"] == "new"
    assert replaced.json()["data"]["metadata"] == {"env": "prod"}
    assert cleared.json()["data"]["description"] is None
    assert (unchanged.status_code, unchanged.json()["data"]["metadata"]) == (200, {"env": "prod"})
    assert null_metadata.status_code == 422 and "metadata" in null_metadata.text
    assert unknown.status_code == 404


async def test_delete_takes_versions_and_tags_with_it(api: Client, database_url: str) -> None:
    first = await created(api, "qa")
    second = await created(api, "qa")
    await api.post(f"/v1/prompt_versions/{second['id']}/tags", json={"name": "prod"})
    kept = await created(api, "kept")
    prompt_id = (await api.get("/v1/prompts")).json()["data"][1]["id"]

    deleted = await api.delete(f"/v1/prompts/{prompt_id}")
    again = await api.delete("/v1/prompts/qa")

    assert deleted.status_code == 204
    assert again.status_code == 404
    assert (await api.get(f"/v1/prompt_versions/{first['id']}")).status_code == 404
    assert (await api.get("/v1/prompts/qa/latest")).status_code == 404
    assert (await api.get(f"/v1/prompt_versions/{kept['id']}")).status_code == 200
    connection = await asyncpg.connect(database_url)
    try:
        versions = await connection.fetchval(
            "SELECT count(*) FROM prompt_versions WHERE prompt_id = $1", rowid(prompt_id)
        )
        tags = await connection.fetchval("SELECT count(*) FROM prompt_version_tags")
    finally:
        await connection.close()
    assert (versions, tags) == (0, 0)


async def test_identifiers_that_name_nothing(api: Client) -> None:
    await created(api, "qa")

    assert (await api.get("/v1/prompts/nothing/latest")).status_code == 404
    assert (await api.get(f"/v1/prompts/{gid('Prompt', 10**12)}/latest")).status_code == 404
    assert (await api.get(f"/v1/prompts/{gid('Prompt', 10**12)}/versions")).status_code == 404
    assert (await api.delete("/v1/prompts/nothing")).status_code == 404
    assert (await api.get(f"/v1/prompt_versions/{gid('PromptVersion', 10**12)}")).status_code == 404
    assert (await api.get("/v1/prompt_versions/not-a-global-id")).status_code == 404
    assert (await api.get(f"/v1/prompt_versions/{gid('Prompt', 1)}/tags")).status_code == 404
    not_a_name = await api.get("/v1/prompts/Not%20A%20Name/latest")
    assert not_a_name.status_code == 422
    assert not_a_name.json()["detail"][0]["loc"] == ["path", "prompt_identifier"]
    nul = await api.get("/v1/prompts/qa%00/latest")
    assert nul.status_code == 422 and "NUL" in nul.text


# Refusals ---------------------------------------------------------------------------------------

_DEEP: Any = {}
for _ in range(600):
    _DEEP = {"a": _DEEP}


def _changed(path: str, value: Any) -> dict[str, Any]:
    """A create body with the value at dotted ``path`` replaced (``prompt.name``...)."""
    body: dict[str, Any] = {"prompt": {"name": "qa"}, "version": chat_version()}
    *parents, last = path.split(".")
    target: Any = body
    for key in parents:
        target = target[int(key)] if isinstance(target, list) else target[key]
    if isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return body


@pytest.mark.parametrize(
    ("path", "value", "named"),
    [
        ("prompt.name", "Upper", "name"),
        ("prompt.name", "with space", "name"),
        ("prompt.name", "-lead", "name"),
        ("prompt.name", "trail-", "name"),
        ("prompt.name", "", "name"),
        ("prompt.name", "ends-in-newline\n", "name"),
        ("prompt.name", "a" * 10_000, "`name` must be at most 256 characters"),
        ("prompt.name", "qa\x00", "NUL"),
        ("prompt.description", "a\x00b", "prompt.description"),
        ("prompt.metadata", _DEEP, "prompt.metadata"),
        ("version.model_name", "gpt\x00", "version.model_name"),
        ("version.template.messages.0.content", "hi\x00", "content"),
        ("version.template", {"type": "string", "template": "hi"},
         "`template.type` must be 'chat'"),
        ("version.template_type", "STR", "`template.type` must be 'string'"),
        ("version.model_provider", "ZAI", "model_provider"),
        ("version.model_provider", "ANTHROPIC", "`invocation_parameters.type` must be 'anthropic'"),
        ("version.invocation_parameters", {"type": "anthropic", "anthropic": {"max_tokens": 5}},
         "`invocation_parameters.type` must be 'openai'"),
        ("version.invocation_parameters", {"type": "openai", "openai": {"max_tokens": 2**63}},
         "max_tokens"),
        ("version.invocation_parameters", {"type": "openai", "openai": {"temperature": "0.5"}},
         "temperature"),
        ("version.invocation_parameters", {"type": "openai", "openai": {"temperature": None}},
         "temperature"),
        ("version.invocation_parameters", {"type": "openai", "openai": {"temp": 1}}, "temp"),
        ("version.invocation_parameters", {"type": "openai", "openai": {"extra_body": _DEEP}},
         "`version.invocation_parameters.openai` must not nest"),
        ("version.invocation_parameters", {"type": "nobody", "nobody": {}},
         "invocation_parameters"),
        ("version.template.messages.0.role", "wizard", "role"),
        ("version.template.messages.1.content", [], "content"),
        ("version.tools", {"type": "tools", "tools": []}, "tools"),
        ("version.tools.tool_choice", {"type": "specific_function"}, "function_name"),
        ("version.response_format", {"type": "json_schema", "json_schema": {}}, "name"),
    ],
)  # fmt: skip
async def test_create_refusals_name_the_field_and_store_nothing(
    api: Client, path: str, value: Any, named: str
) -> None:
    response = await post_raw(api, json.dumps(_changed(path, value)).encode())

    assert response.status_code == 422, response.text
    assert named in response.text
    assert await prompt_names(api) == []


async def test_anthropic_needs_max_tokens_and_a_budget_below_it(api: Client) -> None:
    def anthropic(parameters: dict[str, Any]) -> dict[str, Any]:
        return chat_version(
            model_provider="ANTHROPIC",
            invocation_parameters={"type": "anthropic", "anthropic": parameters},
        )

    missing = await create(api, "a", anthropic({"temperature": 0.1}))
    over_budget = await create(
        api,
        "a",
        anthropic({"max_tokens": 2000, "thinking": {"type": "enabled", "budget_tokens": 4000}}),
    )

    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"][-1] == "max_tokens"
    assert over_budget.status_code == 422
    assert (
        "`thinking.budget_tokens` (4000) must be less than `max_tokens` (2000)" in over_budget.text
    )
    assert await prompt_names(api) == []


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        (b'"temperature": NaN', "temperature"),
        (b'"temperature": Infinity', "temperature"),
        (b'"temperature": 1e400', "temperature"),
        (b'"seed": 99999999999999999999999', "seed"),
    ],
)
async def test_numbers_json_can_write_but_postgres_or_providers_cant(
    api: Client, raw: bytes, named: str
) -> None:
    body = orjson.dumps(_changed("version.invocation_parameters", {"type": "openai", "openai": {}}))
    body = body.replace(b'"openai":{}', b'"openai":{' + raw + b"}")

    response = await post_raw(api, body)

    assert 400 <= response.status_code < 500, response.text
    assert await prompt_names(api) == []


async def test_a_lone_surrogate_is_refused(api: Client) -> None:
    body = orjson.dumps(_changed("prompt.description", "x")).replace(b'"x"', b'"\\ud800"')

    response = await post_raw(api, body)

    assert 400 <= response.status_code < 500, response.text
    assert await prompt_names(api) == []


# Concurrency ------------------------------------------------------------------------------------


async def test_concurrent_creates_of_one_new_name_all_succeed(api: Client) -> None:
    responses = await asyncio.gather(
        *(create(api, "raced", chat_version(description=f"v{index}")) for index in range(8))
    )

    assert [response.status_code for response in responses] == [200] * 8
    assert await prompt_names(api) == ["raced"]
    versions = (await api.get("/v1/prompts/raced/versions")).json()["data"]
    assert sorted(version["description"] for version in versions) == [f"v{i}" for i in range(8)]
