"""`make run` keeps the platform up: every process SIGKILLed in turn, under load, comes back.

The launcher starts the platform as ``make run`` does. Two real OpenTelemetry exporters send
spans the whole time, one over OTLP/gRPC to the receiver and one over OTLP/HTTP through the
gateway, recording the span ids of every export they were told succeeded (they retry on 503 /
``UNAVAILABLE`` as exporters do). Then each process is killed with SIGKILL, one after the
other: the services, and the embedded PostgreSQL, NATS and Redis. After each kill the launcher
must say so (``process_exited``), start the process again, and the platform must serve again:
every process ready, a query through the gateway answered, new spans acknowledged. At the end
every acknowledged span is in PostgreSQL exactly once, every `spans.stored` announcement has been
decided by the evaluation dispatcher, and Ctrl-C still stops everything.
"""

from __future__ import annotations

import asyncio
import json
import signal
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx
import nats
import psutil
import pytest
from celery import Celery
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
    OTLPSpanExporter as GrpcSpanExporter,
)
from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
    OTLPSpanExporter as HttpSpanExporter,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from spyglass_bus import BusNames
from spyglass_jobs import Queue, TaskName
from spyglass_launcher.platform import port_variables
from spyglass_launcher.ports import free_port
from tests.support.database import fetch
from tests.support.processes import ServiceProcess, SpawnService, service_environment
from tests.support.waiting import assert_eventually

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]

PROJECT = "supervised"

# What identifies each process among the launcher's children, in the order they are killed.
PROCESSES: dict[str, Callable[[list[str]], bool]] = {
    "ingest-receiver": lambda argv: "spyglass_ingest" in argv and "receiver" in argv,
    "ingest-writer": lambda argv: "spyglass_ingest" in argv and "writer" in argv,
    "query-api": lambda argv: "spyglass_query_api" in argv,
    "gateway": lambda argv: "spyglass_gateway" in argv,
    "eval-worker": lambda argv: "spyglass_eval_worker" in argv and "dispatcher" not in argv,
    "eval-dispatcher": lambda argv: "spyglass_eval_worker" in argv and "dispatcher" in argv,
    "experiment-runner": lambda argv: "spyglass_experiment_runner" in argv,
    "nats": lambda argv: argv[0].endswith("nats-server"),
    "postgres": lambda argv: argv[0].endswith("/postgres"),
    # Valkey rewrites its command line to "valkey-server 127.0.0.1:<port>".
    "redis": lambda argv: "valkey-server" in argv[0],
}

READINESS_PORTS = (
    "SPYGLASS_GATEWAY_PORT",
    "SPYGLASS_QUERY_API_PORT",
    "SPYGLASS_RECEIVER_HTTP_PORT",
    "SPYGLASS_WRITER_HEALTH_PORT",
    "SPYGLASS_EVAL_WORKER_HEALTH_PORT",
    "SPYGLASS_EVAL_DISPATCHER_HEALTH_PORT",
    "SPYGLASS_EXPERIMENT_RUNNER_HEALTH_PORT",
)


class _Collect(SpanProcessor):
    """Keeps every ended span, for the load loop to export in batches itself."""

    def __init__(self) -> None:
        self.ended: list[ReadableSpan] = []

    def on_end(self, span: ReadableSpan) -> None:
        self.ended.append(span)


class Sender:
    """Exports batches of spans from a thread until stopped; remembers what was acknowledged."""

    def __init__(
        self, name: str, exporter: SpanExporter, batch: int = 50, pause_seconds: float = 0.1
    ) -> None:
        self.name = name
        self.exporter = exporter
        self.batch = batch
        self.pause_seconds = pause_seconds
        self.acknowledged: set[str] = set()
        self.failed_exports = 0
        self._collect = _Collect()
        provider = TracerProvider(resource=Resource.create({"openinference.project.name": PROJECT}))
        provider.add_span_processor(self._collect)
        self._tracer = provider.get_tracer("supervision")
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=f"sender-{name}", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for number in range(self.batch):
                with self._tracer.start_as_current_span(
                    f"{self.name}-{number}", attributes={"input.value": "x" * 200}
                ):
                    pass
            spans, self._collect.ended = self._collect.ended, []
            result = self.exporter.export(spans)
            with self._lock:
                if result == SpanExportResult.SUCCESS:
                    self.acknowledged.update(f"{span.context.span_id:016x}" for span in spans)
                else:
                    self.failed_exports += 1
            # A steady load, not all the CPU: the processes being restarted need it to start.
            self._stop.wait(self.pause_seconds)

    def count(self) -> int:
        with self._lock:
            return len(self.acknowledged)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=60)
        self.exporter.shutdown()


