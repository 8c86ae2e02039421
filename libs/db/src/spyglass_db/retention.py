"""Trace retention: policies' rules and schedules, the sweep that applies them, and its loop.

A policy (``project_trace_retention_policies``) keeps a project's traces for at most some days,
or at most some number of the newest ones, or both (a trace goes when either says so); its cron
schedule says when it is applied. Projects without a policy follow the default one (id 0).

Contracts:

* **Any number of sweepers.** Every query API replica runs a :class:`RetentionService`. A run of a
  policy is claimed by moving its ``last_run_at`` forward under ``FOR UPDATE SKIP LOCKED`` (one
  replica gets it), and every batch of traces is locked with ``FOR UPDATE SKIP LOCKED`` (two
  sweepers of one project never delete the same trace, nor wait for each other).
* **Bounded batches.** Each transaction deletes at most ``batch_size`` traces with their spans,
  annotations (by cascade) and the sessions they emptied. Traces a writer holds are skipped, and
  the writer never waits for more than one batch.
* **Paced.** After each batch a sweep rests in proportion to the batch's time, so that it works
  ``duty_cycle`` of the time (:mod:`spyglass_db.pacing`) and ingest beside it keeps its pace.
* **Spans go with their trace.** The span delete names the trace ids and the time range the
  traces cover, so PostgreSQL prunes it to the partitions that can hold them.
* **A crashed run is harmless.** Everything it did was committed batch by batch, and the rules are
  idempotent: the next scheduled run finishes the work.
"""

from __future__ import annotations

import time as clock
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from croniter import croniter
from prometheus_client import Counter, Gauge
from pydantic import AliasChoices, Field
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from spyglass_core.lifecycle import LoopService
from spyglass_core.logging import get_logger
from spyglass_core.settings import SettingsGroup, group_config
from spyglass_db.models.retention import DEFAULT_RETENTION_POLICY_ID
from spyglass_db.pacing import UNPACED, Pace
from spyglass_db.partitions import apply_max_age, delete_emptied_sessions, ensure_partitions

log = get_logger(__name__)

RETENTION_LAST_RUN = Gauge(
    "spyglass_retention_sweeper_last_run_seconds",
    "Unix time at which this process last looked for due retention policies.",
)
RETENTION_EXECUTIONS = Counter(
    "spyglass_retention_policy_executions_total",
    "Retention policy runs by outcome (success, error).",
    ["status"],
)
RETENTION_TRACES_DELETED = Counter(
    "spyglass_retention_traces_deleted_total",
    "Traces deleted by retention policies (with their spans, annotations and emptied sessions).",
)


class RetentionSettings(SettingsGroup):
    """Retention: the default policy, the global maximum age, and the sweeper's pace."""

    model_config = group_config("SPYGLASS_RETENTION_")

    enabled: bool = Field(
        default=True,
        description="Run the retention sweeper (policies and partitions) in this process.",
    )
    default_days: int | None = Field(
        default=None,
        ge=0,
        description="Days of traces the default policy keeps, written to it at every start "
        "(0: keep forever). Unset: the default policy is whatever the API last set "
        "(keep forever after installation). `PHOENIX_DEFAULT_RETENTION_POLICY_DAYS` also works.",
        validation_alias=AliasChoices(
            "SPYGLASS_RETENTION_DEFAULT_DAYS", "PHOENIX_DEFAULT_RETENTION_POLICY_DAYS"
        ),
    )
    max_age_days: int = Field(
        default=0,
        ge=0,
        description="Global maximum age of spans in days, applied by dropping whole weekly "
        "partitions (so data stays up to a week longer); 0: no global maximum.",
    )
    interval_seconds: float = Field(
        default=60.0, gt=0, description="How often the sweeper looks for due policies."
    )
    batch_size: int = Field(
        default=500, ge=1, le=100_000, description="Traces deleted per transaction."
    )
    partition_weeks_ahead: int = Field(
        default=4, ge=1, le=520, description="Weekly span partitions created ahead of time."
    )
    duty_cycle: float = Field(
        default=0.2,
        gt=0,
        le=1,
        description="Share of the time a sweep spends deleting: after each batch it rests "
        "for the rest, so that ingest beside it keeps its throughput (1: no rest). At 0.2 a "
        "million spans go in about 1.5 minutes on 2 cores while ingest runs at full speed.",
    )


