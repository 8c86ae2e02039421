"""Weekly partitions of ``spans``: created ahead of time, dropped whole past the maximum age.

Why weekly: a query that doesn't bound start time (a trace's spans by ``trace_rowid``, a
project's totals) visits every partition, so their number is what it costs; a week each keeps
a year to 52 of them, while a day each would be 365. The price is precision: the global
maximum age removes whole weeks, so data stays up to a week longer than the age says. Project
retention policies (``spyglass_db.retention``) delete by the day, row by row.

Contracts:

* **Nothing is refused for its time.** ``spans_default`` catches every span whose week has no
  partition: a very old one, a far-future one, anything written before the partitions were
  created. Partitions are created ahead for the coming weeks, so the writer never needs one
  that isn't there yet; the current week gets one only while the default holds none of its rows
  (a fresh database), so an upgraded database never moves a week of ingest under lock.
* **A partition can be created over rows the default already holds** (spans from a clock
  running ahead): the rows are moved into the new table before it is attached, and the
  annotations that reference them are set aside and put back, in one transaction, since their
  foreign key would otherwise delete them with the moved rows.
* **Creating is light.** ``CREATE TABLE ... (LIKE spans)`` then ``ATTACH PARTITION`` takes a
  ``SHARE UPDATE EXCLUSIVE`` lock on ``spans`` (ingest goes on) instead of ``CREATE TABLE ...
  PARTITION OF``'s ``ACCESS EXCLUSIVE``; attaching still locks and scans ``spans_default``.
* **Dropping is consistent.** Annotations of the dropped spans go first (their foreign key
  forbids detaching a partition they reference), then the partition is detached and dropped;
  traces left with no spans and sessions left with no traces are deleted afterwards in
  batches (``delete_emptied_traces``), so a crash in between is mended by the next run.
* **One maintainer at a time.** Every step takes ``PARTITION_LOCK_KEY`` with
  ``pg_try_advisory_xact_lock`` and does nothing if another replica holds it; every DDL
  statement runs under ``lock_timeout`` so that it gives up instead of queueing the writers
  behind it when a long query holds ``spans``.
"""

from __future__ import annotations

import re
import time as clock
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from spyglass_core.logging import get_logger
from spyglass_db.pacing import UNPACED, Pace

log = get_logger(__name__)

PARTITION_LOCK_KEY = 0x5350_414E_5350_4152
"""The advisory lock of partition maintenance ("SPANSPAR" in ASCII)."""

PARTITION_WIDTH = timedelta(weeks=1)
LOCK_TIMEOUT = "5s"
"""How long a DDL statement waits for its lock before this run gives up (the next one retries)."""

_NAME = re.compile(r"^spans_p(\d{8})$")

PARTITION_STORAGE = "toast_tuple_target = 8160"
"""Storage parameters of every span partition (they belong to partitions, not to ``spans``).

A span row of 2-4 KB stays inline and uncompressed instead of being pglz-compressed into TOAST
(migration 0003): without it, a raw COPY into a weekly partition ran at 24,000 rows/s against
41,000 into ``spans_default``, and PostgreSQL spent a third more CPU per span under ingest.
"""


@dataclass(frozen=True)
class Partition:
    """One weekly partition: ``[start, end)``."""

    name: str
    start: datetime
    end: datetime


def week_start(instant: datetime) -> datetime:
    """The Monday 00:00 UTC that begins the week of ``instant``."""
    day = instant.astimezone(UTC).date()
    return datetime.combine(day - timedelta(days=day.weekday()), time(), UTC)


def partition_for(start: datetime) -> Partition:
    """The partition of the week that begins at ``start`` (a Monday 00:00 UTC)."""
    return Partition(f"spans_p{start:%Y%m%d}", start, start + PARTITION_WIDTH)


async def list_partitions(connection: AsyncConnection) -> list[Partition]:
    """The weekly partitions of ``spans``, oldest first (the default partition is not one)."""
    names = await connection.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'spans'::regclass"
        )
    )
    found = []
    for name in names.scalars():
        match = _NAME.match(name)
        if match:
            day = date(int(match[1][:4]), int(match[1][4:6]), int(match[1][6:]))
            found.append(partition_for(datetime.combine(day, time(), UTC)))
    return sorted(found, key=lambda partition: partition.start)


