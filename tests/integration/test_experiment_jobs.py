"""Server-side experiments end to end: the query API queues a job, experiment runners call the
(fake) provider through the real OpenAI SDK, write one run per (example, repetition) and trace
each call through the ingest plane; crashes, 429s, failures and a rejected key don't break that.
"""

from __future__ import annotations

import asyncio
import base64
import os
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from spyglass_core.settings import DbSettings
from spyglass_db import auth as auth_store
from spyglass_db import create_engine
from spyglass_launcher.ports import free_port
from spyglass_llm.secrets import SecretBox, upsert_or_delete_secrets
from tests.support.auth_callers import user_key
from tests.support.database import fetch
from tests.support.fake_provider_fixtures import FakeProviderServer
from tests.support.ingest import StartIngest
from tests.support.processes import (
    ServiceProcess,
    SpawnService,
    service_environment,
    wait_healthy,
)
from tests.support.stack import Stack
from tests.support.waiting import assert_eventually

# Each test starts the query API, the ingest plane and one or two runners: minutes on a busy
# machine, so more than the suite's default deadline.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

SECRETS_KEY = "a-test-key-that-is-long-enough-for-fernet-0123456789"
AUTH_SECRET = "an-auth-secret-long-enough-for-the-rules-0123456789"
PROMPT = {
    "model_provider": "OPENAI",
    "model_name": "gpt-4o-mini",
    "template": {
        "type": "chat",
        "messages": [
            {"role": "system", "content": "Answer briefly."},
            {"role": "user", "content": "Question {{ question }}"},
        ],
    },
    "template_format": "MUSTACHE",
    "invocation_parameters": {"type": "openai", "openai": {"temperature": 0.0}},
}


@dataclass
class JobsPlatform:
    """The query API, the ingest plane and any number of experiment runners on one database."""

    api: str
    database_url: str
    start_runner_with: Callable[..., ServiceProcess]
    runners: list[ServiceProcess] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    """Sent with every request (a bearer key when auth is on)."""

    def start_runner(self, **settings: str) -> ServiceProcess:
        runner = self.start_runner_with(**settings)
        self.runners.append(runner)
        return runner

    def create_dataset(self, name: str, examples: int) -> str:
        response = httpx.post(
            f"{self.api}/v1/datasets/upload?sync=true",
            json={
                "action": "create",
                "name": name,
                "inputs": [{"question": f"number {index}"} for index in range(examples)],
                "outputs": [{"answer": str(index)} for index in range(examples)],
            },
            headers=self.headers,
            timeout=60,
        )
        assert response.status_code == 200, response.text
        dataset_id: str = response.json()["data"]["dataset_id"]
        return dataset_id

    def start_job(self, dataset_id: str, **fields: Any) -> dict[str, Any]:
        response = httpx.post(
            f"{self.api}/v1/experiment_jobs",
            json={"dataset_id": dataset_id, "prompt": PROMPT, **fields},
            headers=self.headers,
            timeout=30,
        )
        assert response.status_code == 202, response.text
        job: dict[str, Any] = response.json()["data"]
        return job

    def job(self, job_id: str) -> dict[str, Any]:
        response = httpx.get(
            f"{self.api}/v1/experiment_jobs/{job_id}", headers=self.headers, timeout=30
        )
        assert response.status_code == 200, response.text
        job: dict[str, Any] = response.json()["data"]
        return job

    def wait_for_status(self, job_id: str, status: str, timeout: float = 120) -> dict[str, Any]:
        seen: list[dict[str, Any]] = []

        def reached() -> None:
            seen.append(self.job(job_id))
            assert seen[-1]["status"] == status, seen[-1]

        assert_eventually(reached, timeout=timeout)
        return seen[-1]


