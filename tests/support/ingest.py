"""The ingest plane as real processes: a receiver and a writer on one test's database."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import nats
import pytest

from spyglass_launcher.ports import free_port
from spyglass_launcher.servers import EmbeddedNats
from tests.support.database import fetch
from tests.support.loop import LoopThread
from tests.support.processes import ServiceProcess, SpawnService, service_environment, wait_healthy
from tests.support.stack import Stack

T = TypeVar("T")

STARTUP_SECONDS = 120.0
"""How long a receiver or writer may take to become healthy: imports alone take tens of seconds
on a machine busy with other test runs."""


@dataclass
class IngestPlane:
    """Where the receiver listens, and the processes, so tests can kill and restart them."""

    spawn: SpawnService
    database_url: str
    environment: dict[str, str]
    http_port: int
    grpc_port: int
    processes: dict[str, ServiceProcess] = field(default_factory=dict)

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def grpc_target(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    def start_receiver(self, name: str = "receiver") -> ServiceProcess:
        receiver = self.spawn(name, ("spyglass_ingest", "receiver"), self.environment)
        wait_healthy(receiver, f"{self.http_url}/healthz", timeout=STARTUP_SECONDS)
        self.processes["receiver"] = receiver
        return receiver

    def start_writer(self, name: str = "writer") -> ServiceProcess:
        port = free_port()
        environment = {**self.environment, "SPYGLASS_WRITER_HEALTH_PORT": str(port)}
        writer = self.spawn(name, ("spyglass_ingest", "writer"), environment)
        wait_healthy(writer, f"http://127.0.0.1:{port}/healthz", timeout=STARTUP_SECONDS)
        self.processes["writer"] = writer
        return writer

    def spans(self) -> list[dict[str, Any]]:
        """Every stored span with its project's name."""

        rows = fetch(
            self.database_url,
            "SELECT s.span_id, s.parent_id, s.name, s.span_kind, s.status_code, "
            "s.attributes::text AS attributes, s.llm_cost_total, p.name AS project "
            "FROM spans s JOIN projects p ON p.id = s.project_rowid",
        )
        return [dict(row) for row in rows]


StartIngest = Callable[..., IngestPlane]


@pytest.fixture
def start_ingest(
    spawn_service: SpawnService, stack: Stack, database_url: str, nats_namespace: str
) -> StartIngest:
    """``start_ingest(writer=True, nats_url=..., **SPYGLASS_variables)``: start the ingest plane."""

    def start(writer: bool = True, nats_url: str | None = None, **settings: str) -> IngestPlane:
        http_port, grpc_port = free_port(), free_port()
        environment = service_environment(
            SPYGLASS_DB_URL=database_url,
            SPYGLASS_NATS_URL=nats_url or stack.nats_url,
            SPYGLASS_NATS_NAMESPACE=nats_namespace,
            SPYGLASS_RECEIVER_HTTP_PORT=str(http_port),
            SPYGLASS_RECEIVER_GRPC_PORT=str(grpc_port),
            SPYGLASS_WRITER_ACK_WAIT_SECONDS="5",
            **settings,
        )
        plane = IngestPlane(spawn_service, database_url, environment, http_port, grpc_port)
        plane.start_receiver()
        if writer:
            plane.start_writer()
        return plane

    return start


@pytest.fixture
def own_nats(server_home: Path, background_loop: LoopThread) -> Iterator[EmbeddedNats]:
    """A NATS server of this test's own, so stopping it harms no other test."""
    server = EmbeddedNats(server_home / "nats")
    background_loop.run(server.start())
    yield server
    background_loop.run(server.stop())


def with_nats(url: str, work: Callable[[Any], Awaitable[T]]) -> T:
    """Run ``work`` with a NATS client connected to ``url`` (closed afterwards); its result."""

    async def run() -> T:
        client = await nats.connect(url)
        try:
            return await work(client)
        finally:
            await client.close()

    return asyncio.run(run())
