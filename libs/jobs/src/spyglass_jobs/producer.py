"""Queuing tasks from an asyncio service (the query API queues experiment jobs)."""

from __future__ import annotations

import asyncio
from typing import Any

from celery import Celery

from spyglass_core.errors import DependencyUnavailableError
from spyglass_core.settings import RedisSettings, env_name, redact_url
from spyglass_jobs.app import check_broker, create_celery
from spyglass_jobs.names import TaskName

PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5}
"""A publish that can't reach Redis is retried twice, then fails: the caller answers 503
in about a second instead of holding the request for Celery's default of minutes."""


class JobProducer:
    """Sends tasks by name to their queues; connects to Redis on first use."""

    def __init__(self, settings: RedisSettings, name: str) -> None:
        self._settings = settings
        self._app: Celery = create_celery(settings, name)
        self._app.conf.task_publish_retry_policy = PUBLISH_RETRY_POLICY

    async def send(self, task: TaskName, **kwargs: Any) -> None:
        """Queue ``task`` with ``kwargs``.

        Raises:
            DependencyUnavailableError: Redis can't be reached; the message names the setting.
        """
        try:
            await asyncio.to_thread(self._app.send_task, task.value, kwargs=kwargs)
        except Exception as error:
            raise DependencyUnavailableError(
                f"cannot queue {task.value} on Redis at {redact_url(self._settings.url)} "
                f"({type(error).__name__}); check {env_name(RedisSettings, 'url')}"
            ) from error

    async def check(self) -> None:
        """Reach the broker once, quickly.

        Raises:
            DependencyUnavailableError: Redis can't be reached; the message names the setting.
        """
        await asyncio.to_thread(check_broker, self._app, self._settings)

    async def close(self) -> None:
        """Release the broker connections."""
        await asyncio.to_thread(self._app.close)
