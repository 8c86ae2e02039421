"""Liveness, readiness and metrics endpoints, the same in every process.

``GET /healthz`` answers 200 ``OK`` while the process serves at all (Kubernetes liveness; like
Phoenix, it checks no dependency). ``GET /readyz`` runs the process's readiness checks (can it
reach PostgreSQL, NATS, Redis, its upstreams?) concurrently with a timeout and answers 200 with
each check's result, or 503 naming what failed. ``GET /metrics`` is the Prometheus exposition.

HTTP services mount :func:`health_routes` in their own app; workers serve
:func:`create_health_app` on a small port of their own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from litestar import Litestar, Response, get
from litestar.handlers import HTTPRouteHandler
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

ReadinessCheck = Callable[[], Awaitable[None]]
"""Returns if the dependency is usable, raises (with a message saying why) if not."""


@dataclass
class Readiness:
    """The named checks that decide whether a process is ready for work."""

    checks: dict[str, ReadinessCheck] = field(default_factory=dict)
    timeout_seconds: float = 2.0

    def add(self, name: str, check: ReadinessCheck) -> None:
        """Register ``check`` under ``name`` (``database``, ``nats``, ``redis``...)."""
        self.checks[name] = check

    async def evaluate(self) -> tuple[bool, dict[str, str]]:
        """Run every check at once; return whether all passed and each one's outcome."""
        names = list(self.checks)
        outcomes = await asyncio.gather(
            *(self._run(self.checks[name]) for name in names), return_exceptions=False
        )
        results = dict(zip(names, outcomes, strict=True))
        return all(outcome == "ok" for outcome in results.values()), results

    async def _run(self, check: ReadinessCheck) -> str:
        try:
            await asyncio.wait_for(check(), timeout=self.timeout_seconds)
        except TimeoutError:
            return f"timed out after {self.timeout_seconds:g}s"
        except Exception as error:  # a failing check is data for the caller, not a crash
            return str(error) or type(error).__name__
        return "ok"


def health_routes(readiness: Readiness, *, in_schema: bool = False) -> list[HTTPRouteHandler]:
    """Route handlers for ``/healthz``, ``/readyz`` and ``/metrics``.

    Args:
        readiness: the checks ``/readyz`` runs.
        in_schema: list ``/healthz`` and ``/readyz`` in the OpenAPI document (the query API
            does, as Phoenix's does); ``/metrics`` never is.
    """

    @get("/healthz", include_in_schema=in_schema, sync_to_thread=False, summary="Alive")
    def healthz() -> Response[str]:
        """``OK`` while the process serves requests; checks no dependency."""
        return Response("OK", media_type="text/plain")

    @get("/readyz", include_in_schema=in_schema, summary="Ready")
    async def readyz() -> Response[Mapping[str, Any]]:
        """200 when every dependency answers, else 503 naming the ones that don't."""
        ready, results = await readiness.evaluate()
        status = HTTP_200_OK if ready else HTTP_503_SERVICE_UNAVAILABLE
        return Response({"ready": ready, "checks": results}, status_code=status)

    @get("/metrics", include_in_schema=False, sync_to_thread=False)
    def metrics() -> Response[bytes]:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return [healthz, readyz, metrics]


def create_health_app(readiness: Readiness) -> Litestar:
    """A Litestar app serving only the health and metrics endpoints, for worker processes."""
    return Litestar(
        route_handlers=health_routes(readiness), openapi_config=None, logging_config=None
    )
