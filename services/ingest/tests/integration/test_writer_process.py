"""The writer as a real process against real NATS JetStream and PostgreSQL.

Nothing acknowledged is lost: spans published to the bus end up in PostgreSQL exactly once
whatever happens to the writer (SIGKILL) or the database (stopped for a while), a poison message
goes to the dead-letter stream with its reason without holding up the rest, and every commit is
announced on ``spans.stored``.
"""

from __future__ import annotations

import asyncio
import signal
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from spyglass_bus import BusNames, ensure_streams
from spyglass_bus.publisher import SpanBatchPublisher
from spyglass_core.settings import NatsSettings
from spyglass_db.migrate import upgrade
from spyglass_ingest.writer.consumer import DEAD_LETTER_REASON_HEADER
from spyglass_launcher.ports import free_port
from spyglass_launcher.servers import EmbeddedPostgres
from spyglass_proto.bus.v1.spans_pb2 import DecodedSpan, DecodedSpanBatch, SpansStored
from tests.support.database import fetch
from tests.support.ingest import STARTUP_SECONDS, with_nats
from tests.support.loop import LoopThread
from tests.support.processes import ServiceProcess, SpawnService, service_environment, wait_healthy
from tests.support.stack import Stack
from tests.support.waiting import assert_eventually

pytestmark = pytest.mark.slow

SECOND = 1_000_000_000
BASE = 1_790_000_000 * SECOND


def _count_spans(database_url: str) -> tuple[int, int]:
    """(rows, distinct span ids) in the spans table."""
    (row,) = fetch(database_url, "SELECT count(*), count(DISTINCT span_id) FROM spans")
    return row[0], row[1]


def _batches(count: int, spans_each: int, tag: str) -> list[DecodedSpanBatch]:
    """``count`` batches of one trace each: a root and its children, about 1 KB a span."""
    batches = []
    for number in range(count):
        trace_id = uuid.uuid4().hex
        root = f"{number:08x}{tag:0>8}"[:16]
        spans = [
            DecodedSpan(
                trace_id=trace_id,
                span_id=root if index == 0 else uuid.uuid4().hex[:16],
                parent_span_id="" if index == 0 else root,
                name=f"step {index}",
                span_kind="CHAIN",
                start_time_unix_nano=BASE + number * SECOND,
                end_time_unix_nano=BASE + number * SECOND + index + 1,
                attributes_json=b'{"input": {"value": "' + b"x" * 900 + b'"}}',
                events_json=b"[]",
            )
            for index in range(spans_each)
        ]
        batches.append(
            DecodedSpanBatch(batch_id=uuid.uuid4().hex, project_name="load", spans=spans)
        )
    return batches


def _publish(
    nats_url: str, namespace: str, batches: list[DecodedSpanBatch], declare: bool = True
) -> None:
    """Publish ``batches`` to the SPANS stream, declaring the streams first unless told not to."""

    async def work(client: Any) -> None:
        names = BusNames(namespace)
        if declare:
            await ensure_streams(client.jetstream(), names, NatsSettings().spans_max_bytes)
        publisher = SpanBatchPublisher(client, names)
        for batch in batches:
            await publisher.publish(batch)

    with_nats(nats_url, work)


def _start_writer(
    spawn_service: SpawnService, name: str, database_url: str, nats_url: str, namespace: str
) -> ServiceProcess:
    port = free_port()
    writer = spawn_service(
        name,
        ("spyglass_ingest", "writer"),
        service_environment(
            SPYGLASS_DB_URL=database_url,
            SPYGLASS_NATS_URL=nats_url,
            SPYGLASS_NATS_NAMESPACE=namespace,
            SPYGLASS_WRITER_HEALTH_PORT=str(port),
            SPYGLASS_WRITER_FETCH_MESSAGES="8",
            SPYGLASS_WRITER_ACK_WAIT_SECONDS="5",
            SPYGLASS_WRITER_RETRY_MAX_SECONDS="1",
        ),
    )
    wait_healthy(writer, f"http://127.0.0.1:{port}/healthz", timeout=STARTUP_SECONDS)
    return writer


