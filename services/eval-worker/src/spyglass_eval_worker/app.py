"""Composition root of the eval-worker: the Celery app, its task, how it checks and serves.

One task on the `evaluations` queue: ``spyglass.evaluate`` (``job_ids``), queued by the
dispatcher (online rules; ``dispatcher.py``) and its releaser (dataset evaluators' jobs, which
run writes record; delayed and lost jobs). It runs the jobs (``evaluate.py``); the ledger
(``evaluation_jobs``), not the queue, is the truth: a task lost with its worker leaves its jobs
QUEUED or RUNNING until their lease runs out, and the releaser queues them again.

A Celery worker owns its main thread and its signals, so it is served by Celery's own loop
(``spyglass_jobs.run_worker``); the task's coroutine runs on the process's event loop thread.
"""

from __future__ import annotations

from typing import Any

from celery import Celery, Task
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from spyglass_core.errors import DependencyUnavailableError
from spyglass_core.logging import get_logger
from spyglass_eval_worker.evaluate import evaluate_jobs
from spyglass_eval_worker.resources import WorkerResources
from spyglass_eval_worker.settings import EvalWorkerSettings
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

SERVICE = "eval-worker"
QUEUE = Queue.EVALUATIONS
RETRY_SECONDS = 5
INFRASTRUCTURE_ERRORS = (
    DependencyUnavailableError,
    SQLAlchemyError,
    DBAPIError,
    RedisError,
    OSError,
)
MAX_JOBS_PER_TASK = 1000


def build_worker(settings: EvalWorkerSettings) -> Celery:
    """The Celery app of this worker, with its tasks registered."""
    app = create_celery(settings.redis, SERVICE)
    app.conf.broker_transport_options = {
        **app.conf.broker_transport_options,
        # Longer than any evaluation (the lease); the releaser, not this, recovers lost jobs.
        "visibility_timeout": max(settings.evaluations.lease_seconds * 2, 600),
    }
    register_ping(app)
    resources = LoopResources(
        "eval-worker-loop",
        lambda: WorkerResources.open(
            settings.evaluations, settings.db, settings.redis, settings.secrets
        ),
        WorkerResources.close,
    )

    @app.task(name=TaskName.EVALUATE.value, bind=True, max_retries=None)
    def evaluate(task: Task[Any, Any], job_ids: Any = None) -> None:
        ids = _job_ids(job_ids)
        if ids is None:
            log.error("evaluate_task_refused", reason="job_ids must be a list of job ids")
            return
        try:
            resources.loop.run(evaluate_jobs(resources.get(), ids))
        except INFRASTRUCTURE_ERRORS as error:
            log.warning("evaluate_task_retried", jobs=len(ids), error=repr(error))
            raise task.retry(countdown=RETRY_SECONDS) from error

    return app


def _job_ids(value: Any) -> list[int] | None:
    """The job ids a task carries, or None if it carries something else."""
    if not isinstance(value, list) or len(value) > MAX_JOBS_PER_TASK:
        return None
    if not all(isinstance(item, int) and not isinstance(item, bool) for item in value):
        return None
    return [item for item in value if 0 < item < 2**63]


def check(settings: EvalWorkerSettings) -> None:
    """Reach the broker.

    Raises:
        DependencyUnavailableError: Redis can't be reached; the message names the setting.
    """
    check_broker(build_worker(settings), settings.redis)


def serve(settings: EvalWorkerSettings) -> int:
    """Consume the `evaluations` queue until SIGTERM; return the exit code."""
    return run_worker(
        build_worker(settings),
        QUEUE,
        SERVICE,
        settings.worker,
        settings.redis,
        settings.log,
        settings.shutdown_timeout_seconds,
    )
