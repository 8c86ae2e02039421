"""`make bench`: the ingest benchmark, with the whole platform on this machine.

It starts the platform the way `make run` does (embedded PostgreSQL, NATS, Redis, every service)
in a scratch ``SPYGLASS_HOME``, then a load generator sends realistic OpenInference traces (an
agent root, a retriever with documents, an LLM call with messages and token counts, a tool call;
about 2.5 KB a span) over OTLP/gRPC and OTLP/HTTP at once. It reports:

* spans persisted per second, end to end (first request sent to last span committed);
* export latency p50 / p99 (request sent to the receiver's answer, i.e. JetStream stored it);
* peak RSS of the receiver and the writer, sampled every 100 ms;
* in the same run, the raw COPY rate of the same rows into the same table;
* an overload phase: as many requests at once as the generator can push, for the receiver's
  peak RSS and how it refused (429 / RESOURCE_EXHAUSTED) what it could not take.

``--auth both`` (the default) runs it twice, each on a platform of its own: with auth off, then
with auth on (``SPYGLASS_ENABLE_AUTH``) and every request carrying an ingest key of its project,
as a collector would; it prints both sets of figures side by side, with what checking a
remembered key costs the receiver per request. ``--auth off`` / ``--auth on`` run one of them.

Requests are serialized before the clock starts, so the generator spends its CPU on sending.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import grpc
import httpx
import nats
import orjson
import psutil
from nats.aio.msg import Msg
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

from spyglass_auth import Authenticator, AuthSettings, TokenCodec, TokenKind
from spyglass_bus import BusNames
from spyglass_core.settings import DbSettings
from spyglass_db import auth as auth_store
from spyglass_db import create_engine
from spyglass_db.models.auth import SYSTEM_USER_ID
from spyglass_ingest.receiver.auth import IngestGuard
from spyglass_launcher.platform import port_variables
from spyglass_launcher.ports import free_port
from spyglass_proto.bus.v1.spans_pb2 import SpansStored
from spyglass_span_store import SPAN_COLUMNS
from tests.support.otlp_traces import attributes

EXPORT_METHOD = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
WORDS = (
    "the", "refund", "policy", "covers", "orders", "shipped", "within", "thirty", "days",
    "of", "purchase", "when", "asked",
)  # fmt: skip


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def agent_trace(rng: random.Random, start_ns: int) -> list[Span]:
    """Four spans of one agent run, about 2.5 KB each on the wire."""
    trace_id = rng.randbytes(16)
    root_id, retriever_id, llm_id, tool_id = (rng.randbytes(8) for _ in range(4))
    question = _text(rng, 60)
    answer = _text(rng, 90)

    def span(span_id: bytes, parent: bytes, name: str, offset_ms: int, values: dict) -> Span:
        return Span(
            trace_id=trace_id,
            span_id=span_id,
            parent_span_id=parent,
            name=name,
            kind=Span.SPAN_KIND_INTERNAL,
            start_time_unix_nano=start_ns + offset_ms * 1_000_000,
            end_time_unix_nano=start_ns + (offset_ms + 200) * 1_000_000,
            attributes=attributes(values),
            status=Status(code=Status.STATUS_CODE_OK),
        )

    documents: dict[str, object] = {}
    for index in range(3):
        documents[f"retrieval.documents.{index}.document.id"] = f"doc-{rng.randrange(10**6)}"
        documents[f"retrieval.documents.{index}.document.score"] = rng.random()
        documents[f"retrieval.documents.{index}.document.content"] = _text(rng, 70)
    common = {
        "session.id": f"session-{rng.randrange(1000)}",
        "user.id": f"user-{rng.randrange(100)}",
    }
    metadata = orjson.dumps({"tier": rng.choice(["gold", "free"]), "region": "eu"}).decode()
    return [
        span(
            root_id,
            b"",
            "agent",
            0,
            {
                "openinference.span.kind": "AGENT",
                "input.value": question,
                "output.value": answer,
                "metadata": metadata,
                **common,
                "agent.name": "support-bot",
                "tag.tags": "prod",
                "extra.notes": _text(rng, 160),
            },
        ),
        span(
            retriever_id,
            root_id,
            "retrieve",
            10,
            {
                "openinference.span.kind": "RETRIEVER",
                "input.value": question,
                **documents,
                **common,
            },
        ),
        span(
            llm_id,
            root_id,
            "ChatCompletion",
            50,
            {
                "openinference.span.kind": "LLM",
                "llm.model_name": "gpt-4o-mini",
                "llm.provider": "openai",
                "llm.system": "openai",
                "llm.invocation_parameters": '{"temperature": 0.2, "max_tokens": 512}',
                "llm.input_messages.0.message.role": "system",
                "llm.input_messages.0.message.content": _text(rng, 100),
                "llm.input_messages.1.message.role": "user",
                "llm.input_messages.1.message.content": question,
                "llm.output_messages.0.message.role": "assistant",
                "llm.output_messages.0.message.content": answer,
                "llm.token_count.prompt": rng.randrange(200, 2000),
                "llm.token_count.completion": rng.randrange(20, 400),
                "llm.token_count.prompt_details.cache_read": rng.randrange(0, 200),
                "input.value": question,
                "output.value": answer,
                **common,
            },
        ),
        span(
            tool_id,
            root_id,
            "lookup_order",
            260,
            {
                "openinference.span.kind": "TOOL",
                "tool.name": "lookup_order",
                "tool.parameters": '{"order_id": {"type": "string"}}',
                "input.value": '{"order_id": "A-1234"}',
                "output.value": _text(rng, 200),
                **common,
            },
        ),
    ]


def build_requests(spans: int, spans_per_request: int, project: str, seed: int) -> list[bytes]:
    """Serialized export requests holding ``spans`` spans in all."""
    rng = random.Random(seed)
    resource = Resource(attributes=attributes({"openinference.project.name": project}))
    requests = []
    start_ns = time.time_ns() - 3600 * 10**9
    traces_per_request = max(1, spans_per_request // 4)
    for number in range(spans // (traces_per_request * 4)):
        batch: list[Span] = []
        for trace in range(traces_per_request):
            batch.extend(agent_trace(rng, start_ns + (number * 100 + trace) * 10**6))
        request = ExportTraceServiceRequest(
            resource_spans=[ResourceSpans(resource=resource, scope_spans=[ScopeSpans(spans=batch)])]
        )
        requests.append(request.SerializeToString())
    return requests


@dataclass
class Platform:
    """The whole platform, started by the launcher in a scratch home."""

    home: Path
    ports: dict[str, int] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    output: list[str] = field(default_factory=list)

    def start(self, writers: int, settings: dict[str, str]) -> None:
        names = port_variables()
        self.ports = {name: free_port() for name in names}
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SPYGLASS_", "PHOENIX_"))}
        env.update({name: str(port) for name, port in self.ports.items()})
        env.update(
            SPYGLASS_HOME=str(self.home),
            SPYGLASS_LOG_FORMAT="json",
            SPYGLASS_LOG_LEVEL="WARNING",
            SPYGLASS_LAUNCHER_WRITERS=str(writers),
        )
        env.update(settings)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "spyglass_launcher", "run"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        threading.Thread(target=self._pump, daemon=True).start()
        deadline = time.monotonic() + 120
        while not any("Press Ctrl-C to stop." in line for line in self.output):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the platform did not start:\n" + "\n".join(self.output[-40:]))
            time.sleep(0.2)

    def _pump(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for raw in self.process.stdout:
            self.output.append(raw.decode(errors="replace").rstrip())

    def _banner_url(self, label: str) -> str:
        line = next(line for line in self.output if line.strip().startswith(f"{label}:"))
        return line.split()[1]

    @property
    def database_url(self) -> str:
        return self._banner_url("PostgreSQL")

    @property
    def nats_url(self) -> str:
        return self._banner_url("NATS")

    @property
    def redis_url(self) -> str:
        return self._banner_url("Redis")

    def service_pids(self, fragment: str) -> list[int]:
        assert self.process is not None
        return [
            child.pid
            for child in psutil.Process(self.process.pid).children(recursive=True)
            if fragment in " ".join(child.cmdline())
        ]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            self.process.wait(timeout=120)


class RssSampler:
    """Peak resident memory of some processes, sampled every 100 ms in a thread."""

    def __init__(self, pids: dict[str, list[int]]) -> None:
        self.pids = pids
        self.peak_mb: dict[str, float] = dict.fromkeys(pids, 0.0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for role, pids in self.pids.items():
                total = 0
                for pid in pids:
                    try:
                        total = max(total, psutil.Process(pid).memory_info().rss)
                    except psutil.NoSuchProcess:
                        continue
                self.peak_mb[role] = max(self.peak_mb[role], total / 2**20)
            self._stop.wait(0.1)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


class CpuMeter:
    """CPU seconds (user + system) each part of the platform spent between enter and exit."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.seconds: dict[str, float] = {}
        self._before: dict[int, tuple[str, float]] = {}

    def _sample(self) -> dict[int, tuple[str, float]]:
        assert self.platform.process is not None
        processes = psutil.Process(self.platform.process.pid).children(recursive=True)
        processes.append(psutil.Process())
        out = {}
        for process in processes:
            try:
                command = " ".join(process.cmdline())
                times = process.cpu_times()
            except psutil.NoSuchProcess:
                continue
            out[process.pid] = (_role(command, process.pid), times.user + times.system)
        return out

    def __enter__(self) -> CpuMeter:
        self._before = self._sample()
        return self

    def __exit__(self, *_: object) -> None:
        for pid, (role, seconds) in self._sample().items():
            spent = seconds - self._before.get(pid, (role, 0.0))[1]
            self.seconds[role] = round(self.seconds.get(role, 0.0) + spent, 1)


