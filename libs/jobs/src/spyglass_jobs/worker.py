"""Running a Celery worker as a Spyglass process: one queue, a health port, clean shutdown."""

from __future__ import annotations

import socket
from typing import Literal

from celery import Celery
from celery.signals import setup_logging, worker_ready
from pydantic import Field

from spyglass_core.health import Readiness, create_health_app
from spyglass_core.http import HttpServerService, HttpServerThread
from spyglass_core.logging import get_logger
from spyglass_core.settings import (
    LogSettings,
    ProcessSettings,
    RedisSettings,
    ServerSettings,
)
from spyglass_jobs.app import broker_readiness, check_broker
from spyglass_jobs.names import Queue, TaskName

log = get_logger(__name__)


class WorkerPoolSettings(ServerSettings):
    """How a Celery worker runs; its host and port are those of its health and metrics server."""

    pool: Literal["prefork", "threads", "solo"] = Field(
        default="prefork", description="Celery execution pool."
    )
    concurrency: int = Field(default=2, ge=1, description="Jobs run at once by one worker.")


def _keep_structlog_logging(**_: object) -> None:
    """Connected to ``setup_logging`` so Celery leaves the process's structlog setup alone."""


def register_ping(app: Celery) -> None:
    """A no-op task that proves a worker consumes its queue end to end."""

    @app.task(name=TaskName.PING.value)
    def ping(message: str = "ping") -> str:
        log.info("ping_received", message=message)
        return "pong"


def run_worker(
    app: Celery,
    queue: Queue,
    name: str,
    worker: WorkerPoolSettings,
    redis: RedisSettings,
    logging: LogSettings,
    shutdown_timeout_seconds: float,
) -> int:
    """Consume ``queue`` until SIGTERM / SIGINT; return the exit code.

    The broker is checked first so that a wrong ``SPYGLASS_REDIS_URL`` fails in seconds. The
    health server listens on the worker's own port in a thread. On SIGTERM Celery stops taking
    jobs and waits up to the shutdown timeout for running ones; jobs still running then go back
    to the queue (they are acknowledged late) and another worker runs them.
    """
    check_broker(app, redis)
    readiness = Readiness()
    readiness.add("redis", lambda: broker_readiness(app, redis))
    health = HttpServerThread(
        HttpServerService(f"{name}-health", create_health_app(readiness), worker)
    )
    health.service.bind()
    log.info(
        "worker_starting",
        queue=queue.value,
        health_port=health.service.port,
        pool=worker.pool,
    )

    def serve_health(**_: object) -> None:
        # Only once Celery consumes (and handles SIGTERM) does the worker report healthy.
        health.start()

    worker_ready.connect(serve_health, weak=False)
    setup_logging.connect(_keep_structlog_logging, weak=False)
    app.conf.worker_soft_shutdown_timeout = shutdown_timeout_seconds
    try:
        celery_worker = app.Worker(
            queues=[queue.value],
            hostname=f"{name}@{socket.gethostname()}",
            quiet=True,
            pool_cls=worker.pool,
            concurrency=worker.concurrency,
            loglevel=logging.level,
            redirect_stdouts=False,
            without_gossip=True,
            without_mingle=True,
            without_heartbeat=False,
        )
        celery_worker.start()
        exit_code = int(celery_worker.exitcode or 0)
    finally:
        health.stop()
    log.info("worker_stopped", exit_code=exit_code)
    return exit_code


class WorkerProcessSettings(ProcessSettings):
    """Everything a worker process reads; each worker subclasses it to set its own prefix."""

    worker: WorkerPoolSettings
    redis: RedisSettings = Field(default_factory=RedisSettings)
