"""Online rules against real PostgreSQL: a rule matches what its filter matches in the span
table, every rule of a project in one statement; sampling is deterministic and nested."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from spyglass_db.evaluation_rules import (
    is_sampled,
    match_spans,
    rule_condition,
    sample_draw,
    sampling_key,
)
from spyglass_db.filters import FilterExpressionError
from tests.support.trace_rows import create_project, create_span, engine_for

NOW = datetime.now(UTC)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    async with engine_for(database_url) as engine:
        yield engine


async def test_each_rule_matches_what_its_filter_matches(
    engine: AsyncEngine, database_url: str
) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        project = await create_project(connection, "support-bot")
        other = await create_project(connection, "other")
        await create_span(
            connection,
            project,
            "t1",
            "s1",
            "LLM",
            NOW,
            attributes={"llm": {"model_name": "gpt-4o"}},
        )
        await create_span(connection, project, "t1", "s2", "CHAIN", NOW, session="chat-1")
        await create_span(
            connection,
            project,
            "t2",
            "s3",
            "LLM",
            NOW,
            attributes={"llm": {"model_name": "claude"}},
        )
        await create_span(
            connection, other, "t9", "s9", "LLM", NOW, attributes={"llm": {"model_name": "gpt-4o"}}
        )
    finally:
        await connection.close()
    conditions = {
        1: rule_condition(1, "span_kind == 'LLM'"),
        2: rule_condition(2, "llm.model_name == 'gpt-4o'"),
        3: rule_condition(3, ""),
    }
    keys = [("t1", "s1"), ("t1", "s2"), ("t2", "s3"), ("t9", "s9"), ("t1", "missing")]

    async with engine.connect() as sql:
        matched = await match_spans(sql, project, keys, conditions)

    by_span = {span.span_id: span.rule_ids for span in matched}
    # s9 is another project's; "missing" was never stored.
    assert by_span == {"s1": (1, 2, 3), "s2": (3,), "s3": (1, 3)}
    assert {span.span_id: span.session_id for span in matched}["s2"] == "chat-1"


def test_a_filter_outside_the_language_is_refused_with_its_position() -> None:
    with pytest.raises(FilterExpressionError) as refused:
        rule_condition(7, "span_kind == ")

    assert (refused.value.line, refused.value.column) == (1, 14)
    assert "syntax" in refused.value.reason


def test_sampling_is_deterministic_nested_and_near_its_rate() -> None:
    keys = [f"{index:032x}" for index in range(20_000)]

    at_ten = {key for key in keys if is_sampled(key, 0.10)}
    at_five = {key for key in keys if is_sampled(key, 0.05)}

    assert at_five <= at_ten
    assert 1_800 <= len(at_ten) <= 2_200
    assert 800 <= len(at_five) <= 1_200
    assert [sample_draw(key) for key in keys[:50]] == [sample_draw(key) for key in keys[:50]]
    assert not any(is_sampled(key, 0.0) for key in keys)
    assert all(is_sampled(key, 1.0) for key in keys[:100])


def test_span_and_trace_rules_sample_by_trace_session_rules_by_session() -> None:
    assert sampling_key("SPAN", "abc", "chat-1") == "abc"
    assert sampling_key("TRACE", "abc", None) == "abc"
    assert sampling_key("SESSION", "abc", "chat-1") == "chat-1"
    assert sampling_key("SESSION", "abc", None) is None
    # NUL and lone surrogates in a client's id still draw a number.
    assert 0.0 <= sample_draw("a\x00b\ud800") < 1.0
