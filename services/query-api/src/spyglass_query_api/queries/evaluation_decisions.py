"""Why a span has, or has not, a score from each online rule of its project.

Spans a rule did not match or sampled out leave no row (``evaluation_jobs`` holds only what
was decided to run), so those decisions are made again here, the dispatcher's way: the rule's
filter compiled by ``rule_condition`` and applied by ``match_spans`` to this one span, and the
sampling draw of its trace (or session) by ``sampling_key`` / ``sample_draw``. A rule that
decided to score the span (or its trace, or its session) has a job, and the job's state and
reason say what became of it.

In order, a rule's decision is:

=================  =============================================================================
``scored``, ...    the rule's current version has a job for the target: its state, lower-cased
                   (``pending``, ``queued``, ``running``, ``retrying``, ``failed``, ``shed``,
                   ``dropped``; ``scored`` for SUCCEEDED), with the job's reason
``filter_invalid`` the rule's filter no longer compiles (the language changed under it)
``not_matched``    the filter does not match the span
``no_session``     the rule scores sessions and the span belongs to none
``sampled_out``    the draw of the span's trace (or session) is not below the sampling rate
``paused``         matched and sampled, but the rule is paused (it decides nothing meanwhile)
``not_decided``    matched and sampled, no job: the span was stored before this version of the
                   rule existed (``earlier_jobs`` shows what older versions decided), or the
                   dispatcher has not reached it yet
=================  =============================================================================
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import BigInteger, Text

from spyglass_db.evaluation_rules import (
    is_sampled,
    match_spans,
    rule_condition,
    sample_draw,
    sampling_key,
)
from spyglass_db.filters import FilterExpressionError, SqlCondition
from spyglass_query_api.queries.evaluation_rule_figures import JOB_COLUMNS_SQL, RuleJobRow
from spyglass_query_api.queries.evaluation_rules import RuleRow

MAX_JOBS_PER_RULE = 10
"""The most jobs of one rule for one target an answer lists (newest versions first)."""


@dataclass(frozen=True)
class SpanIdentity:
    """The ids a rule's target and sampling key are taken from."""

    span_id: str
    trace_id: str
    session_id: str | None


@dataclass(frozen=True)
class Sampling:
    """A sampling decision, made again: the key's draw against the rule's rate."""

    key_kind: str
    """``trace`` or ``session``: whose id is drawn."""
    key: str
    draw: float
    rate: float
    sampled: bool


@dataclass(frozen=True)
class SpanDecision:
    """What one rule decided about one span, and why."""

    rule: RuleRow
    decision: str
    reason: str
    target_kind: str
    target_id: str | None
    matched: bool | None
    """Whether the filter matches the span now (None: the filter does not compile)."""
    sampling: Sampling | None
    job: RuleJobRow | None
    """The job of the rule's current version for the target, if any."""
    earlier_jobs: list[RuleJobRow] = field(default_factory=list)
    """Jobs of older versions of the rule for the target, newest first."""


_IDENTITY = text(
    """
    SELECT t.trace_id, ps.session_id
    FROM traces AS t LEFT JOIN project_sessions AS ps ON ps.id = t.project_session_rowid
    WHERE t.id = :trace_rowid
    """
).bindparams(bindparam("trace_rowid", type_=BigInteger))

_TARGET_JOBS = text(
    f"""
    SELECT j.rule_id, {JOB_COLUMNS_SQL}
    FROM evaluation_jobs AS j
    WHERE j.project_id = :project_id AND j.target_id = ANY(:target_ids) AND j.rule_id IS NOT NULL
    ORDER BY j.rule_id, j.rule_version DESC, j.id DESC
    """
).bindparams(
    bindparam("project_id", type_=BigInteger), bindparam("target_ids", type_=ARRAY(Text()))
)


async def span_identity(
    connection: AsyncConnection, span_id: str, trace_rowid: int
) -> SpanIdentity | None:
    """The trace and session ids of a stored span (None if its trace is gone)."""
    row = (await connection.execute(_IDENTITY, {"trace_rowid": trace_rowid})).first()
    return None if row is None else SpanIdentity(span_id, row.trace_id, row.session_id)


