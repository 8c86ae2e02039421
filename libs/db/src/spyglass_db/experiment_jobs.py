"""Experiment jobs: what the query API and the experiment runner read and change of them.

A job's state moves only by these statements, each a compare-and-set on (status, epoch):

* created RUNNING at epoch 1, with the experiment;
* RUNNING -> PAUSED by the runner (a rejected credential, too many failures in a row), only
  for the epoch it runs, so that a chunk of an old epoch can't pause a resumed job;
* RUNNING or PAUSED -> CANCELLED by a user;
* any -> RUNNING by a resume, which bumps the epoch (chunks of the old one stop) and clears
  the reason: a paused or cancelled job goes on, a completed one retries its failed runs;
* RUNNING -> COMPLETED once every (example, repetition) of the experiment has a run.

Progress is counted from the experiment's runs (index-only on their unique key), never kept
in the job row: a run write touches no shared row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import BigInteger, Integer, Text


@dataclass(frozen=True)
class JobRow:
    """An experiment job as stored."""

    id: int
    experiment_id: int
    status: str
    status_reason: str | None
    epoch: int
    task: dict[str, Any]
    prompt_version_id: int | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    requested_by: int | None = None
    """Who started or last resumed it (NULL: auth was off)."""


@dataclass(frozen=True)
class JobProgress:
    """What a job has done: runs that succeeded and failed of ``total``, their tokens, and how
    many finished in the last :data:`RECENT_SECONDS` (its current pace)."""

    total: int
    succeeded: int
    failed: int
    prompt_tokens: int
    completion_tokens: int
    recent: int

    @property
    def done(self) -> int:
        return self.succeeded + self.failed

    def eta_seconds(self) -> float | None:
        """Seconds left at the current pace (None when nothing finished lately)."""
        if self.recent == 0:
            return None
        return (self.total - self.done) * RECENT_SECONDS / self.recent


RECENT_SECONDS = 30
"""The window a job's pace (and so its ETA) is measured over."""

_JOB_COLUMNS = (
    "id, experiment_id, status, status_reason, epoch, task, prompt_version_id, created_at, "
    "updated_at, finished_at, requested_by"
)

_CREATE_JOB = text(
    f"""
    INSERT INTO experiment_jobs (experiment_id, status, task, prompt_version_id, requested_by)
    VALUES (:experiment_id, 'RUNNING', :task, :prompt_version_id, :requested_by)
    RETURNING {_JOB_COLUMNS}
    """
).bindparams(
    bindparam("experiment_id", type_=BigInteger),
    bindparam("task", type_=JSONB),
    bindparam("prompt_version_id", type_=BigInteger),
    bindparam("requested_by", type_=BigInteger),
)


async def create_job(
    connection: AsyncConnection,
    experiment_id: int,
    task: dict[str, Any],
    prompt_version_id: int | None,
    requested_by: int | None = None,
) -> JobRow:
    """A RUNNING job (epoch 1) for ``experiment_id``, started by user ``requested_by``; the
    caller queues its planning."""
    result = await connection.execute(
        _CREATE_JOB,
        {
            "experiment_id": experiment_id,
            "task": task,
            "prompt_version_id": prompt_version_id,
            "requested_by": requested_by,
        },
    )
    return JobRow(*result.one())


async def get_job(connection: AsyncConnection, job_id: int) -> JobRow | None:
    """The job, or None."""
    result = await connection.execute(
        text(f"SELECT {_JOB_COLUMNS} FROM experiment_jobs WHERE id = :id"), {"id": job_id}
    )
    row = result.one_or_none()
    return None if row is None else JobRow(*row)


async def get_job_of_experiment(connection: AsyncConnection, experiment_id: int) -> JobRow | None:
    """The job that runs ``experiment_id``, or None (an experiment a client ran)."""
    return (await get_jobs_of_experiments(connection, [experiment_id])).get(experiment_id)


_JOBS_OF_EXPERIMENTS = text(
    f"SELECT {_JOB_COLUMNS} FROM experiment_jobs WHERE experiment_id = ANY(:experiment_ids)"
).bindparams(bindparam("experiment_ids", type_=ARRAY(BigInteger)))