@dataclass(frozen=True)
class RetentionRule:
    """Keep at most ``max_days`` days and/or the ``max_count`` newest traces (None: no limit)."""

    max_days: int | None = None
    max_count: int | None = None

    @property
    def keeps_everything(self) -> bool:
        return not self.max_days and not self.max_count

    @classmethod
    def from_json(cls, rule: dict[str, Any]) -> RetentionRule:
        """Read Phoenix's rule JSON (``type`` with ``max_days`` and/or ``max_count``)."""
        days, count = rule.get("max_days"), rule.get("max_count")
        return cls(max_days=int(days) if days else None, max_count=int(count) if count else None)

    def to_json(self) -> dict[str, Any]:
        """Phoenix's rule JSON; keeping everything is ``max_days`` 0, as its default policy."""
        if self.max_days and self.max_count:
            return {
                "type": "max_days_or_count",
                "max_days": self.max_days,
                "max_count": self.max_count,
            }
        if self.max_count:
            return {"type": "max_count", "max_count": self.max_count}
        return {"type": "max_days", "max_days": self.max_days or 0}


def cron_error(expression: str) -> str | None:
    """Why ``expression`` is not a five-field cron schedule, or None if it is one."""
    if len(expression.split()) != 5:
        return "a cron schedule has five fields: minute hour day-of-month month day-of-week"
    try:
        croniter(expression, datetime(2000, 1, 1, tzinfo=UTC)).get_next(datetime)
    except Exception as error:  # croniter raises several kinds for what it can't read
        return f"not a valid cron schedule ({error})"
    return None


def next_run(expression: str, after: datetime) -> datetime:
    """The first time after ``after`` that the cron schedule ``expression`` fires (UTC)."""
    fired: datetime = croniter(expression, after.astimezone(UTC)).get_next(datetime)
    return fired


@dataclass(frozen=True)
class DuePolicy:
    """A policy whose run this sweeper claimed."""

    id: int
    name: str
    rule: RetentionRule


async def claim_due_policies(connection: AsyncConnection, now: datetime) -> list[DuePolicy]:
    """Claim the policies whose schedule fired since their last run, marking them run at ``now``.

    Policies another sweeper is claiming are skipped; one that was just claimed is seen with
    its new ``last_run_at`` and is not due any more.
    """
    rows = await connection.execute(
        text(
            "SELECT id, name, cron_expression, rule, COALESCE(last_run_at, created_at) AS since "
            "FROM project_trace_retention_policies ORDER BY id FOR UPDATE SKIP LOCKED"
        )
    )
    due = [
        DuePolicy(row.id, row.name, RetentionRule.from_json(row.rule))
        for row in rows
        if cron_error(row.cron_expression) is None
        and next_run(row.cron_expression, row.since) <= now
    ]
    if due:
        await connection.execute(
            text(
                "UPDATE project_trace_retention_policies SET last_run_at = :now "
                "WHERE id = ANY(CAST(:ids AS bigint[]))"
            ),
            {"now": now, "ids": [policy.id for policy in due]},
        )
    return due


async def list_policy_projects(connection: AsyncConnection, policy_id: int) -> list[int]:
    """The ids of the projects ``policy_id`` applies to (the default: those with none)."""
    if policy_id == DEFAULT_RETENTION_POLICY_ID:
        condition = "trace_retention_policy_id IS NULL OR trace_retention_policy_id = :policy"
    else:
        condition = "trace_retention_policy_id = :policy"
    rows = await connection.execute(
        text(f"SELECT id FROM projects WHERE {condition} ORDER BY id"), {"policy": policy_id}
    )
    return list(rows.scalars())


async def retention_boundary(
    connection: AsyncConnection, project_id: int, rule: RetentionRule, now: datetime
) -> tuple[datetime, int] | None:
    """The ``(start_time, id)`` below which ``rule`` deletes the project's traces, or None."""
    boundaries: list[tuple[datetime, int]] = []
    if rule.max_days:
        boundaries.append((now - timedelta(days=rule.max_days), 0))
    if rule.max_count:
        oldest_kept = await connection.execute(
            text(
                "SELECT start_time, id FROM traces WHERE project_rowid = :project "
                "ORDER BY start_time DESC, id DESC OFFSET :offset LIMIT 1"
            ),
            {"project": project_id, "offset": rule.max_count - 1},
        )
        row = oldest_kept.first()
        if row is not None:
            boundaries.append((row.start_time, row.id))
    return max(boundaries) if boundaries else None


