"""The dispatcher against real NATS JetStream, PostgreSQL and Redis: announcements become queued
evaluation tasks once, however often they are delivered, and jobs queued while Redis was away
are queued again by the releaser."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import UTC, datetime

import asyncpg
import nats
import orjson
import pytest
import redis.asyncio as redis

from spyglass_bus import BusNames
from spyglass_core.settings import DbSettings, NatsSettings, RedisSettings
from spyglass_eval_worker.dispatcher import (
    DeciderService,
    DispatcherResources,
    JobQueue,
    ReleaserService,
    open_resources,
)
from spyglass_eval_worker.settings import DispatcherSettings, DispatcherTuningSettings
from spyglass_proto.bus.v1.spans_pb2 import SpansStored, StoredSpan
from tests.support.stack import Stack
from tests.support.trace_rows import create_project

NOW = datetime.now(UTC)
TUNING = DispatcherTuningSettings(
    rules_refresh_seconds=0.1, release_interval_seconds=0.2, lease_seconds=2.0
)


async def _eventually(check: Callable[[], Awaitable[bool]], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("the condition never held")
        await asyncio.sleep(0.1)


@pytest.fixture
async def resources(
    stack: Stack, database_url: str, nats_namespace: str, redis_url: str
) -> AsyncIterator[DispatcherResources]:
    settings = DispatcherSettings(
        nats=NatsSettings(url=stack.nats_url, namespace=nats_namespace),
        db=DbSettings(url=database_url),
        redis=RedisSettings(url=redis_url),
        tuning=TUNING,
    )
    async with AsyncExitStack() as exits:
        yield await open_resources(settings, exits)


async def _setup(database_url: str, spans: int) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        project = await create_project(connection, "bot")
        for index in range(spans):
            trace = await connection.fetchval(
                "INSERT INTO traces (project_rowid, trace_id, start_time, end_time) "
                "VALUES ($1, $2, $3, $3) RETURNING id",
                project,
                f"{index:032x}",
                NOW,
            )
            await connection.execute(
                "INSERT INTO spans (trace_rowid, project_rowid, span_id, name, span_kind, "
                "start_time, end_time, attributes) VALUES ($1, $2, $3, 'chat', 'LLM', $4, $4, "
                "$5::jsonb)",
                trace,
                project,
                f"{index:016x}",
                NOW,
                orjson.dumps({}).decode(),
            )
        evaluator = await connection.fetchval(
            "INSERT INTO evaluators (name, kind) VALUES ('exact-match', 'BUILTIN') RETURNING id"
        )
        await connection.execute(
            "INSERT INTO evaluator_versions (evaluator_id, version) VALUES ($1, 1)", evaluator
        )
        await connection.execute(
            "INSERT INTO evaluation_rules (project_id, name, annotation_name, evaluator_id, "
            "target, filter, sampling_rate) VALUES ($1, 'llm', 'llm', $2, 'SPAN', "
            "'span_kind == ''LLM''', 1.0)",
            project,
            evaluator,
        )
    finally:
        await connection.close()


async def _announce(nats_url: str, names: BusNames, spans: int, *, times: int) -> None:
    announcement = SpansStored(
        project_name="bot",
        spans=[
            StoredSpan(trace_id=f"{index:032x}", span_id=f"{index:016x}", span_kind="LLM")
            for index in range(spans)
        ],
    )
    client = await nats.connect(nats_url)
    try:
        for _ in range(times):
            await client.jetstream().publish(
                names.spans_stored_subject,
                announcement.SerializeToString(),
                stream=names.spans_stored_stream,
            )
    finally:
        await client.close()


async def _queued_job_ids(redis_url: str) -> list[int]:
    client = redis.Redis.from_url(redis_url)
    try:
        messages = await client.lrange("evaluations", 0, -1)
    finally:
        await client.aclose()
    job_ids: list[int] = []
    for message in messages:
        body = orjson.loads(message)
        arguments = orjson.loads(base64.b64decode(body["body"]))
        job_ids.extend(arguments[1]["job_ids"])
    return sorted(job_ids)


async def _states(database_url: str) -> dict[str, int]:
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch("SELECT state, count(*) FROM evaluation_jobs GROUP BY state")
    finally:
        await connection.close()
    return {row[0]: row[1] for row in rows}


async def test_announcements_delivered_three_times_queue_each_job_once(
    resources: DispatcherResources, stack: Stack, database_url: str, redis_url: str
) -> None:
    await _setup(database_url, spans=30)
    await _announce(stack.nats_url, resources.names, 30, times=3)
    decider = DeciderService(resources, TUNING, JobQueue(resources.producer, 7))
    await decider.start()
    try:

        async def all_consumed() -> bool:
            info = await resources.nats.jetstream().consumer_info(
                resources.names.spans_stored_stream, resources.names.eval_dispatcher_consumer
            )
            return bool(info.num_pending == 0 and info.num_ack_pending == 0)

        await _eventually(all_consumed)
    finally:
        await decider.stop()

    assert await _states(database_url) == {"QUEUED": 30}
    queued = await _queued_job_ids(redis_url)
    assert len(queued) == 30 and len(set(queued)) == 30


async def test_jobs_not_queued_while_redis_was_away_are_queued_later(
    resources: DispatcherResources, stack: Stack, database_url: str, redis_url: str
) -> None:
    await _setup(database_url, spans=5)
    await _announce(stack.nats_url, resources.names, 5, times=1)

    class RedisAway(JobQueue):
        async def send(self, job_ids: list[int]) -> bool:  # type: ignore[override]
            return False

    decider = DeciderService(resources, TUNING, RedisAway(resources.producer, 20))
    await decider.start()
    try:
        await _eventually(lambda: _has_states(database_url, {"QUEUED": 5}))
    finally:
        await decider.stop()
    assert await _queued_job_ids(redis_url) == []

    releaser = ReleaserService(resources.engine, TUNING, JobQueue(resources.producer, 20))
    await releaser.start()
    try:

        async def five_queued() -> bool:
            return len(await _queued_job_ids(redis_url)) >= 5

        await _eventually(five_queued)
    finally:
        await releaser.stop()
    assert len(set(await _queued_job_ids(redis_url))) == 5


async def _has_states(database_url: str, expected: dict[str, int]) -> bool:
    return await _states(database_url) == expected