def _role(command: str, pid: int) -> str:
    if pid == os.getpid():
        return "load generator"
    for fragment, role in (
        ("receiver", "receiver"),
        ("writer", "writer"),
        ("postgres", "postgres"),
        ("nats-server", "nats"),
    ):
        if fragment in command:
            return role
    return "other"


@dataclass
class SendResult:
    latencies: list[float] = field(default_factory=list)
    refused: dict[str, int] = field(default_factory=dict)


async def send_grpc(
    target: str,
    requests: list[bytes],
    concurrency: int,
    result: SendResult,
    headers: dict[str, str] | None = None,
) -> None:
    channel = grpc.aio.insecure_channel(
        target, options=[("grpc.max_send_message_length", 64 * 2**20)]
    )
    export = channel.unary_unary(EXPORT_METHOD, request_serializer=lambda body: body)
    metadata = tuple((headers or {}).items())
    queue = list(reversed(requests))

    async def worker() -> None:
        while queue:
            body = queue.pop()
            while True:
                started = time.perf_counter()
                try:
                    await export(body, timeout=60, metadata=metadata)
                except grpc.aio.AioRpcError as error:
                    name = error.code().name
                    result.refused[name] = result.refused.get(name, 0) + 1
                    await asyncio.sleep(0.05)
                    continue
                result.latencies.append(time.perf_counter() - started)
                break

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    await channel.close()


