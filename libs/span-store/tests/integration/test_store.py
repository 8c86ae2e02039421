"""The write path against real PostgreSQL: idempotent, and right whatever order spans arrive in."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator

import asyncpg
import pytest

from spyglass_core.storable import MAX_INTEGER
from spyglass_proto.bus.v1.spans_pb2 import DecodedSpan, DecodedSpanBatch, StatusCode
from spyglass_span_store import prepare_connection, write_batches

pytestmark = pytest.mark.slow

SECOND = 1_000_000_000
BASE = 1_790_000_000 * SECOND
TRACE = "0af7651916cd43dd8448eb211c80319c"


def _span(
    span_id: str,
    parent: str = "",
    *,
    start: int = 0,
    end: int = 1,
    error: bool = False,
    prompt: int | None = None,
    completion: int | None = None,
    trace: str = TRACE,
    session: str = "",
) -> DecodedSpan:
    span = DecodedSpan(
        trace_id=trace,
        span_id=span_id,
        parent_span_id=parent,
        name=f"span {span_id}",
        span_kind="LLM" if prompt is not None else "CHAIN",
        start_time_unix_nano=BASE + start * SECOND,
        end_time_unix_nano=BASE + end * SECOND,
        status_code=StatusCode.STATUS_CODE_ERROR if error else StatusCode.STATUS_CODE_OK,
        attributes_json=b'{"input": {"value": "hi"}}',
        events_json=b"[]",
        session_id=session,
    )
    if prompt is not None:
        span.llm_token_count_prompt = prompt
    if completion is not None:
        span.llm_token_count_completion = completion
        span.cost_prompt_usd, span.cost_completion_usd = 0.001, 0.002
        span.cost_total_usd = 0.003
    return span


def _batch(*spans: DecodedSpan, project: str = "agents") -> DecodedSpanBatch:
    return DecodedSpanBatch(batch_id="b", project_name=project, spans=list(spans))


# An agent trace: root -> (retriever, llm-1 (error), tool -> llm-2); tokens on both LLM spans.
TREE = [
    _span("a000000000000001", start=0, end=10),
    _span("a000000000000002", "a000000000000001", start=1, end=2),
    _span(
        "a000000000000003", "a000000000000001", start=2, end=4, error=True, prompt=10, completion=5
    ),
    _span("a000000000000004", "a000000000000001", start=4, end=9),
    _span("a000000000000005", "a000000000000004", start=5, end=8, prompt=100, completion=20),
]
EXPECTED_CUMULATIVE = {
    "a000000000000001": (1, 110, 25),
    "a000000000000002": (0, 0, 0),
    "a000000000000003": (1, 10, 5),
    "a000000000000004": (0, 100, 20),
    "a000000000000005": (0, 100, 20),
}


@pytest.fixture
async def connection(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(database_url)
    await prepare_connection(connection)
    yield connection
    await connection.close()


async def _cumulative(connection: asyncpg.Connection) -> dict[str, tuple[int, int, int]]:
    rows = await connection.fetch(
        "SELECT span_id, cumulative_error_count, cumulative_llm_token_count_prompt, "
        "cumulative_llm_token_count_completion FROM spans"
    )
    return {row[0]: (row[1], row[2], row[3]) for row in rows}


@pytest.mark.parametrize("seed", range(6))
async def test_cumulative_counts_do_not_depend_on_arrival_order(
    connection: asyncpg.Connection, seed: int
) -> None:
    spans = list(TREE)
    random.Random(seed).shuffle(spans)
    # Split into 1-3 batches, so parents and children land in the same or different writes.
    cut = sorted(random.Random(seed + 100).sample(range(1, len(spans)), k=seed % 3))
    groups = [spans[i:j] for i, j in zip([0, *cut], [*cut, len(spans)], strict=True)]

    for group in groups:
        await write_batches(connection, [_batch(*group)])

    assert await _cumulative(connection) == EXPECTED_CUMULATIVE
    bounds = await connection.fetchrow("SELECT start_time, end_time FROM traces")
    assert (bounds[1] - bounds[0]).total_seconds() == 10


async def test_a_redelivered_batch_writes_nothing_twice(connection: asyncpg.Connection) -> None:
    first = await write_batches(connection, [_batch(*TREE)])
    again = await write_batches(connection, [_batch(*TREE)])

    assert (first.inserted, first.duplicates) == (5, 0)
    assert (again.inserted, again.duplicates) == (0, 5)
    assert await connection.fetchval("SELECT count(*) FROM spans") == 5
    assert await _cumulative(connection) == EXPECTED_CUMULATIVE


async def test_a_batch_partly_stored_before_writes_only_the_new_spans(
    connection: asyncpg.Connection,
) -> None:
    await write_batches(connection, [_batch(*TREE[:3])])
    result = await write_batches(connection, [_batch(*TREE)])

    assert (result.inserted, result.duplicates) == (len(TREE) - 3, 3)
    assert await connection.fetchval("SELECT count(*) FROM spans") == len(TREE)
    assert await _cumulative(connection) == EXPECTED_CUMULATIVE


async def test_one_trace_over_concurrent_writers(database_url: str) -> None:
    """Many writers, one trace spread over many batches: counts as if written alone."""
    connections = [await asyncpg.connect(database_url) for _ in range(4)]
    for connection in connections:
        await prepare_connection(connection)
    root = _span("b000000000000000", start=0, end=100)
    children = [
        _span(f"b{index:015x}", "b000000000000000", start=index, end=index + 1, prompt=index)
        for index in range(1, 61)
    ]
    batches = [_batch(root), *(_batch(*children[i : i + 3]) for i in range(0, 60, 3))]
    random.Random(7).shuffle(batches)

    async def writer(number: int) -> None:
        for batch in batches[number::4]:
            await write_batches(connections[number], [batch])

    await asyncio.gather(*(writer(number) for number in range(4)))

    totals = await _cumulative(connections[0])
    for connection in connections:
        await connection.close()
    assert len(totals) == 61
    assert totals["b000000000000000"] == (0, sum(range(1, 61)), 0)


async def test_projects_sessions_and_moved_traces(connection: asyncpg.Connection) -> None:
    await write_batches(
        connection,
        [
            _batch(_span("c000000000000001", start=0, end=2, session="chat-1"), project="bot"),
            _batch(
                _span("c000000000000002", start=5, end=9, session="chat-1", trace="1" * 32),
                project="bot",
            ),
        ],
    )
    # A later span of an existing trace names another project: it joins the trace's project.
    await write_batches(connection, [_batch(_span("c000000000000003", "c000000000000001"))])

    projects = await connection.fetch(
        "SELECT p.name, count(s.id) AS spans FROM projects p "
        "LEFT JOIN spans s ON s.project_rowid = p.id GROUP BY p.name"
    )
    session = await connection.fetchrow(
        "SELECT session_id, start_time, end_time FROM project_sessions"
    )
    linked = await connection.fetchval(
        "SELECT count(*) FROM traces WHERE project_session_rowid IS NOT NULL"
    )
    assert {row["name"]: row["spans"] for row in projects}["bot"] == 3
    assert session["session_id"] == "chat-1"
    assert (session["end_time"] - session["start_time"]).total_seconds() == 9
    assert linked == 2


async def test_costs_are_stored(connection: asyncpg.Connection) -> None:
    await write_batches(connection, [_batch(*TREE)])

    total = await connection.fetchval("SELECT sum(llm_cost_total) FROM spans")
    without = await connection.fetchval("SELECT count(*) FROM spans WHERE llm_cost_total IS NULL")

    assert total == pytest.approx(0.006)  # the two LLM spans
    assert without == 3


@pytest.mark.parametrize("split", [False, True], ids=["one-write", "children-first"])
async def test_cumulative_counts_saturate_at_the_integer_limit(
    connection: asyncpg.Connection, split: bool
) -> None:
    near = MAX_INTEGER - 10
    root = _span("b000000000000001", start=0, end=10, prompt=near, completion=1)
    children = [
        _span("b000000000000002", "b000000000000001", start=1, end=2, prompt=near, completion=1),
        _span("b000000000000003", "b000000000000001", start=2, end=3, prompt=near, completion=1),
    ]
    beyond = _span("b000000000000004", "b000000000000003", start=2, end=3, prompt=2**40)

    if split:  # the sums then happen in SQL, on rows already stored
        await write_batches(connection, [_batch(*children, beyond)])
        await write_batches(connection, [_batch(root)])
    else:
        await write_batches(connection, [_batch(root, *children, beyond)])

    cumulative = await _cumulative(connection)
    assert cumulative["b000000000000001"] == (0, MAX_INTEGER, 3)
    assert cumulative["b000000000000003"] == (0, near, 1)  # 2**40 is no count
    stored = await connection.fetchval(
        "SELECT llm_token_count_prompt FROM spans WHERE span_id = 'b000000000000004'"
    )
    assert stored is None


async def test_ancestors_stored_before_saturate_too(connection: asyncpg.Connection) -> None:
    near = MAX_INTEGER - 10
    await write_batches(
        connection,
        [_batch(_span("c000000000000001", start=0, end=10, prompt=near, completion=0))],
    )
    await write_batches(
        connection,
        [
            _batch(
                _span("c000000000000002", "c000000000000001", start=1, end=2, prompt=near),
                _span("c000000000000003", "c000000000000001", start=1, end=2, prompt=near),
            )
        ],
    )

    assert (await _cumulative(connection))["c000000000000001"] == (0, MAX_INTEGER, 0)
