"""From traces to datasets: spans become examples (input, output and metadata taken from the
span as Phoenix takes them, each example linked to its span) through GraphQL's
``createDataset`` / ``addSpansToDataset`` and the REST upload's ``span_ids`` without ``inputs``."""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.slow

GraphqlClient = Any  # the `graphql_api` fixture's client (conftest.py)
StoreSpans = Callable[..., Awaitable[None]]

CREATE = """
mutation($name: String!, $description: String, $metadata: JSON) {
  createDataset(input: {name: $name, description: $description, metadata: $metadata}) {
    dataset { id name description }
  }
}
"""
ADD = """
mutation($datasetId: ID!, $spanIds: [ID!]!, $metadata: JSON) {
  addSpansToDataset(input: {datasetId: $datasetId, spanIds: $spanIds,
                            datasetVersionDescription: "from spans",
                            datasetVersionMetadata: $metadata}) {
    dataset { id name }
  }
}
"""

LLM_ATTRIBUTES = {
    "llm": {
        "input_messages": [
            {"message": {"role": "system", "content": "be brief"}},
            {"message": {"role": "user", "contents": [
                {"message_content": {"type": "text", "text": "capital"}},
                {"message_content": {"type": "text", "text": "of France?"}},
            ]}},
        ],
        "output_messages": [
            {"message": {"role": "assistant", "content": "Paris", "name": "bot"}},
            {"message": {"role": "assistant", "tool_calls": [
                {"tool_call": {"function": {"name": "lookup", "arguments": '{"q": "Paris"}'}}},
            ]}},
        ],
        "prompt_template": {"variables": {"country": "France"}},
        "tools": [{"tool": {"json_schema": '{"type": "function", "name": "lookup"}'}}],
    },
    "input": {"value": "ignored: the messages win", "mime_type": "text/plain"},
    "metadata": {"tenant": "acme"},
}  # fmt: skip
SPANS = [
    {"trace": "t1", "span": "a000000000000001", "kind": "AGENT", "name": "agent",
     "attributes": {"input": {"value": '{"question": "capital?"}', "mime_type": "application/json"},
                    "output": {"value": "Paris"}}},
    {"trace": "t1", "span": "a000000000000002", "parent": "a000000000000001", "kind": "LLM",
     "name": "llm", "start": 1, "attributes": LLM_ATTRIBUTES},
    {"trace": "t1", "span": "a000000000000003", "parent": "a000000000000001",
     "kind": "RETRIEVER", "name": "search", "start": 2,
     "attributes": {"input": {"value": "capital"}, "retrieval": {"documents": [
         {"document": {"content": "Paris is the capital", "score": 0.9}}]}}},
]  # fmt: skip


