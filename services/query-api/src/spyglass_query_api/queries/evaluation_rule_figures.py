"""What online rules did: their live figures, their jobs (the audit trail), and a dry run of a
filter over the last hour.

**Figures** (every rule answer carries them, read for a page of rules in four statements):
the dispatcher's per-minute counts of matched, sampled-out and shed spans summed over a window
(:data:`FIGURES_WINDOW_SECONDS`); the rule's jobs by state, of every version and of the
current one; how long the oldest QUEUED job has waited since it was recorded; the most common
reasons of jobs retrying now and of jobs that failed within the window; and today's spend (UTC
day, as the dispatcher counts it).

**Dry run**: the spans of the project that started within the last hour, matched by the
filter compiled exactly as the dispatcher compiles a rule's (``rule_condition``) and sampled
with the dispatcher's functions (``sampling_key``, ``is_sampled``), so the figures a rule
shows when saved are those it will produce. At most :data:`DRY_RUN_MAX_SPANS` matches are
read (the newest); the answer says when it stopped short.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import BigInteger, Float, Text

from spyglass_db.evaluation_rules import is_sampled, rule_condition, sampling_key
from spyglass_query_api.queries.pages import newest_first, page_start

FIGURES_WINDOW_SECONDS = 24 * 3600
"""The window of a rule's matched / sampled-out / shed counts and of its failure reasons."""

TOP_REASONS = 3
"""How many of the most common retrying and failure reasons a rule's figures list."""

DRY_RUN_WINDOW_SECONDS = 3600
DRY_RUN_MAX_SPANS = 100_000
"""The most matching spans a dry run reads (the newest of the hour)."""

_RULE_IDS = bindparam("rule_ids", type_=ARRAY(BigInteger()))
_WINDOW = bindparam("window_seconds", type_=Float)


@dataclass(frozen=True)
class ReasonCount:
    reason: str
    jobs: int


@dataclass
class RuleFigures:
    """One rule's figures (see the module docstring)."""

    matched: int = 0
    sampled_out: int = 0
    shed: int = 0
    jobs: dict[str, int] = field(default_factory=dict)
    current_version_jobs: dict[str, int] = field(default_factory=dict)
    oldest_queued_seconds: float | None = None
    retrying_reasons: list[ReasonCount] = field(default_factory=list)
    failure_reasons: list[ReasonCount] = field(default_factory=list)
    tokens_today: int = 0
    cost_today: float = 0.0


_COUNTS = text(
    """
    SELECT c.rule_id, sum(c.matched) AS matched, sum(c.sampled_out) AS sampled_out,
        sum(c.shed) AS shed
    FROM evaluation_rule_counts AS c
    WHERE c.rule_id = ANY(:rule_ids) AND c.minute >= now() - make_interval(secs => :window_seconds)
    GROUP BY c.rule_id
    """
).bindparams(_RULE_IDS, _WINDOW)

_JOB_STATES = text(
    """
    SELECT j.rule_id, j.state, count(*) AS jobs,
        count(*) FILTER (WHERE j.rule_version = r.version) AS current_version_jobs,
        extract(epoch FROM now() - min(j.created_at) FILTER (WHERE j.state = 'QUEUED'))
            AS oldest_queued_seconds
    FROM evaluation_jobs AS j JOIN evaluation_rules AS r ON r.id = j.rule_id
    WHERE j.rule_id = ANY(:rule_ids)
    GROUP BY j.rule_id, j.state
    """
).bindparams(_RULE_IDS)

_REASONS = text(
    """
    SELECT rule_id, state, reason, jobs FROM (
        SELECT j.rule_id, j.state, j.reason, count(*) AS jobs,
            row_number() OVER (
                PARTITION BY j.rule_id, j.state ORDER BY count(*) DESC, j.reason
            ) AS place
        FROM evaluation_jobs AS j
        WHERE j.rule_id = ANY(:rule_ids) AND j.reason IS NOT NULL
          AND (j.state = 'RETRYING' OR (j.state = 'FAILED'
               AND j.finished_at >= now() - make_interval(secs => :window_seconds)))
        GROUP BY j.rule_id, j.state, j.reason
    ) AS counted
    WHERE place <= :top
    ORDER BY rule_id, state, place
    """
).bindparams(_RULE_IDS, _WINDOW, bindparam("top", type_=BigInteger))

_SPEND_TODAY = text(
    """
    SELECT s.rule_id, s.tokens, s.cost FROM evaluation_rule_spend AS s
    WHERE s.rule_id = ANY(:rule_ids) AND s.day = (now() AT TIME ZONE 'UTC')::date
    """
).bindparams(_RULE_IDS)


