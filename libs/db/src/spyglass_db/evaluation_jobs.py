"""The evaluation jobs ledger: every evaluation's exactly-once key, its state and its reason.

A job row is written before its task is queued (``record_jobs``; a redelivered ``spans.stored``
or a retried dispatch finds the row and queues nothing), and every move of a job is a
conditional ``UPDATE`` on its state, so two workers never both run it:

* ``claim_jobs``: QUEUED or RETRYING -> RUNNING, with a lease, a batch in one statement. A
  job of a rule that changed since it was recorded is DROPPED instead (a rule's jobs run the
  version they were decided by); one of a paused rule is parked (PENDING, with the pause as
  its reason) until the rule resumes.
* ``finish_jobs``: RUNNING -> SUCCEEDED, FAILED or SHED, with the reason and what it spent.
* ``retry_jobs``: RUNNING -> RETRYING with the reason, due again at a later time.
* ``release_due_jobs``: PENDING jobs whose time has come, and QUEUED, RUNNING or RETRYING jobs
  whose lease ran out (their worker died, their task was lost), become QUEUED again and are
  returned for queueing: nothing stays pending forever.

The annotation a job writes is keyed by its target, name and identifier, so a job run twice
(a lease that ran out under a slow but living worker) still leaves one score.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import BigInteger, DateTime, Double, Integer, Text

from spyglass_db.experiment_runs import DATASET_EVALUATOR_VERSION_SQL

DEFAULT_LEASE_SECONDS = 300.0
"""How long a RUNNING job may take before it is presumed lost and queued again."""

UNFINISHED_STATES = ("PENDING", "QUEUED", "RUNNING", "RETRYING")
PARKED_SECONDS = 86_400.0
"""How long a job of a paused rule waits before it is looked at again; resuming the rule makes
its parked jobs due at once (:func:`unpark_rule_jobs`)."""


@dataclass(frozen=True)
class NewJob:
    """A job to record: from a rule version or a dataset evaluator, for one target."""

    target_kind: str
    target_id: str
    state: str
    due_at: datetime
    project_id: int | None = None
    rule_id: int | None = None
    rule_version: int | None = None
    dataset_evaluator_id: int | None = None
    evaluator_version_id: int | None = None
    reason: str | None = None


@dataclass(frozen=True)
class RecordedJob:
    """A job ``record_jobs`` wrote (not one that was there already)."""

    id: int
    state: str
    rule_id: int | None = None
    target_kind: str | None = None


_RECORD = text(
    """
    INSERT INTO evaluation_jobs AS j
        (rule_id, rule_version, dataset_evaluator_id, project_id, target_kind, target_id,
         evaluator_version_id, state, reason, due_at)
    SELECT * FROM unnest(
        :rule_id, :rule_version, :dataset_evaluator_id, :project_id, :target_kind,
        :target_id, :evaluator_version_id, :state, :reason, :due_at)
    ON CONFLICT DO NOTHING
    RETURNING j.id, j.state, j.rule_id, j.target_kind
    """
).bindparams(
    *(
        bindparam(name, type_=ARRAY(kind))
        for name, kind in (
            ("rule_id", BigInteger()),
            ("rule_version", Integer()),
            ("dataset_evaluator_id", BigInteger()),
            ("project_id", BigInteger()),
            ("target_kind", Text()),
            ("target_id", Text()),
            ("evaluator_version_id", BigInteger()),
            ("state", Text()),
            ("reason", Text()),
            ("due_at", DateTime(timezone=True)),
        )
    )
)


async def record_jobs(connection: AsyncConnection, jobs: Sequence[NewJob]) -> list[RecordedJob]:
    """Write ``jobs``; those already recorded (same source and target) are left alone and not
    returned. Rows are written in (source, target) order, so concurrent dispatchers of
    overlapping batches never deadlock."""
    if not jobs:
        return []
    ordered = sorted(
        jobs,
        key=lambda job: (
            job.rule_id or 0,
            job.rule_version or 0,
            job.dataset_evaluator_id or 0,
            job.target_id,
        ),
    )
    result = await connection.execute(
        _RECORD,
        {
            "rule_id": [job.rule_id for job in ordered],
            "rule_version": [job.rule_version for job in ordered],
            "dataset_evaluator_id": [job.dataset_evaluator_id for job in ordered],
            "project_id": [job.project_id for job in ordered],
            "target_kind": [job.target_kind for job in ordered],
            "target_id": [job.target_id for job in ordered],
            "evaluator_version_id": [job.evaluator_version_id for job in ordered],
            "state": [job.state for job in ordered],
            "reason": [job.reason for job in ordered],
            "due_at": [job.due_at for job in ordered],
        },
    )
    return [
        RecordedJob(int(row.id), str(row.state), row.rule_id, str(row.target_kind))
        for row in result
    ]


@dataclass(frozen=True)
class ClaimedJob:
    """A job this worker now runs (RUNNING, leased)."""

    id: int
    rule_id: int | None
    rule_version: int | None
    dataset_evaluator_id: int | None
    project_id: int | None
    target_kind: str
    target_id: str
    evaluator_version_id: int | None
    attempts: int


@dataclass(frozen=True)
class NotClaimed:
    """Why a job was not claimed: already taken or finished, dropped, or put back to wait."""

    state: str | None
    reason: str | None


_CLAIM = text(
    """
    WITH locked AS (
        SELECT j.id, j.rule_id, j.rule_version, r.version AS current_version,
            r.status AS rule_status, r.status_reason AS rule_reason
        FROM evaluation_jobs AS j
        LEFT JOIN evaluation_rules AS r ON r.id = j.rule_id
        WHERE j.id = ANY(:ids) AND j.state IN ('QUEUED', 'RETRYING')
        ORDER BY j.id
        FOR UPDATE OF j SKIP LOCKED
    ), decided AS (
        SELECT l.*, CASE
            WHEN l.rule_id IS NOT NULL AND l.current_version IS DISTINCT FROM l.rule_version
                THEN 'DROPPED'
            WHEN l.rule_id IS NOT NULL AND l.rule_status <> 'ACTIVE' THEN 'PENDING'
            ELSE 'RUNNING' END AS next_state
        FROM locked AS l
    )
    UPDATE evaluation_jobs AS j SET
        state = d.next_state,
        reason = CASE d.next_state
            WHEN 'DROPPED' THEN format(
                'its rule changed (version %s to %s) before it ran',
                d.rule_version, d.current_version)
            WHEN 'PENDING' THEN
                'its rule is paused: ' || coalesce(d.rule_reason, 'paused by a user')
            END,
        due_at = CASE d.next_state
            WHEN 'RUNNING' THEN :lease_until WHEN 'PENDING' THEN :parked_until ELSE j.due_at END,
        attempts = j.attempts + CASE WHEN d.next_state = 'RUNNING' THEN 1 ELSE 0 END,
        updated_at = now(),
        finished_at = CASE WHEN d.next_state = 'DROPPED' THEN now() END
    FROM decided AS d
    WHERE j.id = d.id
    RETURNING j.id, j.state, j.reason, j.rule_id, j.rule_version, j.dataset_evaluator_id,
        j.project_id, j.target_kind, j.target_id, j.evaluator_version_id, j.attempts
    """
).bindparams(
    bindparam("ids", type_=ARRAY(BigInteger())),
    bindparam("lease_until", type_=DateTime(timezone=True)),
    bindparam("parked_until", type_=DateTime(timezone=True)),
)


async def claim_jobs(
    connection: AsyncConnection, job_ids: Sequence[int], now: datetime, lease_seconds: float
) -> tuple[list[ClaimedJob], dict[int, NotClaimed]]:
    """Take the jobs of ``job_ids`` that are QUEUED or RETRYING to run them, in one statement
    (in the caller's transaction): those of a changed rule are DROPPED and those of a paused
    rule parked instead (returned with why). Jobs another transaction is claiming now, and
    jobs in any other state, are left alone and not returned."""
    result = await connection.execute(
        _CLAIM,
        {
            "ids": sorted(set(job_ids)),
            "lease_until": now + timedelta(seconds=lease_seconds),
            "parked_until": _parked(now),
        },
    )
    claimed: list[ClaimedJob] = []
    refused: dict[int, NotClaimed] = {}
    for row in result:
        if row.state != "RUNNING":
            refused[int(row.id)] = NotClaimed(str(row.state), row.reason)
            continue
        claimed.append(
            ClaimedJob(
                id=int(row.id),
                rule_id=row.rule_id,
                rule_version=row.rule_version,
                dataset_evaluator_id=row.dataset_evaluator_id,
                project_id=row.project_id,
                target_kind=str(row.target_kind),
                target_id=str(row.target_id),
                evaluator_version_id=row.evaluator_version_id,
                attempts=int(row.attempts),
            )
        )
    return sorted(claimed, key=lambda job: job.id), refused


_STATE = text("SELECT state FROM evaluation_jobs WHERE id = :id")


async def claim_job(
    connection: AsyncConnection, job_id: int, now: datetime, lease_seconds: float
) -> ClaimedJob | NotClaimed:
    """Take job ``job_id`` to run it (in the caller's transaction), or say why not."""
    claimed, refused = await claim_jobs(connection, [job_id], now, lease_seconds)
    if claimed:
        return claimed[0]
    if job_id in refused:
        return refused[job_id]
    state = await connection.scalar(_STATE, {"id": job_id})
    if state is None:
        return NotClaimed(None, "the job no longer exists (its rule or dataset was deleted)")
    return NotClaimed(str(state), None)


@dataclass(frozen=True)
class JobEnd:
    """How a RUNNING job ends: SUCCEEDED, FAILED or SHED, why, and what it spent."""

    job_id: int
    state: str
    reason: str | None = None
    tokens: int | None = None
    cost: float | None = None


_FINISH = text(
    """
    UPDATE evaluation_jobs AS j SET state = e.state, reason = e.reason, tokens = e.tokens,
        cost = e.cost, updated_at = now(), finished_at = now()
    FROM unnest(:ids, :states, :reasons, :tokens, :costs) AS e(id, state, reason, tokens, cost)
    WHERE j.id = e.id AND j.state = 'RUNNING'
    RETURNING j.id
    """
).bindparams(
    bindparam("ids", type_=ARRAY(BigInteger())),
    bindparam("states", type_=ARRAY(Text())),
    bindparam("reasons", type_=ARRAY(Text())),
    bindparam("tokens", type_=ARRAY(BigInteger())),
    bindparam("costs", type_=ARRAY(Double())),
)


async def finish_jobs(connection: AsyncConnection, ends: Sequence[JobEnd]) -> set[int]:
    """RUNNING -> SUCCEEDED, FAILED or SHED, in one statement; the ids of the jobs finished.
    One that was not RUNNING (its lease ran out and another worker took it: that one's result
    counts) is left alone and not returned."""
    for end in ends:
        if end.state not in ("SUCCEEDED", "FAILED", "SHED"):
            raise ValueError(f"a job finishes SUCCEEDED, FAILED or SHED, not {end.state}")
    if not ends:
        return set()
    ordered = sorted(ends, key=lambda end: end.job_id)
    result = await connection.execute(
        _FINISH,
        {
            "ids": [end.job_id for end in ordered],
            "states": [end.state for end in ordered],
            "reasons": [end.reason for end in ordered],
            "tokens": [end.tokens for end in ordered],
            "costs": [end.cost for end in ordered],
        },
    )
    return {int(row.id) for row in result}


async def finish_job(
    connection: AsyncConnection,
    job_id: int,
    state: str,
    reason: str | None = None,
    *,
    tokens: int | None = None,
    cost: float | None = None,
) -> bool:
    """:func:`finish_jobs` for one job; False if it was not RUNNING."""
    return bool(await finish_jobs(connection, [JobEnd(job_id, state, reason, tokens, cost)]))


_RETRY = text(
    """
    UPDATE evaluation_jobs AS j SET state = 'RETRYING', reason = r.reason, due_at = r.due_at,
        updated_at = now()
    FROM unnest(:ids, :reasons, :due) AS r(id, reason, due_at)
    WHERE j.id = r.id AND j.state = 'RUNNING'
    RETURNING j.id
    """
).bindparams(
    bindparam("ids", type_=ARRAY(BigInteger())),
    bindparam("reasons", type_=ARRAY(Text())),
    bindparam("due", type_=ARRAY(DateTime(timezone=True))),
)


async def retry_jobs(
    connection: AsyncConnection, retries: Sequence[tuple[int, str, datetime]]
) -> set[int]:
    """RUNNING -> RETRYING for each (job id, reason, due again at); the ids moved."""
    if not retries:
        return set()
    ordered = sorted(retries)
    result = await connection.execute(
        _RETRY,
        {
            "ids": [job_id for job_id, _, _ in ordered],
            "reasons": [reason for _, reason, _ in ordered],
            "due": [due for _, _, due in ordered],
        },
    )
    return {int(row.id) for row in result}


async def retry_job(
    connection: AsyncConnection, job_id: int, reason: str, due_at: datetime
) -> bool:
    """RUNNING -> RETRYING (a transient failure: ``reason``), due again at ``due_at``."""
    return bool(await retry_jobs(connection, [(job_id, reason, due_at)]))


def _parked(now: datetime) -> datetime:
    return now + timedelta(seconds=PARKED_SECONDS)


_PARK = text(
    """
    UPDATE evaluation_jobs SET state = 'PENDING', reason = :reason, due_at = :due_at,
        updated_at = now()
    WHERE id = :id AND state = 'RUNNING'
    """
)


async def park_job(connection: AsyncConnection, job_id: int, reason: str, now: datetime) -> bool:
    """RUNNING -> PENDING: its rule was paused (``reason``); it runs when the rule resumes."""
    result = await connection.execute(
        _PARK, {"id": job_id, "reason": reason, "due_at": _parked(now)}
    )
    return bool(result.rowcount)


_UNPARK = text(
    """
    UPDATE evaluation_jobs SET due_at = :now, updated_at = now()
    WHERE rule_id = :rule_id AND state = 'PENDING' AND due_at > :now
      AND reason LIKE 'its rule is paused%'
    """
)


async def unpark_rule_jobs(connection: AsyncConnection, rule_id: int, now: datetime) -> int:
    """Make the jobs a rule's pause parked due now (the rule was resumed); how many."""
    result = await connection.execute(_UNPARK, {"rule_id": rule_id, "now": now})
    return int(result.rowcount)


_RELEASE_DUE = text(
    """
    WITH due AS (
        SELECT id FROM evaluation_jobs
        WHERE state IN ('PENDING', 'QUEUED', 'RUNNING', 'RETRYING') AND due_at <= :now
        ORDER BY due_at
        LIMIT :limit
        FOR UPDATE SKIP LOCKED
    )
    UPDATE evaluation_jobs AS j SET
        state = 'QUEUED',
        reason = CASE j.state
            WHEN 'RUNNING' THEN 'queued again: its worker did not finish it in time'
            WHEN 'QUEUED' THEN 'queued again: its task was not picked up in time'
            ELSE j.reason END,
        due_at = :now + make_interval(secs => :lease_seconds),
        updated_at = now()
    FROM due WHERE j.id = due.id
    RETURNING j.id
    """
)


async def release_due_jobs(
    connection: AsyncConnection, now: datetime, lease_seconds: float, limit: int = 1000
) -> list[int]:
    """Jobs to queue (again): PENDING or RETRYING ones now due, QUEUED or RUNNING ones whose
    lease ran out. They are QUEUED, leased anew, and returned (at most ``limit``)."""
    result = await connection.execute(
        _RELEASE_DUE, {"now": now, "lease_seconds": lease_seconds, "limit": limit}
    )
    return sorted(int(row.id) for row in result)


@dataclass(frozen=True)
class RuleJobCounts:
    """A rule's jobs by state (current version or not), and its oldest queued job's time."""

    by_state: dict[str, int]
    oldest_queued_at: datetime | None


_RULE_COUNTS = text(
    """
    SELECT rule_id, state, count(*) AS jobs,
        min(created_at) FILTER (WHERE state = 'QUEUED') AS oldest_queued_at
    FROM evaluation_jobs WHERE rule_id = ANY(:rule_ids)
    GROUP BY rule_id, state
    """
).bindparams(bindparam("rule_ids", type_=ARRAY(BigInteger())))


async def rule_job_counts(
    connection: AsyncConnection, rule_ids: Sequence[int]
) -> dict[int, RuleJobCounts]:
    """Each rule's jobs by state; rules without jobs have empty counts."""
    counts: dict[int, dict[str, int]] = {rule_id: {} for rule_id in rule_ids}
    oldest: dict[int, datetime | None] = dict.fromkeys(rule_ids)
    for row in await connection.execute(_RULE_COUNTS, {"rule_ids": list(rule_ids)}):
        counts[int(row.rule_id)][str(row.state)] = int(row.jobs)
        if row.oldest_queued_at is not None:
            oldest[int(row.rule_id)] = row.oldest_queued_at
    return {rule_id: RuleJobCounts(counts[rule_id], oldest[rule_id]) for rule_id in rule_ids}


_SCORE_EXISTING_RUNS = text(
    f"""
    INSERT INTO evaluation_jobs
        (dataset_evaluator_id, target_kind, target_id, evaluator_version_id, state, due_at)
    SELECT de.id, 'RUN', r.id::text, ev.id, 'PENDING', :now
    FROM dataset_evaluators AS de
    JOIN experiments AS x ON x.dataset_id = de.dataset_id
    JOIN experiment_runs AS r ON r.experiment_id = x.id AND r.error IS NULL
    {DATASET_EVALUATOR_VERSION_SQL}
    WHERE de.id = :dataset_evaluator_id
    ORDER BY r.id
    ON CONFLICT DO NOTHING
    """
)


async def score_existing_runs(
    connection: AsyncConnection, dataset_evaluator_id: int, now: datetime
) -> int:
    """Record a job for every successful run already written over the dataset evaluator's
    dataset (called when it is attached: past experiments get its scores too); how many."""
    result = await connection.execute(
        _SCORE_EXISTING_RUNS, {"dataset_evaluator_id": dataset_evaluator_id, "now": now}
    )
    return int(result.rowcount)