async def _try_lock(connection: AsyncConnection) -> bool:
    locked = await connection.execute(
        text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": PARTITION_LOCK_KEY}
    )
    if not locked.scalar():
        return False
    await connection.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
    return True


async def create_partition(connection: AsyncConnection, partition: Partition) -> int:
    """Create and attach ``partition``, moving into it the rows the default holds for its week.

    Runs in the caller's transaction, which must hold the maintenance lock. Returns how many
    spans were moved out of the default partition.
    """
    bounds = {"start": partition.start, "end": partition.end}
    in_range = "span_start_time >= :start AND span_start_time < :end"
    await connection.execute(
        text(
            f"CREATE TABLE {partition.name} (LIKE spans INCLUDING DEFAULTS INCLUDING CONSTRAINTS) "
            f"WITH ({PARTITION_STORAGE})"
        )
    )
    moved = 0
    if await _holds_rows(connection, partition):
        # The foreign keys of annotations would delete them with the rows moved: keep a copy.
        for table in ("span_annotations", "document_annotations"):
            await connection.execute(
                text(f"CREATE TEMPORARY TABLE moving_{table} (LIKE {table}) ON COMMIT DROP")
            )
            await connection.execute(
                text(f"INSERT INTO moving_{table} SELECT * FROM {table} WHERE {in_range}"),
                bounds,
            )
        result = await connection.execute(
            text(
                f"WITH moved AS (DELETE FROM spans_default WHERE start_time >= :start "
                f"AND start_time < :end RETURNING *) "
                f"INSERT INTO {partition.name} SELECT * FROM moved"
            ),
            bounds,
        )
        moved = result.rowcount
    await connection.execute(
        text(
            f"ALTER TABLE spans ATTACH PARTITION {partition.name} "
            f"FOR VALUES FROM ('{partition.start.isoformat()}') TO ('{partition.end.isoformat()}')"
        )
    )
    if moved:
        for table in ("span_annotations", "document_annotations"):
            await connection.execute(text(f"INSERT INTO {table} SELECT * FROM moving_{table}"))
    return moved


async def _holds_rows(connection: AsyncConnection, partition: Partition) -> bool:
    """Whether the default partition holds spans of ``partition``'s week."""
    occupied = await connection.execute(
        text(
            "SELECT EXISTS (SELECT 1 FROM spans_default "
            "WHERE start_time >= :start AND start_time < :end)"
        ),
        {"start": partition.start, "end": partition.end},
    )
    return bool(occupied.scalar())


async def ensure_partitions(engine: AsyncEngine, now: datetime, weeks_ahead: int) -> list[str]:
    """Create the missing partitions of the week of ``now`` and the ``weeks_ahead`` weeks after
    it, each in its own transaction; return their names.

    The current week is created only while the default partition holds none of its rows (a
    fresh database): moving a week of ingest under lock is what this module never does; such a
    week stays in the default partition. Creates nothing while another replica maintains them.
    """
    current = week_start(now)
    wanted = [partition_for(current + PARTITION_WIDTH * week) for week in range(weeks_ahead + 1)]
    created: list[str] = []
    for partition in wanted:
        async with engine.begin() as connection:
            if not await _try_lock(connection):
                return created
            existing = {known.name for known in await list_partitions(connection)}
            if partition.name in existing:
                continue
            if partition.start == current and await _holds_rows(connection, partition):
                continue
            moved = await create_partition(connection, partition)
        created.append(partition.name)
        log.info("span_partition_created", partition=partition.name, moved_from_default=moved)
    return created


@dataclass(frozen=True)
class DropReport:
    """What applying the global maximum age removed."""

    partitions: tuple[str, ...] = ()
    default_spans: int = 0
    traces: int = 0
    sessions: int = 0
    drop_seconds: float = 0.0
    """How long dropping the partitions took (their annotations, detach, drop), commits included."""


async def drop_partition(connection: AsyncConnection, partition: Partition) -> None:
    """Delete the annotations of ``partition``'s spans, then detach and drop it.

    Runs in the caller's transaction, which must hold the maintenance lock.
    """
    bounds = {"start": partition.start, "end": partition.end}
    for table in ("span_annotations", "document_annotations"):
        await connection.execute(
            text(f"DELETE FROM {table} WHERE span_start_time >= :start AND span_start_time < :end"),
            bounds,
        )
    await connection.execute(text(f"ALTER TABLE spans DETACH PARTITION {partition.name}"))
    await connection.execute(text(f"DROP TABLE {partition.name}"))