async def send_http(
    url: str,
    requests: list[bytes],
    concurrency: int,
    result: SendResult,
    headers: dict[str, str] | None = None,
) -> None:
    headers = {"content-type": "application/x-protobuf", **(headers or {})}
    queue = list(reversed(requests))
    async with httpx.AsyncClient(
        timeout=60, limits=httpx.Limits(max_connections=concurrency)
    ) as http:

        async def worker() -> None:
            while queue:
                body = queue.pop()
                while True:
                    started = time.perf_counter()
                    response = await http.post(url, content=body, headers=headers)
                    if response.status_code == 200:
                        result.latencies.append(time.perf_counter() - started)
                        break
                    key = str(response.status_code)
                    result.refused[key] = result.refused.get(key, 0) + 1
                    await asyncio.sleep(float(response.headers.get("retry-after", "0.05")) / 20)

        await asyncio.gather(*(worker() for _ in range(concurrency)))


class StoredWatcher:
    """Counts the spans the writers announce on ``spans.stored`` (published after each commit).

    The clock stops at the announcement that completes the count, without polling PostgreSQL
    (a ``count(*)`` every few milliseconds would compete with the writers for the same cores).
    """

    def __init__(self, nats_url: str, project: str, expected: int) -> None:
        self.nats_url = nats_url
        self.project = project
        self.expected = expected
        self.stored = 0
        self.completed_at = 0.0
        self.done = asyncio.Event()

    async def __aenter__(self) -> StoredWatcher:
        self._nats = await nats.connect(self.nats_url)
        await self._nats.subscribe(BusNames().spans_stored_subject, cb=self._on_message)
        return self

    async def _on_message(self, message: Msg) -> None:
        announcement = SpansStored.FromString(message.data)
        if announcement.project_name == self.project:
            self.stored += len(announcement.spans)
            if self.stored >= self.expected and not self.done.is_set():
                self.completed_at = time.perf_counter()
                self.done.set()

    async def __aexit__(self, *_: object) -> None:
        await self._nats.close()