def _all_written(database_url: str, expected: int) -> Callable[[], None]:
    def check() -> None:
        rows, distinct = _count_spans(database_url)
        assert rows == distinct, f"{rows - distinct} spans written twice"
        assert rows == expected

    return check


def test_sigkilled_writer_loses_nothing(
    spawn_service: SpawnService, stack: Stack, database_url: str, nats_namespace: str
) -> None:
    batches = _batches(300, 20, "kill")
    _publish(stack.nats_url, nats_namespace, batches)
    first = _start_writer(spawn_service, "writer-1", database_url, stack.nats_url, nats_namespace)

    def some_written() -> None:
        assert _count_spans(database_url)[0] > 0

    assert_eventually(some_written, timeout=30)

    first.stop(signal.SIGKILL)
    rows_when_killed = _count_spans(database_url)[0]
    _start_writer(spawn_service, "writer-2", database_url, stack.nats_url, nats_namespace)

    assert rows_when_killed < 6000, "the writer finished before it was killed; nothing tested"
    assert_eventually(_all_written(database_url, 6000), timeout=90, interval=0.5)


def test_competing_writers_write_each_span_once(
    spawn_service: SpawnService, stack: Stack, database_url: str, nats_namespace: str
) -> None:
    for number in range(2):
        _start_writer(
            spawn_service, f"writer-{number}", database_url, stack.nats_url, nats_namespace
        )

    _publish(stack.nats_url, nats_namespace, _batches(200, 10, "compete"))

    assert_eventually(_all_written(database_url, 2000), timeout=90, interval=0.5)


def test_poison_message_is_dead_lettered_and_the_rest_written(
    spawn_service: SpawnService, stack: Stack, database_url: str, nats_namespace: str
) -> None:
    names = BusNames(nats_namespace)
    good = _batches(5, 4, "good")
    nul_attributes = _batches(1, 3, "nul")[0]
    nul_attributes.spans[1].attributes_json = b'{"text": "\\u0000"}'  # PostgreSQL refuses NUL

    async def publish_garbage(client: Any) -> None:
        await ensure_streams(client.jetstream(), names, NatsSettings().spans_max_bytes)
        await client.jetstream().publish(names.spans_subject, b"\xff not a protobuf \x00")

    with_nats(stack.nats_url, publish_garbage)
    _publish(stack.nats_url, nats_namespace, [*good[:2], nul_attributes, *good[2:]])
    _start_writer(spawn_service, "writer", database_url, stack.nats_url, nats_namespace)

    # The good batches, and the two spans of the poisoned batch PostgreSQL takes.
    assert_eventually(_all_written(database_url, 22), timeout=60, interval=0.5)

    async def dead_letters(client: Any) -> list[tuple[str, bytes]]:
        subscription = await client.jetstream().pull_subscribe(
            names.dead_letter_subject, durable="test", stream=names.dead_letter_stream
        )
        messages = await subscription.fetch(10, timeout=5)
        return [(message.headers[DEAD_LETTER_REASON_HEADER], message.data) for message in messages]

    letters = assert_eventually(
        lambda: with_nats(stack.nats_url, dead_letters), timeout=20, interval=0.5
    )
    assert len(letters) == 2, letters
    assert any("not a DecodedSpanBatch" in reason for reason, _ in letters)
    (refused,) = [data for reason, data in letters if "PostgreSQL refused" in reason]
    assert [span.span_id for span in DecodedSpanBatch.FromString(refused).spans] == [
        nul_attributes.spans[1].span_id
    ]


def test_commits_are_announced_on_spans_stored(
    spawn_service: SpawnService, stack: Stack, database_url: str, nats_namespace: str
) -> None:
    names = BusNames(nats_namespace)
    batches = _batches(3, 5, "announce")
    _publish(stack.nats_url, nats_namespace, batches)
    _start_writer(spawn_service, "writer", database_url, stack.nats_url, nats_namespace)
    assert_eventually(_all_written(database_url, 15), timeout=60, interval=0.5)

    async def announced(client: Any) -> set[str]:
        subscription = await client.jetstream().pull_subscribe(
            names.spans_stored_subject, durable="test", stream=names.spans_stored_stream
        )
        span_ids: set[str] = set()
        for message in await subscription.fetch(50, timeout=5):
            stored = SpansStored.FromString(message.data)
            assert stored.project_name == "load"
            assert not stored.may_repeat  # each message delivered once: first announcements
            span_ids.update(span.span_id for span in stored.spans)
        return span_ids

    expected = {span.span_id for batch in batches for span in batch.spans}
    assert with_nats(stack.nats_url, announced) == expected


