"""How online evaluation rules, their figures, their jobs and their decisions about a span read
over REST (the rows are ``queries/evaluation_rules.py``, ``evaluation_rule_figures.py`` and
``evaluation_decisions.py``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from spyglass_query_api.queries.evaluation_decisions import SpanDecision
from spyglass_query_api.queries.evaluation_rule_figures import (
    FIGURES_WINDOW_SECONDS,
    DryRun,
    RuleFigures,
    RuleJobRow,
)
from spyglass_query_api.queries.evaluation_rules import RuleRow
from spyglass_query_api.queries.ids import global_id


class RuleEvaluator(BaseModel):
    id: str
    name: str
    kind: str


class JobCounts(BaseModel):
    """Jobs by state."""

    pending: int
    queued: int
    running: int
    retrying: int
    succeeded: int
    failed: int
    shed: int
    dropped: int


class ReasonCount(BaseModel):
    reason: str
    jobs: int


class RuleSpend(BaseModel):
    """Today's spend (UTC day) against the rule's daily caps."""

    tokens_today: int
    cost_today: float
    max_tokens_per_day: int | None
    max_cost_per_day: float | None


class EvaluationRuleFigures(BaseModel):
    """What the rule did: the dispatcher's counts over the window, and its jobs now."""

    window_seconds: int
    """The window of ``matched``, ``sampled_out``, ``shed`` and ``failure_reasons``."""
    matched: int
    """Spans the filter matched."""
    sampled_out: int
    """Of those, the spans whose trace (or session) the sampling rate left out."""
    shed: int
    """Targets not scored because the rule was over its daily spend cap."""
    jobs: JobCounts
    """Jobs by state, of every version of the rule."""
    current_version_jobs: JobCounts
    """Jobs by state, of the rule's current version."""
    oldest_queued_seconds: float | None
    """How long the oldest queued job has waited since it was recorded (null: none queued)."""
    retrying_reasons: list[ReasonCount]
    """The most common reasons of the jobs waiting to be retried."""
    failure_reasons: list[ReasonCount]
    """The most common reasons of the jobs that failed within the window."""
    spend: RuleSpend


class DryRunFigures(BaseModel):
    """What the filter, target and rate would have done to the project's last hour."""

    window_seconds: float
    matched_spans: int
    sampled_spans: int
    targets: int
    """What would have been scored: sampled spans, or distinct traces or sessions."""
    without_session: int
    """Matched spans a SESSION rule skips: they belong to no session."""
    truncated: bool
    """More spans matched than a dry run reads: the figures cover the newest of them."""
    oldest_span_time: datetime | None


class EvaluationRule(BaseModel):
    id: str
    project_id: str
    project_name: str
    name: str
    annotation_name: str
    evaluator: RuleEvaluator
    evaluator_version: int | None
    """The evaluator version it runs; null: always the latest."""
    filter: str
    target: str
    sampling_rate: float
    delay_seconds: float
    quiet_seconds: float
    input_mapping: dict[str, Any]
    max_tokens_per_day: int | None
    max_cost_per_day: float | None
    status: str
    """ACTIVE or PAUSED."""
    status_reason: str | None
    """Why it is paused (by a user, or by the worker: a rejected credential, a failing
    provider)."""
    version: int
    """Counts changes to what the rule does; jobs of older versions are dropped."""
    created_at: datetime
    updated_at: datetime
    figures: EvaluationRuleFigures
    dry_run: DryRunFigures | None
    """On creation and change: the dry run of the rule's filter, target and rate."""


class EvaluationJob(BaseModel):
    """One evaluation a rule decided on: the audit trail's entry."""

    id: str
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


class Sampling(BaseModel):
    key_kind: str
    """Whose id was drawn: ``trace`` or ``session``."""
    key: str
    draw: float
    """The id's draw in [0, 1): sampled when below the rate."""
    rate: float
    sampled: bool


class EvaluationRuleSummary(BaseModel):
    id: str
    name: str
    annotation_name: str
    evaluator: RuleEvaluator
    target: str
    sampling_rate: float
    status: str
    status_reason: str | None
    version: int


class SpanRuleDecision(BaseModel):
    rule: EvaluationRuleSummary
    decision: str
    """scored, pending, queued, running, retrying, failed, shed, dropped (its job's state);
    filter_invalid, not_matched, no_session, sampled_out, paused, not_decided."""
    reason: str
    target_kind: str
    target_id: str | None
    matched: bool | None
    sampling: Sampling | None
    job: EvaluationJob | None
    """The job of the rule's current version for the span, or its trace or session."""
    earlier_jobs: list[EvaluationJob]
    """Jobs of earlier versions of the rule for the same target."""


