"""The writer's loop: pull span batches from JetStream, write them, ack after the commit.

Several writers share one durable pull consumer (competing consumers), so the ingest plane
scales by running more of them. For each fetch:

1. messages that can't be decoded go to the dead-letter stream (with the reason) and are acked;
2. the rest are written in one transaction (``spyglass_span_store.write_batches``);
3. after the commit, their spans are announced on ``spans.stored``;
4. only once JetStream confirmed the announcement are the messages acked.

So every stored span is announced at least once: a writer that dies between its commit and its
acks leaves the messages unacked, JetStream redelivers them, the next write of them changes
nothing (writes are idempotent) and their spans are announced again, flagged ``may_repeat``
(the message was delivered more than once). An announcement JetStream does not confirm (the
stream gone, NATS unreachable) is retried with back-off, the messages' ack deadline extended
meanwhile, under one ``Nats-Msg-Id``, so a publish that was stored but whose confirmation was
lost is de-duplicated by the stream. libs/bus/README.md states the contract for consumers.

When PostgreSQL is unreachable the same messages are retried with back-off, their ack deadline
extended meanwhile, until the database is back or the writer is stopped (then JetStream hands
them to another writer): nothing is lost. A project deleted while its spans are written is such
a retry too: the next attempt creates the project again.

A write that fails on the data itself is retried one message at a time; a message that fails on
its own is bisected, its halves written separately, down to the single spans PostgreSQL refuses.
Everything else of it is stored, and only those spans are dead-lettered, as one
``DecodedSpanBatch`` with the reason; the message is acked once all of its spans are stored or
dead-lettered. (A refused project name is every span's fault: that message is dead-lettered
whole.) Writes are idempotent, so a bisection cut short by a crash is simply done again.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
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
from spyglass_proto.bus.v1.spans_pb2 import DecodedSpan, DecodedSpanBatch, SpansStored
from spyglass_span_store import (
    ConcurrentDeleteError,
    ProjectRefusedError,
    write_batches,
)

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
    asyncpg.CrashShutdownError,
    asyncpg.InsufficientResourcesError,
    asyncpg.ObjectInUseError,
    # The schema is older than this writer: wait for the migration instead of dead-lettering.
    asyncpg.UndefinedTableError,
    asyncpg.UndefinedColumnError,
    # A project deleted during the write: the next attempt resolves it again.
    asyncpg.ForeignKeyViolationError,
    ConcurrentDeleteError,
)
"""Errors that say the database, not the data, is at fault: retry the same messages later."""

_CLIENT_DATA_ERROR = asyncpg.exceptions._base.DataError
"""asyncpg's own refusal to encode a value: an InterfaceError, but the data's fault."""

_DATA_ERRORS: tuple[type[BaseException], ...] = (asyncpg.PostgresError, _CLIENT_DATA_ERROR)
_PART_ERRORS: tuple[type[BaseException], ...] = (ProjectRefusedError, *_DATA_ERRORS)
"""Errors that say the data is at fault: isolate the message, then the spans, at fault."""

DEAD_LETTER_REASON_HEADER = "Spyglass-Dead-Letter-Reason"

_STORED_SPAN_BYTES = 128
"""An upper bound of one ``StoredSpan`` in a ``SpansStored`` (two hex ids, a kind, framing)."""


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
        # them correct (see spyglass_span_store).
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
                await self._dead_letter(message.data, f"not a DecodedSpanBatch: {error}", spans=0)
                await message.ack()
        return fetched

    async def _write(self, fetched: list[_Fetched]) -> None:
        try:
            stored = await self._write_retrying(
                [item.batch for item in fetched], [item.message for item in fetched]
            )
        except ProjectRefusedError as error:
            if len(fetched) == 1:
                await self._dead_letter_message(fetched[0], str(error))
                return
            stored = False
        except _DATA_ERRORS as error:
            if len(fetched) == 1:
                await self._write_isolating(fetched[0], error)
                return
            stored = False
        if stored:
            messages = [item.message for item in fetched]
            if await self._announce([item.batch for item in fetched], messages):
                for message in messages:
                    await message.ack()
        elif not self._stopping.is_set():
            log.warning("span_write_isolating_bad_message", messages=len(fetched))
            for item in fetched:
                await self._write([item])

    async def _write_retrying(self, batches: list[DecodedSpanBatch], messages: list[Msg]) -> bool:
        """Write ``batches``, retrying while the database is at fault; False if stopped first.

        The ack deadline of ``messages`` (those the batches came in) is extended at each retry.

        Raises:
            ProjectRefusedError: PostgreSQL refused a project name.
            asyncpg.PostgresError: PostgreSQL refused the data (nothing of it is committed).
        """
        delay = self._tuning.retry_initial_seconds
        while True:
            try:
                await self._write_once(batches)
                return True
            except _CLIENT_DATA_ERROR:
                raise  # an InterfaceError, but the data's fault
            except _TRANSIENT_ERRORS as error:
                if self._stopping.is_set():
                    log.warning("span_write_abandoned_on_stop", batches=len(batches))
                    return False  # unacked: JetStream redelivers them
                metrics.WRITE_RETRIES.inc()
                log.warning(
                    "span_write_retrying",
                    batches=len(batches),
                    spans=sum(len(batch.spans) for batch in batches),
                    error=repr(error),
                    retry_in_seconds=delay,
                )
                for message in messages:
                    await message.in_progress()
                await self._pause(delay)
                delay = min(delay * 2, self._tuning.retry_max_seconds)

    async def _write_isolating(self, item: _Fetched, error: BaseException) -> None:
        """Store every span of ``item`` PostgreSQL takes, dead-letter the others, then ack.

        The spans are bisected: a part that fails is split in two, down to single spans.
        """
        batch = item.batch
        log.warning(
            "span_write_isolating_bad_spans", spans=len(batch.spans), error=str(error)[:300]
        )
        refused: list[tuple[DecodedSpan, str]] = []
        parts: list[list[DecodedSpan]] = []
        spans = list(batch.spans)
        if len(spans) == 1:
            refused.append((spans[0], f"PostgreSQL refused the span: {error}"))
        else:  # the whole already failed: start from its halves
            middle = len(spans) // 2
            parts = [spans[middle:], spans[:middle]]
        while parts:
            spans = parts.pop()
            part = _part_of(batch, spans)
            try:
                if not await self._write_retrying([part], [item.message]):
                    return  # stopping: unacked, redelivered, written again
            except _PART_ERRORS as part_error:
                if len(spans) == 1:
                    refused.append((spans[0], f"PostgreSQL refused the span: {part_error}"))
                else:
                    middle = len(spans) // 2
                    parts += [spans[middle:], spans[:middle]]
                continue
            if not await self._announce([part], [item.message]):
                return  # stopping: unacked, redelivered, written and announced again
            await item.message.in_progress()
        if refused:
            reasons = dict.fromkeys(f"span {span.span_id}: {reason}" for span, reason in refused)
            dead = _part_of(batch, [span for span, _ in refused], f"{batch.batch_id}.refused")
            await self._dead_letter(
                dead.SerializeToString(), "; ".join(reasons), len(refused), dead.batch_id
            )
        await item.message.ack()

    async def _write_once(self, batches: list[DecodedSpanBatch]) -> None:
        started = time.perf_counter()
        async with self._pool.acquire() as connection:
            result = await write_batches(connection, batches)
        elapsed = time.perf_counter() - started
        metrics.SPANS_WRITTEN.inc(result.inserted)
        metrics.SPANS_DUPLICATE.inc(result.duplicates)
        metrics.WRITE_SECONDS.observe(elapsed)
        metrics.BATCH_SPANS.observe(result.inserted + result.duplicates)
        log.debug(
            "spans_written",
            inserted=result.inserted,
            duplicates=result.duplicates,
            batches=len(batches),
            ms=round(elapsed * 1000, 1),
        )

    async def _announce(self, batches: list[DecodedSpanBatch], messages: list[Msg]) -> bool:
        """Announce every span of the written ``batches`` on ``spans.stored``; False if stopped.

        Returns once JetStream confirmed each announcement, retrying with back-off (and
        extending the ack deadline of ``messages``, those the batches came in) while it does
        not; the caller acks ``messages`` only after that. Announcements are flagged
        ``may_repeat`` when a message was delivered before.
        """
        may_repeat = any(message.metadata.num_delivered > 1 for message in messages)
        pending = [
            (uuid.uuid4().hex, announcement.SerializeToString())
            for announcement in _announcements(batches, may_repeat, self._max_announced_spans)
        ]
        delay = self._tuning.retry_initial_seconds
        while pending:
            message_id, data = pending[-1]
            try:
                await self._jetstream.publish(
                    self._names.spans_stored_subject,
                    data,
                    stream=self._names.spans_stored_stream,
                    headers={"Nats-Msg-Id": message_id},
                )
            except (TimeoutError, nats.errors.Error) as error:
                metrics.ANNOUNCEMENTS_FAILED.inc()
                if self._stopping.is_set():
                    log.warning("spans_stored_announcement_abandoned_on_stop", batches=len(batches))
                    return False
                log.warning(
                    "spans_stored_announcement_retrying",
                    batches=len(batches),
                    error=repr(error),
                    retry_in_seconds=delay,
                )
                for message in messages:
                    await message.in_progress()
                await self._pause(delay)
                delay = min(delay * 2, self._tuning.retry_max_seconds)
                continue
            pending.pop()
        return True

    @property
    def _max_announced_spans(self) -> int:
        """Spans one announcement holds at most, so it fits in a NATS message."""
        return max(1, (self._nats.max_payload - 1024) // _STORED_SPAN_BYTES)

    async def _dead_letter_message(self, item: _Fetched, reason: str) -> None:
        """Park the whole message of ``item`` on the dead-letter stream, then ack it."""
        await self._dead_letter(item.message.data, reason, len(item.batch.spans))
        await item.message.ack()

    async def _dead_letter(
        self, data: bytes, reason: str, spans: int, message_id: str | None = None
    ) -> None:
        """Publish ``data`` to the dead-letter stream with ``reason`` (the caller acks)."""
        log.error("span_batch_dead_lettered", reason=reason[:1000], spans=spans, bytes=len(data))
        headers = {DEAD_LETTER_REASON_HEADER: reason[:1000].replace("\n", " ")}
        if message_id is not None:
            headers["Nats-Msg-Id"] = message_id  # a redelivered bisection parks them once
        await self._jetstream.publish(
            self._names.dead_letter_subject,
            data,
            stream=self._names.dead_letter_stream,
            headers=headers,
        )
        metrics.BATCHES_DEAD_LETTERED.inc()
        metrics.SPANS_DEAD_LETTERED.inc(spans)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)


def _announcements(
    batches: list[DecodedSpanBatch], may_repeat: bool, max_spans: int
) -> list[SpansStored]:
    """The ``spans.stored`` messages for ``batches``: per project, at most ``max_spans`` each."""
    stored_at = time.time_ns()
    by_project: dict[str, list[SpansStored]] = {}
    for batch in batches:
        announcements = by_project.setdefault(batch.project_name, [])
        for span in batch.spans:
            if not announcements or len(announcements[-1].spans) >= max_spans:
                announcements.append(
                    SpansStored(
                        project_name=batch.project_name,
                        stored_at_unix_nano=stored_at,
                        may_repeat=may_repeat,
                    )
                )
            announcements[-1].spans.add(
                trace_id=span.trace_id, span_id=span.span_id, span_kind=span.span_kind
            )
    return [announcement for group in by_project.values() for announcement in group]


def _part_of(
    batch: DecodedSpanBatch, spans: list[DecodedSpan], batch_id: str | None = None
) -> DecodedSpanBatch:
    """A batch of ``batch``'s project holding ``spans``."""
    return DecodedSpanBatch(
        batch_id=batch_id or batch.batch_id,
        project_name=batch.project_name,
        received_at_unix_nano=batch.received_at_unix_nano,
        spans=spans,
    )
