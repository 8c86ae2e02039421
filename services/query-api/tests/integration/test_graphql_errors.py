"""GraphQL: the endpoint itself: statements per page, depth limit, masked errors, bad bodies."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import structlog

from spyglass_query_api.graphql import loaders

pytestmark = pytest.mark.slow

PAGE = """query ($first: Int) { project(name: "many") { traces(first: $first) { edges { node {
  id traceId costTotal spanCount statusCode tokenCountTotal project { name }
  annotations { name } annotationSummaries { name count }
  session { sessionId traceCount turns { input { value } } annotations { name } }
  rootSpan { name inputPreview attributes events { name } annotations { name }
    annotationSummaries { name } documents { documentId annotations { name } } trace { traceId } }
  spans { name parentId inputPreview output { value } annotations { name } } } } } } }"""


async def test_statements_do_not_grow_with_the_page(
    graphql_api: Any,
    store_decoded_spans: Callable[..., Awaitable[None]],
    span_message: Callable[..., Any],
) -> None:
    decoded_span = span_message
    spans = []
    for number in range(12):
        trace = f"{number:032x}"
        root = f"{number:015x}1"
        spans += [
            decoded_span(trace, root, name="agent", start=number, session=f"s-{number % 3}",
                         attributes={"input": {"value": f"question {number}"}}),
            decoded_span(trace, f"{number:015x}2", parent=root, name="llm", kind="LLM",
                         start=number + 0.1, prompt=5, completion=5, cost=0.01),
            decoded_span(trace, f"{number:015x}3", parent=root, name="tool", kind="TOOL",
                         start=number + 0.2, attributes={"output": {"value": "done"}}),
        ]  # fmt: skip
    await store_decoded_spans("many", spans)

    graphql_api.statements.clear()
    small = await graphql_api.query(PAGE, first=2)
    small_count = len(graphql_api.statements)
    graphql_api.statements.clear()
    large = await graphql_api.query(PAGE, first=12)
    large_count = len(graphql_api.statements)

    assert "errors" not in small and "errors" not in large, (small, large)
    edges = large["data"]["project"]["traces"]["edges"]
    assert len(edges) == 12
    assert all(len(edge["node"]["spans"]) == 3 for edge in edges)
    assert edges[0]["node"]["rootSpan"]["inputPreview"] == "question 11"
    assert edges[0]["node"]["session"]["traceCount"] == 4
    assert large_count == small_count
    assert large_count <= 16


def _nested(levels: int) -> str:
    return (
        '{ trace(traceId: "'
        + "a" * 32
        + '") { '
        + "spans { trace { " * levels
        + "traceId"
        + " } }" * levels
        + " } }"
    )


async def test_depth_limit(graphql_api: Any, support_project: str) -> None:
    allowed = await graphql_api.query(_nested(9))
    response = await graphql_api.client.post("/graphql", json={"query": _nested(10)})
    refused = response.json()

    assert "errors" not in allowed
    assert response.status_code == 400
    assert "data" not in refused
    assert refused["errors"][0]["message"] == "Query is 22 fields deep; the maximum depth is 20"
    assert refused["errors"][0]["extensions"]["code"] == "QUERY_TOO_DEEP"


async def test_fragments_count_towards_the_depth(graphql_api: Any) -> None:
    document = (
        "fragment Deep on Trace { "
        + "spans { trace { " * 10
        + "traceId"
        + " } }" * 10
        + ' } { trace(traceId: "x") { ...Deep } }'
    )

    response = await graphql_api.client.post("/graphql", json={"query": document})

    assert response.status_code == 400
    assert "maximum depth is 20" in response.json()["errors"][0]["message"]


async def test_unexpected_errors_are_masked_and_logged_once(
    graphql_api: Any, support_project: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_: Any) -> Any:
        raise RuntimeError("password=hunter2 in a stack trace")

    monkeypatch.setattr(loaders, "fetch_trace_figures", broken)

    with structlog.testing.capture_logs() as logs:
        body = await graphql_api.query(
            '{ trace(traceId: "' + "a" * 32 + '") { traceId costTotal } }'
        )

    assert body["data"] == {"trace": None}
    [error] = body["errors"]
    assert error["message"] == "Internal error"
    assert error["path"] == ["trace", "costTotal"]
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    failures = [entry for entry in logs if entry["event"] == "graphql_resolver_failed"]
    assert len(failures) == 1
    assert "hunter2" not in str(body)


async def test_a_refused_argument_beside_fields_still_reading_is_an_error_not_a_500(
    graphql_api: Any, support_project: str
) -> None:
    # traces(after:) is refused at once while stats is still reading: the answer must wait
    # for that read before the request's transaction ends.
    query = """{ project(name: "support") { stats { traceCount spanCount }
        traces(after: "garbage") { edges { node { traceId } } } } }"""

    responses = [await graphql_api.client.post("/graphql", json={"query": query}) for _ in range(5)]

    for response in responses:
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["data"] == {"project": None}
        assert [error["path"] for error in body["errors"]] == [["project", "traces"]]
    follow_up = await graphql_api.query('{ project(name: "support") { name } }')
    assert follow_up == {"data": {"project": {"name": "support"}}}


async def test_syntax_errors_and_unknown_fields_are_reported(graphql_api: Any) -> None:
    syntax = await graphql_api.client.post("/graphql", json={"query": "{ projects { "})
    unknown = await graphql_api.client.post(
        "/graphql", json={"query": "{ projects { edges { node { colour } } } }"}
    )

    assert syntax.status_code == 400
    assert "Syntax Error" in syntax.json()["errors"][0]["message"]
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["message"] == (
        "Cannot query field 'colour' on type 'Project'."
    )


async def test_bodies_that_are_not_queries(graphql_api: Any) -> None:
    not_json = await graphql_api.client.post(
        "/graphql", content=b"{nope", headers={"content-type": "application/json"}
    )
    a_nan = await graphql_api.client.post(
        "/graphql",
        content=b'{"query": "{ projects { edges { cursor } } }", "variables": {"x": NaN}}',
        headers={"content-type": "application/json"},
    )
    a_list = await graphql_api.client.post("/graphql", json=[1, 2])
    no_query = await graphql_api.client.post("/graphql", json={"variables": {}})
    mutation = await graphql_api.client.post("/graphql", json={"query": "mutation { x }"})

    for invalid in (not_json, a_nan):
        assert invalid.status_code == 400
        assert invalid.json()["errors"][0]["message"].startswith("The body is not valid JSON: ")
    assert a_list.status_code == 400
    assert no_query.status_code == 400
    assert "query" in no_query.json()["errors"][0]["message"].lower()
    assert mutation.status_code == 400


async def test_get_serves_the_explorer(graphql_api: Any) -> None:
    response = await graphql_api.client.get("/graphql")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "graphiql" in response.text.lower()