async def span_decisions(
    connection: AsyncConnection, project_id: int, span: SpanIdentity, rules: Sequence[RuleRow]
) -> list[SpanDecision]:
    """Each rule's decision about ``span`` (a span of project ``project_id``), in rule order."""
    conditions: dict[int, SqlCondition] = {}
    invalid: dict[int, FilterExpressionError] = {}
    for rule in rules:
        try:
            conditions[rule.id] = rule_condition(rule.id, rule.filter)
        except FilterExpressionError as error:
            invalid[rule.id] = error
    matched_rules: set[int] = set()
    for matched in await match_spans(
        connection, project_id, [(span.trace_id, span.span_id)], conditions
    ):
        matched_rules.update(matched.rule_ids)
    targets = [span.span_id, span.trace_id, *([span.session_id] if span.session_id else [])]
    jobs: defaultdict[tuple[int, str], list[RuleJobRow]] = defaultdict(list)
    values = {"project_id": project_id, "target_ids": targets}
    for row in await connection.execute(_TARGET_JOBS, values):
        mapping = dict(row._mapping)
        rule_id = mapping.pop("rule_id")
        job = RuleJobRow(**mapping)
        if len(jobs[(rule_id, job.target_id)]) < MAX_JOBS_PER_RULE:
            jobs[(rule_id, job.target_id)].append(job)
    return [
        _decision(rule, span, rule.id in matched_rules, invalid.get(rule.id), jobs)
        for rule in rules
    ]


def _target_id(target: str, span: SpanIdentity) -> str | None:
    if target == "SPAN":
        return span.span_id
    if target == "TRACE":
        return span.trace_id
    return span.session_id


def _sampling(rule: RuleRow, span: SpanIdentity) -> Sampling | None:
    key = sampling_key(rule.target, span.trace_id, span.session_id)
    if key is None:
        return None
    return Sampling(
        key_kind="session" if rule.target == "SESSION" else "trace",
        key=key,
        draw=sample_draw(key),
        rate=rule.sampling_rate,
        sampled=is_sampled(key, rule.sampling_rate),
    )


def _decision(
    rule: RuleRow,
    span: SpanIdentity,
    matched: bool,
    invalid: FilterExpressionError | None,
    jobs: dict[tuple[int, str], list[RuleJobRow]],
) -> SpanDecision:
    target_id = _target_id(rule.target, span)
    target_jobs = jobs.get((rule.id, target_id), []) if target_id is not None else []
    current = next((job for job in target_jobs if job.rule_version == rule.version), None)
    earlier = [job for job in target_jobs if job.rule_version != rule.version]
    sampling = _sampling(rule, span)

    def decided(decision: str, reason: str) -> SpanDecision:
        return SpanDecision(
            rule=rule,
            decision=decision,
            reason=reason,
            target_kind=rule.target,
            target_id=target_id,
            matched=None if invalid is not None else matched,
            sampling=sampling,
            job=current,
            earlier_jobs=earlier,
        )

    if current is not None:
        return decided(*_job_decision(rule, current))
    if invalid is not None:
        return decided("filter_invalid", f"the rule's filter does not compile: {invalid}")
    if not matched:
        return decided("not_matched", "the rule's filter does not match this span")
    if sampling is None:
        return decided("no_session", "the rule scores sessions and this span belongs to none")
    if not sampling.sampled:
        return decided(
            "sampled_out",
            f"sampled out: the draw of its {sampling.key_kind} ({sampling.draw:.6f}) is not "
            f"below the rule's sampling rate ({sampling.rate:g})",
        )
    if rule.status != "ACTIVE":
        return decided("paused", f"the rule is paused ({rule.status_reason or 'no reason given'})")
    if earlier:
        return decided(
            "not_decided",
            f"no job of the rule's current version {rule.version}: it changed after the span "
            f"was decided (version {earlier[0].rule_version}: {earlier[0].state})",
        )
    return decided(
        "not_decided",
        "no job: the span was stored before this version of the rule existed, or it has not "
        "been dispatched yet",
    )


_JOB_DECISIONS = {
    "PENDING": ("pending", "{what} waits to be scored: {reason}"),
    "QUEUED": ("queued", "{what} is queued to be scored{detail}"),
    "RUNNING": ("running", "{what} is being scored (attempt {attempts})"),
    "RETRYING": ("retrying", "scoring {what} will be tried again: {reason}"),
    "SUCCEEDED": ("scored", "{what} was scored as '{annotation}'"),
    "FAILED": ("failed", "scoring {what} failed: {reason}"),
    "SHED": ("shed", "{what} was not scored (shed): {reason}"),
    "DROPPED": ("dropped", "{what} was not scored: {reason}"),
}
_TARGET_WORDS = {"SPAN": "the span", "TRACE": "its trace", "SESSION": "its session"}


def _job_decision(rule: RuleRow, job: RuleJobRow) -> tuple[str, str]:
    decision, template = _JOB_DECISIONS.get(job.state, (job.state.lower(), "{what}: {reason}"))
    reason = template.format(
        what=_TARGET_WORDS.get(rule.target, "the target"),
        reason=job.reason or "no reason recorded",
        detail=f" ({job.reason})" if job.reason else "",
        attempts=job.attempts,
        annotation=rule.annotation_name,
    )
    return decision, reason