def _data(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


def _global_id(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


async def _span_ids(client: httpx.AsyncClient) -> dict[str, str]:
    """OTel span id -> span GlobalID."""
    response = await client.get("/v1/projects/agent/spans", params={"limit": 100})
    assert response.status_code == 200, response.text
    return {span["context"]["span_id"]: span["id"] for span in response.json()["data"]}


async def _examples(client: httpx.AsyncClient, dataset_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"/v1/datasets/{dataset_id}/examples")
    assert response.status_code == 200, response.text
    examples: list[dict[str, Any]] = response.json()["data"]["examples"]
    return examples


@pytest.fixture
async def agent_trace(store_spans: StoreSpans, graphql_api: GraphqlClient) -> dict[str, str]:
    """The agent trace stored, one of its spans annotated; OTel span id -> span GlobalID."""
    await store_spans("agent", *SPANS)
    annotation = {"span_id": "a000000000000002", "name": "correct", "annotator_kind": "HUMAN",
                  "result": {"label": "yes", "score": 1.0, "explanation": "right"}}  # fmt: skip
    response = await graphql_api.client.post(
        "/v1/span_annotations", params={"sync": "true"}, json={"data": [annotation]}
    )
    assert response.status_code == 200, response.text
    return await _span_ids(graphql_api.client)


async def test_spans_become_examples_of_a_new_dataset(
    graphql_api: GraphqlClient, agent_trace: dict[str, str]
) -> None:
    created = _data(await graphql_api.query(CREATE, name="from traces", description="picked"))
    dataset = created["createDataset"]["dataset"]
    span_ids = [agent_trace[span] for span in ("a000000000000002", "a000000000000001",
                                                "a000000000000003")]  # fmt: skip
    added = _data(await graphql_api.query(ADD, datasetId=dataset["id"], spanIds=span_ids))
    examples = await _examples(graphql_api.client, dataset["id"])
    versions = (await graphql_api.client.get(f"/v1/datasets/{dataset['id']}/versions")).json()

    assert (dataset["name"], dataset["description"]) == ("from traces", "picked")
    assert added["addSpansToDataset"]["dataset"]["id"] == dataset["id"]
    assert [version["description"] for version in versions["data"]] == ["from spans"]
    llm, agent, retriever = examples
    assert llm["input"] == {
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "capital\n\nof France?"},
        ],
        "country": "France",
        "tools": [{"type": "function", "name": "lookup"}],
    }
    assert llm["output"] == {"messages": [{
        "role": "assistant", "content": "Paris",
        "tool_calls": [{"function": {"name": "lookup", "arguments": {"q": "Paris"}}}],
    }]}  # fmt: skip
    assert llm["metadata"] == {
        "tenant": "acme",
        "span_kind": "LLM",
        "annotations": {"correct": [{
            "label": "yes", "score": 1.0, "explanation": "right", "metadata": {},
            "annotator_kind": "HUMAN", "user_id": None, "username": None, "email": None,
        }]},
    }  # fmt: skip
    assert (agent["input"], agent["output"]) == ({"question": "capital?"}, {"output": "Paris"})
    assert agent["metadata"] == {"span_kind": "AGENT", "annotations": {}}
    assert retriever["input"] == {"input": "capital"}
    assert retriever["output"] == {"documents": [{"content": "Paris is the capital", "score": 0.9}]}
    assert [example["source"] for example in examples] == [
        {"span_id": span, "span_node_id": agent_trace[span]}
        for span in ("a000000000000002", "a000000000000001", "a000000000000003")
    ]


async def test_spans_added_to_an_existing_dataset_make_one_new_version(
    graphql_api: GraphqlClient, agent_trace: dict[str, str]
) -> None:
    upload = await graphql_api.client.post(
        "/v1/datasets/upload", params={"sync": "true"},
        json={"name": "qa", "inputs": [{"q": "typed"}]},
    )  # fmt: skip
    first = upload.json()["data"]

    _data(await graphql_api.query(ADD, datasetId=first["dataset_id"],
                                  spanIds=[agent_trace["a000000000000001"]]))  # fmt: skip
    now = await _examples(graphql_api.client, first["dataset_id"])
    before = await graphql_api.client.get(
        f"/v1/datasets/{first['dataset_id']}/examples", params={"version_id": first["version_id"]}
    )

    assert [example["input"] for example in now] == [{"q": "typed"}, {"question": "capital?"}]
    assert len(before.json()["data"]["examples"]) == 1


async def test_graphql_refusals_leave_nothing_written(
    graphql_api: GraphqlClient, agent_trace: dict[str, str]
) -> None:
    dataset = _data(await graphql_api.query(CREATE, name="qa"))["createDataset"]["dataset"]
    unknown_span = _global_id("Span:999999")
    cases = {
        "taken": await graphql_api.query(CREATE, name="qa"),
        "blank": await graphql_api.query(CREATE, name="   "),
        "long": await graphql_api.query(CREATE, name="n" * 10_000),
        "deep": await graphql_api.query(CREATE, name="x", metadata=_nested(150)),
        "huge": await graphql_api.query(CREATE, name="x", metadata={"n": 2**70}),
        "unknown span": await graphql_api.query(
            ADD, datasetId=dataset["id"], spanIds=[agent_trace["a000000000000001"], unknown_span]
        ),
        "not a span": await graphql_api.query(ADD, datasetId=dataset["id"], spanIds=["x" * 10_000]),
        "bigint span": await graphql_api.query(
            ADD, datasetId=dataset["id"], spanIds=[_global_id(f"Span:{2**63}")]
        ),
        "no spans": await graphql_api.query(ADD, datasetId=dataset["id"], spanIds=[]),
        "unknown dataset": await graphql_api.query(
            ADD, datasetId=_global_id("Dataset:999999"), spanIds=[agent_trace["a000000000000001"]]
        ),
        "span as dataset": await graphql_api.query(
            ADD, datasetId=agent_trace["a000000000000001"], spanIds=[]
        ),
    }

    found = {name: body["errors"][0] for name, body in cases.items()}
    codes = {name: error["extensions"]["code"] for name, error in found.items()}
    assert codes == {
        "taken": "CONFLICT", "blank": "BAD_USER_INPUT", "long": "BAD_USER_INPUT",
        "deep": "BAD_USER_INPUT", "huge": "BAD_USER_INPUT",
        "unknown span": "NOT_FOUND", "not a span": "BAD_USER_INPUT",
        "bigint span": "BAD_USER_INPUT", "no spans": "BAD_USER_INPUT",
        "unknown dataset": "NOT_FOUND", "span as dataset": "BAD_USER_INPUT",
    }  # fmt: skip
    assert found["taken"]["message"] == "A dataset named 'qa' already exists"
    assert found["long"]["message"] == "`name` must be at most 256 characters, got 10000"
    assert found["unknown span"]["message"] == "Some spans could not be found: 999999"
    assert found["not a span"]["extensions"]["argument"] == "input.spanIds.0"
    assert found["deep"]["extensions"]["argument"] == "input.metadata"
    nul = await graphql_api.client.post(
        "/graphql", json={"query": CREATE, "variables": {"name": "a\x00b"}}
    )
    assert nul.status_code == 400  # refused before any resolver runs
    assert nul.json()["errors"][0]["message"] == "`input` must not contain NUL characters"
    datasets = (await graphql_api.client.get("/v1/datasets")).json()["data"]
    assert [(item["name"], item["example_count"]) for item in datasets] == [("qa", 0)]
    versions = await graphql_api.client.get(f"/v1/datasets/{dataset['id']}/versions")
    assert versions.json()["data"] == []


