"""Running a batch of evaluation jobs (the ``spyglass.evaluate`` task): claim, evaluate, record.

1. **Claim** every job of the batch in one transaction (``claim_job``): a job already taken,
   finished, of a changed rule (DROPPED) or of a paused rule (parked) is left alone.
2. **Read** what the claimed jobs need in one statement per kind: evaluator versions and where
   the scores go, the targets' rows (spans, traces' root spans, sessions' turns, runs and
   their examples), and the rules' spend today.
3. **Evaluate** them concurrently (``spyglass_evals.run_evaluation``): built-ins in process,
   judges through the shared rate limit with at most ``calls_in_flight`` calls open, code in
   the sandbox.
4. **Record** every verdict in one transaction: the annotation is written and the job finished
   together, only if the job is still this worker's (a lease that ran out under a slow worker
   means another worker's result counts); so each (rule version, target) gets one score.

Every verdict has a reason the rule's counts and the job's audit trail show:

==========================================  =================================================
what happened                               the job
==========================================  =================================================
a score                                     SUCCEEDED (the annotation is written)
429                                         RETRYING after its ``Retry-After`` (the shared
                                            limit slows every process down); FAILED after
                                            ``max_rate_limited``
5xx, timeout, lost connection, an unusable  RETRYING with backoff; FAILED after
judge answer, the sandbox restarting        ``max_attempts``
credential rejected or missing; or          the rule is PAUSED with the reason and the job
``failures_to_pause`` judge calls of a      parked (PENDING) until it is resumed; a dataset
rule failing in a row; or the user the      evaluator's job FAILS (there is no rule to pause)
rule runs for is gone or a viewer now
code that raises, times out, returns        FAILED with the sandbox's reason (that job only)
garbage; a missing input; a bad model
the target is no longer stored              FAILED ("... is no longer stored")
the rule's daily token or cost cap spent    SHED
==========================================  =================================================
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from spyglass_auth import requester_refusal
from spyglass_core.logging import get_logger
from spyglass_db.annotations import AnnotationWrite, TargetKind, upsert_annotations
from spyglass_db.evaluation_jobs import (
    ClaimedJob,
    JobEnd,
    claim_jobs,
    finish_jobs,
    park_job,
    retry_jobs,
)
from spyglass_db.evaluation_rules import Spend, add_rule_spend, pause_rule, rule_spend
from spyglass_db.evaluation_targets import (
    JobWork,
    load_job_work,
    load_runs,
    load_sessions,
    load_spans,
    load_traces,
)
from spyglass_db.experiment_runs import UPSERT_EVALUATION
from spyglass_eval_worker.resources import WorkerResources
from spyglass_evals import (
    EvaluationError,
    EvaluatorConfigError,
    EvaluatorDefinition,
    JudgeDefinition,
    map_inputs,
    parse_definition,
    run_evaluation,
)
from spyglass_evals.material import run_material, session_material, span_material
from spyglass_evals.running import Evaluated
from spyglass_llm.chat import ChatRequest, Completion
from spyglass_llm.errors import (
    CredentialRejected,
    MissingCredential,
    ProviderError,
    RateLimited,
    TransientProviderError,
)
from spyglass_sandbox import SandboxSetupError, SandboxUnavailableError

log = get_logger(__name__)

DEFAULT_RETRY_AFTER = 1.0
MAX_RETRY_AFTER = 300.0
RULE_IDENTIFIER = "rule-{rule_id}"
"""The annotation identifier of a rule's scores: two rules writing the same name don't clash."""


@dataclass(frozen=True)
class Verdict:
    """What becomes of one claimed job."""

    state: str
    """SUCCEEDED, FAILED, SHED, RETRYING or PARKED."""
    reason: str | None = None
    evaluated: Evaluated | None = None
    retry_at: datetime | None = None
    pause: str | None = None
    """Pause the job's rule with this reason."""