async def delete_old_default_spans(
    connection: AsyncConnection, before: datetime, batch_size: int
) -> int:
    """Delete up to ``batch_size`` spans of the default partition that start before ``before``
    (their annotations go by cascade); return how many."""
    deleted = await connection.execute(
        text(
            "DELETE FROM spans_default WHERE ctid = ANY(ARRAY(SELECT ctid FROM spans_default "
            "WHERE start_time < :before LIMIT :batch FOR UPDATE SKIP LOCKED))"
        ),
        {"before": before, "batch": batch_size},
    )
    return deleted.rowcount


async def delete_emptied_traces(
    connection: AsyncConnection, before: datetime, batch_size: int
) -> tuple[int, int]:
    """Delete up to ``batch_size`` traces that start before ``before`` and have no spans left,
    then the sessions of theirs left with no traces; return how many of each.

    Traces a writer holds are skipped (it may be adding their spans right now).
    """
    traces = await connection.execute(
        text(
            "DELETE FROM traces WHERE id = ANY(ARRAY(SELECT t.id FROM traces t "
            "WHERE t.start_time < :before AND NOT EXISTS "
            "(SELECT 1 FROM spans s WHERE s.trace_rowid = t.id) "
            "LIMIT :batch FOR UPDATE SKIP LOCKED)) RETURNING project_session_rowid"
        ),
        {"before": before, "batch": batch_size},
    )
    rows = traces.scalars().all()
    sessions = await delete_emptied_sessions(connection, [row for row in rows if row is not None])
    return len(rows), sessions


async def delete_emptied_sessions(connection: AsyncConnection, session_ids: list[int]) -> int:
    """Delete those of ``session_ids`` that have no traces left (their annotations cascade)."""
    if not session_ids:
        return 0
    deleted = await connection.execute(
        text(
            "DELETE FROM project_sessions s WHERE s.id = ANY(CAST(:ids AS bigint[])) "
            "AND NOT EXISTS (SELECT 1 FROM traces t WHERE t.project_session_rowid = s.id)"
        ),
        {"ids": sorted(set(session_ids))},
    )
    return deleted.rowcount


async def apply_max_age(
    engine: AsyncEngine,
    now: datetime,
    max_age: timedelta,
    batch_size: int = 10_000,
    pace: Pace = UNPACED,
) -> DropReport:
    """Remove the spans older than ``max_age``: whole partitions whose week ended before the
    cutoff, and the default partition's old rows in batches; then the traces and sessions this
    emptied. Does nothing while another replica maintains the partitions.
    """
    cutoff = now - max_age
    dropped: list[str] = []
    async with engine.connect() as probe:
        old = [p for p in await list_partitions(probe) if p.end <= cutoff]
        await probe.rollback()
    started = clock.perf_counter()
    for partition in old:
        async with engine.begin() as connection:
            if not await _try_lock(connection):
                return DropReport(partitions=tuple(dropped))
            await drop_partition(connection, partition)
        dropped.append(partition.name)
        log.info("span_partition_dropped", partition=partition.name, cutoff=cutoff.isoformat())
    drop_seconds = clock.perf_counter() - started
    default_spans = traces = sessions = 0
    while True:
        started = pace.started()
        async with engine.begin() as connection:
            count = await delete_old_default_spans(connection, cutoff, batch_size)
        default_spans += count
        if count < batch_size:
            break
        await pace.rest_after(started)
    while True:
        started = pace.started()
        async with engine.begin() as connection:
            count, emptied_sessions = await delete_emptied_traces(connection, cutoff, batch_size)
        traces += count
        sessions += emptied_sessions
        if count < batch_size:
            break
        await pace.rest_after(started)
    report = DropReport(tuple(dropped), default_spans, traces, sessions, drop_seconds)
    if dropped or default_spans or traces:
        log.info(
            "max_age_applied",
            cutoff=cutoff.isoformat(),
            partitions=len(dropped),
            default_spans=default_spans,
            traces=traces,
            sessions=sessions,
        )
    return report
