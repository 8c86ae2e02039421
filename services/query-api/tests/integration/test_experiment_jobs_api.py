"""``/v1/experiment_jobs``: what a server-side experiment refuses before anything is created,
what it creates and queues, and cancel / resume; no runner here (tests/integration runs them)."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
import redis

from spyglass_core.settings import DbSettings, RedisSettings
from spyglass_db import create_engine, create_session_maker
from spyglass_jobs import Queue
from spyglass_query_api.app import QueryApiResources, create_app, statement_pool
from spyglass_query_api.settings import QueryApiSettings

OLLAMA_PROMPT = {
    "model_provider": "OLLAMA",
    "model_name": "llama3.2",
    "template": {
        "type": "chat",
        "messages": [{"role": "user", "content": "Say {{ question }} in {{ language }}"}],
    },
    "template_format": "MUSTACHE",
}


async def _client(database_url: str, redis_url: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = QueryApiSettings(db=DbSettings(url=database_url), redis=RedisSettings(url=redis_url))
    engine = create_engine(settings.db)
    statements = statement_pool(settings)
    app = create_app(
        settings, QueryApiResources(engine, create_session_maker(engine), statements=statements)
    )
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            yield client
    finally:
        # The transport runs no lifespan: close what the app would at shutdown (its job
        # producer's Redis connections, its LLM client).
        for close in app.on_shutdown:
            await close()
        await statements.close()
        await engine.dispose()


@pytest.fixture
async def jobs_api(database_url: str, redis_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _client(database_url, redis_url):
        yield client


async def _dataset(api: httpx.AsyncClient, inputs: list[dict[str, Any]]) -> str:
    response = await api.post(
        "/v1/datasets/upload?sync=true",
        json={
            "action": "create",
            "name": "questions",
            "inputs": inputs,
            "outputs": [{}] * len(inputs),
        },
    )
    assert response.status_code == 200, response.text
    dataset_id: str = response.json()["data"]["dataset_id"]
    return dataset_id


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"a": value}
    return value


def _queued(redis_url: str) -> int:
    with redis.Redis.from_url(redis_url) as client:
        return int(client.llen(Queue.EXPERIMENTS.value))


def _rowid(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().rsplit(":", 1)[1])


async def test_a_job_is_created_with_its_experiment_and_queued(
    jobs_api: httpx.AsyncClient, redis_url: str, database_url: str
) -> None:
    dataset = await _dataset(
        jobs_api, [{"question": f"hello {n}", "language": "French"} for n in range(7)]
    )
    response = await jobs_api.post(
        "/v1/experiment_jobs",
        json={"dataset_id": dataset, "prompt": OLLAMA_PROMPT, "repetitions": 3, "name": "fr"},
    )
    assert response.status_code == 202, response.text
    job = response.json()["data"]
    assert job["status"] == "RUNNING"
    assert (job["model_provider"], job["model_name"]) == ("OLLAMA", "llama3.2")
    assert job["progress"]["total"] == 21
    assert job["progress"]["done"] == 0
    assert _queued(redis_url) == 1

    experiment = await jobs_api.get(f"/v1/experiments/{job['experiment_id']}")
    assert experiment.json()["data"]["name"] == "fr"
    assert experiment.json()["data"]["repetitions"] == 3
    again = await jobs_api.get(f"/v1/experiment_jobs/{job['id']}")
    assert again.json()["data"]["status"] == "RUNNING"


async def test_cancel_then_resume_queues_a_new_plan(
    jobs_api: httpx.AsyncClient, redis_url: str, database_url: str
) -> None:
    dataset = await _dataset(jobs_api, [{"question": "hi", "language": "German"}])
    job = (
        await jobs_api.post(
            "/v1/experiment_jobs", json={"dataset_id": dataset, "prompt": OLLAMA_PROMPT}
        )
    ).json()["data"]
    cancelled = await jobs_api.post(f"/v1/experiment_jobs/{job['id']}/cancel")
    assert cancelled.json()["data"]["status"] == "CANCELLED"
    assert cancelled.json()["data"]["finished_at"] is not None
    resumed = await jobs_api.post(f"/v1/experiment_jobs/{job['id']}/resume")
    assert resumed.json()["data"]["status"] == "RUNNING"
    assert resumed.json()["data"]["status_reason"] is None
    assert _queued(redis_url) == 2
    connection = await asyncpg.connect(database_url)
    try:
        epoch = await connection.fetchval(
            "SELECT epoch FROM experiment_jobs WHERE id = $1", _rowid(job["id"])
        )
    finally:
        await connection.close()
    assert epoch == 2


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ({"prompt": {**OLLAMA_PROMPT, "model_provider": "NOSUCH"}}, 422, ["NOSUCH"]),
        ({"prompt": {**OLLAMA_PROMPT, "model_provider": "AWS"}}, 422, ["AWS"]),
        (
            {"prompt": {**OLLAMA_PROMPT, "model_provider": "OPENAI", "model_name": "gpt-4o"}},
            422,
            ["OPENAI_API_KEY"],
        ),
        ({"prompt": None}, 400, ["prompt"]),
        ({"prompt_version_id": "UHJvbXB0VmVyc2lvbjo5OTk="}, 400, ["exactly one"]),
        (
            {"prompt": {**OLLAMA_PROMPT, "template": {"type": "chat", "messages": []}}},
            422,
            ["messages"],
        ),
        ({"prompt": {**OLLAMA_PROMPT, "model_name": "x" * 10_000}}, 400, ["model_name"]),
        ({"repetitions": 2**63}, 400, ["repetitions"]),
        ({"repetitions": 0}, 400, ["repetitions"]),
        ({"name": "bad\u0000name"}, 400, ["name"]),
        ({"metadata": {"deep": _nested(600)}}, 400, ["metadata"]),
        ({"dataset_id": "x" * 10_000}, 400, ["dataset_id"]),
    ],
)
async def test_a_bad_job_is_refused_naming_what_is_wrong_and_creates_nothing(
    jobs_api: httpx.AsyncClient,
    redis_url: str,
    database_url: str,
    change: dict[str, Any],
    status: int,
    words: list[str],
) -> None:
    dataset = await _dataset(jobs_api, [{"question": "hi", "language": "German"}])
    body = {"dataset_id": dataset, "prompt": OLLAMA_PROMPT, **change}
    response = await jobs_api.post("/v1/experiment_jobs", json=body)
    assert response.status_code in (status, 422), response.text
    assert response.status_code < 500
    for word in words:
        assert word in response.text
    assert _queued(redis_url) == 0
    connection = await asyncpg.connect(database_url)
    try:
        assert await connection.fetchval("SELECT count(*) FROM experiments") == 0
    finally:
        await connection.close()


async def test_a_template_variable_some_examples_lack_is_named_with_how_many(
    jobs_api: httpx.AsyncClient, redis_url: str, database_url: str
) -> None:
    dataset = await _dataset(
        jobs_api,
        [
            {"question": "one", "language": "Dutch"},
            {"question": "two"},
            {"question": "three"},
            {"other": 1},
        ],
    )
    response = await jobs_api.post(
        "/v1/experiment_jobs", json={"dataset_id": dataset, "prompt": OLLAMA_PROMPT}
    )
    assert response.status_code == 422, response.text
    assert "'language' is missing from the input of 3 example(s)" in response.text
    assert "'question' is missing from the input of 1 example(s)" in response.text
    assert _queued(redis_url) == 0
    connection = await asyncpg.connect(database_url)
    try:
        assert await connection.fetchval("SELECT count(*) FROM experiments") == 0
        assert await connection.fetchval("SELECT count(*) FROM experiment_jobs") == 0
    finally:
        await connection.close()


async def test_unknown_datasets_prompt_versions_and_jobs_are_404(
    jobs_api: httpx.AsyncClient,
) -> None:
    missing_dataset = await jobs_api.post(
        "/v1/experiment_jobs",
        json={"dataset_id": "RGF0YXNldDo5OTk=", "prompt": OLLAMA_PROMPT},
    )
    assert missing_dataset.status_code == 404
    dataset = await _dataset(jobs_api, [{"question": "hi", "language": "German"}])
    missing_version = await jobs_api.post(
        "/v1/experiment_jobs",
        json={"dataset_id": dataset, "prompt_version_id": "UHJvbXB0VmVyc2lvbjo5OTk="},
    )
    assert missing_version.status_code == 404
    assert "PromptVersion" in missing_version.text
    for path in ("", "/cancel", "/resume"):
        method = jobs_api.get if not path else jobs_api.post
        response = await method(f"/v1/experiment_jobs/RXhwZXJpbWVudEpvYjo5OTk={path}")
        assert response.status_code == 404, (path, response.text)


async def test_a_job_that_cannot_be_queued_is_answered_503_and_left_paused(
    database_url: str,
) -> None:
    async for api in _client(database_url, "redis://127.0.0.1:1/0"):
        dataset = await _dataset(api, [{"question": "hi", "language": "German"}])
        response = await api.post(
            "/v1/experiment_jobs", json={"dataset_id": dataset, "prompt": OLLAMA_PROMPT}
        )
        assert response.status_code == 503, response.text
        assert "SPYGLASS_REDIS_URL" in response.text
    connection = await asyncpg.connect(database_url)
    try:
        row = await connection.fetchrow("SELECT status, status_reason FROM experiment_jobs")
    finally:
        await connection.close()
    assert row is not None
    assert row["status"] == "PAUSED"
    assert "resume" in row["status_reason"]
