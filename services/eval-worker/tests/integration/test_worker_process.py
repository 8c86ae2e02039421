"""The eval worker as the process an operator runs: killed in the middle of an evaluation, its job
is queued again once its lease runs out (as the dispatcher's releaser does) and scored exactly
once by the next worker."""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime, timedelta

import asyncpg
import orjson

from spyglass_core.settings import RedisSettings
from spyglass_db.evaluation_jobs import release_due_jobs
from spyglass_jobs import JobProducer, TaskName
from spyglass_launcher.ports import free_port
from tests.support.processes import (
    ServiceProcess,
    SpawnService,
    service_environment,
    wait_healthy,
)
from tests.support.trace_rows import create_project, create_span, engine_for

LEASE_SECONDS = 4
SLOW_CODE = """
def evaluate(output):
    total = 0
    for number in range(40_000_000):
        total += number
    return {"score": 1.0, "label": "slow", "metadata": {"total": total}}
"""


def _worker(spawn: SpawnService, name: str, database_url: str, redis_url: str) -> ServiceProcess:
    port = free_port()
    worker = spawn(
        name,
        ("spyglass_eval_worker",),
        service_environment(
            SPYGLASS_DB_URL=database_url,
            SPYGLASS_REDIS_URL=redis_url,
            SPYGLASS_EVAL_WORKER_HEALTH_PORT=str(port),
            SPYGLASS_EVALUATIONS_LEASE_SECONDS=str(LEASE_SECONDS),
        ),
    )
    wait_healthy(worker, f"http://127.0.0.1:{port}/healthz", timeout=60)
    return worker


async def _wait_for_state(connection: asyncpg.Connection, job: int, state: str) -> None:
    for _ in range(600):
        current = await connection.fetchval("SELECT state FROM evaluation_jobs WHERE id = $1", job)
        if current == state:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"job {job} never became {state}")


async def test_a_worker_killed_mid_evaluation_leaves_its_job_to_the_next_one(
    database_url: str, redis_url: str, spawn_service: SpawnService
) -> None:
    connection = await asyncpg.connect(database_url)
    producer = JobProducer(RedisSettings(url=redis_url), "test")
    try:
        project = await create_project(connection, "killed")
        now = datetime.now(UTC)
        await create_span(
            connection, project, "t1", "s1", "LLM", now, attributes={"output": {"value": "x"}}
        )
        evaluator = await connection.fetchval(
            "INSERT INTO evaluators (name, kind) VALUES ('slow', 'CODE') RETURNING id"
        )
        await connection.execute(
            "INSERT INTO evaluator_versions (evaluator_id, version, definition) "
            "VALUES ($1, 1, $2::jsonb)",
            evaluator,
            orjson.dumps({"kind": "CODE", "code": SLOW_CODE}).decode(),
        )
        rule = await connection.fetchval(
            "INSERT INTO evaluation_rules (project_id, name, annotation_name, evaluator_id, "
            "target, sampling_rate) VALUES ($1, 'slow', 'slow', $2, 'SPAN', 1) RETURNING id",
            project,
            evaluator,
        )
        job = await connection.fetchval(
            "INSERT INTO evaluation_jobs (rule_id, rule_version, project_id, target_kind, "
            "target_id, evaluator_version_id, state, due_at) SELECT $1, 1, $2, 'SPAN', 's1', "
            "v.id, 'QUEUED', $3 FROM evaluator_versions v WHERE v.evaluator_id = $4 RETURNING id",
            rule,
            project,
            now + timedelta(minutes=5),
            evaluator,
        )
        first = _worker(spawn_service, "eval-worker-1", database_url, redis_url)
        await producer.send(TaskName.EVALUATE, job_ids=[job])
        await _wait_for_state(connection, job, "RUNNING")

        first.stop(signal.SIGKILL)
        _worker(spawn_service, "eval-worker-2", database_url, redis_url)
        await asyncio.sleep(LEASE_SECONDS + 0.5)
        async with engine_for(database_url) as engine, engine.begin() as sql:
            released = await release_due_jobs(sql, datetime.now(UTC), 300)
        assert released == [job]
        await producer.send(TaskName.EVALUATE, job_ids=released)
        await _wait_for_state(connection, job, "SUCCEEDED")

        row = await connection.fetchrow(
            "SELECT attempts, reason FROM evaluation_jobs WHERE id = $1", job
        )
        assert row is not None and row["attempts"] == 2
        scores = await connection.fetch(
            "SELECT label, score FROM span_annotations WHERE name = 'slow'"
        )
        assert [(score["label"], score["score"]) for score in scores] == [("slow", 1.0)]
    finally:
        await producer.close()
        await connection.close()
