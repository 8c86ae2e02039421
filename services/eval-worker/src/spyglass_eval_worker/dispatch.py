"""Online evaluation's decisions: from a ``spans.stored`` announcement to recorded jobs.

For the announcement's project, a SPAN or TRACE rule first samples the spans by their trace
id (a pure function of the id, explained again on demand): those it samples out are counted and
never read. Every active rule is then matched against the spans some rule still considers, in
one statement (``spyglass_db.evaluation_rules``). Each (rule, matched span) is then:

* skipped if the rule scores sessions and the span has none;
* sampled out by a SESSION rule (by the span's session id; counted, no row), or
* shed if the rule spent its daily cap (a SHED job with the cap as its reason), or
* recorded as a job of the rule's current version: QUEUED at once (a span rule with no delay),
  or PENDING until its delay has passed or, for a trace or session rule, until the target has
  been quiet for ``quiet_seconds`` (each new span of it pushes that back).

Jobs and per-minute counts are written in one transaction; the caller queues the QUEUED jobs
after the commit and acks the announcement last. A redelivered announcement records nothing
twice (the ledger's unique key) and is not counted twice when it says it may repeat.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import BigInteger, DateTime, Integer, Text

from spyglass_core.logging import get_logger
from spyglass_db.evaluation_jobs import NewJob, RecordedJob, record_jobs
from spyglass_db.evaluation_rules import (
    ActiveRule,
    MatchedSpan,
    Spend,
    is_sampled,
    match_spans,
    rule_condition,
    rule_spend,
    sampling_key,
)
from spyglass_db.filters import FilterExpressionError, SqlCondition

log = get_logger(__name__)


@dataclass
class Decisions:
    """What one announcement made of the project's rules."""

    queued: list[int] = field(default_factory=list)
    """Jobs recorded QUEUED: to be sent to the queue after the commit."""
    matched: Counter[int] = field(default_factory=Counter)
    sampled_out: Counter[int] = field(default_factory=Counter)
    shed: Counter[int] = field(default_factory=Counter)
    pending: int = 0


_COUNT = text(
    """
    INSERT INTO evaluation_rule_counts AS c (rule_id, minute, matched, sampled_out, shed)
    SELECT * FROM unnest(:rule_ids, :minutes, :matched, :sampled_out, :shed)
    ORDER BY 1
    ON CONFLICT (rule_id, minute) DO UPDATE SET
        matched = c.matched + excluded.matched,
        sampled_out = c.sampled_out + excluded.sampled_out,
        shed = c.shed + excluded.shed
    """
).bindparams(
    bindparam("rule_ids", type_=ARRAY(BigInteger())),
    bindparam("minutes", type_=ARRAY(DateTime(timezone=True))),
    bindparam("matched", type_=ARRAY(BigInteger())),
    bindparam("sampled_out", type_=ARRAY(BigInteger())),
    bindparam("shed", type_=ARRAY(BigInteger())),
)

_PUSH_BACK = text(
    """
    UPDATE evaluation_jobs AS j SET due_at = greatest(j.due_at, w.due_at), updated_at = now()
    FROM unnest(:rule_ids, :rule_versions, :target_ids, :due_ats)
        AS w(rule_id, rule_version, target_id, due_at)
    WHERE j.rule_id = w.rule_id AND j.rule_version = w.rule_version
      AND j.target_id = w.target_id AND j.state = 'PENDING'
    """
).bindparams(
    bindparam("rule_ids", type_=ARRAY(BigInteger())),
    bindparam("rule_versions", type_=ARRAY(Integer())),
    bindparam("target_ids", type_=ARRAY(Text())),
    bindparam("due_ats", type_=ARRAY(DateTime(timezone=True))),
)


class CompiledRules:
    """Rule conditions compiled once per (rule, version)."""

    def __init__(self) -> None:
        self._compiled: dict[tuple[int, int], SqlCondition | FilterExpressionError] = {}

    def condition(self, rule: ActiveRule) -> SqlCondition | FilterExpressionError:
        """The rule's condition, or why its filter does not compile."""
        key = (rule.id, rule.version)
        if key not in self._compiled:
            try:
                self._compiled[key] = rule_condition(rule.id, rule.filter)
            except FilterExpressionError as error:
                self._compiled[key] = error
        return self._compiled[key]


def _target_id(rule: ActiveRule, span: MatchedSpan) -> str | None:
    if rule.target == "SPAN":
        return span.span_id
    if rule.target == "TRACE":
        return span.trace_id
    return span.session_id


