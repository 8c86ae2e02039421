"""Online evaluation decisions against real PostgreSQL: what a rule matches and samples becomes
jobs (queued, waiting or shed) exactly once, counted per minute, whatever is redelivered."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from spyglass_db.evaluation_rules import active_rules, is_sampled
from spyglass_eval_worker.dispatch import CompiledRules, Decisions, decide
from tests.support.trace_rows import create_project, create_span, engine_for

NOW = datetime.now(UTC).replace(microsecond=0)
LEASE = 60.0


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    async with engine_for(database_url) as engine:
        yield engine


@pytest.fixture
async def connection(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(database_url)
    yield connection
    await connection.close()


async def _rule(
    connection: asyncpg.Connection,
    project: int,
    name: str,
    *,
    target: str = "SPAN",
    filter: str = "",
    rate: float = 1.0,
    quiet: float = 0.0,
    max_tokens: int | None = None,
) -> int:
    evaluator = await connection.fetchval(
        "INSERT INTO evaluators (name, kind) VALUES ($1, 'BUILTIN') "
        "ON CONFLICT (name) DO UPDATE SET kind = 'BUILTIN' RETURNING id",
        "exact-match",
    )
    await connection.execute(
        "INSERT INTO evaluator_versions (evaluator_id, version, definition) "
        "VALUES ($1, 1, '{}') ON CONFLICT DO NOTHING",
        evaluator,
    )
    rule_id: int = await connection.fetchval(
        "INSERT INTO evaluation_rules (project_id, name, annotation_name, evaluator_id, "
        "target, filter, sampling_rate, quiet_seconds, max_tokens_per_day) "
        "VALUES ($1, $2, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        project,
        name,
        evaluator,
        target,
        filter,
        rate,
        quiet,
        max_tokens,
    )
    return rule_id


async def _decide(
    engine: AsyncEngine, spans: list[tuple[str, str]], *, count: bool = True
) -> Decisions:
    async with engine.begin() as sql:
        rules = await active_rules(sql, ["bot"])
        return await decide(sql, rules, CompiledRules(), spans, NOW, LEASE, count=count)


async def _jobs(engine: AsyncEngine) -> list[tuple[str, str, str, str | None]]:
    async with engine.connect() as sql:
        rows = await sql.execute(
            text(
                "SELECT r.name, j.target_id, j.state, j.reason FROM evaluation_jobs AS j "
                "JOIN evaluation_rules AS r ON r.id = j.rule_id ORDER BY r.name, j.target_id"
            )
        )
        return [(row[0], row[1], row[2], row[3]) for row in rows]


async def test_matched_spans_become_jobs_once(
    engine: AsyncEngine, connection: asyncpg.Connection
) -> None:
    project = await create_project(connection, "bot")
    await create_span(connection, project, "t1", "s1", "LLM", NOW)
    await create_span(connection, project, "t1", "s2", "CHAIN", NOW, session="chat-1")
    await create_span(connection, project, "t2", "s3", "LLM", NOW)
    await _rule(connection, project, "llm-spans", filter="span_kind == 'LLM'")
    await _rule(connection, project, "traces", target="TRACE", quiet=30)
    await _rule(connection, project, "sessions", target="SESSION")
    keys = [("t1", "s1"), ("t1", "s2"), ("t2", "s3")]

    first = await _decide(engine, keys)
    again = await _decide(engine, keys, count=False)

    assert len(first.queued) == 3  # two LLM spans, one session (no quiet time)
    assert first.pending == 2  # two traces waiting to be quiet
    assert again.queued == [] and again.pending == 0
    assert await _jobs(engine) == [
        ("llm-spans", "s1", "QUEUED", None),
        ("llm-spans", "s3", "QUEUED", None),
        ("sessions", "chat-1", "QUEUED", None),
        ("traces", "t1", "PENDING", "waiting for the trace to be quiet for 30 s"),
        ("traces", "t2", "PENDING", "waiting for the trace to be quiet for 30 s"),
    ]
    async with engine.connect() as sql:
        counts = (
            await sql.execute(
                text(
                    "SELECT r.name, c.matched, c.sampled_out FROM evaluation_rule_counts AS c "
                    "JOIN evaluation_rules AS r ON r.id = c.rule_id ORDER BY r.name"
                )
            )
        ).all()
    # The redelivery (count=False) added nothing; both spans of t1 are in session chat-1 (one
    # job for it), t2's span has no session: a session rule never matches it.
    assert [tuple(row) for row in counts] == [
        ("llm-spans", 2, 0),
        ("sessions", 2, 0),
        ("traces", 3, 0),
    ]


async def test_a_new_span_pushes_back_a_waiting_trace(
    engine: AsyncEngine, connection: asyncpg.Connection
) -> None:
    project = await create_project(connection, "bot")
    await create_span(connection, project, "t1", "s1", "LLM", NOW)
    await _rule(connection, project, "traces", target="TRACE", quiet=30)
    await _decide(engine, [("t1", "s1")])
    await create_span(connection, project, "t1", "s2", "LLM", NOW)

    async with engine.begin() as sql:
        rules = await active_rules(sql, ["bot"])
        later = NOW + timedelta(seconds=20)
        await decide(sql, rules, CompiledRules(), [("t1", "s2")], later, LEASE)
        due = await sql.scalar(text("SELECT due_at FROM evaluation_jobs"))

    assert due == later + timedelta(seconds=30)


async def test_sampling_is_by_trace_and_a_capped_rule_sheds(
    engine: AsyncEngine, connection: asyncpg.Connection
) -> None:
    project = await create_project(connection, "bot")
    traces = [f"{index:032x}" for index in range(200)]
    for trace in traces:
        await create_span(connection, project, trace, f"{trace[-16:]}", "LLM", NOW)
    sampled = await _rule(connection, project, "tenth", rate=0.1)
    capped = await _rule(connection, project, "capped", max_tokens=1000)
    await connection.execute(
        "INSERT INTO evaluation_rule_spend (rule_id, day, tokens) VALUES ($1, $2, 1500)",
        capped,
        NOW.date(),
    )

    decisions = await _decide(engine, [(trace, trace[-16:]) for trace in traces])

    expected = sum(1 for trace in traces if is_sampled(trace, 0.1))
    assert len(decisions.queued) == expected
    assert decisions.sampled_out[sampled] == 200 - expected
    assert decisions.shed[capped] == 200
    shed = [job for job in await _jobs(engine) if job[0] == "capped"]
    assert {job[2] for job in shed} == {"SHED"}
    assert shed[0][3] == "over the rule's daily cap of 1000 tokens (1500 spent)"


async def test_a_span_rule_samples_before_it_matches(
    engine: AsyncEngine, connection: asyncpg.Connection
) -> None:
    project = await create_project(connection, "bot")
    traces = [f"{index:032x}" for index in range(100)]
    for index, trace in enumerate(traces):
        kind = "LLM" if index % 2 else "CHAIN"
        await create_span(connection, project, trace, trace[-16:], kind, NOW)
    rule = await _rule(connection, project, "llm", filter="span_kind == 'LLM'", rate=0.3)
    await _rule(connection, project, "tools", filter="span_kind == 'TOOL'", rate=0.3)

    decisions = await _decide(engine, [(trace, trace[-16:]) for trace in traces])

    sampled = [index for index, trace in enumerate(traces) if is_sampled(trace, 0.3)]
    # Every span the draw skips is sampled out, whatever its kind; of those sampled, only the
    # LLM spans match and are queued.
    assert decisions.sampled_out[rule] == 100 - len(sampled)
    assert decisions.matched[rule] == len([index for index in sampled if index % 2])
    assert len(decisions.queued) == decisions.matched[rule]
    # A rule that matched nothing still counts what it sampled out.
    counts = await connection.fetch(
        "SELECT r.name, c.matched, c.sampled_out FROM evaluation_rule_counts AS c "
        "JOIN evaluation_rules AS r ON r.id = c.rule_id ORDER BY r.name"
    )
    assert [tuple(row) for row in counts] == [
        ("llm", decisions.matched[rule], 100 - len(sampled)),
        ("tools", 0, 100 - len(sampled)),
    ]


async def test_a_possible_repeat_counts_the_spans_it_decides_first(
    engine: AsyncEngine, connection: asyncpg.Connection
) -> None:
    project = await create_project(connection, "bot")
    await create_span(connection, project, "t1", "s1", "LLM", NOW)
    await create_span(connection, project, "t2", "s2", "LLM", NOW)
    await _rule(connection, project, "llm-spans", filter="span_kind == 'LLM'")

    # Delivered again (the writer or the dispatcher retried), but nothing decided it before:
    # its span jobs are new, so its spans are counted; a third delivery counts nothing more.
    await _decide(engine, [("t1", "s1"), ("t2", "s2")], count=False)
    await _decide(engine, [("t1", "s1"), ("t2", "s2")], count=False)

    async with engine.connect() as sql:
        matched = await sql.scalar(text("SELECT sum(matched) FROM evaluation_rule_counts"))
    assert matched == 2