async def count_spans(database_url: str, project: str) -> int:
    connection = await asyncpg.connect(database_url)
    try:
        return int(
            await connection.fetchval(
                "SELECT count(*) FROM spans s JOIN projects p ON p.id = s.project_rowid "
                "WHERE p.name = $1",
                project,
            )
        )
    finally:
        await connection.close()


async def raw_copy_rate(database_url: str, rows: int) -> float:
    """COPY ``rows`` of the stored spans again (new span ids) into the spans table: rows/s."""
    connection = await asyncpg.connect(database_url)
    try:
        columns = ", ".join(SPAN_COLUMNS)
        records = [
            tuple(record)
            for record in await connection.fetch(f"SELECT {columns} FROM spans LIMIT {rows}")
        ]
        records = [(r[0], r[1], uuid.uuid4().hex[:16], *r[3:]) for r in records]
        started = time.perf_counter()
        for offset in range(0, len(records), 2000):
            await connection.copy_records_to_table(
                "spans", records=records[offset : offset + 2000], columns=SPAN_COLUMNS
            )
        return len(records) / (time.perf_counter() - started)
    finally:
        await connection.close()


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def _auth_secret() -> str:
    """A deployment secret as Spyglass asks for it (32+ characters, a digit, a lowercase letter)."""
    return f"bench-{secrets.token_hex(24)}-0a"


async def ingest_key(database_url: str, secret: str, project: str) -> str:
    """An ingest key of ``project``, made in the platform's database as the API makes one."""
    engine = create_engine(DbSettings(url=database_url))
    try:
        async with engine.begin() as connection:
            key = await auth_store.create_key(
                connection,
                user_id=SYSTEM_USER_ID,
                kind="INGEST",
                name=f"bench {project}",
                description=None,
                project_name=project,
                expires_at=None,
            )
    finally:
        await engine.dispose()
    return TokenCodec(secret).issue(TokenKind.API_KEY, key.id)


async def remembered_key_check_us(database_url: str, secret: str, key: str) -> float:
    """Microseconds the receiver's guard takes to admit a request whose key it remembers (the
    steady state of a collector's stream of exports), measured in this process."""
    engine = create_engine(DbSettings(url=database_url, pool_size=1))
    try:
        settings = AuthSettings(enabled=True, secret=secret, cache_seconds=60)
        guard = IngestGuard(Authenticator(settings, engine), retry_after_seconds=2)
        headers = {"authorization": f"Bearer {key}", "content-type": "application/x-protobuf"}
        await guard.admit(headers)  # read once from PostgreSQL, then remembered
        rounds = 100_000
        started = time.perf_counter()
        for _ in range(rounds):
            await guard.admit(headers)
        return (time.perf_counter() - started) / rounds * 1e6
    finally:
        await engine.dispose()


