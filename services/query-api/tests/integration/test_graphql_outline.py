"""GraphQL: ``Trace.outline``, the compact rows the UI draws a large trace's tree from."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from spyglass_core.settings import DbSettings
from spyglass_db import create_engine
from spyglass_query_api.graphql.context import RequestContext
from spyglass_query_api.graphql.outline import OUTLINE_COLUMNS, fetch_trace_outlines

pytestmark = pytest.mark.slow

OUTLINE = """query ($traceId: ID) { trace(traceId: $traceId) { outline } }"""


async def _outline(graphql_api: Any, trace_id: str) -> dict[str, Any]:
    body = await graphql_api.query(OUTLINE, traceId=trace_id)
    assert "errors" not in body, body
    outline: dict[str, Any] = body["data"]["trace"]["outline"]
    return outline


def _records(outline: dict[str, Any]) -> list[dict[str, Any]]:
    """Each row as a dictionary keyed by the outline's own column names."""
    return [dict(zip(outline["columns"], row, strict=True)) for row in outline["rows"]]


@pytest.fixture
async def db_connection(database_url: str) -> AsyncIterator[AsyncConnection]:
    """A connection to this test's database, with the engine the query API would use."""
    engine = create_engine(DbSettings(url=database_url))
    async with engine.connect() as connection:
        yield connection
    await engine.dispose()


async def test_outline_of_a_trace(graphql_api: Any, support_project: str) -> None:
    outline = await _outline(graphql_api, "a" * 32)

    assert outline["startTime"] == "2026-11-01T12:00:00+00:00"
    assert outline["truncated"] is False
    assert outline["columns"] == list(OUTLINE_COLUMNS)
    assert outline["rows"] == [
        ["a000000000000001", None, "agent", "AGENT", "OK", 0.0, 3000.0, 120, None, 1],
        ["a000000000000002", "a000000000000001", "llm", "LLM", "OK", 500.0, 1000.0, 120,
         pytest.approx(0.5), 0],
        ["a000000000000003", "a000000000000001", "lookup", "RETRIEVER", "ERROR", 1500.0, 500.0,
         0, None, 1],
    ]  # fmt: skip


async def test_outline_agrees_with_the_span_list(graphql_api: Any, support_project: str) -> None:
    body = await graphql_api.query(
        """query ($traceId: ID) { trace(traceId: $traceId) { outline spans {
          spanId parentId name spanKind statusCode latencyMs cumulativeTokenCountTotal
          costTotal cumulativeErrorCount } } }""",
        traceId="a" * 32,
    )

    found = body["data"]["trace"]
    records = _records(found["outline"])
    assert [{key: record[key] for key in found["spans"][0]} for record in records] == found["spans"]


async def test_rows_in_start_order_with_ties_by_span_id_and_a_missing_parent(
    graphql_api: Any,
    store_decoded_spans: Callable[..., Awaitable[None]],
    span_message: Callable[..., Any],
) -> None:
    trace = "e" * 32
    await store_decoded_spans(
        "outline",
        [
            span_message(trace, "e000000000000001", name="root", start=1.0, duration=4.0),
            span_message(trace, "e00000000000000b", parent="e000000000000001", start=2.0),
            span_message(trace, "e00000000000000a", parent="e000000000000001", start=2.0),
            span_message(trace, "e00000000000000c", parent="e0000000000000ff", start=1.25),
        ],
    )
    before = _records(await _outline(graphql_api, trace))
    await store_decoded_spans(  # a span that started before the others arrives last
        "outline", [span_message(trace, "e000000000000000", start=0.5, duration=0.1)]
    )
    after = await _outline(graphql_api, trace)

    assert [(row["spanId"], row["startOffsetMs"]) for row in before] == [
        ("e000000000000001", 0.0),
        ("e00000000000000c", 250.0),
        ("e00000000000000a", 1000.0),
        ("e00000000000000b", 1000.0),
    ]
    assert before[1]["parentId"] == "e0000000000000ff"  # kept: the UI shows it as an orphan
    assert [row["parentId"] for row in before[2:]] == ["e000000000000001"] * 2
    assert after["startTime"] == "2026-11-01T12:00:00.500000+00:00"
    assert [(row["spanId"], row["startOffsetMs"]) for row in _records(after)] == [
        ("e000000000000000", 0.0),
        ("e000000000000001", 500.0),
        ("e00000000000000c", 750.0),
        ("e00000000000000a", 1500.0),
        ("e00000000000000b", 1500.0),
    ]


async def test_outline_stops_at_its_limit_and_says_so(
    support_project: str, db_connection: AsyncConnection
) -> None:
    context = RequestContext(db_connection)
    result = await db_connection.execute(
        text("SELECT id FROM traces WHERE trace_id = :t"), {"t": "a" * 32}
    )
    rowid = result.scalar_one()

    cut = (await fetch_trace_outlines(context, [rowid], most=2))[rowid]
    whole = (await fetch_trace_outlines(context, [rowid], most=3))[rowid]

    assert [row[0] for row in cut.rows] == ["a000000000000001", "a000000000000002"]
    assert (cut.truncated, cut.value()["truncated"]) == (True, True)
    assert len(whole.rows) == 3
    assert whole.truncated is False
    assert await fetch_trace_outlines(context, [rowid + 1000]) == {}


async def test_outlines_of_a_page_of_traces_are_one_statement(
    graphql_api: Any, support_project: str
) -> None:
    graphql_api.statements.clear()
    body = await graphql_api.query(
        '{ project(name: "support") { traces { edges { node { traceId outline } } } } }'
    )

    edges = body["data"]["project"]["traces"]["edges"]
    assert [
        (edge["node"]["traceId"][0], [row[0] for row in edge["node"]["outline"]["rows"]])
        for edge in edges
    ] == [
        ("c", ["c000000000000001"]),
        ("b", ["b000000000000001"]),
        ("a", ["a000000000000001", "a000000000000002", "a000000000000003"]),
    ]
    assert sum("json_agg" in statement for statement in graphql_api.statements) == 1


async def test_unknown_trace_has_no_outline(graphql_api: Any, support_project: str) -> None:
    body = await graphql_api.query(OUTLINE, traceId="f" * 32)

    assert body == {"data": {"trace": None}}
