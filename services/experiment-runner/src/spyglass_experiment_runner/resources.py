"""What a runner process holds while it runs jobs: one event loop and the clients on it.

Each process runs one event loop in a thread of its own (``spyglass_jobs.EventLoopThread``),
and every task hands its coroutine to it and waits. So the chunks a process works on at once
share one set of clients: SDK clients with their kept-alive connections, one database pool,
one Redis connection pool, one cap on calls in flight (``calls_in_flight``). The resources are
opened in the loop on the first task (after a prefork pool forked the process) and closed when
the worker stops.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from celery import Celery
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from spyglass_core.settings import DbSettings, RedisSettings
from spyglass_db.engine import create_engine
from spyglass_db.pool import LazyPool
from spyglass_experiment_runner.settings import ExperimentJobSettings
from spyglass_experiment_runner.tracing import RunSink, RunTracing
from spyglass_llm import LLMClient
from spyglass_llm.credentials import CredentialResolver
from spyglass_llm.ratelimit import FailureStreak, SharedRateLimit
from spyglass_llm.secrets import SecretBox, SecretsSettings

REDIS_PREFIX = "spyglass:experiments"
STATEMENT_CONNECTIONS = 8
"""Connections of a process's run writes: they are batched, one statement at a time, so a few
serve any number of calls in flight."""


@dataclass
class RunnerResources:
    """The live clients every chunk of a process shares."""

    settings: ExperimentJobSettings
    engine: AsyncEngine
    statements: LazyPool
    redis: Redis
    limiter: SharedRateLimit
    streak: FailureStreak
    credentials: CredentialResolver
    llm: LLMClient
    tracing: RunTracing
    sink: RunSink
    calls: asyncio.Semaphore
    celery: Celery

    @classmethod
    def open(
        cls,
        settings: ExperimentJobSettings,
        db: DbSettings,
        redis: RedisSettings,
        secrets: SecretsSettings,
        celery: Celery,
    ) -> RunnerResources:
        """Clients for the running loop (they connect on first use)."""
        engine = create_engine(db)
        client = Redis.from_url(redis.url)
        tracing = RunTracing(settings.ingest_url)
        return cls(
            settings=settings,
            engine=engine,
            statements=LazyPool(db, "spyglass-experiment-runner", STATEMENT_CONNECTIONS),
            redis=client,
            limiter=SharedRateLimit(client),
            streak=FailureStreak(client, REDIS_PREFIX),
            credentials=CredentialResolver(engine, SecretBox.from_settings_or_none(secrets)),
            llm=LLMClient(),
            tracing=tracing,
            sink=RunSink(tracing),
            calls=asyncio.Semaphore(settings.calls_in_flight),
            celery=celery,
        )

    async def close(self) -> None:
        """Close every client."""
        await self.llm.aclose()
        await self.statements.close()
        await self.engine.dispose()
        await self.redis.aclose()
        self.tracing.close()