async def decide(
    connection: AsyncConnection,
    rules: Sequence[ActiveRule],
    compiled: CompiledRules,
    spans: Sequence[tuple[str, str]],
    now: datetime,
    lease_seconds: float,
    *,
    count: bool = True,
) -> Decisions:
    """Record the jobs ``spans`` (of the one project the rules belong to) make, in the
    caller's transaction. ``count``: add to the per-minute counts (False for an announcement
    that may repeat)."""
    decisions = Decisions()
    if not rules or not spans:
        return decisions
    by_id = {rule.id: rule for rule in rules}
    conditions: dict[int, SqlCondition] = {}
    for rule in rules:
        condition = compiled.condition(rule)
        if isinstance(condition, FilterExpressionError):
            log.error("evaluation_rule_filter_invalid", rule_id=rule.id, error=str(condition))
            continue
        conditions[rule.id] = condition
    considered = _sample_before_matching(rules, conditions, spans, decisions)
    matched = await match_spans(
        connection,
        rules[0].project_id,
        [span for span in spans if span in considered],
        conditions,
    )
    capped = [rule.id for rule in rules if rule.capped]
    spend = await rule_spend(connection, capped, now.astimezone(UTC).date()) if capped else {}
    jobs: list[NewJob] = []
    seen: set[tuple[int, str]] = set()
    for span in matched:
        for rule_id in span.rule_ids:
            if rule_id not in considered[(span.trace_id, span.span_id)]:
                continue  # sampled out before matching (counted there)
            rule = by_id[rule_id]
            key = sampling_key(rule.target, span.trace_id, span.session_id)
            target = _target_id(rule, span)
            if key is None or target is None:
                continue
            decisions.matched[rule_id] += 1
            # A SPAN or TRACE rule drew by trace id before matching; a SESSION rule draws now.
            if rule.target == "SESSION" and not is_sampled(key, rule.sampling_rate):
                decisions.sampled_out[rule_id] += 1
                continue
            if (rule_id, target) in seen:
                continue  # a trace or session met again in the same announcement
            seen.add((rule_id, target))
            jobs.append(_job(rule, span, target, now, lease_seconds, spend.get(rule_id)))
    recorded = await record_jobs(connection, jobs)
    decisions.queued = sorted(job.id for job in recorded if job.state == "QUEUED")
    decisions.pending = sum(1 for job in recorded if job.state == "PENDING")
    for job in jobs:
        if job.state == "SHED" and job.rule_id is not None:
            decisions.shed[job.rule_id] += 1
    # A trace or session already waiting to go quiet waits longer (greatest(): a job just
    # recorded is unchanged).
    waiting = sorted(
        (job for job in jobs if job.state == "PENDING" and job.target_kind != "SPAN"),
        key=lambda job: (job.rule_id or 0, job.target_id),
    )
    if waiting and len(recorded) < len(jobs):
        await connection.execute(
            _PUSH_BACK,
            {
                "rule_ids": [job.rule_id for job in waiting],
                "rule_versions": [job.rule_version for job in waiting],
                "target_ids": [job.target_id for job in waiting],
                "due_ats": [job.due_at for job in waiting],
            },
        )
    if count:
        await _count(connection, decisions, now)
    else:
        # An announcement that may repeat: count only the spans it decided for the first time
        # (the span jobs it recorded), so that no span is counted twice; what it matched and
        # sampled out, or matched for a trace or session, may have been counted already.
        await _count(connection, _first_decided(recorded), now)
    return decisions


def _sample_before_matching(
    rules: Sequence[ActiveRule],
    conditions: dict[int, SqlCondition],
    spans: Sequence[tuple[str, str]],
    decisions: Decisions,
) -> dict[tuple[str, str], set[int]]:
    """For each span (trace id, span id), the rules that match it against their filters.

    A SPAN or TRACE rule samples by the trace id the announcement carries, so a span it
    samples out is counted here and never read; a SESSION rule samples by a session id only
    the stored span knows, so it considers every span. Spans no rule considers are left out.
    """
    considered: dict[tuple[str, str], set[int]] = {}
    for trace_id, span_id in spans:
        rule_ids = set()
        for rule in rules:
            if rule.id not in conditions:
                continue
            if rule.target == "SESSION" or is_sampled(trace_id, rule.sampling_rate):
                rule_ids.add(rule.id)
            else:
                decisions.sampled_out[rule.id] += 1
        if rule_ids:
            considered[(trace_id, span_id)] = rule_ids
    return considered


def _first_decided(recorded: Sequence[RecordedJob]) -> Decisions:
    counts = Decisions()
    for job in recorded:
        if job.rule_id is not None and job.target_kind == "SPAN":
            counts.matched[job.rule_id] += 1
            if job.state == "SHED":
                counts.shed[job.rule_id] += 1
    return counts


def _job(
    rule: ActiveRule,
    span: MatchedSpan,
    target: str,
    now: datetime,
    lease_seconds: float,
    spend: Spend | None,
) -> NewJob:
    over = spend.over() if spend is not None else None
    wait = (
        rule.delay_seconds if rule.target == "SPAN" else max(rule.delay_seconds, rule.quiet_seconds)
    )
    if over is not None:
        state, due_at, reason = "SHED", now, over
    elif wait > 0:
        state, due_at, reason = "PENDING", now + timedelta(seconds=wait), _waiting(rule)
    else:
        state, due_at, reason = "QUEUED", now + timedelta(seconds=lease_seconds), None
    return NewJob(
        target_kind=rule.target,
        target_id=target,
        state=state,
        due_at=due_at,
        project_id=rule.project_id,
        rule_id=rule.id,
        rule_version=rule.version,
        evaluator_version_id=rule.evaluator_version_id,
        reason=reason,
    )


def _waiting(rule: ActiveRule) -> str:
    if rule.target == "SPAN":
        return f"waiting {rule.delay_seconds:g} s (the rule's delay)"
    what = "trace" if rule.target == "TRACE" else "session"
    return (
        f"waiting for the {what} to be quiet for {max(rule.quiet_seconds, rule.delay_seconds):g} s"
    )


async def _count(connection: AsyncConnection, decisions: Decisions, now: datetime) -> None:
    rule_ids = sorted(set(decisions.matched) | set(decisions.sampled_out) | set(decisions.shed))
    if not rule_ids:
        return
    minute = now.replace(second=0, microsecond=0)
    await connection.execute(
        _COUNT,
        {
            "rule_ids": rule_ids,
            "minutes": [minute] * len(rule_ids),
            "matched": [decisions.matched[rule_id] for rule_id in rule_ids],
            "sampled_out": [decisions.sampled_out[rule_id] for rule_id in rule_ids],
            "shed": [decisions.shed[rule_id] for rule_id in rule_ids],
        },
    )
