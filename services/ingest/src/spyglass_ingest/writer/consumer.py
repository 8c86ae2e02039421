"""The writer's loop: pull span batches from JetStream, write them, ack after the commit.

Several writers share one durable pull consumer (competing consumers), so the ingest plane
scales by running more of them. For each fetch:

1. messages that can't be decoded go to the dead-letter stream (with the reason) and are acked;
2. the rest are written in one transaction (``store.write_batches``);
3. only after the commit are they acked, and ``spans.stored`` is announced.

When PostgreSQL is unreachable the same messages are retried with back-off, their ack deadline
extended meanwhile, until the database is back or the writer is stopped (then JetStream hands
them to another writer): nothing is lost. A write that fails on the data itself is retried one
message at a time, so only the message at fault is dead-lettered.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass

import asyncpg
import nats.errors
from google.protobuf.message import DecodeError
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from spyglass_bus import BusNames
from spyglass_core.lifecycle import BackgroundService
from spyglass_core.logging import get_logger
from spyglass_ingest.settings import WriterTuningSettings
from spyglass_ingest.writer import metrics
from spyglass_ingest.writer.store import prepare_connection, write_batches
from spyglass_proto.bus.v1.spans_pb2 import DecodedSpanBatch, SpansStored, StoredSpan

log = get_logger(__name__)

_TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.DeadlockDetectedError,
    asyncpg.SerializationError,
    asyncpg.QueryCanceledError,
    asyncpg.AdminShutdownError,
    asyncpg.InsufficientResourcesError,
    asyncpg.ObjectInUseError,
    # The schema is older than this writer: wait for the migration instead of dead-lettering.
    asyncpg.UndefinedTableError,
    asyncpg.UndefinedColumnError,
)
"""Errors that say the database, not the data, is at fault: retry the same messages later."""

DEAD_LETTER_REASON_HEADER = "Spyglass-Dead-Letter-Reason"


@dataclass
class _Fetched:
    message: Msg
    batch: DecodedSpanBatch


class SpanWriterService(BackgroundService):
    """Consumes the SPANS stream and writes it to PostgreSQL until stopped."""

    name = "span-writer"

    def __init__(
        self, nats: NatsClient, pool: asyncpg.Pool, names: BusNames, tuning: WriterTuningSettings
    ) -> None:
        self._nats = nats
        self._jetstream = nats.jetstream()
        self._pool = pool
        self._names = names
        self._tuning = tuning
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        # Several loops, each with its own subscription to the one durable consumer, so that one
        # loop prepares a batch while another waits on PostgreSQL. Row locks on the traces keep
        # them correct (see store.py).
        subscriptions = [await self._subscribe() for _ in range(self._tuning.concurrency)]
        self._tasks = [
            asyncio.create_task(self._run(subscription), name=f"{self.name}-{number}")
            for number, subscription in enumerate(subscriptions)
        ]

    async def _subscribe(self) -> JetStreamContext.PullSubscription:
        return await self._jetstream.pull_subscribe(
            self._names.spans_subject,
            durable=self._names.writer_consumer,
            stream=self._names.spans_stream,
            config=ConsumerConfig(
                ack_policy=AckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.ALL,
                ack_wait=self._tuning.ack_wait_seconds,
                max_ack_pending=self._tuning.max_ack_pending,
                max_deliver=-1,
            ),
        )

    async def wait(self) -> None:
        await asyncio.shield(asyncio.wait(self._tasks, return_when=asyncio.FIRST_COMPLETED))
        for task in self._tasks:
            if task.done() and task.exception() is not None:
                raise RuntimeError("a span writer loop failed") from task.exception()
        raise RuntimeError("the span writer loop ended")

    async def stop(self) -> None:
        self._stopping.set()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _run(self, subscription: JetStreamContext.PullSubscription) -> None:
        while not self._stopping.is_set():
            try:
                messages = await subscription.fetch(self._tuning.fetch_messages, timeout=1.0)
            except nats.errors.TimeoutError:
                continue
            except (nats.errors.Error, OSError) as error:
                log.warning("span_fetch_failed", error=repr(error))
                await self._pause(1.0)
                continue
            if not messages:  # a fetch cut short by a reconnect
                continue
            metrics.CONSUMER_PENDING.set(messages[-1].metadata.num_pending)
            try:
                fetched = await self._decode(messages)
                if fetched:
                    await self._write(fetched)
            except Exception:
                # Whatever went wrong (NATS gone while dead-lettering, say), the messages are
                # unacked and come back; the loop must outlive the outage.
                log.exception("span_batch_failed", messages=len(messages))
                await self._pause(1.0)

    async def _decode(self, messages: list[Msg]) -> list[_Fetched]:
        fetched = []
        for message in messages:
            try:
                fetched.append(_Fetched(message, DecodedSpanBatch.FromString(message.data)))
            except DecodeError as error:
                await self._dead_letter(message, f"not a DecodedSpanBatch: {error}", spans=0)
        return fetched

    async def _write(self, fetched: list[_Fetched]) -> None:
        delay = self._tuning.retry_initial_seconds
        while True:
            try:
                await self._write_once(fetched)
                return
            except _TRANSIENT_ERRORS as error:
                if self._stopping.is_set():
                    log.warning("span_write_abandoned_on_stop", messages=len(fetched))
                    return  # unacked: JetStream redelivers them
                metrics.WRITE_RETRIES.inc()
                log.warning(
                    "span_write_retrying",
                    messages=len(fetched),
                    spans=sum(len(item.batch.spans) for item in fetched),
                    error=repr(error),
                    retry_in_seconds=delay,
                )
                for item in fetched:
                    await item.message.in_progress()
                await self._pause(delay)
                delay = min(delay * 2, self._tuning.retry_max_seconds)
            except asyncpg.PostgresError as error:
                if len(fetched) == 1:
                    await self._dead_letter(
                        fetched[0].message,
                        f"PostgreSQL refused the batch: {error}",
                        spans=len(fetched[0].batch.spans),
                    )
                    return
                log.warning("span_write_isolating_bad_message", messages=len(fetched))
                for item in fetched:
                    await self._write([item])
                return

    async def _write_once(self, fetched: list[_Fetched]) -> None:
        started = time.perf_counter()
        async with self._pool.acquire() as connection:
            result = await write_batches(connection, [item.batch for item in fetched])
        elapsed = time.perf_counter() - started
        for item in fetched:
            await item.message.ack()
        metrics.SPANS_WRITTEN.inc(result.inserted)
        metrics.SPANS_DUPLICATE.inc(result.duplicates)
        metrics.WRITE_SECONDS.observe(elapsed)
        metrics.BATCH_SPANS.observe(result.inserted + result.duplicates)
        log.debug(
            "spans_written",
            inserted=result.inserted,
            duplicates=result.duplicates,
            messages=len(fetched),
            ms=round(elapsed * 1000, 1),
        )
        await self._announce(fetched)

    async def _announce(self, fetched: list[_Fetched]) -> None:
        """Publish ``spans.stored`` for every span of the written batches (at least once)."""
        by_project: dict[str, SpansStored] = {}
        stored_at = time.time_ns()
        for item in fetched:
            announcement = by_project.setdefault(
                item.batch.project_name,
                SpansStored(project_name=item.batch.project_name, stored_at_unix_nano=stored_at),
            )
            announcement.spans.extend(
                StoredSpan(trace_id=span.trace_id, span_id=span.span_id, span_kind=span.span_kind)
                for span in item.batch.spans
            )
        for announcement in by_project.values():
            try:
                await self._jetstream.publish(
                    self._names.spans_stored_subject,
                    announcement.SerializeToString(),
                    stream=self._names.spans_stored_stream,
                )
            except (TimeoutError, nats.errors.Error) as error:
                metrics.ANNOUNCEMENTS_FAILED.inc()
                log.warning(
                    "spans_stored_announcement_failed",
                    project=announcement.project_name,
                    spans=len(announcement.spans),
                    error=repr(error),
                )

    async def _dead_letter(self, message: Msg, reason: str, spans: int) -> None:
        """Park ``message`` on the dead-letter stream with ``reason``, then ack it."""
        log.error("span_batch_dead_lettered", reason=reason, spans=spans, bytes=len(message.data))
        headers = {DEAD_LETTER_REASON_HEADER: reason[:1000].replace("\n", " ")}
        await self._jetstream.publish(
            self._names.dead_letter_subject,
            message.data,
            stream=self._names.dead_letter_stream,
            headers=headers,
        )
        await message.ack()
        metrics.BATCHES_DEAD_LETTERED.inc()
        metrics.SPANS_DEAD_LETTERED.inc(spans)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)


async def create_pool(url: str, size: int) -> asyncpg.Pool:
    """The writer's connections, each with the staging table the spans are COPied into."""
    pool: asyncpg.Pool = await asyncpg.create_pool(
        url, min_size=1, max_size=size, init=prepare_connection, command_timeout=120
    )
    return pool