async def evaluate_jobs(resources: WorkerResources, job_ids: Sequence[int]) -> Counter[str]:
    """Run the jobs ``job_ids`` (see the module docstring); how many ended in each state."""
    settings = resources.settings
    now = datetime.now(UTC)
    async with resources.engine.begin() as connection:
        claimed, _ = await claim_jobs(connection, job_ids, now, settings.lease_seconds)
    if not claimed:
        return Counter()
    async with resources.engine.connect() as connection:
        work = await load_job_work(connection, [job.id for job in claimed])
        materials = await _materials(connection, claimed)
        capped = sorted(
            {
                job.rule_id
                for job in claimed
                if job.rule_id is not None
                and job.id in work
                and (work[job.id].max_tokens_per_day or work[job.id].max_cost_per_day)
            }
        )
        spend = await rule_spend(connection, capped, now.date()) if capped else {}
        await connection.rollback()
    verdicts = await asyncio.gather(
        *(
            _evaluate(resources, job, work.get(job.id), materials.get(job.id), spend)
            for job in claimed
        )
    )
    await _record(
        resources,
        [(job, work.get(job.id), verdict) for job, verdict in zip(claimed, verdicts, strict=True)],
        now,
    )
    counts = Counter(verdict.state for verdict in verdicts)
    log.info("evaluations_done", jobs=len(claimed), **{k.lower(): v for k, v in counts.items()})
    return counts


async def _materials(
    connection: AsyncConnection, jobs: Sequence[ClaimedJob]
) -> dict[int, dict[str, Any]]:
    """Each job's material, by job id (absent: its target is no longer stored)."""
    by_kind: dict[str, list[ClaimedJob]] = defaultdict(list)
    for job in jobs:
        by_kind[job.target_kind].append(job)
    materials: dict[int, dict[str, Any]] = {}
    spans_by_project: dict[int, list[ClaimedJob]] = defaultdict(list)
    for job in by_kind["SPAN"]:
        spans_by_project[job.project_id or 0].append(job)
    for project_id, project_jobs in spans_by_project.items():
        spans = await load_spans(connection, project_id, [job.target_id for job in project_jobs])
        for job in project_jobs:
            if job.target_id in spans:
                materials[job.id] = span_material(spans[job.target_id])
    if by_kind["TRACE"]:
        traces = await load_traces(connection, [job.target_id for job in by_kind["TRACE"]])
        for job in by_kind["TRACE"]:
            if job.target_id in traces:
                materials[job.id] = span_material(traces[job.target_id])
    if by_kind["SESSION"]:
        sessions = await load_sessions(connection, [job.target_id for job in by_kind["SESSION"]])
        for job in by_kind["SESSION"]:
            if job.target_id in sessions:
                materials[job.id] = session_material(sessions[job.target_id])
    run_jobs = [job for job in by_kind["RUN"] if job.target_id.isdigit()]
    if run_jobs:
        runs = await load_runs(connection, [int(job.target_id) for job in run_jobs])
        for job in run_jobs:
            run = runs.get(int(job.target_id))
            if run is not None:
                materials[job.id] = run_material(
                    run.output, run.example_input, run.expected, run.metadata
                )
    return materials


_GONE = {
    "SPAN": "the span is no longer stored (deleted, or past its project's retention)",
    "TRACE": "the trace's root span is not stored (deleted, past retention, or never sent)",
    "SESSION": "the session is no longer stored",
    "RUN": "the experiment run is no longer stored (its experiment or dataset was deleted)",
}