def _announcements(nats_url: str, names: BusNames) -> list[SpansStored]:
    """Every announcement the ``spans.stored`` stream holds, oldest first."""

    async def read(client: Any) -> list[SpansStored]:
        subscription = await client.jetstream().subscribe(
            names.spans_stored_subject, stream=names.spans_stored_stream, ordered_consumer=True
        )
        announcements: list[SpansStored] = []
        while True:
            try:
                message = await subscription.next_msg(timeout=2)
            except TimeoutError:
                return announcements
            announcements.append(SpansStored.FromString(message.data))

    return with_nats(nats_url, read)


def test_a_writer_killed_between_commit_and_announcement_announces_on_redelivery(
    spawn_service: SpawnService, stack: Stack, database_url: str, nats_namespace: str
) -> None:
    names = BusNames(nats_namespace)
    first = _start_writer(spawn_service, "writer-1", database_url, stack.nats_url, nats_namespace)

    async def delete_stored_stream(client: Any) -> None:
        await client.jetstream().delete_stream(names.spans_stored_stream)

    with_nats(stack.nats_url, delete_stored_stream)  # announcements now fail
    # As many messages as the writer has fetch loops (2): each loop writes what it fetched, then
    # retries its announcement without fetching more, so more messages could wait unwritten.
    batches = _batches(2, 15, "unheard")
    _publish(stack.nats_url, nats_namespace, batches, declare=False)
    assert_eventually(_all_written(database_url, 30), timeout=60, interval=0.5)
    assert_eventually(
        lambda: "spans_stored_announcement_retrying" in first.output(), timeout=30, interval=0.5
    )
    first.stop(signal.SIGKILL)  # committed, never announced, never acked

    _publish(stack.nats_url, nats_namespace, [])  # restores the stream (ensure_streams)
    assert _announcements(stack.nats_url, names) == []
    _start_writer(spawn_service, "writer-2", database_url, stack.nats_url, nats_namespace)

    expected = {span.span_id for batch in batches for span in batch.spans}

    def all_announced_as_repeats() -> None:
        announcements = _announcements(stack.nats_url, names)
        announced = {span.span_id for message in announcements for span in message.spans}
        assert announced == expected
        assert all(message.may_repeat for message in announcements)

    assert_eventually(all_announced_as_repeats, timeout=60, interval=1)
    assert _all_written(database_url, 30)() is None  # written again, stored once


# --- the database goes away for a while ---------------------------------------------------------


@pytest.fixture
def own_postgres(server_home: Path, background_loop: LoopThread) -> Iterator[EmbeddedPostgres]:
    """A PostgreSQL of this test's own, so stopping it harms no other test."""
    server = EmbeddedPostgres(server_home / "postgres")
    background_loop.run(server.start())
    upgrade(server.url)
    yield server
    background_loop.run(server.stop())


def test_writer_waits_out_a_database_outage(
    spawn_service: SpawnService,
    stack: Stack,
    nats_namespace: str,
    own_postgres: EmbeddedPostgres,
    background_loop: LoopThread,
) -> None:
    writer = _start_writer(
        spawn_service, "writer", own_postgres.url, stack.nats_url, nats_namespace
    )
    _publish(stack.nats_url, nats_namespace, _batches(20, 10, "before"))
    assert_eventually(_all_written(own_postgres.url, 200), timeout=30, interval=0.5)

    background_loop.run(own_postgres.stop())
    _publish(stack.nats_url, nats_namespace, _batches(50, 10, "during"))  # acked by JetStream
    assert_eventually(lambda: "span_write_retrying" in writer.output(), timeout=20)
    background_loop.run(asyncio.sleep(10))
    background_loop.run(own_postgres.start())

    assert_eventually(_all_written(own_postgres.url, 700), timeout=60, interval=0.5)
    assert writer.process.poll() is None, writer.output()
