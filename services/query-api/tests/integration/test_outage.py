"""PostgreSQL stops while the query API runs: 503 with ``Retry-After``, then normal answers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from spyglass_core.settings import DbSettings
from spyglass_db import create_engine, create_session_maker
from spyglass_db.migrate import upgrade
from spyglass_launcher.servers import EmbeddedPostgres
from spyglass_query_api.app import QueryApiResources, create_app, statement_pool
from spyglass_query_api.settings import QueryApiSettings
from tests.support.loop import LoopThread

pytestmark = pytest.mark.slow


@pytest.fixture
def own_postgres(server_home: Path, background_loop: LoopThread) -> Iterator[EmbeddedPostgres]:
    """A PostgreSQL of this test's own, migrated, so stopping it harms no other test."""
    server = EmbeddedPostgres(server_home / "postgres")
    background_loop.run(server.start())
    upgrade(server.url)
    yield server
    background_loop.run(server.stop())


@pytest.fixture
async def outage_api(own_postgres: EmbeddedPostgres) -> AsyncIterator[httpx.AsyncClient]:
    settings = QueryApiSettings(
        db=DbSettings(url=own_postgres.url, connect_timeout_seconds=2, pool_size=2)
    )
    engine = create_engine(settings.db)
    statements = statement_pool(settings)
    app = create_app(
        settings, QueryApiResources(engine, create_session_maker(engine), statements=statements)
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        yield client
    await statements.close()
    await engine.dispose()


async def answers_ok(api: httpx.AsyncClient, timeout: float = 30.0) -> httpx.Response:
    """``GET /v1/projects`` until it answers 200 (the pool reconnects on its own)."""
    deadline = time.monotonic() + timeout
    while True:
        response = await api.get("/v1/projects")
        if response.status_code == 200 or time.monotonic() > deadline:
            return response
        await asyncio.sleep(0.2)


async def test_a_database_outage_is_503_and_passes(
    outage_api: httpx.AsyncClient, own_postgres: EmbeddedPostgres, background_loop: LoopThread
) -> None:
    before = await outage_api.get("/v1/projects")  # the pool now holds a live connection
    background_loop.run(own_postgres.stop())
    try:
        during = await outage_api.get("/v1/projects")
        during_write = await outage_api.post("/v1/projects", json={"name": "lost"})
        lookup = await outage_api.get("/v1/projects/default/traces")
        ready = await outage_api.get("/readyz")
    finally:
        background_loop.run(own_postgres.start())
    after = await answers_ok(outage_api)
    created = await outage_api.post("/v1/projects", json={"name": "after"})

    assert before.status_code == 200
    for response in (during, during_write, lookup):
        assert response.status_code == 503, response.text
        assert response.headers["Retry-After"] == "5"
        assert "database is unavailable" in response.text
    assert ready.status_code == 503
    assert after.status_code == 200, after.text
    assert [project["name"] for project in after.json()["data"]] == ["default"]
    assert created.status_code == 200, created.text


async def test_runs_written_on_the_driver_pass_an_outage_too(
    outage_api: httpx.AsyncClient, own_postgres: EmbeddedPostgres, background_loop: LoopThread
) -> None:
    upload = await outage_api.post(
        "/v1/datasets/upload?sync=true",
        json={"action": "create", "name": "qa", "inputs": [{"q": "a"}, {"q": "b"}]},
    )
    dataset = upload.json()["data"]["dataset_id"]
    examples = (await outage_api.get(f"/v1/datasets/{dataset}/examples")).json()["data"]
    experiment = (await outage_api.post(f"/v1/datasets/{dataset}/experiments", json={})).json()
    runs = f"/v1/experiments/{experiment['data']['id']}/runs"

    def run(example: dict[str, object]) -> dict[str, object]:
        return {
            "dataset_example_id": example["id"],
            "output": "ok",
            "repetition_number": 1,
            "start_time": "2026-12-03T12:00:00Z",
            "end_time": "2026-12-03T12:00:01Z",
        }

    first, second = examples["examples"]
    before = await outage_api.post(runs, json=run(first))  # pooled connections are live
    background_loop.run(own_postgres.stop())
    try:
        during = await outage_api.post(runs, json=run(second))
    finally:
        background_loop.run(own_postgres.start())
    refusals = 0
    deadline = time.monotonic() + 30
    while (after := await outage_api.post(runs, json=run(second))).status_code != 200:
        assert after.status_code == 503, after.text
        assert time.monotonic() < deadline, "the runs endpoint never came back"
        refusals += 1
        await asyncio.sleep(0.2)
    await answers_ok(outage_api)  # the reads' pool (SQLAlchemy's) drops its lost connections too
    stored = (await outage_api.get(runs)).json()["data"]

    assert before.status_code == 200, before.text
    assert during.status_code == 503, during.text
    assert "database is unavailable" in during.text
    assert refusals <= 2  # at most one a pooled connection lost with the server: then dropped
    assert sorted(item["dataset_example_id"] for item in stored) == sorted(
        [first["id"], second["id"]]
    )