async def rule_figures(connection: AsyncConnection, rule_ids: list[int]) -> dict[int, RuleFigures]:
    """The figures of each rule of ``rule_ids`` (a rule with no activity has zeros)."""
    figures = {rule_id: RuleFigures() for rule_id in rule_ids}
    if not rule_ids:
        return figures
    window = {"rule_ids": rule_ids, "window_seconds": float(FIGURES_WINDOW_SECONDS)}
    for row in await connection.execute(_COUNTS, window):
        rule = figures[int(row.rule_id)]
        rule.matched, rule.sampled_out, rule.shed = (
            int(row.matched), int(row.sampled_out), int(row.shed)
        )  # fmt: skip
    for row in await connection.execute(_JOB_STATES, {"rule_ids": rule_ids}):
        rule = figures[int(row.rule_id)]
        rule.jobs[row.state] = int(row.jobs)
        rule.current_version_jobs[row.state] = int(row.current_version_jobs)
        if row.oldest_queued_seconds is not None:
            rule.oldest_queued_seconds = max(0.0, float(row.oldest_queued_seconds))
    for row in await connection.execute(_REASONS, {**window, "top": TOP_REASONS}):
        rule = figures[int(row.rule_id)]
        reasons = rule.retrying_reasons if row.state == "RETRYING" else rule.failure_reasons
        reasons.append(ReasonCount(row.reason, int(row.jobs)))
    for row in await connection.execute(_SPEND_TODAY, {"rule_ids": rule_ids}):
        rule = figures[int(row.rule_id)]
        rule.tokens_today, rule.cost_today = int(row.tokens), float(row.cost)
    return figures


# Jobs -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleJobRow:
    id: int
    target_kind: str
    target_id: str
    state: str
    reason: str | None
    attempts: int
    rule_version: int | None
    tokens: int | None
    cost: float | None
    due_at: datetime
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None


JOB_COLUMNS_SQL = """
    j.id, j.target_kind, j.target_id, j.state, j.reason, j.attempts, j.rule_version,
    j.tokens, j.cost, j.due_at, j.created_at, j.updated_at, j.finished_at
"""
_JOB_SQL = f"SELECT {JOB_COLUMNS_SQL} FROM evaluation_jobs AS j"
_LIST_JOBS = newest_first(_JOB_SQL, "j.id", "j.rule_id = :rule_id", rule_id=BigInteger())
_LIST_JOBS_IN_STATE = newest_first(
    _JOB_SQL,
    "j.id",
    "j.rule_id = :rule_id AND j.state = :state",
    rule_id=BigInteger(),
    state=Text(),
)


async def list_rule_jobs(
    connection: AsyncConnection, rule_id: int, state: str | None, start: int | None, fetch: int
) -> list[RuleJobRow]:
    """Up to ``fetch`` of the rule's jobs (in ``state``, if given), newest first, from row id
    ``start`` down."""
    values: dict[str, object] = {"rule_id": rule_id, "start": page_start(start), "fetch": fetch}
    if state is None:
        result = await connection.execute(_LIST_JOBS, values)
    else:
        result = await connection.execute(_LIST_JOBS_IN_STATE, {**values, "state": state})
    return [RuleJobRow(**row._mapping) for row in result]


# Dry run ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DryRun:
    """What a filter, target and rate would have done to the last hour's spans."""

    window_seconds: float
    matched_spans: int
    """Spans the filter matches (spans without a session don't count for a SESSION target)."""
    sampled_spans: int
    """Of those, the spans whose trace (or session) the sampling keeps."""
    targets: int
    """What would be scored: sampled spans, or distinct sampled traces or sessions."""
    without_session: int
    """Spans the filter matches that a SESSION target skips (they have no session)."""
    truncated: bool
    """More spans matched than a dry run reads; the figures cover the newest of them."""
    oldest_span_time: datetime | None


_DRY_RUN_SQL = """
    WITH matched AS (
        SELECT t.trace_id, ps.session_id, s.start_time
        FROM spans AS s
        JOIN traces AS t ON t.id = s.trace_rowid
        LEFT JOIN project_sessions AS ps ON ps.id = t.project_session_rowid
        WHERE s.project_rowid = :project_id
          AND s.start_time >= now() - make_interval(secs => :window_seconds)
          AND ({condition})
        ORDER BY s.start_time DESC
        LIMIT :cap
    )
    SELECT trace_id, session_id, count(*) AS spans, min(start_time) AS oldest
    FROM matched GROUP BY trace_id, session_id
"""


async def dry_run(
    connection: AsyncConnection, project_id: int, expression: str, target: str, rate: float
) -> DryRun:
    """Match and sample the project's spans of the last hour as a rule would.

    Raises:
        FilterExpressionError: ``expression`` is not in the filter language.
    """
    condition = rule_condition(0, expression)
    statement = text(_DRY_RUN_SQL.format(condition=condition.sql))
    values: dict[str, Any] = {
        **condition.parameters,
        "project_id": project_id,
        "window_seconds": float(DRY_RUN_WINDOW_SECONDS),
        "cap": DRY_RUN_MAX_SPANS,
    }
    matched = sampled = without_session = read = 0
    oldest: datetime | None = None
    kept: defaultdict[str, int] = defaultdict(int)
    for row in await connection.execute(statement, values):
        spans = int(row.spans)
        read += spans
        oldest = row.oldest if oldest is None else min(oldest, row.oldest)
        key = sampling_key(target, row.trace_id, row.session_id)
        if key is None:
            without_session += spans
            continue
        matched += spans
        if is_sampled(key, rate):
            sampled += spans
            kept[key] += spans
    return DryRun(
        window_seconds=float(DRY_RUN_WINDOW_SECONDS),
        matched_spans=matched,
        sampled_spans=sampled,
        targets=sampled if target == "SPAN" else len(kept),
        without_session=without_session,
        truncated=read >= DRY_RUN_MAX_SPANS,
        oldest_span_time=oldest,
    )