@pytest.fixture
def jobs_platform(
    request: pytest.FixtureRequest,
    spawn_service: SpawnService,
    start_ingest: StartIngest,
    stack: Stack,
    database_url: str,
    redis_url: str,
    nats_namespace: str,
    fake_provider: FakeProviderServer,
) -> Iterator[JobsPlatform]:
    ingest = start_ingest(writer=True)
    common = {
        "SPYGLASS_DB_URL": database_url,
        "SPYGLASS_REDIS_URL": redis_url,
        "SPYGLASS_SECRETS_KEY": SECRETS_KEY,
        "OPENAI_API_KEY": "sk-good",
        "OPENAI_BASE_URL": fake_provider.openai_base_url,
    }
    if getattr(request, "param", {}).get("auth"):
        common.update(SPYGLASS_ENABLE_AUTH="true", SPYGLASS_SECRET=AUTH_SECRET)
    api_port = free_port()
    api = spawn_service(
        "query-api",
        ("spyglass_query_api",),
        service_environment(
            **common,
            SPYGLASS_NATS_URL=stack.nats_url,
            SPYGLASS_NATS_NAMESPACE=nats_namespace,
            SPYGLASS_QUERY_API_PORT=str(api_port),
        ),
    )
    base_url = f"http://127.0.0.1:{api_port}"
    wait_healthy(api, f"{base_url}/healthz", timeout=120)
    count = iter(range(1, 100))

    def start_runner_with(**settings: str) -> ServiceProcess:
        port = free_port()
        runner = spawn_service(
            f"experiment-runner-{next(count)}",
            ("spyglass_experiment_runner",),
            service_environment(
                **common,
                SPYGLASS_EXPERIMENT_RUNNER_HEALTH_PORT=str(port),
                SPYGLASS_EXPERIMENTS_INGEST_URL=ingest.http_url,
                **settings,
            ),
        )
        wait_healthy(runner, f"http://127.0.0.1:{port}/healthz", timeout=120)
        return runner

    yield JobsPlatform(base_url, database_url, start_runner_with)


def _experiment_rowid(experiment_id: str) -> int:
    return int(base64.b64decode(experiment_id).decode().rsplit(":", 1)[1])


def _runs(database_url: str, experiment_id: str) -> list[dict[str, Any]]:
    rows = fetch(
        database_url,
        "SELECT dataset_example_id, repetition_number, output, error, trace_id, "
        "prompt_token_count, completion_token_count FROM experiment_runs "
        "WHERE experiment_id = $1 ORDER BY dataset_example_id, repetition_number",
        _experiment_rowid(experiment_id),
    )
    return [dict(row) for row in rows]


def test_a_prompt_runs_once_per_example_and_repetition_each_run_traced(
    jobs_platform: JobsPlatform, fake_provider: FakeProviderServer
) -> None:
    fake_provider.control(latency_ms=20)
    jobs_platform.start_runner()
    dataset = jobs_platform.create_dataset("questions", 15)
    job = jobs_platform.start_job(dataset, repetitions=2)
    assert job["status"] == "RUNNING"
    assert job["progress"]["total"] == 30

    done = jobs_platform.wait_for_status(job["id"], "COMPLETED")
    progress = done["progress"]
    assert (progress["succeeded"], progress["failed"], progress["done"]) == (30, 0, 30)
    assert progress["prompt_tokens"] > 0 and progress["completion_tokens"] > 0
    assert progress["cost_usd"] is not None and progress["cost_usd"] > 0

    runs = _runs(jobs_platform.database_url, job["experiment_id"])
    assert len(runs) == 30
    assert {run["repetition_number"] for run in runs} == {1, 2}
    assert all(run["error"] is None for run in runs)
    # The fake echoes the last user message: the template was filled in with each input.
    outputs = {run["output"] for run in runs}
    assert any("Question number 7" in output for output in outputs)
    assert fake_provider.calls()["by_model"]["gpt-4o-mini"] == {"200": 30}

    # Each run's trace arrives in the experiment's project as an LLM span.
    trace_ids = {run["trace_id"] for run in runs}

    def every_run_is_traced() -> None:
        rows = fetch(
            jobs_platform.database_url,
            "SELECT t.trace_id, s.span_kind, s.attributes->'llm'->>'model_name' AS model, "
            "p.name FROM spans s JOIN traces t ON t.id = s.trace_rowid "
            "JOIN projects p ON p.id = s.project_rowid WHERE t.trace_id = ANY($1::text[])",
            list(trace_ids),
        )
        assert {row["trace_id"] for row in rows} == trace_ids
        assert {row["span_kind"] for row in rows} == {"LLM"}
        assert {row["model"] for row in rows} == {"gpt-4o-mini"}
        assert len({row["name"] for row in rows}) == 1

    assert_eventually(every_run_is_traced, timeout=60)


def test_rate_limited_calls_are_retried_and_every_run_is_written_once(
    jobs_platform: JobsPlatform, fake_provider: FakeProviderServer
) -> None:
    fake_provider.control(latency_ms=10, rate_limit_fraction=0.1, retry_after=0.2)
    jobs_platform.start_runner()
    dataset = jobs_platform.create_dataset("limited", 60)
    job = jobs_platform.start_job(dataset)

    done = jobs_platform.wait_for_status(job["id"], "COMPLETED")
    assert (done["progress"]["succeeded"], done["progress"]["failed"]) == (60, 0)
    runs = _runs(jobs_platform.database_url, job["experiment_id"])
    assert len(runs) == 60 and all(run["error"] is None for run in runs)
    answers = fake_provider.calls()["by_model"]["gpt-4o-mini"]
    assert answers["200"] == 60
    assert answers["429"] >= 5