async def _evaluate(
    resources: WorkerResources,
    job: ClaimedJob,
    work: JobWork | None,
    material: dict[str, Any] | None,
    spend: dict[int, Spend],
) -> Verdict:
    """One job's verdict; never raises for anything the job itself got wrong."""
    if work is None or work.definition is None or work.annotation_name is None:
        return Verdict("FAILED", "its evaluator version no longer exists")
    refused = requester_refusal(work.requested_by, work.requester_name, work.requester_role)
    if refused is not None:
        return _pause_or_fail(job, refused)
    if material is None:
        return Verdict("FAILED", _GONE.get(job.target_kind, "the target is no longer stored"))
    try:
        definition = _definition(resources, work)
    except EvaluatorConfigError as error:
        return Verdict("FAILED", f"the evaluator's stored definition is refused: {error}")
    if isinstance(definition, JudgeDefinition) and job.rule_id in spend:
        over = spend[job.rule_id].over()
        if over is not None:
            return Verdict("SHED", over)
    inputs = map_inputs(material, work.input_mapping)
    settings = resources.settings
    try:
        evaluated = await run_evaluation(
            definition,
            inputs,
            call_judge=lambda request: _call_judge(resources, job, request),
            sandbox=resources.sandbox,
        )
    except RateLimited as error:
        if job.attempts >= settings.max_rate_limited:
            return Verdict("FAILED", f"{error} ({job.attempts} times)")
        wait = min(error.retry_after or DEFAULT_RETRY_AFTER, MAX_RETRY_AFTER)
        return _retry(f"rate limited: {error}", wait)
    except (CredentialRejected, MissingCredential) as error:
        return _pause_or_fail(job, str(error))
    except ProviderError as error:
        if job.rule_id is not None:
            streak = await resources.streak.failed(_streak_subject(job))
            if streak >= settings.failures_to_pause:
                return _pause_or_fail(
                    job, f"{streak} judge calls failed in a row; the last: {error}"
                )
        if isinstance(error, TransientProviderError) and job.attempts < settings.max_attempts:
            return _retry(str(error), _backoff(job.attempts))
        return Verdict("FAILED", str(error))
    except EvaluationError as error:
        if error.retryable and job.attempts < settings.max_attempts:
            return _retry(str(error), _backoff(job.attempts))
        return Verdict("FAILED", str(error))
    except (SandboxUnavailableError, SandboxSetupError) as error:
        if job.attempts < settings.max_attempts:
            return _retry(f"the sandbox is unavailable: {error}", _backoff(job.attempts))
        return Verdict("FAILED", f"the sandbox is unavailable: {error}")
    return Verdict("SUCCEEDED", evaluated=evaluated)


def _definition(resources: WorkerResources, work: JobWork) -> EvaluatorDefinition:
    version_id = int(work.evaluator_version_id or 0)
    definition = resources.definitions.get(version_id)
    if definition is None:
        definition = parse_definition(work.definition, work.evaluator_kind)
        resources.definitions[version_id] = definition
    return definition


async def _call_judge(
    resources: WorkerResources, job: ClaimedJob, request: ChatRequest
) -> Completion:
    """One judge call through the shared limit (a 429 slows every process that calls this
    credential and model); a success resets the rule's failure streak."""
    credentials = await resources.credentials.resolve(request.provider)
    limiter = resources.limiter
    key = limiter.key(credentials.fingerprint, request.provider, request.model)
    async with resources.calls:
        await limiter.wait_for_permit(key)
        try:
            completion = await resources.llm.complete(
                request, credentials, timeout=resources.settings.call_timeout_seconds
            )
        except RateLimited as error:
            await limiter.report(key, limited=True, retry_after=error.retry_after or 0.0)
            raise
        except TransientProviderError:
            await limiter.report(key, limited=False)
            raise
    streak = (resources.streak, _streak_subject(job)) if job.rule_id is not None else None
    await limiter.report(key, limited=False, streak=streak)
    return completion


def _streak_subject(job: ClaimedJob) -> str:
    return f"rule:{job.rule_id}:{job.rule_version}"


def _retry(reason: str, seconds: float) -> Verdict:
    return Verdict(
        "RETRYING", reason, retry_at=datetime.now(UTC) + timedelta(seconds=max(seconds, 0.0))
    )


def _pause_or_fail(job: ClaimedJob, reason: str) -> Verdict:
    if job.rule_id is None:
        return Verdict("FAILED", reason)
    return Verdict("PARKED", f"its rule is paused: {reason}", pause=reason)


def _backoff(attempt: int) -> float:
    """Exponential backoff with jitter: about 1, 2, 4, ... seconds (at most 60)."""
    return min(60.0, 2.0 ** max(attempt - 1, 0)) * random.uniform(0.5, 1.0)  # noqa: S311