class Load:
    """Both senders, and waiting for each to get more acknowledgements."""

    def __init__(self, senders: Sequence[Sender]) -> None:
        self.senders = senders

    def counts(self) -> list[int]:
        return [sender.count() for sender in self.senders]

    def wait_for_more(self, than: list[int], spans: int = 100, timeout: float = 60) -> None:
        """Wait until every sender has ``spans`` more acknowledged spans than ``than``."""

        def more() -> None:
            counts = self.counts()
            assert all(now >= before + spans for now, before in zip(counts, than, strict=True)), (
                f"acknowledged {counts}, before {than}"
            )

        assert_eventually(more, timeout=timeout, interval=0.2)

    def acknowledged(self) -> set[str]:
        return set().union(*(sender.acknowledged for sender in self.senders))


def _children(launcher: ServiceProcess) -> dict[str, int]:
    """The pid of each process the launcher runs, by name."""
    found: dict[str, int] = {}
    for child in psutil.Process(launcher.process.pid).children():
        try:
            argv = child.cmdline()
        except psutil.NoSuchProcess:
            continue
        for name, matches in PROCESSES.items():
            if argv and matches(argv):
                found[name] = child.pid
    return found


def _launcher_events(launcher: ServiceProcess, event: str) -> list[dict[str, Any]]:
    """The launcher's own JSON log lines of ``event``."""
    found = []
    for line in launcher.output().splitlines():
        if not line.startswith("{"):
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("event") == event:
            found.append(entry)
    return found


def _serving(ports: dict[str, int]) -> Callable[[], None]:
    """Every process ready (so each has its dependencies back), and a query through the
    gateway answered."""

    def check() -> None:
        for variable in READINESS_PORTS:
            url = f"http://127.0.0.1:{ports[variable]}/readyz"
            response = httpx.get(url, timeout=3)
            assert response.status_code == 200, f"{url}: {response.status_code} {response.text}"
        gateway = f"http://127.0.0.1:{ports['SPYGLASS_GATEWAY_PORT']}"
        projects = httpx.get(f"{gateway}/v1/projects", timeout=5)
        assert projects.status_code == 200, projects.text
        assert PROJECT in {project["name"] for project in projects.json()["data"]}

    return check


def _unexpected_exits(launcher: ServiceProcess, restarts: dict[str, int]) -> str:
    """For a failed run: how each process that restarted more than once exited, and the last
    lines it wrote (a CI log keeps only the end of the launcher's output)."""
    report = []
    for name, count in restarts.items():
        if count == 1:
            continue
        exits = [e for e in _launcher_events(launcher, "process_exited") if e["process"] == name]
        lines = [line for line in launcher.output().splitlines() if line.startswith(f"{name} ")]
        report.append(f"{name} exits: {exits}\nits last lines:\n" + "\n".join(lines[-40:]))
    return "\n\n".join(report)


def _service_events(launcher: ServiceProcess, service: str, event: str) -> list[dict[str, Any]]:
    """The JSON log lines of ``event`` that ``service`` wrote (the launcher prefixes them)."""
    found = []
    for line in launcher.output().splitlines():
        prefix, _, rest = line.partition("| ")
        if prefix.strip() != service or not rest.startswith("{"):
            continue
        try:
            entry = json.loads(rest)
        except ValueError:
            continue
        if entry.get("event") == event:
            found.append(entry)
    return found


def _jobs_run(launcher: ServiceProcess, producer: Celery) -> None:
    """A ping job on each worker's queue is run (so each worker consumes from Redis again)."""
    message = uuid.uuid4().hex
    workers = {"eval-worker": Queue.EVALUATIONS, "experiment-runner": Queue.EXPERIMENTS}
    for queue in workers.values():
        producer.send_task(TaskName.PING.value, kwargs={"message": message}, queue=queue.value)

    def ran() -> None:
        for worker in workers:
            pings = _service_events(launcher, worker, "ping_received")
            assert any(ping.get("message") == message for ping in pings), f"{worker} ran no ping"

    assert_eventually(ran, timeout=60, interval=0.5)


def _stored_once(database_url: str, load: Load) -> Callable[[], None]:
    def check() -> None:
        twice = fetch(
            database_url,
            "SELECT span_id, count(*) AS copies FROM spans GROUP BY span_id HAVING count(*) > 1",
        )
        assert not twice, f"stored more than once: {[dict(row) for row in twice[:5]]}"
        stored = {row["span_id"] for row in fetch(database_url, "SELECT span_id FROM spans")}
        missing = load.acknowledged() - stored
        assert not missing, f"{len(missing)} acknowledged spans are not stored"

    return check


async def _dispatcher_backlog(nats_url: str) -> tuple[int, int]:
    """The `spans.stored` announcements not yet delivered to a dispatcher, and those delivered
    but not yet acknowledged (the launcher's processes use the default namespace)."""
    names = BusNames()
    client = await nats.connect(nats_url)
    try:
        info = await client.jetstream().consumer_info(
            names.spans_stored_stream, names.eval_dispatcher_consumer
        )
    finally:
        await client.close()
    return info.num_pending or 0, info.num_ack_pending or 0