async def get_jobs_of_experiments(
    connection: AsyncConnection, experiment_ids: Sequence[int]
) -> dict[int, JobRow]:
    """The jobs that run these experiments, by experiment id (one statement; experiments a
    client ran have none and are left out)."""
    result = await connection.execute(
        _JOBS_OF_EXPERIMENTS, {"experiment_ids": list(experiment_ids)}
    )
    return {row.experiment_id: JobRow(*row) for row in result}


_PROGRESS = text(
    f"""
    SELECT
        x.id,
        (SELECT count(*) FROM experiments_dataset_examples WHERE experiment_id = x.id)
            * x.repetitions,
        count(r.id) FILTER (WHERE r.error IS NULL),
        count(r.id) FILTER (WHERE r.error IS NOT NULL),
        coalesce(sum(r.prompt_token_count), 0),
        coalesce(sum(r.completion_token_count), 0),
        count(r.id) FILTER (WHERE r.end_time > now() - interval '{RECENT_SECONDS} seconds')
    FROM experiments AS x
    LEFT JOIN experiment_runs AS r ON r.experiment_id = x.id
    WHERE x.id = ANY(:experiment_ids)
    GROUP BY x.id, x.repetitions
    """
).bindparams(bindparam("experiment_ids", type_=ARRAY(BigInteger)))


async def get_job_progress(connection: AsyncConnection, experiment_id: int) -> JobProgress:
    """The progress of the job of ``experiment_id`` (zeros if the experiment is gone)."""
    progress = await get_jobs_progress(connection, [experiment_id])
    return progress.get(experiment_id, JobProgress(0, 0, 0, 0, 0, 0))


async def get_jobs_progress(
    connection: AsyncConnection, experiment_ids: Sequence[int]
) -> dict[int, JobProgress]:
    """The progress of the jobs of these experiments, by experiment id (one statement; an
    experiment that is gone is left out)."""
    result = await connection.execute(_PROGRESS, {"experiment_ids": list(experiment_ids)})
    return {int(row[0]): JobProgress(*(int(value) for value in row[1:])) for row in result}


_PAUSE = text(
    """
    UPDATE experiment_jobs SET status = 'PAUSED', status_reason = :reason, updated_at = now()
    WHERE id = :id AND status = 'RUNNING' AND epoch = :epoch
    """
).bindparams(
    bindparam("id", type_=BigInteger),
    bindparam("epoch", type_=Integer),
    bindparam("reason", type_=Text),
)


async def pause_job(connection: AsyncConnection, job_id: int, epoch: int, reason: str) -> bool:
    """Pause the job if it still runs ``epoch``; whether this call paused it."""
    result = await connection.execute(_PAUSE, {"id": job_id, "epoch": epoch, "reason": reason})
    return bool(result.rowcount)


async def cancel_job(connection: AsyncConnection, job_id: int) -> JobRow | None:
    """Cancel a running or paused job; the job as it is now (None: no such job)."""
    await connection.execute(
        text(
            """
            UPDATE experiment_jobs
            SET status = 'CANCELLED', status_reason = 'cancelled by a user',
                updated_at = now(), finished_at = now()
            WHERE id = :id AND status IN ('RUNNING', 'PAUSED')
            """
        ),
        {"id": job_id},
    )
    return await get_job(connection, job_id)


async def resume_job(
    connection: AsyncConnection, job_id: int, requested_by: int | None = None
) -> JobRow | None:
    """Run a job again from what it lacks (its missing and failed runs), in a new epoch, on
    behalf of ``requested_by`` now; the job as it is now (None: no such job). A running job is
    planned again: the chunks of its old epoch stop, and the new plan covers what they had
    left."""
    await connection.execute(
        text(
            """
            UPDATE experiment_jobs
            SET status = 'RUNNING', status_reason = NULL, epoch = epoch + 1,
                updated_at = now(), finished_at = NULL, requested_by = :requested_by
            WHERE id = :id
            """
        ).bindparams(bindparam("requested_by", type_=BigInteger)),
        {"id": job_id, "requested_by": requested_by},
    )
    return await get_job(connection, job_id)


