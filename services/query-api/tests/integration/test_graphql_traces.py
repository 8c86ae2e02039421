"""GraphQL: a project's traces and spans tables (sort, pages, filters)."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.slow

TRACES = """query ($sort: SpanSort, $first: Int, $after: String, $filter: String,
    $range: TimeRange) {
  project(name: "support") { traces(sort: $sort, first: $first, after: $after, filter: $filter,
      timeRange: $range) {
    edges { cursor node { traceId latencyMs statusCode errorCount tokenCountTotal costTotal
      spanCount rootSpan { name inputPreview outputPreview } } }
    pageInfo { hasNextPage endCursor } } } }"""

SPANS = """query ($sort: SpanSort, $roots: Boolean, $filter: String, $first: Int, $after: String) {
  project(name: "support") { spans(sort: $sort, rootSpansOnly: $roots, filter: $filter,
      first: $first, after: $after) {
    edges { node { spanId name cumulativeTokenCountTotal costTotal latencyMs inputPreview } }
    pageInfo { hasNextPage endCursor } } } }"""


def _traces(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body
    connection: dict[str, Any] = body["data"]["project"]["traces"]
    return connection


def _ids(connection: dict[str, Any], key: str = "traceId") -> list[str]:
    return [edge["node"][key][0] for edge in connection["edges"]]


async def test_traces_as_the_table_shows_them(graphql_api: Any, support_project: str) -> None:
    traces = _traces(await graphql_api.query(TRACES))

    assert _ids(traces) == ["c", "b", "a"]
    agent = traces["edges"][2]["node"]
    assert agent["latencyMs"] == 3000.0
    assert (agent["statusCode"], agent["errorCount"]) == ("ERROR", 1)
    assert (agent["tokenCountTotal"], agent["spanCount"]) == (120, 3)
    assert agent["costTotal"] == pytest.approx(0.5)
    assert agent["rootSpan"]["name"] == "agent"
    assert agent["rootSpan"]["inputPreview"] == ("where is my refund?" * 30)[:200]
    assert agent["rootSpan"]["outputPreview"] == "on its way"
    chat = traces["edges"][1]["node"]
    assert (chat["statusCode"], chat["tokenCountTotal"]) == ("OK", 15)


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ({"column": "latencyMs", "direction": "ASC"}, ["c", "b", "a"]),
        ({"column": "latencyMs", "direction": "DESC"}, ["a", "b", "c"]),
        ({"column": "tokens", "direction": "DESC"}, ["a", "b", "c"]),
        ({"column": "cost", "direction": "ASC"}, ["c", "b", "a"]),
        ({"column": "startTime", "direction": "ASC"}, ["a", "b", "c"]),
    ],
)
async def test_traces_sorted_one_page_at_a_time(
    graphql_api: Any, support_project: str, sort: dict[str, str], expected: list[str]
) -> None:
    seen: list[str] = []
    after = None
    for _ in range(3):
        page = _traces(await graphql_api.query(TRACES, sort=sort, first=1, after=after))
        seen += _ids(page)
        after = page["pageInfo"]["endCursor"]

    last = _traces(await graphql_api.query(TRACES, sort=sort, first=1, after=after))

    assert seen == expected
    assert last["edges"] == []
    assert last["pageInfo"] == {"hasNextPage": False, "endCursor": None}


async def test_traces_in_a_time_range(graphql_api: Any, support_project: str) -> None:
    minute = {"start": "2026-11-01T12:01:00Z", "end": "2026-11-01T12:02:00Z"}

    assert _ids(_traces(await graphql_api.query(TRACES, range=minute))) == ["b"]


async def test_cursor_of_another_sort_is_refused(graphql_api: Any, support_project: str) -> None:
    page = _traces(await graphql_api.query(TRACES, first=1))

    body = await graphql_api.query(
        TRACES, sort={"column": "cost"}, after=page["pageInfo"]["endCursor"]
    )

    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "after"}
    assert "'startTime'" in body["errors"][0]["message"]


async def test_unknown_sort_column_is_refused(graphql_api: Any, support_project: str) -> None:
    body = await graphql_api.query(TRACES, sort={"column": "name"})

    assert "SpanSortColumn" in body["errors"][0]["message"]


async def test_traces_filtered_on_their_root_span(graphql_api: Any, support_project: str) -> None:
    llm_roots = _traces(await graphql_api.query(TRACES, filter="span_kind == 'LLM'"))
    blank = _traces(await graphql_api.query(TRACES, filter="   "))

    assert _ids(llm_roots) == ["c", "b"]
    assert _ids(blank) == ["c", "b", "a"]


async def test_invalid_filter_says_where_and_why(graphql_api: Any, support_project: str) -> None:
    body = await graphql_api.query(TRACES, filter="span_kind == ")

    error = body["errors"][0]
    assert error["message"].startswith("Invalid filter expression at line 1, column")
    assert error["extensions"]["code"] == "INVALID_FILTER"
    assert error["extensions"]["argument"] == "filter"
    assert error["extensions"]["line"] == 1
    assert body["data"]["project"] is None


async def test_spans_of_a_project(graphql_api: Any, support_project: str) -> None:
    every = (await graphql_api.query(SPANS))["data"]["project"]["spans"]
    roots = (await graphql_api.query(SPANS, roots=True))["data"]["project"]["spans"]
    by_tokens = (await graphql_api.query(SPANS, sort={"column": "tokens"}, first=2))["data"]

    assert [edge["node"]["spanId"] for edge in every["edges"]] == [
        "c000000000000001", "b000000000000001",
        "a000000000000003", "a000000000000002", "a000000000000001",
    ]  # fmt: skip
    assert [edge["node"]["spanId"][0] for edge in roots["edges"]] == ["c", "b", "a"]
    top = [edge["node"] for edge in by_tokens["project"]["spans"]["edges"]]
    assert [node["cumulativeTokenCountTotal"] for node in top] == [120, 120]
    assert {node["name"] for node in top} == {"agent", "llm"}
    assert by_tokens["project"]["spans"]["pageInfo"]["hasNextPage"] is True


async def test_spans_filtered(graphql_api: Any, support_project: str) -> None:
    body = await graphql_api.query(SPANS, filter="span_kind == 'LLM' and latency_ms > 1500")

    assert "errors" not in body, body
    nodes = [edge["node"] for edge in body["data"]["project"]["spans"]["edges"]]
    assert [node["spanId"] for node in nodes] == ["b000000000000001"]
    assert nodes[0]["costTotal"] == pytest.approx(0.1)
