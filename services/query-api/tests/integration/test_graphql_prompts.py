"""GraphQL: prompts with their versions and tags (written over REST as Phoenix's clients write
them), and the job of a server-side experiment on ``Experiment.job``.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from spyglass_db import experiment_jobs
from tests.support.trace_rows import engine_for

GraphqlClient = Any  # the `graphql_api` fixture's client (conftest.py)

pytestmark = pytest.mark.slow

PROMPTS = """
query ($first: Int, $after: String) {
  prompts(first: $first, after: $after) {
    edges { cursor node { id name description metadata versionCount updatedAt
      latestVersion { id modelProvider modelName sequenceNumber isLatest }
      versionTags { name promptVersionId } } }
    pageInfo { hasNextPage endCursor } } }
"""

PROMPT = """
query ($id: ID, $name: String, $first: Int, $after: String) {
  prompt(id: $id, name: $name) {
    id name
    promptVersions(first: $first, after: $after) {
      edges { node { id promptId description templateType templateFormat template
        invocationParameters tools responseFormat modelProvider modelName createdAt
        sequenceNumber isLatest prompt { name } tags { id name description promptVersionId } } }
      pageInfo { hasNextPage endCursor } } } }
"""


def gid(type_name: str, rowid: int) -> str:
    return base64.b64encode(f"{type_name}:{rowid}".encode()).decode()


def rowid(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().split(":")[1])


def version_body(model: str, text: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model_provider": "OPENAI",
        "model_name": model,
        "template_type": "CHAT",
        "template_format": "MUSTACHE",
        "template": {"type": "chat", "messages": [{"role": "user", "content": text}]},
        "invocation_parameters": {"type": "openai", "openai": {"temperature": 0.5}},
    }
    body.update(changes)
    return body


async def create_version(
    graphql_api: GraphqlClient, name: str, version: dict[str, Any], **prompt: Any
) -> str:
    response = await graphql_api.client.post(
        "/v1/prompts", json={"prompt": {"name": name, **prompt}, "version": version}
    )
    assert response.status_code == 200, response.text
    version_id: str = response.json()["data"]["id"]
    return version_id


async def tag(graphql_api: GraphqlClient, version_id: str, name: str) -> None:
    response = await graphql_api.client.post(
        f"/v1/prompt_versions/{version_id}/tags", json={"name": name, "description": name.upper()}
    )
    assert response.status_code == 204, response.text


async def test_prompts_with_versions_and_tags(graphql_api: GraphqlClient) -> None:
    tools = {
        "type": "tools",
        "tools": [{"type": "function", "function": {"name": "lookup", "parameters": {}}}],
    }
    first = await create_version(
        graphql_api,
        "greeter",
        version_body("gpt-4o-mini", "Hello {{name}}", description="first", tools=tools),
        description="Greets people",
        metadata={"team": "a"},
    )
    second = await create_version(graphql_api, "greeter", version_body("gpt-4o", "Hi {{name}}"))
    await create_version(graphql_api, "summarizer", version_body("gpt-4o-mini", "Sum up {{x}}"))
    await tag(graphql_api, first, "production")
    await tag(graphql_api, first, "staging")
    await tag(graphql_api, second, "staging")  # moved

    body = await graphql_api.query(PROMPTS)
    assert "errors" not in body, body
    nodes = [edge["node"] for edge in body["data"]["prompts"]["edges"]]
    assert [node["name"] for node in nodes] == ["summarizer", "greeter"]
    greeter = nodes[1]
    assert greeter["description"] == "Greets people"
    assert greeter["metadata"] == {"team": "a"}
    assert greeter["versionCount"] == 2
    assert greeter["latestVersion"] == {
        "id": second,
        "modelProvider": "OPENAI",
        "modelName": "gpt-4o",
        "sequenceNumber": 2,
        "isLatest": True,
    }
    assert greeter["versionTags"] == [
        {"name": "production", "promptVersionId": first},
        {"name": "staging", "promptVersionId": second},
    ]

    body = await graphql_api.query(PROMPT, name="greeter")
    versions = [edge["node"] for edge in body["data"]["prompt"]["promptVersions"]["edges"]]
    assert [version["id"] for version in versions] == [second, first]
    oldest = versions[1]
    assert oldest["promptId"] == greeter["id"]
    assert oldest["prompt"] == {"name": "greeter"}
    assert oldest["description"] == "first"
    assert oldest["templateType"] == "CHAT"
    assert oldest["templateFormat"] == "MUSTACHE"
    assert oldest["template"] == {
        "type": "chat",
        "messages": [{"role": "user", "content": "Hello {{name}}"}],
    }
    assert oldest["invocationParameters"] == {"type": "openai", "openai": {"temperature": 0.5}}
    assert oldest["tools"] == tools
    assert oldest["responseFormat"] is None
    assert (oldest["sequenceNumber"], oldest["isLatest"]) == (1, False)
    assert [tag["name"] for tag in oldest["tags"]] == ["production"]
    assert oldest["tags"][0]["description"] == "PRODUCTION"
    assert [tag["name"] for tag in versions[0]["tags"]] == ["staging"]

    by_id = await graphql_api.query(PROMPT, id=greeter["id"], first=1)
    page = by_id["data"]["prompt"]["promptVersions"]
    assert [edge["node"]["id"] for edge in page["edges"]] == [second]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = await graphql_api.query(
        PROMPT, id=greeter["id"], first=1, after=page["pageInfo"]["endCursor"]
    )
    page = rest["data"]["prompt"]["promptVersions"]
    assert [edge["node"]["id"] for edge in page["edges"]] == [first]
    assert page["pageInfo"]["hasNextPage"] is False

    version = await graphql_api.query(
        "query ($id: ID!) { promptVersion(id: $id) { id modelName prompt { name } } }", id=first
    )
    assert version["data"]["promptVersion"] == {
        "id": first,
        "modelName": "gpt-4o-mini",
        "prompt": {"name": "greeter"},
    }


async def test_prompt_pages_and_unknown_ids(graphql_api: GraphqlClient) -> None:
    for index in range(3):
        await create_version(graphql_api, f"p{index}", version_body("gpt-4o", "x"))
    first = await graphql_api.query(PROMPTS, first=2)
    page = first["data"]["prompts"]
    assert [edge["node"]["name"] for edge in page["edges"]] == ["p2", "p1"]
    assert page["pageInfo"]["hasNextPage"] is True
    second = await graphql_api.query(PROMPTS, first=2, after=page["pageInfo"]["endCursor"])
    page = second["data"]["prompts"]
    assert [edge["node"]["name"] for edge in page["edges"]] == ["p0"]
    assert page["pageInfo"]["hasNextPage"] is False

    lookups = await graphql_api.query(
        """query ($a: ID, $b: ID, $c: ID!, $d: ID!) {
             a: prompt(id: $a) { id } b: prompt(id: $b) { id } n: prompt(name: "nope") { id }
             c: promptVersion(id: $c) { id } d: promptVersion(id: $d) { id } }""",
        a=gid("Prompt", 2**63 - 1),
        b=gid("Dataset", 1),
        c="garbage",
        d=gid("PromptVersion", 987654),
    )
    assert lookups == {"data": {"a": None, "b": None, "n": None, "c": None, "d": None}}

    both = await graphql_api.query('{ prompt(id: "x", name: "y") { id } }')
    assert both["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    bad_cursor = await graphql_api.query(PROMPTS, after="not-a-cursor")
    assert bad_cursor["errors"][0]["extensions"]["argument"] == "after"


async def test_a_page_of_prompts_costs_the_same_statements_whatever_its_length(
    graphql_api: GraphqlClient,
) -> None:
    counts = []
    created = 0
    for size in (1, 6):
        while created < size:
            version = await create_version(graphql_api, f"n{created}", version_body("gpt-4o", "x"))
            await tag(graphql_api, version, "live")
            created += 1
        graphql_api.statements.clear()
        body = await graphql_api.query(PROMPTS)
        assert "errors" not in body, body
        counts.append(len(graphql_api.statements))
    assert counts[0] == counts[1]


async def test_experiment_job_on_experiments(graphql_api: GraphqlClient, database_url: str) -> None:
    api = graphql_api.client
    upload = await api.post(
        "/v1/datasets/upload",
        params={"sync": "true"},
        json={
            "action": "create",
            "name": "jobs",
            "inputs": [{"question": "a"}, {"question": "b"}],
            "outputs": [{"answer": "1"}, {"answer": "2"}],
        },
    )
    assert upload.status_code == 200, upload.text
    dataset_id = upload.json()["data"]["dataset_id"]
    experiments = []
    for name in ("by-client", "by-server"):
        response = await api.post(
            f"/v1/datasets/{dataset_id}/experiments", json={"name": name, "repetitions": 2}
        )
        assert response.status_code == 200, response.text
        experiments.append(response.json()["data"])
    server_run = experiments[1]
    engine: AsyncEngine
    async with engine_for(database_url) as engine, engine.begin() as connection:
        job = await experiment_jobs.create_job(
            connection,
            rowid(server_run["id"]),
            {"provider": "OPENAI", "model": "gpt-4o-mini", "messages": []},
            None,
        )
    examples = await api.get(f"/v1/datasets/{dataset_id}/examples")
    example_ids = [example["id"] for example in examples.json()["data"]["examples"]]
    for repetition, error in ((1, None), (2, "timed out")):
        response = await api.post(
            f"/v1/experiments/{server_run['id']}/runs",
            json={
                "dataset_example_id": example_ids[0],
                "output": "ok",
                "repetition_number": repetition,
                "start_time": "2026-11-01T12:00:00Z",
                "end_time": "2026-11-01T12:00:01Z",
                "error": error,
            },
        )
        assert response.status_code == 200, response.text

    body = await graphql_api.query(
        """query ($id: ID!) { dataset(id: $id) { experiments { edges { node { name
             job { id experimentId status statusReason modelProvider modelName promptVersionId
                   finishedAt progress { total succeeded failed done promptTokens
                   completionTokens costUsd runsPerSecond etaSeconds } } } } } } }""",
        id=dataset_id,
    )
    assert "errors" not in body, body
    nodes = [edge["node"] for edge in body["data"]["dataset"]["experiments"]["edges"]]
    assert [node["name"] for node in nodes] == ["by-server", "by-client"]
    assert nodes[1]["job"] is None
    shown = nodes[0]["job"]
    assert shown["id"] == gid("ExperimentJob", job.id)
    assert shown["experimentId"] == server_run["id"]
    assert (shown["status"], shown["statusReason"]) == ("RUNNING", None)
    assert (shown["modelProvider"], shown["modelName"]) == ("OPENAI", "gpt-4o-mini")
    assert shown["promptVersionId"] is None
    assert shown["finishedAt"] is None
    progress = shown["progress"]
    assert (progress["total"], progress["succeeded"], progress["failed"], progress["done"]) == (
        4,
        1,
        1,
        2,
    )
    assert (progress["promptTokens"], progress["completionTokens"]) == (0, 0)
    assert progress["costUsd"] == 0  # gpt-4o-mini has a price; no tokens yet

    rest = await api.get(f"/v1/experiment_jobs/{shown['id']}")
    assert rest.status_code == 200, rest.text
    same = rest.json()["data"]["progress"]
    assert same["total"] == progress["total"]
    assert same["done"] == progress["done"]
    assert same["cost_usd"] == progress["costUsd"]


async def test_hostile_prompt_arguments_are_refused_or_name_nothing(
    graphql_api: GraphqlClient,
) -> None:
    await create_version(graphql_api, "kept", version_body("gpt-4o", "x"))
    long = "p" * 10_000
    body = await graphql_api.query(
        """query ($long: String!, $longId: ID!) {
             byName: prompt(name: $long) { id } byId: prompt(id: $longId) { id }
             version: promptVersion(id: $longId) { id } }""",
        long=long,
        longId=long,
    )
    assert body == {"data": {"byName": None, "byId": None, "version": None}}

    nul = await graphql_api.client.post(
        "/graphql",
        json={
            "query": "query ($n: String) { prompt(name: $n) { id } }",
            "variables": {"n": "a\0b"},
        },
    )
    assert nul.status_code == 400, nul.text  # refused before it runs
    assert nul.json()["errors"][0]["extensions"]["argument"] == "name"
    negative = await graphql_api.query(PROMPTS, first=-1)
    assert negative["errors"][0]["extensions"]["argument"] == "first"
    huge = await graphql_api.client.post(
        "/graphql", json={"query": PROMPTS, "variables": {"first": 2**63}}
    )
    assert huge.status_code in (200, 400), huge.text
    assert "Internal error" not in huge.text
    costly = await graphql_api.client.post(
        "/graphql",
        json={
            "query": "{ prompts(first: 1000) { edges { node { promptVersions(first: 1000) {"
            " edges { node { id } } } } } } }"
        },
    )
    assert costly.status_code == 400, costly.text  # refused before it runs
    assert costly.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
    deep_cursor = await graphql_api.query(
        PROMPT, name="kept", after=base64.b64encode(b'["id", 1, 99999999999999999999]').decode()
    )
    assert deep_cursor["errors"][0]["extensions"]["argument"] == "after"