def test_a_killed_runner_loses_nothing_and_no_run_is_written_twice(
    jobs_platform: JobsPlatform, fake_provider: FakeProviderServer
) -> None:
    fake_provider.control(latency_ms=150)
    settings = {
        "SPYGLASS_EXPERIMENTS_VISIBILITY_TIMEOUT_SECONDS": "6",
        "SPYGLASS_EXPERIMENTS_RESTORE_INTERVAL_SECONDS": "1",
        "SPYGLASS_EXPERIMENTS_CHUNK_SIZE": "20",
        "SPYGLASS_EXPERIMENTS_CHUNK_SECONDS": "3",
        "SPYGLASS_EXPERIMENTS_CALLS_IN_FLIGHT": "4",
    }
    doomed = jobs_platform.start_runner(**settings)
    dataset = jobs_platform.create_dataset("crash", 80)
    job = jobs_platform.start_job(dataset)

    def some_runs_written() -> None:
        assert jobs_platform.job(job["id"])["progress"]["done"] >= 10

    assert_eventually(some_runs_written, timeout=60)
    os.kill(doomed.process.pid, signal.SIGKILL)
    doomed.process.wait(timeout=10)
    jobs_platform.start_runner(**settings)

    done = jobs_platform.wait_for_status(job["id"], "COMPLETED", timeout=180)
    assert (done["progress"]["succeeded"], done["progress"]["failed"]) == (80, 0)
    runs = _runs(jobs_platform.database_url, job["experiment_id"])
    assert len(runs) == 80
    assert len({(run["dataset_example_id"], run["repetition_number"]) for run in runs}) == 80


def test_a_rejected_key_pauses_the_job_and_a_new_key_resumes_it(
    jobs_platform: JobsPlatform, fake_provider: FakeProviderServer
) -> None:
    fake_provider.control(latency_ms=10, rejected_keys=["sk-good"])
    jobs_platform.start_runner()
    dataset = jobs_platform.create_dataset("rejected", 40)
    job = jobs_platform.start_job(dataset)

    paused = jobs_platform.wait_for_status(job["id"], "PAUSED")
    assert paused["status_reason"].startswith("credential rejected by OPENAI")
    assert paused["progress"]["done"] == 0  # nothing written as failed: a resume runs it all
    calls_when_paused = fake_provider.calls()["calls"]
    assert calls_when_paused <= 64  # the calls in flight at most, not one per example

    asyncio.run(_store_secret(jobs_platform.database_url, "OPENAI_API_KEY", "sk-new"))
    response = httpx.post(f"{jobs_platform.api}/v1/experiment_jobs/{job['id']}/resume", timeout=30)
    assert response.status_code == 200, response.text
    done = jobs_platform.wait_for_status(job["id"], "COMPLETED")
    assert (done["progress"]["succeeded"], done["progress"]["failed"]) == (40, 0)
    assert fake_provider.calls()["by_key"]["sk-new"] == {"200": 40}


def test_a_provider_that_hangs_times_out_and_failures_in_a_row_pause_the_job(
    jobs_platform: JobsPlatform, fake_provider: FakeProviderServer
) -> None:
    fake_provider.control(hang=True)
    jobs_platform.start_runner(
        SPYGLASS_EXPERIMENTS_CALL_TIMEOUT_SECONDS="0.5",
        SPYGLASS_EXPERIMENTS_MAX_ATTEMPTS="2",
        SPYGLASS_EXPERIMENTS_FAILURES_TO_PAUSE="3",
        SPYGLASS_EXPERIMENTS_CALLS_IN_FLIGHT="2",
    )
    dataset = jobs_platform.create_dataset("hanging", 50)
    job = jobs_platform.start_job(dataset)

    paused = jobs_platform.wait_for_status(job["id"], "PAUSED")
    assert "runs failed in a row" in paused["status_reason"]
    assert "did not answer in 0.5s" in paused["status_reason"]
    failed = paused["progress"]["failed"]
    assert 3 <= failed < 10  # the breaker stopped it, not the end of the dataset
    runs = _runs(jobs_platform.database_url, job["experiment_id"])
    assert all("did not answer" in run["error"] for run in runs)

    # The provider recovers: a resume reruns the failed runs and finishes the rest.
    fake_provider.control(hang=False)
    httpx.post(f"{jobs_platform.api}/v1/experiment_jobs/{job['id']}/resume", timeout=30)
    done = jobs_platform.wait_for_status(job["id"], "COMPLETED")
    assert (done["progress"]["succeeded"], done["progress"]["failed"]) == (50, 0)


