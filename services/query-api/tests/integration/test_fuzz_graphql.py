"""Hypothesis over the GraphQL arguments: ids, strings, time ranges, filters, sorts and pages.

Whatever the arguments (GlobalIDs of any type and size, Unicode digits, NUL characters, times
from year 1 to 9999 in any UTC offset, garbage cursors and filters, any 32-bit ``first`` or
``interval``), the query API answers with data or a client error: never a 5xx, never
``Internal error``.
"""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.slow

TYPE_NAMES = ["Project", "Trace", "Span", "ProjectSession", "SpanAnnotation", "Nope"]

digits = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.text(alphabet="0123456789\u0661\uff11\n ", min_size=1, max_size=25),
)
global_ids = st.builds(
    lambda type_name, rowid: base64.b64encode(f"{type_name}:{rowid}".encode()).decode(),
    st.sampled_from(TYPE_NAMES),
    digits,
)
ids = st.one_of(global_ids, st.text(max_size=40), st.just("support"))
offsets = st.timedeltas(
    min_value=-timedelta(hours=23, minutes=59), max_value=timedelta(hours=23, minutes=59)
).map(timezone)
moments = st.one_of(
    # hypothesis takes naive bounds and adds the time zone itself
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31),  # noqa: DTZ001
                 timezones=st.one_of(st.just(UTC), offsets)).map(datetime.isoformat),
    st.text(max_size=30),
)  # fmt: skip
time_ranges = st.one_of(
    st.none(), st.fixed_dictionaries({}, optional={"start": moments, "end": moments})
)
cursor_values = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    moments,
    st.none(),
)
cursors = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.builds(
        lambda column, value, rowid: base64.b64encode(
            json.dumps([column, value, rowid]).encode()
        ).decode(),
        st.sampled_from(["startTime", "latencyMs", "tokens", "cost", "id", "createdAt"]),
        cursor_values,
        st.one_of(st.integers(min_value=-(2**70), max_value=2**70), st.text(max_size=5)),
    ),
)
filters = st.one_of(
    st.none(),
    st.text(max_size=60),
    st.sampled_from([
        "span_kind == 'LLM'", "latency_ms > 1e308", "name == '\x00'", "metadata['tier'] == 'gold'",
        "cumulative_token_count_total > 99999999999999999999", "status_code == 'ERROR' or 1",
    ]),
)  # fmt: skip
firsts = st.one_of(st.none(), st.integers(min_value=-(2**31), max_value=2**31 - 1))
sorts = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {"column": st.sampled_from(["startTime", "latencyMs", "tokens", "cost"])},
        optional={"direction": st.sampled_from(["ASC", "DESC"])},
    ),
)

LIST_PAGE = "edges { cursor node { id } } pageInfo { hasNextPage endCursor }"

QUERIES: list[tuple[str, st.SearchStrategy[dict[str, Any]]]] = [
    (
        ("query($first: Int, $after: String, $nameContains: String) { projects(first: $first, "
        f"after: $after, nameContains: $nameContains) {{ {LIST_PAGE} }} }}"),
        st.fixed_dictionaries({"first": firsts, "after": cursors,
                               "nameContains": st.one_of(st.none(), st.text(max_size=20))}),
    ),
    (
        ("query($id: ID, $range: TimeRange) { project(id: $id) { name stats(timeRange: $range) "
        "{ traceCount latencyMsP50 } } }"),
        st.fixed_dictionaries({"id": ids, "range": time_ranges}),
    ),
    (
        ("query($name: String, $range: TimeRange, $filter: String, $sort: SpanSort, $first: Int, "
        "$after: String) { project(name: $name) { traces(timeRange: $range, filter: $filter, "
        f"sort: $sort, first: $first, after: $after) {{ {LIST_PAGE} }} }} }}"),
        st.fixed_dictionaries({"name": st.one_of(st.just("support"), st.text(max_size=20)),
                               "range": time_ranges, "filter": filters, "sort": sorts,
                               "first": firsts, "after": cursors}),
    ),
    (
        ("query($range: TimeRange, $filter: String, $sort: SpanSort, $first: Int, $after: String, "
        '$roots: Boolean) { project(name: "support") { spans(timeRange: $range, filter: $filter, '
        "sort: $sort, first: $first, after: $after, rootSpansOnly: $roots) "
        f"{{ {LIST_PAGE} }} }} }}"),
        st.fixed_dictionaries({"range": time_ranges, "filter": filters, "sort": sorts,
                               "first": firsts, "after": cursors,
                               "roots": st.one_of(st.none(), st.booleans())}),
    ),
    (
        ('query($range: TimeRange, $first: Int, $after: String) { project(name: "support") { '
        f"sessions(timeRange: $range, first: $first, after: $after) {{ {LIST_PAGE} }} }} }}"),
        st.fixed_dictionaries({"range": time_ranges, "first": firsts, "after": cursors}),
    ),
    (
        ('query($range: TimeRange!, $interval: Int!) { project(name: "support") { '
        "timeSeries(timeRange: $range, interval: $interval) { timestamp traceCount } } }"),
        st.fixed_dictionaries({"range": st.fixed_dictionaries({"start": moments, "end": moments}),
                               "interval": st.integers(min_value=-(2**31), max_value=2**31 - 1)}),
    ),
    (
        ("query($id: ID, $traceId: ID) { trace(id: $id, traceId: $traceId) { traceId "
        "spans { spanId } } }"),
        st.fixed_dictionaries({"id": st.one_of(st.none(), ids),
                               "traceId": st.one_of(st.none(), ids)}),
    ),
    (
        ("query($id: ID, $spanId: ID) { span(id: $id, spanId: $spanId) { spanId annotations "
        "{ name } } }"),
        st.fixed_dictionaries({"id": st.one_of(st.none(), ids),
                               "spanId": st.one_of(st.none(), ids)}),
    ),
    (
        ("query($id: ID, $sessionId: ID) { session(id: $id, sessionId: $sessionId) { sessionId "
        "turns { trace { traceId } } } }"),
        st.fixed_dictionaries({"id": st.one_of(st.none(), ids),
                               "sessionId": st.one_of(st.none(), ids)}),
    ),
]  # fmt: skip

requests = st.one_of([st.tuples(st.just(document), variables) for document, variables in QUERIES])


def _internal_errors(response: httpx.Response) -> list[Any]:
    body = response.json()
    return [
        error
        for error in body.get("errors") or []
        if error.get("message") == "Internal error"
        or (error.get("extensions") or {}).get("code") == "INTERNAL_SERVER_ERROR"
    ]


@pytest.mark.timeout(600)
async def test_no_graphql_argument_is_an_internal_error(
    api: httpx.AsyncClient, support_project: str
) -> None:
    loop = asyncio.get_running_loop()

    @settings(
        max_examples=300,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(request=requests)
    def fuzz(request: tuple[str, dict[str, Any]]) -> None:
        document, variables = request
        future = asyncio.run_coroutine_threadsafe(
            api.post("/graphql", json={"query": document, "variables": variables}), loop
        )
        response = future.result(timeout=60)
        assert response.status_code < 500, response.text
        assert not _internal_errors(response), (variables, response.text)

    await asyncio.to_thread(fuzz)