def _announcements_decided(nats_url: str) -> Callable[[], None]:
    def check() -> None:
        pending, unacknowledged = asyncio.run(_dispatcher_backlog(nats_url))
        assert (pending, unacknowledged) == (0, 0), (
            f"{pending} announcements undelivered, {unacknowledged} unacknowledged"
        )

    return check


def test_every_process_killed_in_turn_comes_back_and_no_acknowledged_span_is_lost(
    server_home: Path, spawn_service: SpawnService
) -> None:
    # server_home first: torn down after the launcher, whose servers keep their data in it.
    ports = {variable: free_port() for variable in port_variables()}
    launcher = spawn_service(
        "launcher",
        ("spyglass_launcher", "run"),
        service_environment(
            SPYGLASS_HOME=str(server_home / "home"),
            SPYGLASS_LAUNCHER_BUILD_UI="false",
            # A busy CI machine starts Python slowly.
            SPYGLASS_LAUNCHER_STARTUP_TIMEOUT_SECONDS="120",
            **{variable: str(port) for variable, port in ports.items()},
        ),
    )

    def banner() -> str:
        assert launcher.process.poll() is None, f"launcher exited:\n{launcher.output()}"
        assert "Press Ctrl-C to stop." in launcher.output()
        return launcher.output()

    output = assert_eventually(banner, timeout=120, interval=0.25)
    banner_lines = output.splitlines()
    database_url = next(
        line.split()[1] for line in banner_lines if line.startswith("  PostgreSQL:")
    )
    redis_url = next(line.split()[1] for line in banner_lines if line.startswith("  Redis:"))
    nats_url = next(line.split()[1] for line in banner_lines if line.startswith("  NATS:"))
    producer = Celery("supervision-test", broker=redis_url)
    gateway = f"http://127.0.0.1:{ports['SPYGLASS_GATEWAY_PORT']}"
    load = Load(
        [
            Sender(
                "grpc",
                GrpcSpanExporter(
                    endpoint=f"127.0.0.1:{ports['SPYGLASS_RECEIVER_GRPC_PORT']}",
                    insecure=True,
                    timeout=10,
                ),
            ),
            Sender("http", HttpSpanExporter(endpoint=f"{gateway}/v1/traces", timeout=10)),
        ]
    )
    recovery_seconds: dict[str, tuple[float, float, float]] = {}
    for sender in load.senders:
        sender.start()
    try:
        load.wait_for_more([0, 0])
        for name in PROCESSES:
            before = _children(launcher)
            assert name in before, f"{name} is not running: {before}"
            killed_at = time.monotonic()
            psutil.Process(before[name]).send_signal(signal.SIGKILL)

            def restarted(name: str = name, old_pid: int = before[name]) -> None:
                exits = [
                    entry
                    for entry in _launcher_events(launcher, "process_exited")
                    if entry["process"] == name
                ]
                assert exits and exits[-1]["signal"] == "SIGKILL", exits
                assert _children(launcher).get(name, old_pid) != old_pid

            assert_eventually(restarted, timeout=60, interval=0.2, message=launcher.output)
            restarted_after = time.monotonic() - killed_at
            assert_eventually(_serving(ports), timeout=60, interval=0.5)
            serving_after = time.monotonic() - killed_at
            load.wait_for_more(load.counts(), spans=50)
            _jobs_run(launcher, producer)
            recovery_seconds[name] = (
                round(restarted_after, 1),
                round(serving_after, 1),
                round(time.monotonic() - killed_at, 1),
            )
    finally:
        for sender in load.senders:
            sender.stop()
        producer.close()
    # Seconds after each kill until restarted, serving, and acknowledging spans and running jobs.
    print(f"\nrecovery (restarted, serving, all working) in seconds: {recovery_seconds}")
    print(f"acknowledged spans: {len(load.acknowledged())}")

    # A batch the killed writer held comes back after the ack wait (60 s); usually long since.
    assert_eventually(_stored_once(database_url, load), timeout=90, interval=0.5)
    # An announcement the killed dispatcher held comes back after its ack wait (60 s) too.
    assert_eventually(_announcements_decided(nats_url), timeout=90, interval=0.5)
    restarts = {
        entry["process"]: entry["restarts"]
        for entry in _launcher_events(launcher, "process_restarted")
    }
    assert restarts == dict.fromkeys(PROCESSES, 1), _unexpected_exits(launcher, restarts)
    # Ctrl-C right after a kill, with the restart pending: everything stops, cleanly.
    children = psutil.Process(launcher.process.pid).children(recursive=True)
    psutil.Process(_children(launcher)["gateway"]).send_signal(signal.SIGKILL)
    assert launcher.stop(signal.SIGINT, timeout=60) == 0, launcher.output()
    assert "restarts during this run: " in launcher.output()
    still_running = [
        child for child in children if child.is_running() and child.status() != "zombie"
    ]
    assert not still_running, f"left running: {[child.cmdline() for child in still_running]}"