def _counts(by_state: dict[str, int]) -> JobCounts:
    return JobCounts(**{field: by_state.get(field.upper(), 0) for field in JobCounts.model_fields})


def _figures(row: RuleRow, figures: RuleFigures) -> EvaluationRuleFigures:
    return EvaluationRuleFigures(
        window_seconds=FIGURES_WINDOW_SECONDS,
        matched=figures.matched,
        sampled_out=figures.sampled_out,
        shed=figures.shed,
        jobs=_counts(figures.jobs),
        current_version_jobs=_counts(figures.current_version_jobs),
        oldest_queued_seconds=figures.oldest_queued_seconds,
        retrying_reasons=[
            ReasonCount(reason=r.reason, jobs=r.jobs) for r in figures.retrying_reasons
        ],
        failure_reasons=[
            ReasonCount(reason=r.reason, jobs=r.jobs) for r in figures.failure_reasons
        ],
        spend=RuleSpend(
            tokens_today=figures.tokens_today,
            cost_today=figures.cost_today,
            max_tokens_per_day=row.max_tokens_per_day,
            max_cost_per_day=row.max_cost_per_day,
        ),
    )


def dry_run_shape(dry_run: DryRun) -> DryRunFigures:
    """The REST shape of a dry run."""
    return DryRunFigures(
        window_seconds=dry_run.window_seconds,
        matched_spans=dry_run.matched_spans,
        sampled_spans=dry_run.sampled_spans,
        targets=dry_run.targets,
        without_session=dry_run.without_session,
        truncated=dry_run.truncated,
        oldest_span_time=dry_run.oldest_span_time,
    )


def _evaluator(row: RuleRow) -> RuleEvaluator:
    return RuleEvaluator(
        id=global_id("Evaluator", row.evaluator_id),
        name=row.evaluator_name,
        kind=row.evaluator_kind,
    )


def rule_shape(row: RuleRow, figures: RuleFigures, dry_run: DryRun | None = None) -> EvaluationRule:
    """The REST shape of a rule with its figures (and a dry run, on creation and change)."""
    return EvaluationRule(
        id=global_id("EvaluationRule", row.id),
        project_id=global_id("Project", row.project_id),
        project_name=row.project_name,
        name=row.name,
        annotation_name=row.annotation_name,
        evaluator=_evaluator(row),
        evaluator_version=row.evaluator_version,
        filter=row.filter,
        target=row.target,
        sampling_rate=row.sampling_rate,
        delay_seconds=row.delay_seconds,
        quiet_seconds=row.quiet_seconds,
        input_mapping=row.input_mapping,
        max_tokens_per_day=row.max_tokens_per_day,
        max_cost_per_day=row.max_cost_per_day,
        status=row.status,
        status_reason=row.status_reason,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
        figures=_figures(row, figures),
        dry_run=None if dry_run is None else dry_run_shape(dry_run),
    )


def job_shape(row: RuleJobRow) -> EvaluationJob:
    """The REST shape of a job."""
    return EvaluationJob(
        id=global_id("EvaluationJob", row.id),
        target_kind=row.target_kind,
        target_id=row.target_id,
        state=row.state,
        reason=row.reason,
        attempts=row.attempts,
        rule_version=row.rule_version,
        tokens=row.tokens,
        cost=row.cost,
        due_at=row.due_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
        finished_at=row.finished_at,
    )


def decision_shape(decision: SpanDecision) -> SpanRuleDecision:
    """The REST shape of one rule's decision about a span."""
    rule = decision.rule
    sampling = decision.sampling
    return SpanRuleDecision(
        rule=EvaluationRuleSummary(
            id=global_id("EvaluationRule", rule.id),
            name=rule.name,
            annotation_name=rule.annotation_name,
            evaluator=_evaluator(rule),
            target=rule.target,
            sampling_rate=rule.sampling_rate,
            status=rule.status,
            status_reason=rule.status_reason,
            version=rule.version,
        ),
        decision=decision.decision,
        reason=decision.reason,
        target_kind=decision.target_kind,
        target_id=decision.target_id,
        matched=decision.matched,
        sampling=None
        if sampling is None
        else Sampling(
            key_kind=sampling.key_kind,
            key=sampling.key,
            draw=sampling.draw,
            rate=sampling.rate,
            sampled=sampling.sampled,
        ),
        job=None if decision.job is None else job_shape(decision.job),
        earlier_jobs=[job_shape(job) for job in decision.earlier_jobs],
    )
