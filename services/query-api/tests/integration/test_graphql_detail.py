"""GraphQL: trace detail (the span tree), span detail, sessions and annotations."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

pytestmark = pytest.mark.slow

TRACE = """query ($id: ID, $traceId: ID) { trace(id: $id, traceId: $traceId) {
  id traceId spanCount project { name } session { sessionId }
  spans { id spanId parentId name spanKind statusCode latencyMs } } }"""

SPAN = """query ($id: ID, $spanId: ID) { span(id: $id, spanId: $spanId) {
  id spanId traceId parentId name spanKind statusCode statusMessage startTime endTime
  tokenCountPrompt tokenCountCompletion tokenCountTotal cumulativeTokenCountTotal costTotal
  inputPreview input { value mimeType } output { value mimeType } attributes
  events { name timestamp attributes }
  documents { position documentId content score annotations { name label } }
  annotations { id name label score explanation annotatorKind source metadata }
  annotationSummaries { name count meanScore labelFractions { label fraction } }
  trace { traceId } } }"""

SESSION = """query ($id: ID, $sessionId: ID) { session(id: $id, sessionId: $sessionId) {
  id sessionId traceCount tokenCountTotal costTotal project { name }
  turns { trace { traceId } input { value } output { value } }
  annotations { name label } } }"""


async def _sql(database_url: str, *statements: str) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


async def test_trace_with_its_span_tree(graphql_api: Any, support_project: str) -> None:
    by_trace_id = (await graphql_api.query(TRACE, traceId="a" * 32))["data"]["trace"]
    by_id = (await graphql_api.query(TRACE, id=by_trace_id["id"]))["data"]["trace"]

    assert by_id == by_trace_id
    assert by_trace_id["spanCount"] == 3
    assert by_trace_id["project"] == {"name": "support"}
    assert by_trace_id["session"] is None
    spans = by_trace_id["spans"]
    assert [(span["spanId"], span["parentId"]) for span in spans] == [
        ("a000000000000001", None),
        ("a000000000000002", "a000000000000001"),
        ("a000000000000003", "a000000000000001"),
    ]
    assert [span["statusCode"] for span in spans] == ["OK", "OK", "ERROR"]
    rest = (await graphql_api.client.get("/v1/projects/support/spans")).json()["data"]
    assert {span["id"] for span in spans} <= {span["id"] for span in rest}


async def test_unknown_trace_and_span_are_null(graphql_api: Any, support_project: str) -> None:
    span_global_id = (await graphql_api.query(SPAN, spanId="a000000000000001"))["data"]["span"][
        "id"
    ]

    assert (await graphql_api.query(TRACE, traceId="f" * 32))["data"]["trace"] is None
    assert (await graphql_api.query(TRACE, id=span_global_id))["data"]["trace"] is None
    assert (await graphql_api.query(SPAN, spanId="ffffffffffffffff"))["data"]["span"] is None
    assert (await graphql_api.query(SPAN, id="%%%"))["data"]["span"] is None
    both = await graphql_api.query(SPAN, id=span_global_id, spanId="a000000000000001")
    assert both["errors"][0]["extensions"]["argument"] == "id or spanId"


async def test_span_detail(graphql_api: Any, support_project: str, database_url: str) -> None:
    await _sql(
        database_url,
        "INSERT INTO span_annotations (span_rowid, span_start_time, name, label, score,"
        " explanation, annotator_kind, source, identifier) SELECT id, start_time, 'quality',"
        " label, score, 'checked', 'HUMAN', 'API', label || score FROM spans,"
        " (VALUES ('good', 1.0), ('good', 0.5), ('bad', 0.0)) AS given (label, score)"
        " WHERE span_id = 'a000000000000003'",
        "INSERT INTO document_annotations (span_rowid, span_start_time, document_position, name,"
        " label, annotator_kind, source) SELECT id, start_time, 1, 'relevance', 'irrelevant',"
        " 'LLM', 'API' FROM spans WHERE span_id = 'a000000000000003'",
    )

    span = (await graphql_api.query(SPAN, spanId="a000000000000003"))["data"]["span"]

    assert (span["name"], span["spanKind"], span["statusCode"]) == ("lookup", "RETRIEVER", "ERROR")
    assert (span["traceId"], span["parentId"]) == ("a" * 32, "a000000000000001")
    assert span["startTime"] == "2026-11-01T12:00:01.500000+00:00"
    assert span["tokenCountTotal"] is None
    assert span["attributes"]["retrieval"]["documents"][0]["document"]["id"] == "doc-1"
    assert [
        (d["position"], d["documentId"], d["content"], d["score"]) for d in span["documents"]
    ] == [
        (0, "doc-1", "refund policy", 0.9),
        (1, "doc-2", "shipping", 0.4),
    ]
    assert span["documents"][0]["annotations"] == []
    assert span["documents"][1]["annotations"] == [{"name": "relevance", "label": "irrelevant"}]
    assert [(a["label"], a["score"]) for a in span["annotations"]] == [
        ("good", 1.0), ("good", 0.5), ("bad", 0.0),
    ]  # fmt: skip
    assert span["annotations"][0]["metadata"] == {}
    assert span["annotationSummaries"] == [
        {
            "name": "quality",
            "count": 3,
            "meanScore": 0.5,
            "labelFractions": [
                {"label": "bad", "fraction": pytest.approx(1 / 3)},
                {"label": "good", "fraction": pytest.approx(2 / 3)},
            ],
        }
    ]
    assert span["trace"] == {"traceId": "a" * 32}


async def test_llm_span_tokens_cost_and_io(graphql_api: Any, support_project: str) -> None:
    llm = (await graphql_api.query(SPAN, spanId="a000000000000002"))["data"]["span"]
    root = (await graphql_api.query(SPAN, spanId="a000000000000001"))["data"]["span"]

    assert (llm["tokenCountPrompt"], llm["tokenCountCompletion"], llm["tokenCountTotal"]) == (
        100, 20, 120,
    )  # fmt: skip
    assert llm["costTotal"] == pytest.approx(0.5)
    assert llm["input"] is None
    assert root["input"] == {"value": "where is my refund?" * 30, "mimeType": None}
    assert root["output"] == {"value": "on its way", "mimeType": "text/plain"}
    assert root["cumulativeTokenCountTotal"] == 120
    assert root["events"] == []


async def test_sessions_and_their_turns(graphql_api: Any, support_project: str) -> None:
    listed = await graphql_api.query(
        '{ project(name: "support") { sessions { edges { node { id sessionId } }'
        " pageInfo { hasNextPage } } } }"
    )
    node = listed["data"]["project"]["sessions"]["edges"][0]["node"]

    by_id = (await graphql_api.query(SESSION, id=node["id"]))["data"]["session"]
    by_session_id = (await graphql_api.query(SESSION, sessionId="chat-1"))["data"]["session"]

    assert len(listed["data"]["project"]["sessions"]["edges"]) == 1
    assert by_id == by_session_id
    assert (by_id["sessionId"], by_id["traceCount"], by_id["tokenCountTotal"]) == ("chat-1", 2, 15)
    assert by_id["costTotal"] == pytest.approx(0.1)
    assert by_id["turns"] == [
        {
            "trace": {"traceId": "b" * 32},
            "input": {"value": "hello"},
            "output": {"value": "hi there"},
        },
        {"trace": {"traceId": "c" * 32}, "input": {"value": "bye"}, "output": {"value": "goodbye"}},
    ]
    assert (await graphql_api.query(SESSION, sessionId="chat-404"))["data"]["session"] is None


async def test_trace_and_session_annotations(
    graphql_api: Any, support_project: str, database_url: str
) -> None:
    await _sql(
        database_url,
        "INSERT INTO trace_annotations (trace_rowid, name, label, score, annotator_kind, source)"
        " SELECT id, 'resolved', 'yes', 1, 'HUMAN', 'APP' FROM traces WHERE trace_id LIKE 'b%'",
        "INSERT INTO project_session_annotations (project_session_id, name, label,"
        " annotator_kind, source) SELECT id, 'sentiment', 'happy', 'LLM', 'API'"
        " FROM project_sessions WHERE session_id = 'chat-1'",
    )

    trace = await graphql_api.query(
        '{ trace(traceId: "' + "b" * 32 + '") { annotations { id name label annotatorKind source }'
        " annotationSummaries { name count meanScore } session { sessionId"
        " annotations { name label } } } }"
    )

    found = trace["data"]["trace"]
    assert [
        (a["name"], a["label"], a["annotatorKind"], a["source"]) for a in found["annotations"]
    ] == [
        ("resolved", "yes", "HUMAN", "APP"),
    ]
    assert found["annotationSummaries"] == [{"name": "resolved", "count": 1, "meanScore": 1.0}]
    assert found["session"] == {
        "sessionId": "chat-1",
        "annotations": [{"name": "sentiment", "label": "happy"}],
    }


async def test_sessions_page_by_page_and_by_time(
    graphql_api: Any,
    store_decoded_spans: Any,
    span_message: Any,
) -> None:
    await store_decoded_spans(
        "chats",
        [
            span_message(
                f"{number:032x}", f"{number:016x}", start=number * 60, session=f"s-{number}"
            )
            for number in range(1, 4)
        ],
    )
    query = """query ($after: String, $range: TimeRange) { project(name: "chats") {
      sessions(first: 2, after: $after, timeRange: $range) {
        edges { node { sessionId startTime } } pageInfo { hasNextPage endCursor } } } }"""

    first = (await graphql_api.query(query))["data"]["project"]["sessions"]
    rest = await graphql_api.query(query, after=first["pageInfo"]["endCursor"])
    ranged = await graphql_api.query(
        query, range={"start": "2026-11-01T12:01:30Z", "end": "2026-11-01T12:02:30Z"}
    )

    assert [edge["node"]["sessionId"] for edge in first["edges"]] == ["s-3", "s-2"]
    assert first["pageInfo"]["hasNextPage"] is True
    second = rest["data"]["project"]["sessions"]
    assert [edge["node"]["sessionId"] for edge in second["edges"]] == ["s-1"]
    assert second["pageInfo"]["hasNextPage"] is False
    assert [
        edge["node"]["sessionId"] for edge in ranged["data"]["project"]["sessions"]["edges"]
    ] == ["s-2"]
