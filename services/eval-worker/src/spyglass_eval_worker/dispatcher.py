"""The online evaluation dispatcher: ``spans.stored`` in, evaluation jobs recorded and queued.

Two loops in one process:

* the **decider** pulls announcements from the durable consumer ``eval-dispatcher`` (several
  dispatchers compete for it), groups them by project, records each project's decisions in one
  transaction (:mod:`spyglass_eval_worker.dispatch`), queues the new QUEUED jobs, and only then
  acks. A dispatcher that dies before the ack has its announcements redelivered; the ledger
  records nothing twice. An announcement that fails (the database away) is left unacked and
  comes back.
* the **releaser** queues, every second, the jobs whose wait is over (a delay, a trace or
  session gone quiet) and those whose lease ran out (a worker died, a task was lost, Redis was
  down when they were first queued): no job stays pending for ever.

Rules are read again every ``rules_refresh_seconds``; their filters are compiled once per
(rule, version).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import defaultdict
from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime

import nats.errors
from google.protobuf.message import DecodeError
from litestar import Litestar
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from prometheus_client import Counter, Gauge
from sqlalchemy.ext.asyncio import AsyncEngine

from spyglass_bus import BusNames, connect, ensure_streams, nats_readiness
from spyglass_bus import close as close_nats
from spyglass_core.errors import DependencyUnavailableError
from spyglass_core.health import Readiness, create_health_app
from spyglass_core.http import HttpServerService
from spyglass_core.lifecycle import BackgroundService, close_on_exit
from spyglass_core.logging import get_logger
from spyglass_db.engine import check_database, create_engine
from spyglass_db.evaluation_jobs import release_due_jobs
from spyglass_db.evaluation_rules import ActiveRule, active_rules
from spyglass_eval_worker.dispatch import CompiledRules, decide
from spyglass_eval_worker.settings import DispatcherSettings, DispatcherTuningSettings
from spyglass_jobs import JobProducer, TaskName
from spyglass_proto.bus.v1.spans_pb2 import SpansStored

log = get_logger(__name__)

ANNOUNCEMENTS = Counter(
    "spyglass_eval_dispatcher_announcements_total",
    "spans.stored announcements decided (acked).",
)
JOBS_QUEUED = Counter(
    "spyglass_eval_dispatcher_jobs_queued_total",
    "Evaluation jobs sent to the evaluations queue (first time or again).",
)
QUEUE_FAILURES = Counter(
    "spyglass_eval_dispatcher_queue_failures_total",
    "Attempts to queue evaluation jobs that Redis refused (the releaser queues them later).",
)
PENDING_ANNOUNCEMENTS = Gauge(
    "spyglass_eval_dispatcher_pending_announcements",
    "spans.stored announcements not yet delivered to a dispatcher (the consumer's backlog).",
)


class RuleView:
    """The active rules of each project, read again every ``refresh_seconds``."""

    def __init__(self, engine: AsyncEngine, refresh_seconds: float) -> None:
        self._engine = engine
        self._refresh_seconds = refresh_seconds
        self._read_at = -float("inf")
        self._by_project: dict[str, list[ActiveRule]] = {}

    async def rules(self, project_names: Sequence[str]) -> dict[str, list[ActiveRule]]:
        """The active rules of each named project (projects without any are left out)."""
        if time.monotonic() - self._read_at >= self._refresh_seconds:
            async with self._engine.connect() as connection:
                rules = await active_rules(connection)
            by_project: dict[str, list[ActiveRule]] = defaultdict(list)
            for rule in rules:
                by_project[rule.project_name].append(rule)
            self._by_project = dict(by_project)
            self._read_at = time.monotonic()
        return {name: self._by_project[name] for name in project_names if name in self._by_project}


@dataclass(frozen=True)
class DispatcherResources:
    """The dispatcher's live clients."""

    nats: NatsClient
    engine: AsyncEngine
    producer: JobProducer
    names: BusNames


async def open_resources(
    settings: DispatcherSettings, stack: AsyncExitStack
) -> DispatcherResources:
    """Connect to NATS (declaring the streams), PostgreSQL and Redis; fail fast, naming the
    setting, if one is unreachable.

    Raises:
        DependencyUnavailableError: NATS, PostgreSQL or Redis can't be reached.
    """
    client = await connect(settings.nats, "spyglass-eval-dispatcher")
    close_on_exit(stack, "nats", lambda: close_nats(client))
    names = BusNames(settings.nats.namespace)
    await ensure_streams(client.jetstream(), names, settings.nats.spans_max_bytes)
    engine = create_engine(settings.db)
    close_on_exit(stack, "database", engine.dispose)
    # The engine and the producer connect lazily: reach both now, or a wrong URL would start a
    # process that is healthy and never decides anything.
    await check_database(engine, settings.db)
    producer = JobProducer(settings.redis, "spyglass-eval-dispatcher")
    close_on_exit(stack, "redis", producer.close)
    await producer.check()
    return DispatcherResources(client, engine, producer, names)


def build_services(
    settings: DispatcherSettings, resources: DispatcherResources
) -> Sequence[BackgroundService]:
    """The health server, then the decider and the releaser."""
    readiness = Readiness()
    readiness.add("nats", nats_readiness(resources.nats))

    async def database_answers() -> None:
        async with resources.engine.connect() as connection:
            await connection.exec_driver_sql("SELECT 1")

    readiness.add("database", database_answers)
    health: Litestar = create_health_app(readiness)
    queue = JobQueue(resources.producer, settings.tuning.jobs_per_task)
    return [
        HttpServerService("health", health, settings.health),
        DeciderService(resources, settings.tuning, queue),
        ReleaserService(resources.engine, settings.tuning, queue),
    ]


