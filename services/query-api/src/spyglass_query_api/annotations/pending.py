"""Asynchronous annotations whose target isn't stored yet: parked in PostgreSQL, resolved later.

Phoenix's client posts annotations with ``sync=false`` by default, often right after the spans
it annotates were exported, before ingestion has written them. Phoenix keeps those in memory
and retries them every 10 s for 10 min. The query API is stateless and has several replicas,
so it parks them in ``pending_annotations`` (migration 0006), and every replica runs a
:class:`PendingAnnotationService` that claims due rows with ``FOR UPDATE SKIP LOCKED`` (so
replicas share the work and never store one twice), stores those whose target has arrived,
and drops those past their deadline with a log line and a metric.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from spyglass_core.lifecycle import LoopService
from spyglass_core.logging import get_logger
from spyglass_db.annotations import (
    AnnotationWrite,
    Outcome,
    TargetKind,
    upsert_annotations,
)
from spyglass_query_api.queries.pending_annotations import (
    claim_pending_annotations,
    create_pending_annotations,
    delete_pending_annotations,
    retry_pending_annotations,
)

log = get_logger(__name__)

PENDING_DEADLINE = timedelta(minutes=10)
"""How long a parked annotation waits for its target, as in Phoenix."""

ANNOTATIONS_PARKED = Counter(
    "spyglass_annotations_parked_total",
    "Asynchronous annotations parked because their target was not stored yet.",
    ["kind"],
)
ANNOTATIONS_RESOLVED = Counter(
    "spyglass_pending_annotations_resolved_total",
    "Parked annotations stored once their target arrived (or found superseded by a newer write).",
    ["kind"],
)
ANNOTATIONS_DROPPED = Counter(
    "spyglass_annotations_dropped_total",
    "Annotations dropped: their target never arrived, or a document position out of range.",
    ["kind", "reason"],
)


async def park_annotations(
    connection: AsyncConnection,
    kind: TargetKind,
    writes: Sequence[AnnotationWrite],
    deadline: timedelta = PENDING_DEADLINE,
) -> None:
    """Park ``writes`` until their target is stored, for at most ``deadline``."""
    if not writes:
        return
    await create_pending_annotations(connection, kind, writes, deadline)
    ANNOTATIONS_PARKED.labels(kind.value).inc(len(writes))
    log.info("annotations_parked", kind=kind.value, count=len(writes))


@dataclass(frozen=True)
class ResolveReport:
    """What one pass over the due pending annotations did."""

    claimed: int = 0
    resolved: int = 0
    expired: int = 0
    out_of_range: int = 0
    retrying: int = 0


async def resolve_pending_annotations(
    connection: AsyncConnection, batch_size: int = 1000, retry_delay: timedelta | None = None
) -> ResolveReport:
    """Claim up to ``batch_size`` due parked annotations and settle each of them.

    Those whose target is stored now are upserted (a newer write of the same annotation
    wins); those past their deadline, and document annotations whose position the span
    doesn't have, are dropped; the rest are due again after ``retry_delay``. Rows another
    replica holds are skipped, not waited for.
    """
    rows = await claim_pending_annotations(connection, batch_size)
    if not rows:
        return ResolveReport()
    settled: list[int] = []
    retrying: list[int] = []
    tally: Tally[tuple[str, str]] = Tally()
    for kind in TargetKind:
        of_kind = [row for row in rows if row.target_kind == kind.value]
        results = await upsert_annotations(connection, kind, [row.write() for row in of_kind])
        for row, result in zip(of_kind, results, strict=True):
            if result.outcome in (Outcome.STORED, Outcome.SUPERSEDED):
                settled.append(row.id)
                tally["resolved", kind.value] += 1
            elif result.outcome is Outcome.DOCUMENT_OUT_OF_RANGE:
                settled.append(row.id)
                tally["out_of_range", kind.value] += 1
            elif row.expired:
                settled.append(row.id)
                tally["expired", kind.value] += 1
            else:
                retrying.append(row.id)
    await delete_pending_annotations(connection, settled)
    await retry_pending_annotations(connection, retrying, retry_delay or timedelta(seconds=2))
    return _report(len(rows), len(retrying), tally)


def _report(claimed: int, retrying: int, tally: Tally[tuple[str, str]]) -> ResolveReport:
    """Count, log and measure what a pass settled."""
    totals: Tally[str] = Tally()
    for (outcome, kind), count in tally.items():
        totals[outcome] += count
        if outcome == "resolved":
            ANNOTATIONS_RESOLVED.labels(kind).inc(count)
        else:
            reason = "deadline_passed" if outcome == "expired" else "document_position_out_of_range"
            ANNOTATIONS_DROPPED.labels(kind, reason).inc(count)
            log.warning(
                "pending_annotations_dropped",
                kind=kind,
                count=count,
                reason=reason,
                deadline_seconds=PENDING_DEADLINE.total_seconds(),
            )
    if totals["resolved"]:
        log.info("pending_annotations_resolved", count=totals["resolved"], retrying=retrying)
    return ResolveReport(
        claimed=claimed,
        resolved=totals["resolved"],
        expired=totals["expired"],
        out_of_range=totals["out_of_range"],
        retrying=retrying,
    )


class PendingAnnotationService(LoopService):
    """Every ``interval_seconds``, settle the due parked annotations, a batch a transaction.

    Safe to run in every replica: each batch is claimed with ``FOR UPDATE SKIP LOCKED``.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        interval_seconds: float = 2.0,
        batch_size: int = 1000,
        max_batches: int = 20,
    ) -> None:
        super().__init__("pending-annotations", interval_seconds)
        self._engine = engine
        self._batch_size = batch_size
        self._max_batches = max_batches

    async def run_once(self) -> None:
        """Settle batches until fewer than a full batch was due (at most ``max_batches``)."""
        for _ in range(self._max_batches):
            async with self._engine.begin() as connection:
                report = await resolve_pending_annotations(
                    connection,
                    self._batch_size,
                    timedelta(seconds=self.interval_seconds),
                )
            if report.claimed < self._batch_size:
                return
