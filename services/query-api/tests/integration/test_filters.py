"""The filter language against a real database: which spans each expression matches, that
attributes of another type or missing never make the SQL fail, and that hostile expressions
neither run SQL of their own nor match what they shouldn't."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from spyglass_core.settings import DbSettings
from spyglass_db import create_engine
from spyglass_db.filters import FilterExpressionError, compile_span_filter

pytestmark = pytest.mark.slow

Store = Callable[..., Awaitable[None]]

TRACE_A, TRACE_B = "a" * 32, "b" * 32
AGENT, LLM, CHAT, ORPHAN, ELSEWHERE = (
    "a000000000000001",
    "a000000000000002",
    "b000000000000001",
    "b000000000000002",
    "c000000000000001",
)


@pytest.fixture
async def engine(database_url: str, store_spans: Store) -> AsyncIterator[AsyncEngine]:
    """A database holding five spans (one in another project) with annotations."""
    await store_spans(
        "shop",
        {"trace": TRACE_A, "span": AGENT, "name": "agent", "kind": "AGENT",
         "attributes": {"metadata": {"tier": "gold", "region": "eu"},
                        "input": {"value": "where is my refund?"},
                        "tag": {"tags": ["vip", "eu"]}, "session": {"id": "s-1"}}},
        {"trace": TRACE_A, "span": LLM, "parent": AGENT, "name": "llm", "kind": "llm",
         "start": 1, "error": True,
         "attributes": {"llm": {"model_name": "gpt-4o", "token_count": {"total": 150},
                                "input_messages": [{"message": {"role": "user"}}]},
                        "metadata": {"tier": "gold"}}},
        {"trace": TRACE_B, "span": CHAT, "name": "chat", "kind": "LLM", "start": 2,
         "attributes": {"llm": {"model_name": "claude", "token_count": {"total": "150"}},
                        "metadata": {"tier": "silver"}, "input": {"value": 42}}},
        {"trace": TRACE_B, "span": ORPHAN, "parent": "ffffffffffffffff", "name": "tool",
         "kind": "TOOL", "start": 3, "attributes": {"metadata": {"tier": 5}}},
    )  # fmt: skip
    await store_spans("elsewhere", {"trace": "c" * 32, "span": ELSEWHERE, "kind": "LLM"})
    database = create_engine(DbSettings(url=database_url))
    async with database.begin() as connection:
        await connection.execute(
            text(
                "UPDATE spans SET end_time = start_time + interval '2 seconds', "
                "cumulative_llm_token_count_prompt = 100, "
                "cumulative_llm_token_count_completion = 50 WHERE span_id = :span"
            ),
            {"span": LLM},
        )
        await connection.execute(
            text(
                "INSERT INTO span_annotations (span_rowid, span_start_time, name, label, score, "
                "explanation, annotator_kind, source) SELECT id, start_time, 'correctness', "
                "'incorrect', 0, 'made up a policy', 'LLM', 'API' FROM spans WHERE span_id = :span"
            ),
            {"span": LLM},
        )
        await connection.execute(
            text(
                "INSERT INTO trace_annotations (trace_rowid, name, label, score, annotator_kind, "
                "source) SELECT id, 'resolved', 'yes', 1, 'HUMAN', 'APP' FROM traces "
                "WHERE trace_id = :trace"
            ),
            {"trace": TRACE_B},
        )
    yield database
    await database.dispose()


async def _matching(engine: AsyncEngine, expression: str) -> set[str]:
    condition = compile_span_filter(expression)
    async with engine.connect() as connection:
        result = await connection.execute(
            text(f"SELECT s.span_id FROM spans s WHERE {condition.sql}"), condition.parameters
        )
        return {row.span_id for row in result}


CASES: list[tuple[str, set[str]]] = [
    ("span_kind == 'LLM' and llm.token_count.total > 100", {LLM}),
    ("span_kind == 'llm'", {LLM, CHAT, ELSEWHERE}),
    ("span_kind in ['agent', 'TOOL']", {AGENT, ORPHAN}),
    ("status_code == 'error'", {LLM}),
    ("status_code != 'ERROR'", {AGENT, CHAT, ORPHAN, ELSEWHERE}),
    ("'refund' in input.value", {AGENT}),
    ("'refund' not in input.value", set()),
    ("'vip' in tag.tags", {AGENT}),
    ("'vi' in tag.tags", set()),
    ("metadata['tier'] == 'gold'", {AGENT, LLM}),
    ("metadata.tier == 'gold' and metadata.region == 'eu'", {AGENT}),
    ("attributes['metadata.tier'] == 'silver'", {CHAT}),
    ("attributes[['metadata', 'tier']] == 5", {ORPHAN}),
    ("metadata['tier'] != 'gold'", {CHAT}),
    ("not metadata['tier'] == 'gold'", {CHAT, ORPHAN}),
    ("metadata['tier'] in ['silver', 5]", {CHAT, ORPHAN}),
    ("metadata['tier'] not in ['gold']", {CHAT}),
    ("metadata['tier'] > 3", {ORPHAN}),
    ("metadata['tier'] is None", {ELSEWHERE}),
    ("metadata['missing'] == 'x' or name == 'tool'", {ORPHAN}),
    ("llm.token_count.total == 150", {LLM}),
    ("llm.token_count.total == '150'", {CHAT}),
    ("llm.model_name == 'gpt-4o'", {LLM}),
    ("llm.input_messages[0].message.role == 'user'", {LLM}),
    ("session.id == 's-1'", {AGENT}),
    ("input.value == 42", {CHAT}),
    ("annotations['correctness'].label == 'incorrect'", {LLM}),
    ("evals['correctness'].score < 0.5", {LLM}),
    ("annotations['correctness'].explanation == 'made up a policy'", {LLM}),
    ("annotations['correctness']", {LLM}),
    ("not annotations['correctness'] and span_kind == 'LLM'", {CHAT, ELSEWHERE}),
    ("annotations['nothing'].label is None and name == 'llm'", {LLM}),
    ("trace_annotations['resolved'].label == 'yes'", {CHAT, ORPHAN}),
    ("parent_id is None", {AGENT, CHAT, ELSEWHERE}),
    ("parent_span is None", {AGENT, CHAT, ORPHAN, ELSEWHERE}),
    ("parent_span is not None", {LLM}),
    ("latency_ms > 1000", {LLM}),
    ("latency_ms == 500 and name == 'chat'", {CHAT}),
    ("1000 < latency_ms < 3000", {LLM}),
    ("latency_ms / 1000 >= 2 and latency_ms * 2 - 1 > 3998", {LLM}),
    ("cumulative_llm_token_count_total == 150", {LLM}),
    ("cumulative_token_count.prompt > cumulative_llm_token_count_completion", {LLM}),
    (
        "start_time >= '2026-11-01T12:00:02+00:00' and end_time < '2026-11-01 12:00:04'",
        {CHAT, ORPHAN},
    ),
    ("trace_id == '" + TRACE_A + "'", {AGENT, LLM}),
    ("context.trace_id in ['" + TRACE_B + "', 'nothing']", {CHAT, ORPHAN}),
    ("context.span_id == '" + AGENT + "' or span_id == '" + ORPHAN + "'", {AGENT, ORPHAN}),
    ("trace_id != '" + TRACE_A + "' and span_kind == 'LLM'", {CHAT, ELSEWHERE}),
    ("name + '!' == 'chat!'", {CHAT}),
    ("'ag' in name", {AGENT}),
    ("status_message == ''", {AGENT, LLM, CHAT, ORPHAN, ELSEWHERE}),
]


async def test_each_expression_matches_exactly_its_spans(engine: AsyncEngine) -> None:
    for expression, expected in CASES:
        assert await _matching(engine, expression) == expected, expression


async def test_attributes_of_another_type_never_fail_the_query(engine: AsyncEngine) -> None:
    # llm.token_count.total is a number on one span, text on another, missing on the rest
    for expression in (
        "llm.token_count.total > 1",
        "llm.token_count.total + 1 > 1",
        "llm.token_count.total / 0 > 1",
        "llm.token_count.total - llm.token_count.total == 0",
        "metadata['tier'] < 'z'",
        "metadata['tier'] >= 0",
        "'x' in metadata.tier",
        "tag.tags == 'vip'",
        "input.value > 10",
        "metadata == 'gold'",
        "not (metadata.tier > 3)",
    ):
        await _matching(engine, expression)  # no SQL error is the assertion

    assert await _matching(engine, "llm.token_count.total / 0 > 1") == set()
    assert await _matching(engine, "not (metadata.tier > 3)") == set()


HOSTILE = [
    'name == "x\'; DROP TABLE spans; --"',
    "name == 'x\\'; DROP TABLE spans; --'",
    "metadata[\"tier'); DROP TABLE spans; --\"] == 'gold'",
    "attributes['x\\'] = 1; DROP TABLE traces; --'] == 1",
    "attributes[\"a'}\"] == 'b' or 1 == 2",
    "annotations[\"x' OR 1=1 --\"].label == 'y'",
    "\"%' OR '1'='1\" in input.value",
    "span_kind in ['LLM'')); DROP TABLE spans; --']",
    "status_message == '$$; DROP TABLE spans; $$'",
    "name == '\\\\'",
    "start_time > '2026-01-01'' OR 1=1 --'",
]


async def test_hostile_expressions_harm_nothing_and_match_nothing(engine: AsyncEngine) -> None:
    for expression in HOSTILE:
        with contextlib.suppress(FilterExpressionError):  # refusing it is fine too
            assert await _matching(engine, expression) == set(), expression

    for expression in (
        "__import__('os').system('true') == 0",
        "name.__class__.__mro__ == 1",
        "(lambda: 1) == 1",
        "[x for x in ().__class__.__base__.__subclasses__()]",
        "pg_sleep(1) == 1",
        "name == name; DROP TABLE spans",
        "spans.delete() == 1",
    ):
        with pytest.raises(FilterExpressionError):
            compile_span_filter(expression)

    async with engine.connect() as connection:
        spans = (await connection.execute(text("SELECT count(*) FROM spans"))).scalar_one()
        traces = (await connection.execute(text("SELECT count(*) FROM traces"))).scalar_one()
    assert (spans, traces) == (5, 3)
