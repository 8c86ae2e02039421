"""``POST /v1/spans``: SpanQuery data frames, read by ``arize-phoenix-client`` itself from a
query API process, and the endpoint's answers to bad input."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

import httpx
import pandas as pd
import pytest
from phoenix.client import Client
from phoenix.client.types.spans import SpanQuery

from tests.support.processes import QueryApiProcess

pytestmark = pytest.mark.slow

Store = Callable[..., Awaitable[None]]

TRACE_A, TRACE_B = "a" * 32, "b" * 32
AGENT, RETRIEVER, LLM, ORPHAN = (
    "a000000000000001",
    "a000000000000002",
    "a000000000000003",
    "b000000000000002",
)
DEFAULT_COLUMNS = [
    "name", "span_kind", "parent_id", "start_time", "end_time", "status_code",
    "status_message", "events", "context.span_id", "context.trace_id",
]  # fmt: skip


async def _seed(store_spans: Store) -> None:
    await store_spans(
        "rag",
        {"trace": TRACE_A, "span": AGENT, "name": "agent", "kind": "AGENT",
         "attributes": {"input": {"value": "where is my refund?"}, "metadata": {"tier": "gold"}}},
        {"trace": TRACE_A, "span": RETRIEVER, "parent": AGENT, "name": "lookup",
         "kind": "RETRIEVER", "start": 1,
         "attributes": {"input": {"value": "refund"}, "retrieval": {"documents": [
             {"document": {"id": "d1", "content": "refunds take 5 days", "score": 0.9}},
             {"document": {"id": "d2", "content": "shipping is free", "score": 0.2}},
         ]}}},
        {"trace": TRACE_A, "span": LLM, "parent": AGENT, "name": "llm", "kind": "LLM",
         "start": 2, "error": True,
         "attributes": {"llm": {"model_name": "gpt-4o", "token_count": {"total": 150}}}},
        {"trace": TRACE_B, "span": ORPHAN, "parent": "ffffffffffffffff", "name": "tool",
         "kind": "TOOL", "start": 3, "attributes": {"metadata": {"tier": 5}}},
    )  # fmt: skip


@pytest.fixture
async def phoenix_client(
    start_query_api: Callable[[], Awaitable[QueryApiProcess]], store_spans: Store
) -> Client:
    """Phoenix's own client, talking to a query API process on this test's seeded database."""
    await _seed(store_spans)
    return Client(base_url=(await start_query_api()).base_url)


def _frame(client: Client, **arguments: object) -> pd.DataFrame:
    arguments.setdefault("project_name", "rag")
    return client.spans.get_spans_dataframe(**arguments)  # type: ignore[arg-type]


async def test_the_phoenix_client_reads_span_frames(phoenix_client: Client) -> None:
    frames = await asyncio.to_thread(_all_frames, phoenix_client)

    everything = frames["default"]
    assert everything.index.name == "context.span_id"
    assert list(everything.index) == [ORPHAN, LLM, RETRIEVER, AGENT]  # newest first
    assert list(everything.columns[: len(DEFAULT_COLUMNS)]) == DEFAULT_COLUMNS
    assert everything.loc[LLM, "attributes.llm.model_name"] == "gpt-4o"
    assert everything.loc[LLM, "status_code"] == "ERROR"
    assert everything.loc[LLM, "context.trace_id"] == TRACE_A
    assert str(everything["start_time"].dtype) == "datetime64[ns, UTC]"
    assert everything.loc[LLM, "start_time"] - everything.loc[AGENT, "start_time"] == timedelta(
        seconds=2
    )
    documents = everything.loc[RETRIEVER, "attributes.retrieval.documents"]
    assert [document["document.id"] for document in documents] == ["d1", "d2"]
    assert everything.loc[AGENT, "attributes.metadata"] == {"tier": "gold"}

    assert list(frames["llm_filter"].index) == [LLM]
    assert list(frames["roots"].index) == [ORPHAN, AGENT]
    assert list(frames["strict_roots"].index) == [AGENT]
    assert list(frames["parent_span"].index) == [ORPHAN, AGENT]
    assert list(frames["limit"].index) == [ORPHAN]
    assert list(frames["time_range"].index) == [LLM, RETRIEVER]
    assert list(frames["annotation_free"].index) == [ORPHAN, LLM, RETRIEVER, AGENT]

    selected = frames["select"]
    assert list(selected.columns) == ["input.value", "name"]
    assert selected.loc[AGENT].tolist() == ["where is my refund?", "agent"]

    renamed = frames["renamed"]
    assert list(renamed.columns) == ["question"]
    assert renamed["question"].tolist() == ["refund"]

    exploded = frames["explode"]
    assert exploded.index.names == ["context.span_id", "document_position"]
    assert exploded.index.tolist() == [(RETRIEVER, 0), (RETRIEVER, 1)]
    assert exploded.columns.tolist() == ["input.value", "reference", "score"]
    assert exploded["reference"].tolist() == ["refunds take 5 days", "shipping is free"]
    assert exploded["score"].tolist() == [0.9, 0.2]

    concatenated = frames["concat"]
    assert concatenated.loc[RETRIEVER, "reference"] == "refunds take 5 days\n\nshipping is free"
    assert concatenated.index.tolist() == [RETRIEVER]

    assert frames["missing_project"].empty
    assert frames["injection"].empty


def _all_frames(client: Client) -> dict[str, pd.DataFrame]:
    documents = SpanQuery().where("span_kind == 'RETRIEVER'").select("input.value")
    seeded_start = _frame(client).loc[AGENT, "start_time"].to_pydatetime()
    return {
        "default": _frame(client),
        "llm_filter": _frame(
            client, query=SpanQuery().where("span_kind == 'llm' and llm.token_count.total > 100")
        ),
        "roots": _frame(client, root_spans_only=True),
        "strict_roots": _frame(client, query=SpanQuery().where("parent_id is None")),
        "parent_span": _frame(client, query=SpanQuery().where("parent_span is None")),
        "limit": _frame(client, limit=1),
        "time_range": _frame(
            client,
            start_time=seeded_start + timedelta(seconds=1),
            end_time=seeded_start + timedelta(seconds=3),
        ),
        "annotation_free": _frame(client, query=SpanQuery().where("not annotations['x']")),
        "select": _frame(client, query=SpanQuery().select("input.value", "name")),
        "renamed": _frame(client, query=documents.rename(**{"input.value": "question"})),
        "explode": _frame(
            client,
            query=documents.explode(
                "retrieval.documents", reference="document.content", score="document.score"
            ),
        ),
        "concat": _frame(
            client, query=SpanQuery().concat("retrieval.documents", reference="document.content")
        ),
        "missing_project": _frame(client, project_name="no-such-project"),
        "injection": _frame(
            client, query=SpanQuery().where('name == "x\'); DROP TABLE spans; --"')
        ),
    }


IMAGE = "https://example.com/cat.png"
LIST_VALUED = {
    "llm": {
        "input_messages": [
            {"message": {"role": "system", "content": "be brief"}},
            {"message": {"role": "user", "contents": [
                {"message_content": {"type": "text", "text": "what is this?"}},
                {"message_content": {"type": "image", "image": {"image": {"url": IMAGE}}}},
            ]}},
        ],
        "output_messages": [{"message": {"role": "assistant", "tool_calls": [
            {"tool_call": {"id": "call-1", "function": {"name": "lookup", "arguments": "{}"}}},
        ]}}],
        "tools": [{"tool": {"json_schema": '{"type": "function"}'}}],
    },
    "retrieval": {"documents": [
        {"document": {"id": "d1", "content": "cats", "metadata": {"source": "wiki"}}},
    ]},
    "reranker": {"output_documents": [{"document": {"id": "d1", "score": 0.99}}]},
    "embedding": {"embeddings": [{"embedding": {"text": "cat", "vector": [0.25, 0.5]}}]},
}  # fmt: skip
"""Every list-valued OpenInference attribute, nested as spans are stored."""


async def test_list_valued_attributes_in_phoenixs_shapes(
    phoenix_client: Client, api: httpx.AsyncClient, store_spans: Store
) -> None:
    span_id = "c000000000000001"
    await store_spans(
        "shapes", {"trace": "c" * 32, "span": span_id, "kind": "LLM", "attributes": LIST_VALUED}
    )

    frame = await asyncio.to_thread(_frame, phoenix_client, project_name="shapes")
    rest = (await api.get("/v1/projects/shapes/spans")).json()["data"][0]["attributes"]
    otlp = (await api.get("/v1/projects/shapes/spans/otlpv1")).json()["data"][0]["attributes"]

    row = frame.loc[span_id]
    assert row["attributes.llm.input_messages"] == [
        {"message.role": "system", "message.content": "be brief"},
        {"message.role": "user", "message.contents": [
            {"message_content.type": "text", "message_content.text": "what is this?"},
            {"message_content.type": "image", "message_content.image": {"image.url": IMAGE}},
        ]},
    ]  # fmt: skip
    assert row["attributes.llm.output_messages"] == [
        {"message.role": "assistant", "message.tool_calls": [
            {"tool_call.id": "call-1", "tool_call.function.name": "lookup",
             "tool_call.function.arguments": "{}"}]},
    ]  # fmt: skip
    assert row["attributes.llm.tools"] == [{"tool.json_schema": '{"type": "function"}'}]
    assert row["attributes.retrieval.documents"] == [
        {"document.id": "d1", "document.content": "cats", "document.metadata": {"source": "wiki"}}
    ]
    assert row["attributes.reranker.output_documents"] == [
        {"document.id": "d1", "document.score": 0.99}
    ]
    assert row["attributes.embedding.embeddings"] == [
        {"embedding.text": "cat", "embedding.vector": [0.25, 0.5]}
    ]
    assert rest == {
        "llm.input_messages.0.message.role": "system",
        "llm.input_messages.0.message.content": "be brief",
        "llm.input_messages.1.message.role": "user",
        "llm.input_messages.1.message.contents.0.message_content.type": "text",
        "llm.input_messages.1.message.contents.0.message_content.text": "what is this?",
        "llm.input_messages.1.message.contents.1.message_content.type": "image",
        "llm.input_messages.1.message.contents.1.message_content.image.image.url": IMAGE,
        "llm.output_messages.0.message.role": "assistant",
        "llm.output_messages.0.message.tool_calls.0.tool_call.id": "call-1",
        "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": "lookup",
        "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": "{}",
        "llm.tools.0.tool.json_schema": '{"type": "function"}',
        "retrieval.documents.0.document.id": "d1",
        "retrieval.documents.0.document.content": "cats",
        "retrieval.documents.0.document.metadata.source": "wiki",
        "reranker.output_documents.0.document.id": "d1",
        "reranker.output_documents.0.document.score": 0.99,
        "embedding.embeddings.0.embedding.text": "cat",
        "embedding.embeddings.0.embedding.vector": [0.25, 0.5],
    }
    assert [item["key"] for item in otlp] == list(rest)
    by_key = {item["key"]: item["value"] for item in otlp}
    assert by_key["reranker.output_documents.0.document.score"]["double_value"] == 0.99
    vector = by_key["embedding.embeddings.0.embedding.vector"]["array_value"]["values"]
    assert [value["double_value"] for value in vector] == [0.25, 0.5]


async def test_a_bad_filter_reaches_the_client_as_400_with_its_position(
    phoenix_client: Client,
) -> None:
    with pytest.raises(httpx.HTTPStatusError) as caught:
        await asyncio.to_thread(_frame, phoenix_client, query=SpanQuery().where("spam_kind == 1"))

    response = caught.value.response
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == (
        "Invalid filter expression at line 1, column 1: "
        "unknown name 'spam_kind'; did you mean 'span_kind'?"
    )
    after = await asyncio.to_thread(_frame, phoenix_client)
    assert len(after) == 4  # the injection attempt of the other test, or any, harmed nothing


async def test_bad_bodies_are_refused_clearly(api: httpx.AsyncClient, store_spans: Store) -> None:
    await _seed(store_spans)

    for body, status, fragment in (
        ({"queries": [{"filter": {"condition": "len(name) > 1"}}]}, 400, "calls are not allowed"),
        ({"queries": [{"filter": {"condition": "name =="}}]}, 400, "column 8: syntax error"),
        ({"queries": [{"select": "input.value"}]}, 400, "queries[0].select must be an object"),
        ({"queries": [{"select": {"x": {"key": 3}}}]}, 400, "queries[0].select.x.key"),
        ({"queries": ["nonsense"]}, 400, "queries[0] must be an object"),
        ({"queries": [{"explode": {"kwargs": {}}}]}, 400, "queries[0].explode.key"),
        ({"queries": [], "limit": 0}, 422, "limit"),
        ({"queries": [], "start_time": "soon"}, 422, "start_time"),
        (
            {"queries": [], "start_time": "2026-11-02T00:00:00Z", "end_time": "2026-11-01T00:00Z"},
            422,
            "is after end_time",
        ),
    ):
        response = await api.post("/v1/spans", params={"project_name": "rag"}, json=body)
        assert response.status_code == status, (body, response.text)
        assert fragment in response.text, (body, response.text)

    overflow = {"queries": [{"filter": {"condition": "llm.token_count.total * 1e300 * 1e300 > 1"}}]}
    response = await api.post("/v1/spans", params={"project_name": "rag"}, json=overflow)
    assert response.status_code == 400, response.text
    assert "can't be evaluated" in response.text


async def test_the_endpoint_is_hidden_and_has_a_get_alias(
    api: httpx.AsyncClient, store_spans: Store
) -> None:
    await _seed(store_spans)

    response = await api.request(
        "GET",
        "/v1/spans",
        params={"project_identifier": "rag"},
        json={"queries": [{"filter": {"condition": "name == 'tool'"}}]},
    )
    schema = (await api.get("/openapi.json")).json()

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("multipart/mixed; boundary=")
    assert response.text.count("Content-Type: application/json") == 1
    assert ORPHAN in response.text and AGENT not in response.text
    assert "/v1/spans" not in schema["paths"]
    assert "/v1/projects/{project_identifier}/spans" in schema["paths"]
