"""The Celery application every producer and worker builds from the same settings."""

from __future__ import annotations

import asyncio

from celery import Celery

from spyglass_core.errors import DependencyUnavailableError
from spyglass_core.settings import RedisSettings, env_name, redact_url
from spyglass_jobs.names import TASK_QUEUES


def create_celery(settings: RedisSettings, name: str) -> Celery:
    """A Celery app on the Redis broker with the delivery guarantees of ARCHITECTURE.md.

    Tasks are acknowledged after they finish (``acks_late``) and re-queued when the worker
    that held them dies (``reject_on_worker_lost``); workers take one task at a time so that a
    crash strands at most one. Results are not stored: tasks write their effects to PostgreSQL.
    """
    app = Celery(name, broker=settings.url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_routes={task.value: {"queue": queue.value} for task, queue in TASK_QUEUES.items()},
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=5,
        # A task unacknowledged this long is handed to another worker; longer than any job.
        broker_transport_options={"visibility_timeout": 3600},
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
    )
    return app


def check_broker(app: Celery, settings: RedisSettings) -> None:
    """Connect to the broker once, quickly.

    Raises:
        DependencyUnavailableError: Redis can't be reached; the message names the setting.
    """
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=3)
    except Exception as error:
        raise DependencyUnavailableError(
            f"cannot connect to Redis at {redact_url(settings.url)} ({error}); "
            f"check {env_name(RedisSettings, 'url')}"
        ) from None


async def broker_readiness(app: Celery, settings: RedisSettings) -> None:
    """A readiness check: raises if the broker can't be reached now."""
    await asyncio.to_thread(check_broker, app, settings)