def test_cancel_stops_the_calls_and_resume_finishes_the_rest(
    jobs_platform: JobsPlatform, fake_provider: FakeProviderServer
) -> None:
    fake_provider.control(latency_ms=200)
    jobs_platform.start_runner(SPYGLASS_EXPERIMENTS_CALLS_IN_FLIGHT="2")
    dataset = jobs_platform.create_dataset("cancelled", 100)
    job = jobs_platform.start_job(dataset)

    def some_runs_written() -> None:
        assert jobs_platform.job(job["id"])["progress"]["done"] >= 5

    assert_eventually(some_runs_written, timeout=60)
    response = httpx.post(f"{jobs_platform.api}/v1/experiment_jobs/{job['id']}/cancel", timeout=30)
    assert response.json()["data"]["status"] == "CANCELLED"

    def calls_stopped() -> None:
        # Nothing to wait for but time: no call may start in a window longer than the
        # runner's view of the job may be stale (a second).
        before = fake_provider.calls()["calls"]
        time.sleep(2.5)
        assert fake_provider.calls()["calls"] == before

    assert_eventually(calls_stopped, timeout=30)
    cancelled = jobs_platform.job(job["id"])
    assert cancelled["status"] == "CANCELLED"
    assert cancelled["progress"]["done"] < 100

    httpx.post(f"{jobs_platform.api}/v1/experiment_jobs/{job['id']}/resume", timeout=30)
    done = jobs_platform.wait_for_status(job["id"], "COMPLETED")
    assert (done["progress"]["succeeded"], done["progress"]["failed"]) == (100, 0)
    runs = _runs(jobs_platform.database_url, job["experiment_id"])
    assert len(runs) == 100


async def _set_role(database_url: str, user_id: int, role: str | None) -> None:
    """Change the user's role, or delete the user (None)."""
    engine = create_engine(DbSettings(url=database_url))
    try:
        async with engine.begin() as connection:
            if role is None:
                await auth_store.delete_user(connection, user_id)
            else:
                await auth_store.update_user(connection, user_id, role=role)
    finally:
        await engine.dispose()


@pytest.mark.parametrize("jobs_platform", [{"auth": True}], indirect=True)
@pytest.mark.parametrize("change", ["VIEWER", None])
def test_a_job_whose_requester_lost_the_right_pauses_saying_why(
    jobs_platform: JobsPlatform, change: str | None
) -> None:
    member, key = asyncio.run(user_key(jobs_platform.database_url, "MEMBER", AUTH_SECRET))
    jobs_platform.headers = {"authorization": f"Bearer {key}"}
    dataset = jobs_platform.create_dataset("requested", 5)
    job = jobs_platform.start_job(dataset)
    # Demoted (or deleted) before any runner took the job: no call is made for them.
    asyncio.run(_set_role(jobs_platform.database_url, member, change))
    jobs_platform.start_runner()

    if change is None:  # their key went with them: read the job's row
        rows: list[dict[str, Any]] = []

        def paused() -> None:
            rows[:] = [
                dict(row)
                for row in fetch(
                    jobs_platform.database_url,
                    "SELECT status, status_reason FROM experiment_jobs",
                )
            ]
            assert rows and rows[0]["status"] == "PAUSED", rows

        assert_eventually(paused, timeout=120)
        reason = rows[0]["status_reason"]
        assert reason == f"the user who asked for it (User:{member}) no longer exists"
    else:
        reason = jobs_platform.wait_for_status(job["id"], "PAUSED")["status_reason"]
        assert reason == (
            "the user who asked for it (member) may no longer: Viewers cannot perform this action"
        )
    assert _runs(jobs_platform.database_url, job["experiment_id"]) == []


async def _store_secret(database_url: str, key: str, value: str) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(database_url.replace("postgresql://", "postgresql+asyncpg://"))
    try:
        async with engine.begin() as connection:
            await upsert_or_delete_secrets(connection, SecretBox(SECRETS_KEY), [(key, value)])
    finally:
        await engine.dispose()
