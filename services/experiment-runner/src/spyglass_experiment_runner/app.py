"""Composition root of the experiment-runner: the Celery app and how the process checks and serves.

It runs nothing yet: the worker consumes the `experiments` queue and answers the ping task
that proves the queue works end to end; server-side experiments land with the experiment issues.
A Celery worker owns its main thread and its signals, so it is served by Celery's own loop
(``spyglass_jobs.run_worker``) rather than the asyncio lifecycle of the HTTP services.
"""

from __future__ import annotations

from celery import Celery

from spyglass_experiment_runner.settings import ExperimentRunnerSettings
from spyglass_jobs import Queue, check_broker, create_celery, register_ping, run_worker

SERVICE = "experiment-runner"
QUEUE = Queue.EXPERIMENTS


def build_worker(settings: ExperimentRunnerSettings) -> Celery:
    """The Celery app of this worker, with its tasks registered."""
    app = create_celery(settings.redis, SERVICE)
    register_ping(app)
    return app


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