async def _record(
    resources: WorkerResources,
    verdicts: list[tuple[ClaimedJob, JobWork | None, Verdict]],
    now: datetime,
) -> None:
    """Write every verdict in one transaction (see the module docstring), a statement a kind."""
    retries = [
        (job.id, str(verdict.reason), verdict.retry_at or now)
        for job, _, verdict in verdicts
        if verdict.state == "RETRYING"
    ]
    parked = [(job, verdict) for job, _, verdict in verdicts if verdict.state == "PARKED"]
    ends = [
        JobEnd(
            job.id,
            verdict.state,
            verdict.reason,
            verdict.evaluated.tokens if verdict.evaluated is not None else None,
            verdict.evaluated.cost if verdict.evaluated is not None else None,
        )
        for job, _, verdict in verdicts
        if verdict.state in ("SUCCEEDED", "FAILED", "SHED")
    ]
    async with resources.engine.begin() as connection:
        await retry_jobs(connection, retries)
        for job, verdict in parked:
            if job.rule_id is not None and await pause_rule(
                connection, job.rule_id, str(verdict.pause)
            ):
                log.warning("evaluation_rule_paused", rule_id=job.rule_id, reason=verdict.pause)
            await park_job(connection, job.id, str(verdict.reason), now)
        # A job not finished here was not this worker's any more: its lease ran out and
        # another worker took it, whose result counts.
        finished = await finish_jobs(connection, ends)
        spend: dict[int, list[float]] = defaultdict(lambda: [0, 0.0])
        writes: dict[TargetKind, list[AnnotationWrite]] = defaultdict(list)
        for job, work, verdict in verdicts:
            if job.id not in finished or work is None or work.annotation_name is None:
                continue
            evaluated = verdict.evaluated
            if job.rule_id is not None and evaluated is not None:
                spend[job.rule_id][0] += evaluated.tokens or 0
                spend[job.rule_id][1] += evaluated.cost or 0.0
            if job.target_kind == "RUN":
                if verdict.state in ("SUCCEEDED", "FAILED"):
                    await _write_run_evaluation(connection, job, work, verdict, now)
            elif evaluated is not None:
                writes[TargetKind(job.target_kind.lower())].append(
                    _annotation(job, work, evaluated)
                )
        for kind, rows in writes.items():
            await upsert_annotations(connection, kind, rows)
        for rule_id, (tokens, cost) in sorted(spend.items()):
            if tokens or cost:
                await add_rule_spend(connection, rule_id, now.date(), int(tokens), cost)


def _annotator_kind(work: JobWork) -> str:
    return "LLM" if work.evaluator_kind == "LLM" else "CODE"


def _annotation(job: ClaimedJob, work: JobWork, evaluated: Evaluated) -> AnnotationWrite:
    result = evaluated.result
    return AnnotationWrite(
        target_id=job.target_id,
        name=str(work.annotation_name),
        annotator_kind=_annotator_kind(work),
        label=result.label,
        score=result.score,
        explanation=result.explanation,
        metadata=_metadata(result.metadata, work),
        identifier=RULE_IDENTIFIER.format(rule_id=job.rule_id),
        source="API",
    )


def _metadata(metadata: dict[str, Any], work: JobWork) -> dict[str, Any]:
    """The result's metadata, and which evaluator version gave it (unless the result uses
    that key itself)."""
    provenance = {"name": work.evaluator_name, "version": work.version}
    return {"evaluator": provenance, **metadata}


async def _write_run_evaluation(
    connection: AsyncConnection, job: ClaimedJob, work: JobWork, verdict: Verdict, now: datetime
) -> None:
    """A dataset evaluator's score (or its failure, as Phoenix records one) on its run."""
    result = verdict.evaluated.result if verdict.evaluated is not None else None
    await connection.execute(
        UPSERT_EVALUATION,
        {
            "run_id": int(job.target_id),
            "name": work.annotation_name,
            "annotator_kind": _annotator_kind(work),
            "label": result.label if result else None,
            "score": result.score if result else None,
            "explanation": result.explanation if result else None,
            "trace_id": None,
            "error": verdict.reason if result is None else None,
            "metadata": _metadata(result.metadata if result else {}, work),
            "start_time": now,
            "end_time": datetime.now(UTC),
        },
    )
