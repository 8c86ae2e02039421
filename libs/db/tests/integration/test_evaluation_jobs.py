"""The evaluation jobs ledger against real PostgreSQL: recorded once whatever is redelivered,
claimed by one worker, dropped when its rule changed, put back when its rule is paused, and
never left pending: jobs whose lease ran out come back to be queued."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from spyglass_db.evaluation_jobs import (
    ClaimedJob,
    NewJob,
    NotClaimed,
    claim_job,
    finish_job,
    record_jobs,
    release_due_jobs,
    retry_job,
    rule_job_counts,
)
from tests.support.trace_rows import engine_for

NOW = datetime.now(UTC)
LEASE = 60.0


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    async with engine_for(database_url) as engine:
        yield engine


async def _rule(engine: AsyncEngine, name: str = "correctness") -> tuple[int, int]:
    async with engine.begin() as connection:
        project = await connection.scalar(
            text("INSERT INTO projects (name) VALUES (:name) RETURNING id"), {"name": name}
        )
        evaluator = await connection.scalar(
            text("INSERT INTO evaluators (name, kind) VALUES (:name, 'BUILTIN') RETURNING id"),
            {"name": name},
        )
        rule = await connection.scalar(
            text(
                "INSERT INTO evaluation_rules (project_id, name, annotation_name, evaluator_id, "
                "target, sampling_rate) VALUES (:project, :name, :name, :evaluator, 'SPAN', 0.1) "
                "RETURNING id"
            ),
            {"project": project, "name": name, "evaluator": evaluator},
        )
    return int(project), int(rule)


def _job(project: int, rule: int, span: str, *, version: int = 1, state: str = "QUEUED") -> NewJob:
    return NewJob(
        target_kind="SPAN",
        target_id=span,
        state=state,
        due_at=NOW + timedelta(seconds=LEASE),
        project_id=project,
        rule_id=rule,
        rule_version=version,
    )


async def test_a_redelivered_decision_records_nothing_twice(engine: AsyncEngine) -> None:
    project, rule = await _rule(engine)
    jobs = [_job(project, rule, f"{index:016x}") for index in range(5)]

    async with engine.begin() as connection:
        first = await record_jobs(connection, jobs)
    async with engine.begin() as connection:
        again = await record_jobs(connection, [*jobs, _job(project, rule, "f" * 16)])

    assert len(first) == 5
    assert [job.state for job in again] == ["QUEUED"]
    async with engine.connect() as connection:
        counts = await rule_job_counts(connection, [rule])
    assert counts[rule].by_state == {"QUEUED": 6}
    assert counts[rule].oldest_queued_at is not None


async def test_one_worker_claims_a_job_and_its_result_counts_once(engine: AsyncEngine) -> None:
    project, rule = await _rule(engine)
    async with engine.begin() as connection:
        [job] = await record_jobs(connection, [_job(project, rule, "a" * 16)])

    async def claim() -> ClaimedJob | NotClaimed:
        async with engine.begin() as connection:
            return await claim_job(connection, job.id, NOW, LEASE)

    outcomes = await asyncio.gather(*(claim() for _ in range(4)))

    claimed = [outcome for outcome in outcomes if isinstance(outcome, ClaimedJob)]
    assert len(claimed) == 1
    assert claimed[0].attempts == 1 and claimed[0].target_id == "a" * 16
    assert all(o.state == "RUNNING" for o in outcomes if isinstance(o, NotClaimed))
    async with engine.begin() as connection:
        assert await finish_job(connection, job.id, "SUCCEEDED", tokens=12, cost=0.001)
        assert not await finish_job(connection, job.id, "FAILED", "late")
        row = (
            await connection.execute(
                text("SELECT state, reason, tokens FROM evaluation_jobs WHERE id = :id"),
                {"id": job.id},
            )
        ).one()
    assert (row.state, row.reason, row.tokens) == ("SUCCEEDED", None, 12)


async def test_a_job_of_a_changed_rule_is_dropped_with_the_reason(engine: AsyncEngine) -> None:
    project, rule = await _rule(engine)
    async with engine.begin() as connection:
        [job] = await record_jobs(connection, [_job(project, rule, "b" * 16)])
        await connection.execute(
            text("UPDATE evaluation_rules SET version = 2 WHERE id = :id"), {"id": rule}
        )
    async with engine.begin() as connection:
        outcome = await claim_job(connection, job.id, NOW, LEASE)

    assert isinstance(outcome, NotClaimed)
    assert outcome.state == "DROPPED"
    assert outcome.reason == "its rule changed (version 1 to 2) before it ran"


async def test_a_job_of_a_paused_rule_waits_for_its_resume(engine: AsyncEngine) -> None:
    project, rule = await _rule(engine)
    async with engine.begin() as connection:
        [job] = await record_jobs(connection, [_job(project, rule, "c" * 16)])
        await connection.execute(
            text(
                "UPDATE evaluation_rules SET status = 'PAUSED', "
                "status_reason = 'credential rejected by OPENAI' WHERE id = :id"
            ),
            {"id": rule},
        )
    async with engine.begin() as connection:
        outcome = await claim_job(connection, job.id, NOW, LEASE)

    assert outcome == NotClaimed("PENDING", "its rule is paused: credential rejected by OPENAI")


async def test_lost_jobs_come_back_and_nothing_stays_pending(engine: AsyncEngine) -> None:
    project, rule = await _rule(engine)
    async with engine.begin() as connection:
        running, retrying, waiting, queued = await record_jobs(
            connection,
            [
                _job(project, rule, "1" * 16),
                _job(project, rule, "2" * 16),
                _job(project, rule, "3" * 16, state="PENDING"),
                _job(project, rule, "4" * 16),
            ],
        )
        assert isinstance(await claim_job(connection, running.id, NOW, LEASE), ClaimedJob)
        assert isinstance(await claim_job(connection, retrying.id, NOW, LEASE), ClaimedJob)
        assert await retry_job(
            connection, retrying.id, "openai answered 500", NOW + timedelta(seconds=5)
        )

    async with engine.begin() as connection:
        soon = await release_due_jobs(connection, NOW + timedelta(seconds=10), LEASE)
    async with engine.begin() as connection:
        later = await release_due_jobs(connection, NOW + timedelta(seconds=LEASE + 1), LEASE)

    assert soon == [retrying.id]
    # The worker holding `running` died, `queued`'s task was lost, `waiting` is due.
    assert later == sorted([running.id, waiting.id, queued.id])
    async with engine.connect() as connection:
        reasons = dict(
            (
                await connection.execute(
                    text("SELECT id, reason FROM evaluation_jobs WHERE rule_id = :rule"),
                    {"rule": rule},
                )
            ).all()
        )
    assert reasons[running.id] == "queued again: its worker did not finish it in time"
    assert reasons[queued.id] == "queued again: its task was not picked up in time"
    assert reasons[retrying.id] == "openai answered 500"