_COMPLETE_IF_DONE = text(
    """
    UPDATE experiment_jobs AS j
    SET status = 'COMPLETED', status_reason = NULL, updated_at = now(), finished_at = now()
    FROM experiments AS x
    WHERE j.id = :id AND j.status = 'RUNNING' AND j.epoch = :epoch AND x.id = j.experiment_id
      AND (SELECT count(*) FROM experiment_runs AS r WHERE r.experiment_id = x.id)
        >= (SELECT count(*) FROM experiments_dataset_examples AS xe
            WHERE xe.experiment_id = x.id) * x.repetitions
    """
).bindparams(bindparam("id", type_=BigInteger), bindparam("epoch", type_=Integer))


async def complete_job_if_done(connection: AsyncConnection, job_id: int, epoch: int) -> bool:
    """Mark the job COMPLETED if every (example, repetition) has a run (failed or not);
    whether this call did.

    Two index-only counts, not an anti-join of every pair (every chunk asks when it ends): a
    run exists only for one of the experiment's examples and a repetition it has, at most one
    per pair (the run insert and ``experiment_runs``' unique key), so as many runs as pairs
    means every pair has one.
    """
    result = await connection.execute(_COMPLETE_IF_DONE, {"id": job_id, "epoch": epoch})
    return bool(result.rowcount)


_ITEMS_TO_RUN = text(
    """
    SELECT xe.dataset_example_id, array_agg(n ORDER BY n)
    FROM experiments AS x
    JOIN experiments_dataset_examples AS xe ON xe.experiment_id = x.id
    CROSS JOIN generate_series(1, x.repetitions) AS n
    WHERE x.id = :experiment_id AND xe.dataset_example_id > :after
      AND NOT EXISTS (
        SELECT 1 FROM experiment_runs AS r
        WHERE r.experiment_id = x.id AND r.dataset_example_id = xe.dataset_example_id
          AND r.repetition_number = n AND r.error IS NULL)
    GROUP BY xe.dataset_example_id
    ORDER BY xe.dataset_example_id
    LIMIT :fetch
    """
).bindparams(
    bindparam("experiment_id", type_=BigInteger),
    bindparam("after", type_=BigInteger),
    bindparam("fetch", type_=Integer),
)


async def list_items_to_run(
    connection: AsyncConnection, experiment_id: int, after: int, fetch: int
) -> list[tuple[int, list[int]]]:
    """Up to ``fetch`` examples after ``after`` (id order) with the repetitions that have no
    successful run: none yet, or a failed one to retry."""
    result = await connection.execute(
        _ITEMS_TO_RUN, {"experiment_id": experiment_id, "after": after, "fetch": fetch}
    )
    return [(int(row[0]), list(row[1])) for row in result]


_CHUNK_INPUTS = text(
    """
    SELECT xe.dataset_example_id, rv.input,
        coalesce(array_agg(r.repetition_number) FILTER (WHERE r.error IS NULL), '{}')
    FROM experiments_dataset_examples AS xe
    JOIN dataset_example_revisions AS rv ON rv.id = xe.dataset_example_revision_id
    LEFT JOIN experiment_runs AS r
      ON r.experiment_id = xe.experiment_id AND r.dataset_example_id = xe.dataset_example_id
    WHERE xe.experiment_id = :experiment_id AND xe.dataset_example_id = ANY(:example_ids)
    GROUP BY xe.dataset_example_id, rv.input
    """
).bindparams(
    bindparam("experiment_id", type_=BigInteger),
    bindparam("example_ids", type_=ARRAY(BigInteger)),
)


async def list_example_inputs(
    connection: AsyncConnection, experiment_id: int, example_ids: list[int]
) -> dict[int, tuple[dict[str, Any], set[int]]]:
    """Each of the experiment's examples among ``example_ids``: its input (as the experiment's
    revision has it) and the repetitions that already have a successful run."""
    result = await connection.execute(
        _CHUNK_INPUTS, {"experiment_id": experiment_id, "example_ids": example_ids}
    )
    return {int(row[0]): (row[1], set(row[2])) for row in result}