async def delete_trace_batch(
    connection: AsyncConnection,
    project_id: int,
    boundary: tuple[datetime, int],
    batch_size: int,
) -> int:
    """Delete up to ``batch_size`` of the project's oldest traces below ``boundary``, with their
    spans, annotations and emptied sessions; return how many traces. Locked traces are skipped.
    """
    claimed = await connection.execute(
        text(
            "SELECT id, project_session_rowid, start_time, end_time FROM traces "
            "WHERE project_rowid = :project AND (start_time, id) < (:before, :before_id) "
            "ORDER BY start_time, id LIMIT :batch FOR UPDATE SKIP LOCKED"
        ),
        {
            "project": project_id,
            "before": boundary[0],
            "before_id": boundary[1],
            "batch": batch_size,
        },
    )
    traces = claimed.all()
    if not traces:
        return 0
    ids = [trace.id for trace in traces]
    # A trace's bounds cover its spans' start times (the writer widens them per batch), so the
    # time range lets PostgreSQL skip every partition that can't hold them.
    await connection.execute(
        text(
            "DELETE FROM spans WHERE trace_rowid = ANY(CAST(:ids AS bigint[])) "
            "AND start_time >= :first AND start_time <= :last"
        ),
        {
            "ids": ids,
            "first": min(trace.start_time for trace in traces),
            "last": max(trace.end_time for trace in traces),
        },
    )
    await connection.execute(
        text("DELETE FROM traces WHERE id = ANY(CAST(:ids AS bigint[]))"), {"ids": ids}
    )
    sessions = [trace.project_session_rowid for trace in traces if trace.project_session_rowid]
    await delete_emptied_sessions(connection, sessions)
    return len(traces)


async def sweep_project(
    engine: AsyncEngine,
    project_id: int,
    rule: RetentionRule,
    now: datetime,
    batch_size: int = 500,
    pace: Pace = UNPACED,
) -> int:
    """Apply ``rule`` to one project, a batch a transaction; return how many traces it deleted."""
    if rule.keeps_everything:
        return 0
    async with engine.connect() as connection:
        boundary = await retention_boundary(connection, project_id, rule, now)
        await connection.rollback()
    if boundary is None:
        return 0
    deleted = 0
    while True:
        started = pace.started()
        async with engine.begin() as connection:
            count = await delete_trace_batch(connection, project_id, boundary, batch_size)
        deleted += count
        if count == 0:
            return deleted
        await pace.rest_after(started)


async def sweep_due_policies(
    engine: AsyncEngine, now: datetime, batch_size: int = 500, pace: Pace = UNPACED
) -> int:
    """Claim the due policies and apply each to its projects; return how many traces went."""
    async with engine.begin() as connection:
        due = await claim_due_policies(connection, now)
    deleted = 0
    for policy in due:
        try:
            async with engine.connect() as connection:
                projects = await list_policy_projects(connection, policy.id)
                await connection.rollback()
            for project_id in projects:
                count = await sweep_project(engine, project_id, policy.rule, now, batch_size, pace)
                deleted += count
                RETENTION_TRACES_DELETED.inc(count)
                if count:
                    log.info(
                        "retention_traces_deleted",
                        policy=policy.name,
                        project_id=project_id,
                        count=count,
                    )
        except Exception:
            RETENTION_EXECUTIONS.labels("error").inc()
            log.exception("retention_policy_failed", policy=policy.name)
            continue
        RETENTION_EXECUTIONS.labels("success").inc()
    return deleted


async def apply_default_days(engine: AsyncEngine, days: int) -> None:
    """Make the default policy keep ``days`` days (0: forever), keeping any count limit."""
    async with engine.begin() as connection:
        current = await connection.execute(
            text("SELECT rule FROM project_trace_retention_policies WHERE id = :id FOR UPDATE"),
            {"id": DEFAULT_RETENTION_POLICY_ID},
        )
        rule = current.scalar()
        if rule is None:
            return
        wanted = RetentionRule(days or None, RetentionRule.from_json(rule).max_count).to_json()
        if wanted != rule:
            await connection.execute(
                text(
                    "UPDATE project_trace_retention_policies SET rule = CAST(:rule AS jsonb), "
                    "updated_at = now() WHERE id = :id"
                ),
                {"rule": _json(wanted), "id": DEFAULT_RETENTION_POLICY_ID},
            )
            log.info("default_retention_policy_set", days=days)


def _json(value: dict[str, Any]) -> str:
    return orjson.dumps(value).decode()


class RetentionService(LoopService):
    """Every ``interval_seconds``: create span partitions ahead, apply the global maximum age,
    and run the retention policies that are due. Safe in every replica (see the module)."""

    def __init__(self, engine: AsyncEngine, settings: RetentionSettings) -> None:
        super().__init__("retention", settings.interval_seconds)
        self._engine = engine
        self._settings = settings

    async def start(self) -> None:
        if self._settings.default_days is not None:
            await apply_default_days(self._engine, self._settings.default_days)
        await super().start()

    async def run_once(self) -> None:
        now = datetime.now(UTC)
        RETENTION_LAST_RUN.set(clock.time())
        settings = self._settings
        await ensure_partitions(self._engine, now, settings.partition_weeks_ahead)
        pace = Pace(settings.duty_cycle)
        if settings.max_age_days:
            await apply_max_age(self._engine, now, timedelta(days=settings.max_age_days), pace=pace)
        await sweep_due_policies(self._engine, now, settings.batch_size, pace)
