"""Evaluation jobs run against real PostgreSQL, Redis, the sandbox and the fake provider (through
the OpenAI SDK): each job's score lands as an annotation exactly once, and each failure has its
reason on the job (retrying, failed, or its rule paused)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import orjson
import pytest
from sqlalchemy import text

from spyglass_core.settings import DbSettings, RedisSettings
from spyglass_db.evaluation_jobs import release_due_jobs
from spyglass_db.experiment_runs import CREATE_RUN
from spyglass_eval_worker.evaluate import evaluate_jobs
from spyglass_eval_worker.resources import WorkerResources
from spyglass_eval_worker.settings import EvaluationSettings
from spyglass_llm.credentials import CredentialResolver
from spyglass_llm.secrets import SecretsSettings
from tests.support.fake_provider_fixtures import FakeProviderServer
from tests.support.trace_rows import create_project, create_span

NOW = datetime.now(UTC).replace(microsecond=0)
JUDGE = {
    "kind": "LLM",
    "judge": "correctness",
    "provider": "OPENAI",
    "model": "gpt-4o-mini",
}
REGEX = {"kind": "BUILTIN", "evaluator": "regex", "config": {"pattern": r"order #\d+"}}


@pytest.fixture
async def connection(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(database_url)
    yield connection
    await connection.close()


@pytest.fixture
async def resources(
    database_url: str, redis_url: str, fake_provider: FakeProviderServer
) -> AsyncIterator[WorkerResources]:
    settings = EvaluationSettings(max_attempts=3, failures_to_pause=3, call_timeout_seconds=1)
    opened = WorkerResources.open(
        settings, DbSettings(url=database_url), RedisSettings(url=redis_url), SecretsSettings()
    )
    # The provider's key and base URL as a deployment sets them: in the environment.
    opened.credentials = CredentialResolver(
        None,
        None,
        environ={"OPENAI_API_KEY": "judge-key", "OPENAI_BASE_URL": fake_provider.openai_base_url},
    )
    try:
        yield opened
    finally:
        await opened.close()


async def _evaluator(connection: asyncpg.Connection, name: str, definition: dict[str, Any]) -> int:
    evaluator_id: int = await connection.fetchval(
        "INSERT INTO evaluators (name, kind) VALUES ($1, $2) RETURNING id",
        name,
        definition["kind"],
    )
    await connection.execute(
        "INSERT INTO evaluator_versions (evaluator_id, version, definition) "
        "VALUES ($1, 1, $2::jsonb)",
        evaluator_id,
        orjson.dumps(definition).decode(),
    )
    return evaluator_id


async def _rule(
    connection: asyncpg.Connection, project: int, name: str, evaluator: int, **mapping: str
) -> int:
    rule_id: int = await connection.fetchval(
        "INSERT INTO evaluation_rules (project_id, name, annotation_name, evaluator_id, target, "
        "sampling_rate, input_mapping) VALUES ($1, $2, $2, $3, 'SPAN', 1, $4::jsonb) "
        "RETURNING id",
        project,
        name,
        evaluator,
        orjson.dumps(mapping).decode(),
    )
    return rule_id


async def _job(connection: asyncpg.Connection, rule: int, project: int, span: str) -> int:
    job_id: int = await connection.fetchval(
        "INSERT INTO evaluation_jobs (rule_id, rule_version, project_id, target_kind, target_id, "
        "evaluator_version_id, state, due_at) SELECT r.id, r.version, $2, 'SPAN', $3, "
        "(SELECT v.id FROM evaluator_versions v WHERE v.evaluator_id = r.evaluator_id), "
        "'QUEUED', $4 FROM evaluation_rules r WHERE r.id = $1 RETURNING id",
        rule,
        project,
        span,
        NOW + timedelta(minutes=5),
    )
    return job_id


async def _state(connection: asyncpg.Connection, job: int) -> tuple[str, str | None]:
    row = await connection.fetchrow("SELECT state, reason FROM evaluation_jobs WHERE id = $1", job)
    assert row is not None
    return row["state"], row["reason"]


async def _annotations(connection: asyncpg.Connection, name: str) -> list[asyncpg.Record]:
    return list(
        await connection.fetch(
            "SELECT s.span_id, a.label, a.score, a.explanation, a.identifier, a.annotator_kind, "
            "a.metadata FROM span_annotations a JOIN spans s ON s.id = a.span_rowid "
            "WHERE a.name = $1 ORDER BY s.span_id",
            name,
        )
    )


def _span(output: str, question: str = "Where is my order?") -> dict[str, Any]:
    return {"input": {"value": question}, "output": {"value": output}}


async def test_a_built_in_scores_each_span_once_and_code_failures_stay_their_own(
    connection: asyncpg.Connection, resources: WorkerResources
) -> None:
    project = await create_project(connection, "shop")
    await create_span(connection, project, "t1", "s1", "LLM", NOW, attributes=_span("order #12"))
    await create_span(connection, project, "t2", "s2", "LLM", NOW, attributes=_span("no idea"))
    regex = await _rule(
        connection, project, "mentions-order", await _evaluator(connection, "r", REGEX)
    )
    broken = await _rule(
        connection,
        project,
        "divides",
        await _evaluator(
            connection, "c", {"kind": "CODE", "code": "def evaluate(output):\n    return 1 / 0\n"}
        ),
    )
    jobs = [
        await _job(connection, regex, project, "s1"),
        await _job(connection, regex, project, "s2"),
        await _job(connection, broken, project, "s1"),
    ]

    counts = await evaluate_jobs(resources, jobs)
    again = await evaluate_jobs(resources, jobs)  # a redelivered task

    assert counts == {"SUCCEEDED": 2, "FAILED": 1}
    assert again == {}
    scores = await _annotations(connection, "mentions-order")
    assert [(row["span_id"], row["label"], row["score"]) for row in scores] == [
        ("s1", "true", 1.0),
        ("s2", "false", 0.0),
    ]
    assert scores[0]["identifier"] == f"rule-{regex}"
    assert scores[0]["annotator_kind"] == "CODE"
    assert orjson.loads(scores[0]["metadata"])["evaluator"] == {"name": "r", "version": 1}
    state, reason = await _state(connection, jobs[2])
    assert state == "FAILED"
    assert reason is not None and "ZeroDivisionError" in reason and "line 2" in reason
    assert await _annotations(connection, "divides") == []


async def test_a_judge_scores_through_the_provider_and_records_its_spend(
    connection: asyncpg.Connection, resources: WorkerResources, fake_provider: FakeProviderServer
) -> None:
    fake_provider.control(
        call_tools=True,
        tool_arguments={"explanation": "Sydney is not the capital.", "label": "incorrect"},
    )
    project = await create_project(connection, "geo")
    await create_span(
        connection,
        project,
        "t1",
        "s1",
        "LLM",
        NOW,
        attributes=_span("Sydney.", "What is the capital of Australia?"),
    )
    rule = await _rule(connection, project, "correctness", await _evaluator(connection, "j", JUDGE))
    job = await _job(connection, rule, project, "s1")

    assert await evaluate_jobs(resources, [job]) == {"SUCCEEDED": 1}

    [score] = await _annotations(connection, "correctness")
    assert (score["label"], score["score"]) == ("incorrect", 0.0)
    assert score["explanation"] == "Sydney is not the capital."
    assert score["annotator_kind"] == "LLM"
    sent = fake_provider.calls()["last_requests"][0]["body"]
    assert "What is the capital of Australia?" in orjson.dumps(sent["messages"]).decode()
    tokens = await connection.fetchval("SELECT tokens FROM evaluation_jobs WHERE id = $1", job)
    spent = await connection.fetchval(
        "SELECT tokens FROM evaluation_rule_spend WHERE rule_id = $1", rule
    )
    assert tokens is not None and tokens > 0 and spent == tokens


async def test_429s_retry_the_job_later_and_it_then_scores_once(
    connection: asyncpg.Connection,
    resources: WorkerResources,
    fake_provider: FakeProviderServer,
    database_url: str,
) -> None:
    fake_provider.control(rate_limit_fraction=1.0, retry_after=0.1)
    project = await create_project(connection, "busy")
    await create_span(connection, project, "t1", "s1", "LLM", NOW, attributes=_span("Canberra."))
    rule = await _rule(connection, project, "busy-judge", await _evaluator(connection, "b", JUDGE))
    job = await _job(connection, rule, project, "s1")

    assert await evaluate_jobs(resources, [job]) == {"RETRYING": 1}
    state, reason = await _state(connection, job)
    assert state == "RETRYING" and reason is not None and reason.startswith("rate limited")

    fake_provider.control(
        rate_limit_fraction=0.0,
        call_tools=True,
        tool_arguments={"explanation": "Right.", "label": "correct"},
    )
    async with resources.engine.begin() as sql:
        released = await release_due_jobs(sql, datetime.now(UTC) + timedelta(seconds=1), 60)
    assert job in released
    assert await evaluate_jobs(resources, [job]) == {"SUCCEEDED": 1}
    assert [row["label"] for row in await _annotations(connection, "busy-judge")] == ["correct"]


async def test_a_rejected_credential_pauses_the_rule_with_its_reason(
    connection: asyncpg.Connection, resources: WorkerResources, fake_provider: FakeProviderServer
) -> None:
    fake_provider.control(rejected_keys=["judge-key"])
    project = await create_project(connection, "locked")
    await create_span(connection, project, "t1", "s1", "LLM", NOW, attributes=_span("Canberra."))
    await create_span(connection, project, "t2", "s2", "LLM", NOW, attributes=_span("Canberra."))
    rule = await _rule(
        connection, project, "locked-judge", await _evaluator(connection, "l", JUDGE)
    )
    first = await _job(connection, rule, project, "s1")
    second = await _job(connection, rule, project, "s2")

    assert await evaluate_jobs(resources, [first]) == {"PARKED": 1}
    assert await evaluate_jobs(resources, [second]) == {}  # the paused rule's job is parked

    status, why = await connection.fetchrow(
        "SELECT status, status_reason FROM evaluation_rules WHERE id = $1", rule
    )
    assert status == "PAUSED" and "credential rejected by OPENAI" in why
    for job in (first, second):
        state, reason = await _state(connection, job)
        assert state == "PENDING"
        assert reason is not None and reason.startswith("its rule is paused: credential rejected")
    assert fake_provider.calls()["calls"] == 1


async def test_a_rule_whose_requester_lost_the_right_pauses_saying_why(
    connection: asyncpg.Connection, resources: WorkerResources
) -> None:
    project = await create_project(connection, "requested")
    await create_span(connection, project, "t1", "s1", "LLM", NOW, attributes=_span("order #1"))
    viewer = await connection.fetchval(
        "INSERT INTO users (email, username, role) VALUES ('v@example.com', 'vic', 'VIEWER') "
        "RETURNING id"
    )
    demoted = await _rule(connection, project, "demoted", await _evaluator(connection, "d", REGEX))
    deleted = await _rule(connection, project, "deleted", await _evaluator(connection, "e", REGEX))
    await connection.execute(
        "UPDATE evaluation_rules SET requested_by = $1 WHERE id = $2", viewer, demoted
    )
    await connection.execute(
        "UPDATE evaluation_rules SET requested_by = 9999 WHERE id = $1", deleted
    )
    jobs = [await _job(connection, rule, project, "s1") for rule in (demoted, deleted)]

    assert await evaluate_jobs(resources, jobs) == {"PARKED": 2}

    reasons = dict(
        await connection.fetch(
            "SELECT name, status_reason FROM evaluation_rules WHERE status = 'PAUSED'"
        )
    )
    assert reasons == {
        "demoted": "the user who asked for it (vic) may no longer: "
        "Viewers cannot perform this action",
        "deleted": "the user who asked for it (User:9999) no longer exists",
    }
    assert await _annotations(connection, "demoted") == []


async def test_a_missing_span_fails_its_job_with_the_reason(
    connection: asyncpg.Connection, resources: WorkerResources
) -> None:
    project = await create_project(connection, "gone")
    rule = await _rule(connection, project, "gone-rule", await _evaluator(connection, "g", REGEX))
    job = await _job(connection, rule, project, "never-stored")

    assert await evaluate_jobs(resources, [job]) == {"FAILED": 1}
    assert (await _state(connection, job))[1] == (
        "the span is no longer stored (deleted, or past its project's retention)"
    )


async def test_a_dataset_evaluator_scores_each_successful_run_written(
    connection: asyncpg.Connection, resources: WorkerResources
) -> None:
    dataset = await connection.fetchval("INSERT INTO datasets (name) VALUES ('qa') RETURNING id")
    version = await connection.fetchval(
        "INSERT INTO dataset_versions (dataset_id) VALUES ($1) RETURNING id", dataset
    )
    example = await connection.fetchval(
        "INSERT INTO dataset_examples (dataset_id, external_id) VALUES ($1, 'e1') RETURNING id",
        dataset,
    )
    revision = await connection.fetchval(
        "INSERT INTO dataset_example_revisions (dataset_example_id, dataset_version_id, input, "
        'output, revision_kind) VALUES ($1, $2, \'{"q": "2+2"}\', \'{"answer": "4"}\', '
        "'CREATE') RETURNING id",
        example,
        version,
    )
    experiment = await connection.fetchval(
        "INSERT INTO experiments (dataset_id, dataset_version_id, name, repetitions, "
        "project_name) VALUES ($1, $2, 'x', 2, 'Experiment-qa') RETURNING id",
        dataset,
        version,
    )
    await connection.execute(
        "INSERT INTO experiments_dataset_examples VALUES ($1, $2, $3)",
        experiment,
        example,
        revision,
    )
    exact = await _evaluator(connection, "exact", {"kind": "BUILTIN", "evaluator": "exact_match"})
    await connection.execute(
        "INSERT INTO dataset_evaluators (dataset_id, evaluator_id, name, input_mapping) "
        "VALUES ($1, $2, 'matches', '{\"expected\": \"expected.answer\"}')",
        dataset,
        exact,
    )

    async def write_run(repetition: int, output: Any, error: str | None) -> int:
        async with resources.engine.begin() as sql:
            run_id: int = (
                await sql.execute(
                    CREATE_RUN,
                    {
                        "experiment_id": experiment,
                        "example_id": example,
                        "repetition_number": repetition,
                        "trace_id": None,
                        "output": {"task_output": output},
                        "start_time": NOW,
                        "end_time": NOW,
                        "error": error,
                        "prompt_token_count": None,
                        "completion_token_count": None,
                    },
                )
            ).scalar_one()
        return run_id

    good = await write_run(1, "4", None)
    await write_run(2, None, "the task raised")  # a failed run gets no score

    async with resources.engine.begin() as sql:
        queued = await release_due_jobs(sql, datetime.now(UTC) + timedelta(seconds=1), 60)
        targets = (
            await sql.execute(
                text("SELECT target_id FROM evaluation_jobs WHERE id = ANY(:ids)"),
                {"ids": queued},
            )
        ).scalars()
        assert list(targets) == [str(good)]
    assert await evaluate_jobs(resources, queued) == {"SUCCEEDED": 1}
    rows = await connection.fetch(
        "SELECT experiment_run_id, name, label, score, error FROM experiment_run_annotations"
        " WHERE name = 'matches'"
    )
    assert [tuple(row) for row in rows] == [(good, "matches", "true", 1.0, None)]


async def test_a_hanging_provider_retries_then_pauses_the_rule_with_the_reason(
    connection: asyncpg.Connection, resources: WorkerResources, fake_provider: FakeProviderServer
) -> None:
    fake_provider.control(hang=True)
    project = await create_project(connection, "stuck")
    for span in ("s1", "s2", "s3", "s4"):
        await create_span(connection, project, f"t-{span}", span, "LLM", NOW, attributes=_span("x"))
    rule = await _rule(connection, project, "stuck-judge", await _evaluator(connection, "h", JUDGE))
    first = await _job(connection, rule, project, "s1")

    assert await evaluate_jobs(resources, [first]) == {"RETRYING": 1}
    state, reason = await _state(connection, first)
    assert state == "RETRYING" and reason is not None and "OPENAI" in reason

    rest = [await _job(connection, rule, project, span) for span in ("s2", "s3")]
    counts = await evaluate_jobs(resources, rest)

    # The third call failing in a row pauses the rule; its job is parked for the resume.
    assert counts == {"RETRYING": 1, "PARKED": 1}
    status, why = await connection.fetchrow(
        "SELECT status, status_reason FROM evaluation_rules WHERE id = $1", rule
    )
    assert status == "PAUSED" and why.startswith("3 judge calls failed in a row; the last:")
    later = await _job(connection, rule, project, "s4")
    assert await evaluate_jobs(resources, [later]) == {}
    assert (await _state(connection, later))[0] == "PENDING"