class JobQueue:
    """Sends job ids to the evaluations queue, a few per task."""

    def __init__(self, producer: JobProducer, jobs_per_task: int) -> None:
        self._producer = producer
        self._jobs_per_task = jobs_per_task

    async def send(self, job_ids: Sequence[int]) -> bool:
        """Queue ``job_ids``; False if Redis refused (the jobs stay QUEUED in the ledger and
        the releaser queues them again when their lease runs out)."""
        try:
            for start in range(0, len(job_ids), self._jobs_per_task):
                chunk = list(job_ids[start : start + self._jobs_per_task])
                await self._producer.send(TaskName.EVALUATE, job_ids=chunk)
                JOBS_QUEUED.inc(len(chunk))
        except DependencyUnavailableError as error:
            QUEUE_FAILURES.inc()
            log.warning("evaluation_jobs_not_queued", jobs=len(job_ids), error=str(error))
            return False
        return True


class DeciderService(BackgroundService):
    """Decides every ``spans.stored`` announcement, then acks it."""

    name = "eval-decider"

    def __init__(
        self, resources: DispatcherResources, tuning: DispatcherTuningSettings, queue: JobQueue
    ) -> None:
        self._resources = resources
        self._tuning = tuning
        self._queue = queue
        self._rules = RuleView(resources.engine, tuning.rules_refresh_seconds)
        self._compiled = CompiledRules()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        jetstream = self._resources.nats.jetstream()
        names = self._resources.names
        subscription = await jetstream.pull_subscribe(
            names.spans_stored_subject,
            durable=names.eval_dispatcher_consumer,
            stream=names.spans_stored_stream,
            config=ConsumerConfig(
                ack_policy=AckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.ALL,
                ack_wait=self._tuning.ack_wait_seconds,
                max_deliver=-1,
            ),
        )
        self._task = asyncio.create_task(self._run(subscription), name=self.name)

    async def wait(self) -> None:
        assert self._task is not None
        await asyncio.shield(self._task)
        raise RuntimeError("the evaluation decider ended")

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            with contextlib.suppress(Exception):
                await self._task

    async def _run(self, subscription: JetStreamContext.PullSubscription) -> None:
        while not self._stopping.is_set():
            try:
                messages = await subscription.fetch(self._tuning.fetch_messages, timeout=1.0)
            except nats.errors.TimeoutError:
                continue
            except (nats.errors.Error, OSError) as error:
                log.warning("announcement_fetch_failed", error=repr(error))
                await self._pause(1.0)
                continue
            if not messages:
                continue
            PENDING_ANNOUNCEMENTS.set(messages[-1].metadata.num_pending)
            try:
                await self._decide(messages)
            except Exception:
                # Unacked: the announcements come back after ack_wait; the ledger keeps the
                # decisions already recorded from being made twice.
                log.exception("announcements_not_decided", messages=len(messages))
                await self._pause(1.0)

    async def _decide(self, messages: list[Msg]) -> None:
        by_project: dict[str, list[tuple[str, str]]] = defaultdict(list)
        repeating: set[str] = set()
        for message in messages:
            try:
                announcement = SpansStored.FromString(message.data)
            except DecodeError:
                log.error("announcement_undecodable", bytes=len(message.data))
                continue
            spans = by_project[announcement.project_name]
            spans.extend((span.trace_id, span.span_id) for span in announcement.spans)
            if announcement.may_repeat or message.metadata.num_delivered > 1:
                repeating.add(announcement.project_name)
        rules = await self._rules.rules(list(by_project))
        queued: list[int] = []
        now = datetime.now(UTC)
        for project, spans in by_project.items():
            project_rules = rules.get(project)
            if not project_rules:
                continue
            async with self._resources.engine.begin() as connection:
                decisions = await decide(
                    connection,
                    project_rules,
                    self._compiled,
                    spans,
                    now,
                    self._tuning.lease_seconds,
                    count=project not in repeating,
                )
            queued.extend(decisions.queued)
        if queued:
            await self._queue.send(queued)
        for message in messages:
            await message.ack()
        ANNOUNCEMENTS.inc(len(messages))

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)


class ReleaserService(BackgroundService):
    """Queues jobs whose wait is over or whose lease ran out, every ``release_interval``."""

    name = "eval-releaser"

    def __init__(
        self, engine: AsyncEngine, tuning: DispatcherTuningSettings, queue: JobQueue
    ) -> None:
        self._engine = engine
        self._tuning = tuning
        self._queue = queue
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def wait(self) -> None:
        assert self._task is not None
        await asyncio.shield(self._task)
        raise RuntimeError("the evaluation releaser ended")

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            with contextlib.suppress(Exception):
                await self._task

    async def release_once(self) -> int:
        """Queue what is due now; how many jobs were released."""
        released = 0
        while True:
            async with self._engine.begin() as connection:
                job_ids = await release_due_jobs(
                    connection, datetime.now(UTC), self._tuning.lease_seconds
                )
            if not job_ids:
                return released
            released += len(job_ids)
            if not await self._queue.send(job_ids):
                return released

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.release_once()
            except Exception:
                log.exception("evaluation_jobs_not_released")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._tuning.release_interval_seconds)
