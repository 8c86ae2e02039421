"""What a worker process holds while it evaluates: the clients on its one event loop.

Opened on the process's event loop (``spyglass_jobs.EventLoopThread``) on the first task and
closed when the worker stops, so every batch a process works on at once shares one database
pool, one Redis pool (the shared rate limit), one set of SDK clients, one cap on judge calls in
flight and one sandbox (its fork server starts on the first code evaluation).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from spyglass_core.settings import DbSettings, RedisSettings
from spyglass_db.engine import create_engine
from spyglass_eval_worker.settings import EvaluationSettings
from spyglass_evals import EvaluatorDefinition
from spyglass_llm import LLMClient
from spyglass_llm.credentials import CredentialResolver
from spyglass_llm.ratelimit import FailureStreak, SharedRateLimit
from spyglass_llm.secrets import SecretBox, SecretsSettings
from spyglass_sandbox import Sandbox
from spyglass_spans import ModelPriceTable

REDIS_PREFIX = "spyglass:evaluations"


@dataclass
class WorkerResources:
    """The live clients every batch of a process shares."""

    settings: EvaluationSettings
    engine: AsyncEngine
    redis: Redis
    limiter: SharedRateLimit
    streak: FailureStreak
    credentials: CredentialResolver
    llm: LLMClient
    sandbox: Sandbox
    calls: asyncio.Semaphore
    definitions: dict[int, EvaluatorDefinition] = field(default_factory=dict)
    """Parsed evaluator versions by id: versions never change, so each is parsed once."""

    @classmethod
    def open(
        cls,
        settings: EvaluationSettings,
        db: DbSettings,
        redis: RedisSettings,
        secrets: SecretsSettings,
    ) -> WorkerResources:
        """Clients for the running loop (they connect on first use)."""
        engine = create_engine(db)
        client = Redis.from_url(redis.url)
        return cls(
            settings=settings,
            engine=engine,
            redis=client,
            limiter=SharedRateLimit(client),
            streak=FailureStreak(client, REDIS_PREFIX),
            credentials=CredentialResolver(engine, SecretBox.from_settings_or_none(secrets)),
            # The built-in price table: a judge's cost counts against its rule's daily cap.
            llm=LLMClient(prices=ModelPriceTable.load()),
            sandbox=Sandbox(max_children=settings.sandbox_children),
            calls=asyncio.Semaphore(settings.calls_in_flight),
        )

    async def close(self) -> None:
        """Close every client and stop the sandbox."""
        await self.sandbox.aclose()
        await self.llm.aclose()
        await self.engine.dispose()
        await self.redis.aclose()