def _nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"k": 1}
    for _ in range(depth - 1):
        value = {"k": value}
    return value


async def test_rest_upload_of_span_ids_takes_the_examples_from_the_spans(
    graphql_api: GraphqlClient, agent_trace: dict[str, str]
) -> None:
    client = graphql_api.client
    upload = await client.post(
        "/v1/datasets/upload", params={"sync": "true"},
        json={"name": "spans", "span_ids": ["a000000000000003", "a000000000000001",
                                            "a000000000000003"]},
    )  # fmt: skip
    data = upload.json()["data"]
    examples = await _examples(client, data["dataset_id"])

    assert (upload.status_code, data["num_created_examples"]) == (200, 2)
    assert [example["input"] for example in examples] == [
        {"input": "capital"}, {"question": "capital?"}
    ]  # fmt: skip
    assert [example["source"]["span_id"] for example in examples] == [
        "a000000000000003", "a000000000000001"
    ]  # fmt: skip


async def test_rest_upload_refusals(
    graphql_api: GraphqlClient, agent_trace: dict[str, str]
) -> None:
    client = graphql_api.client

    async def upload(body: Any) -> httpx.Response:
        return await client.post(
            "/v1/datasets/upload", params={"sync": "true"},
            content=body if isinstance(body, str) else json.dumps(body),
            headers={"content-type": "application/json"},
        )  # fmt: skip

    unknown = await upload({"name": "x", "span_ids": ["a000000000000001", "ffff000000000000"]})
    long_id = await upload({"name": "x", "span_ids": ["f" * 10_000]})
    nul = await upload({"name": "x", "span_ids": ["a\x00"]})
    empty = await upload({"name": "x", "span_ids": []})
    not_strings = await upload({"name": "x", "span_ids": [1]})
    huge = await upload({"name": "x", "span_ids": [2**63]})
    nan = await upload('{"name": "x", "span_ids": [NaN]}')
    deep = await upload({"name": "x", "span_ids": [_nested(200)]})

    [item] = unknown.json()["detail"]
    assert (unknown.status_code, item["loc"], item["msg"]) == (
        422, ["body", "span_ids", "1"], "Unknown span ids: 'ffff000000000000'"
    )  # fmt: skip
    assert long_id.status_code == 422
    assert long_id.json()["detail"][0]["loc"] == ["body", "span_ids", "0"]
    assert nul.json()["detail"][0]["msg"] == "`span_ids.0` must not contain NUL characters"
    assert (empty.status_code, empty.text) == (422, "`span_ids` must name at least one span")
    assert (not_strings.status_code, not_strings.text) == (
        422, "`span_ids` must be a list of span ids (strings)"
    )  # fmt: skip
    assert huge.json()["detail"][0]["loc"] == ["body", "span_ids", "0"]
    assert (nan.status_code, nan.text) == (422, "The body is not valid JSON")  # JSON has no NaN
    assert deep.status_code == 422
    assert (await client.get("/v1/datasets")).json()["data"] == []