async def run(arguments: argparse.Namespace, auth: bool) -> dict[str, object]:
    home = Path(tempfile.mkdtemp(prefix="spyglass-bench-"))
    platform = Platform(home)
    print(f"building {arguments.spans} spans of requests...", flush=True)
    grpc_requests = build_requests(arguments.spans // 2, arguments.spans_per_request, "bench", 1)
    http_requests = build_requests(arguments.spans // 2, arguments.spans_per_request, "bench", 2)
    total = (len(grpc_requests) + len(http_requests)) * (arguments.spans_per_request // 4 * 4)
    mean_span = sum(map(len, grpc_requests)) / (len(grpc_requests) * arguments.spans_per_request)
    settings = dict(item.split("=", 1) for item in arguments.set)
    secret = _auth_secret()
    if auth:
        settings.update(SPYGLASS_ENABLE_AUTH="true", SPYGLASS_SECRET=secret)
    print(f"starting the platform (auth {'on' if auth else 'off'}) in {home} ...", flush=True)
    try:
        platform.start(arguments.writers, settings)
        headers: dict[str, str] = {}
        overload_headers: dict[str, str] = {}
        check_us = None
        if auth:
            key = await ingest_key(platform.database_url, secret, "bench")
            headers = {"authorization": f"Bearer {key}"}
            overload_key = await ingest_key(platform.database_url, secret, "overload")
            overload_headers = {"authorization": f"Bearer {overload_key}"}
            check_us = await remembered_key_check_us(platform.database_url, secret, key)
        ports = platform.ports
        pids = {
            "receiver": platform.service_pids("spyglass_ingest receiver"),
            "writer": platform.service_pids("spyglass_ingest writer"),
        }
        grpc_result, http_result = SendResult(), SendResult()
        async with StoredWatcher(platform.nats_url, "bench", total) as watcher:
            with RssSampler(pids) as sampler, CpuMeter(platform) as cpu:
                started = time.perf_counter()
                await asyncio.gather(
                    send_grpc(
                        f"127.0.0.1:{ports['SPYGLASS_RECEIVER_GRPC_PORT']}",
                        grpc_requests,
                        arguments.concurrency,
                        grpc_result,
                        headers,
                    ),
                    send_http(
                        f"http://127.0.0.1:{ports['SPYGLASS_RECEIVER_HTTP_PORT']}/v1/traces",
                        http_requests,
                        arguments.concurrency,
                        http_result,
                        headers,
                    ),
                )
                sent_seconds = time.perf_counter() - started
                try:
                    await asyncio.wait_for(watcher.done.wait(), timeout=900)
                except TimeoutError:
                    raise SystemExit(
                        f"only {watcher.stored} of {total} spans announced after 15 minutes"
                    ) from None
                persisted_seconds = watcher.completed_at - started
        stored = await count_spans(platform.database_url, "bench")
        if stored != total:
            raise SystemExit(f"{stored} spans in PostgreSQL, {total} sent")
        del grpc_requests, http_requests
        copy_rate = await raw_copy_rate(platform.database_url, min(total, 50_000))

        overload_requests = build_requests(arguments.overload_spans, 512, "overload", 3)
        overload = SendResult()
        with RssSampler({"receiver": pids["receiver"]}) as overload_sampler:
            await asyncio.gather(
                send_grpc(
                    f"127.0.0.1:{ports['SPYGLASS_RECEIVER_GRPC_PORT']}",
                    overload_requests[::2],
                    arguments.overload_concurrency,
                    overload,
                    overload_headers,
                ),
                send_http(
                    f"http://127.0.0.1:{ports['SPYGLASS_RECEIVER_HTTP_PORT']}/v1/traces",
                    overload_requests[1::2],
                    arguments.overload_concurrency,
                    overload,
                    overload_headers,
                ),
            )
        latencies = grpc_result.latencies + http_result.latencies
        return {
            "auth": "on, an ingest key per project" if auth else "off",
            "remembered_key_check_us": None if check_us is None else round(check_us, 2),
            "spans": total,
            "mean_span_bytes": round(mean_span),
            "spans_per_request": arguments.spans_per_request,
            "writers": arguments.writers,
            "persisted_spans_per_second": round(total / persisted_seconds),
            "accepted_spans_per_second": round(total / sent_seconds),
            "export_latency_ms": {
                "p50": round(statistics.median(latencies) * 1000, 1),
                "p99": round(_percentile(latencies, 0.99) * 1000, 1),
            },
            "refused_during_run": {**grpc_result.refused, **http_result.refused},
            "peak_rss_mb": {role: round(mb) for role, mb in sampler.peak_mb.items()},
            "cpu_seconds": cpu.seconds,
            "raw_copy_rows_per_second": round(copy_rate),
            "overload": {
                "requests": len(overload_requests),
                "concurrency_per_transport": arguments.overload_concurrency,
                "refused": overload.refused,
                "receiver_peak_rss_mb": round(overload_sampler.peak_mb["receiver"]),
            },
        }
    finally:
        platform.stop()
        shutil.rmtree(platform.home, ignore_errors=True)  # gigabytes of scratch data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spans", type=int, default=200_000)
    parser.add_argument("--spans-per-request", type=int, default=512)
    parser.add_argument(
        "--concurrency", type=int, default=4, help="requests in flight per transport"
    )
    parser.add_argument("--writers", type=int, default=1)
    parser.add_argument("--overload-spans", type=int, default=100_000)
    parser.add_argument("--overload-concurrency", type=int, default=64)
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a SPYGLASS_* setting for the platform, e.g. SPYGLASS_WRITER_CONCURRENCY=4",
    )
    parser.add_argument(
        "--auth",
        choices=("both", "off", "on"),
        default="both",
        help="run with auth off, on (every request with an ingest key), or both, one after the "
        "other, each on a platform of its own (the default)",
    )
    arguments = parser.parse_args()
    runs = {"both": (False, True), "off": (False,), "on": (True,)}[arguments.auth]
    results = []
    for auth in runs:
        figures = asyncio.run(run(arguments, auth))
        print(orjson.dumps(figures, option=orjson.OPT_INDENT_2).decode(), flush=True)
        results.append(figures)
    if len(results) == 2:
        print(auth_comparison(*results))


def auth_comparison(off: dict[str, Any], on: dict[str, Any]) -> str:
    """The figures of the two runs side by side (two platforms: expect a few percent of noise)."""
    rows = [
        ("persisted spans/s", lambda f: f["persisted_spans_per_second"]),
        ("accepted spans/s", lambda f: f["accepted_spans_per_second"]),
        ("export latency p50 (ms)", lambda f: f["export_latency_ms"]["p50"]),
        ("export latency p99 (ms)", lambda f: f["export_latency_ms"]["p99"]),
        ("receiver CPU (s)", lambda f: f["cpu_seconds"].get("receiver", 0.0)),
        ("receiver peak RSS (MB)", lambda f: f["peak_rss_mb"]["receiver"]),
    ]
    lines = [f"{'ingest, auth':<26}{'off':>12}{'on':>12}{'change':>10}"]
    for label, figure in rows:
        before, after = figure(off), figure(on)
        change = f"{(after - before) / before * 100:+.1f}%" if before else "-"
        lines.append(f"{label:<26}{before:>12}{after:>12}{change:>10}")
    check = on["remembered_key_check_us"]
    lines.append(f"{'key check, remembered (us)':<26}{'':>12}{check:>12}  per request")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
