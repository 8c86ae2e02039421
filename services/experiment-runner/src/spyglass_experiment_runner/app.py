"""Composition root of the experiment-runner: the Celery app, its tasks, how it checks and serves.

Two tasks on the `experiments` queue (``spyglass_jobs.TaskName``):

* ``RUN_EXPERIMENT`` (job id, epoch): plans an epoch of a job, queuing a chunk task for every
  ``chunk_size`` (example, repetition) pairs that have no successful run. Queued when a job is
  created or resumed.
* ``RUN_EXPERIMENT_CHUNK`` (job id, epoch, pairs): runs them (``runs.py``). A chunk that hits
  ``chunk_seconds`` queues what it did not start as a new chunk; a chunk that loses the
  database or Redis is retried a few seconds later.

Both are acknowledged late, and a worker's unacknowledged chunks go back to the queue after
``visibility_timeout_seconds`` (its own Redis keys, so the evaluation workers' longer timeout
is theirs): a killed worker's chunks are run again elsewhere, and skip what it wrote.
A Celery worker owns its main thread and its signals, so it is served by Celery's own loop
(``spyglass_jobs.run_worker``); the tasks' coroutines run on the process's event loop thread.
"""

from __future__ import annotations

import asyncio
from typing import Any

from celery import Celery, Task
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from spyglass_core.errors import DependencyUnavailableError
from spyglass_core.logging import get_logger
from spyglass_db.experiment_jobs import complete_job_if_done, get_job, list_items_to_run
from spyglass_experiment_runner.resources import RunnerResources
from spyglass_experiment_runner.runs import run_chunk
from spyglass_experiment_runner.settings import ExperimentRunnerSettings
from spyglass_jobs import (
    LoopResources,
    Queue,
    TaskName,
    check_broker,
    create_celery,
    register_ping,
    run_worker,
)

log = get_logger(__name__)

SERVICE = "experiment-runner"
QUEUE = Queue.EXPERIMENTS
PLAN_PAGE = 1000
"""Examples the planner reads at a time."""
RETRY_SECONDS = 5
INFRASTRUCTURE_ERRORS = (
    DependencyUnavailableError,
    SQLAlchemyError,
    DBAPIError,
    RedisError,
    OSError,
)


def build_worker(settings: ExperimentRunnerSettings) -> Celery:
    """The Celery app of this worker, with its tasks registered."""
    app = create_celery(settings.redis, SERVICE)
    jobs = settings.experiments
    app.conf.broker_transport_options = {
        **app.conf.broker_transport_options,
        "visibility_timeout": jobs.visibility_timeout_seconds,
        "unacked_key": "unacked_experiments",
        "unacked_index_key": "unacked_index_experiments",
        "unacked_mutex_key": "unacked_mutex_experiments",
        "unacked_restore_interval": jobs.restore_interval_seconds,
        "unacked_restore_throttle": 1,
    }
    register_ping(app)
    resources = LoopResources(
        "experiment-runner-loop",
        lambda: RunnerResources.open(jobs, settings.db, settings.redis, settings.secrets, app),
        RunnerResources.close,
    )

    @app.task(name=TaskName.RUN_EXPERIMENT.value, bind=True, max_retries=None)
    def plan(task: Task[Any, Any], job_id: int, epoch: int) -> int:
        try:
            return resources.loop.run(_plan(resources.get(), job_id, epoch))
        except INFRASTRUCTURE_ERRORS as error:
            log.warning("experiment_plan_retried", job_id=job_id, error=repr(error))
            raise task.retry(countdown=RETRY_SECONDS) from error

    @app.task(name=TaskName.RUN_EXPERIMENT_CHUNK.value, bind=True, max_retries=None)
    def chunk(task: Task[Any, Any], job_id: int, epoch: int, items: list[list[int]]) -> None:
        pairs = [(int(example), int(repetition)) for example, repetition in items]
        try:
            outcome = resources.loop.run(run_chunk(resources.get(), job_id, epoch, pairs))
        except INFRASTRUCTURE_ERRORS as error:
            log.warning("experiment_chunk_retried", job_id=job_id, error=repr(error))
            raise task.retry(countdown=RETRY_SECONDS) from error
        if outcome.leftover:
            _queue_chunks(app, job_id, epoch, outcome.leftover, jobs.chunk_size)
        log.info(
            "experiment_chunk_done",
            job_id=job_id,
            epoch=epoch,
            succeeded=outcome.succeeded,
            failed=outcome.failed,
            skipped=outcome.skipped,
            leftover=len(outcome.leftover),
            stopped=outcome.stopped,
        )

    return app


def _queue_chunks(
    app: Celery, job_id: int, epoch: int, items: list[tuple[int, int]], size: int
) -> int:
    """Queue ``items`` as chunk tasks of ``size``; how many were queued."""
    for start in range(0, len(items), size):
        app.send_task(
            TaskName.RUN_EXPERIMENT_CHUNK.value,
            kwargs={
                "job_id": job_id,
                "epoch": epoch,
                "items": [list(item) for item in items[start : start + size]],
            },
        )
    return (len(items) + size - 1) // size


async def _plan(resources: RunnerResources, job_id: int, epoch: int) -> int:
    """Queue chunks for everything the job's epoch has left to run; how many chunks."""
    async with resources.engine.connect() as connection:
        job = await get_job(connection, job_id)
        if job is None or job.status != "RUNNING" or job.epoch != epoch:
            return 0
        pending: list[tuple[int, int]] = []
        chunks = 0
        after = 0
        size = resources.settings.chunk_size
        while True:
            page = await list_items_to_run(connection, job.experiment_id, after, PLAN_PAGE)
            if not page:
                break
            pending.extend((example, repetition) for example, reps in page for repetition in reps)
            after = page[-1][0]
            whole = len(pending) - len(pending) % size
            if whole:
                chunks += await asyncio.to_thread(
                    _queue_chunks, resources.celery, job_id, epoch, pending[:whole], size
                )
                del pending[:whole]
        await connection.rollback()
    if pending:
        chunks += await asyncio.to_thread(
            _queue_chunks, resources.celery, job_id, epoch, pending, size
        )
    if chunks == 0:
        async with resources.engine.begin() as connection:
            await complete_job_if_done(connection, job_id, epoch)
    log.info("experiment_job_planned", job_id=job_id, epoch=epoch, chunks=chunks)
    return chunks


def check(settings: ExperimentRunnerSettings) -> None:
    """Reach the broker.

    Raises:
        DependencyUnavailableError: Redis can't be reached; the message names the setting.
    """
    check_broker(build_worker(settings), settings.redis)


def serve(settings: ExperimentRunnerSettings) -> int:
    """Consume the `experiments` queue until SIGTERM; return the exit code."""
    return run_worker(
        build_worker(settings),
        QUEUE,
        SERVICE,
        settings.worker,
        settings.redis,
        settings.log,
        settings.shutdown_timeout_seconds,
    )
