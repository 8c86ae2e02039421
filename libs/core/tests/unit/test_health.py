"""Readiness: every check runs, a slow or failing one makes the process not ready, with a reason."""

from __future__ import annotations

import asyncio

from litestar.testing import AsyncTestClient

from spyglass_core.health import Readiness, create_health_app


async def ok() -> None:
    return None


async def refused() -> None:
    raise ConnectionRefusedError("connection refused to 127.0.0.1:5432")


async def hangs() -> None:
    await asyncio.sleep(10)


async def test_ready_when_every_check_passes() -> None:
    readiness = Readiness()
    readiness.add("database", ok)
    readiness.add("nats", ok)

    async with AsyncTestClient(create_health_app(readiness)) as client:
        response = await client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"ready": True, "checks": {"database": "ok", "nats": "ok"}}


async def test_not_ready_names_the_failing_and_the_slow_check() -> None:
    readiness = Readiness(timeout_seconds=0.1)
    readiness.add("database", refused)
    readiness.add("nats", hangs)
    readiness.add("redis", ok)

    async with AsyncTestClient(create_health_app(readiness)) as client:
        response = await client.get("/readyz")
        health = await client.get("/healthz")

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"] == "connection refused to 127.0.0.1:5432"
    assert checks["nats"] == "timed out after 0.1s"
    assert checks["redis"] == "ok"
    assert health.status_code == 200
    assert health.text == "OK"


async def test_metrics_are_exposed_for_prometheus() -> None:
    async with AsyncTestClient(create_health_app(Readiness())) as client:
        response = await client.get("/metrics")

    assert response.status_code == 200
    assert "python_info" in response.text
