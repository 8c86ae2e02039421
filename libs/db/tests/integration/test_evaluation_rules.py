"""Online rules against real PostgreSQL: a rule matches what its filter matches in the span
table, every rule of a project in one statement; sampling is deterministic and nested."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import orjson
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
from tests.support.trace_rows import create_project, engine_for

NOW = datetime.now(UTC)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    async with engine_for(database_url) as engine:
        yield engine


async def _span(
    connection: asyncpg.Connection,
    project: int,
    trace: str,
    span: str,
    kind: str,
    attributes: dict[str, object],
    session: str | None = None,
) -> None:
    session_rowid = None
    if session is not None:
        session_rowid = await connection.fetchval(
            "INSERT INTO project_sessions (session_id, project_id, start_time, end_time) "
            "VALUES ($1, $2, $3, $3) ON CONFLICT (session_id) DO UPDATE SET "
            "end_time = EXCLUDED.end_time RETURNING id",
            session,
            project,
            NOW,
        )
    trace_rowid = await connection.fetchval(
        "INSERT INTO traces (project_rowid, trace_id, project_session_rowid, start_time, "
        "end_time) VALUES ($1, $2, $3, $4, $4) ON CONFLICT (trace_id) DO UPDATE SET "
        "project_session_rowid = coalesce(EXCLUDED.project_session_rowid, "
        "traces.project_session_rowid) RETURNING id",
        project,
        trace,
        session_rowid,
        NOW,
    )
    await connection.execute(
        "INSERT INTO spans (trace_rowid, project_rowid, span_id, name, span_kind, start_time, "
        "end_time, attributes) VALUES ($1, $2, $3, 'step', $4, $5, $6, $7::jsonb)",
        trace_rowid,
        project,
        span,
        kind,
        NOW,
        NOW + timedelta(seconds=1),
        orjson.dumps(attributes).decode(),
    )


async def test_each_rule_matches_what_its_filter_matches(
    engine: AsyncEngine, database_url: str
) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        project = await create_project(connection, "support-bot")
        other = await create_project(connection, "other")
        await _span(connection, project, "t1", "s1", "LLM", {"llm": {"model_name": "gpt-4o"}})
        await _span(connection, project, "t1", "s2", "CHAIN", {}, session="chat-1")
        await _span(connection, project, "t2", "s3", "LLM", {"llm": {"model_name": "claude"}})
        await _span(connection, other, "t9", "s9", "LLM", {"llm": {"model_name": "gpt-4o"}})
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
