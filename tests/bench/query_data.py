"""The query benchmark's data: realistic traces, written through the ingest writer's write path.

Traces are made of the ingest benchmark's agent runs (``tests.bench.ingest.agent_trace``: an
agent root, a retriever, an LLM call with token counts and a cost, a tool call): a trace is one
run, or a root run with sub-agent runs under it, 8-28 spans mostly, with two large traces of
exactly 1,000 and 10,000 spans (``LARGE_TRACES``). Start times spread over ``hours`` before
now; traces of one session share its ``session.id``; a few tool calls fail with an exception
event; metadata tiers come from the agent run (``gold`` or ``free``).

Each worker process builds OTLP export requests, decodes them as the receiver does
(``decode_export_request``: normalization, token totals, costs) and writes the batches with
``spyglass_span_store.write_batches`` on its own asyncpg connection, so that the rows,
the derived trace and session bounds and the cumulative counts are what ingestion stores.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass

import asyncpg
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

from spyglass_proto.bus.v1.spans_pb2 import DecodedSpanBatch
from spyglass_span_store import prepare_connection, write_batches
from spyglass_spans import DecodeLimits, ModelPriceTable, decode_export_request
from tests.bench.ingest import agent_trace
from tests.support.otlp_traces import attributes

PROJECT = "bench"
LARGE_TRACE_SPANS = 1000
OUTLINE_TRACE_SPANS = 10_000
LARGE_TRACES = {LARGE_TRACE_SPANS: 2, OUTLINE_TRACE_SPANS: 3}
"""The large traces by their span count, with how many hours before now each starts."""
SPANS_PER_RUN = 4
RUN_SPACING_NS = 500_000_000
SPANS_PER_REQUEST = 512
REQUESTS_PER_WRITE = 4
ERROR_RATE = 0.04
TRACES_PER_SESSION = 4
POOL_RUNS = 128
PARTS_PER_WORKER = 4
POOL_BASE_NS = 10**18


@dataclass(frozen=True)
class LoadPlan:
    """One part of the load: ``spans`` spans of its own traces, seeded by ``part``."""

    database_url: str
    part: int
    spans: int
    hours: float
    now_ns: int
    large_traces: tuple[int, ...] = ()
    """The span counts of the large traces (``LARGE_TRACES``) this part writes."""


def _set_attribute(span: Span, key: str, value: str) -> None:
    for pair in span.attributes:
        if pair.key == key:
            pair.value.string_value = value
            return
    span.attributes.extend(attributes({key: value}))


def _fail_tool_call(span: Span) -> None:
    span.status.CopyFrom(Status(code=Status.STATUS_CODE_ERROR, message="order service timed out"))
    span.events.add(
        name="exception",
        time_unix_nano=span.end_time_unix_nano,
        attributes=attributes(
            {"exception.type": "TimeoutError", "exception.message": "order service timed out"}
        ),
    )


class RunPool:
    """Agent runs made once by ``agent_trace`` and copied, with new ids and times, into traces.

    ``agent_trace`` draws about 200 random words a span, which would make generating a million
    spans take longer than storing them; copying a few hundred runs keeps the texts, sizes,
    token counts, costs and tiers just as varied for what a query reads.
    """

    def __init__(self, rng: random.Random, size: int = POOL_RUNS) -> None:
        self.runs = [agent_trace(rng, POOL_BASE_NS) for _ in range(size)]

    def run(self, rng: random.Random, trace_id: bytes, start_ns: int) -> list[Span]:
        """A copy of a random run in trace ``trace_id``, starting at ``start_ns``."""
        new_ids: dict[bytes, bytes] = {}
        spans = []
        for original in rng.choice(self.runs):
            span = Span()
            span.CopyFrom(original)
            new_ids[original.span_id] = span.span_id = rng.randbytes(8)
            span.parent_span_id = new_ids.get(original.parent_span_id, b"")
            span.trace_id = trace_id
            span.start_time_unix_nano += start_ns - POOL_BASE_NS
            span.end_time_unix_nano += start_ns - POOL_BASE_NS
            spans.append(span)
        return spans


def build_trace(
    pool: RunPool, rng: random.Random, runs: int, start_ns: int, session: str
) -> list[Span]:
    """One trace of ``runs`` agent runs (4 spans each): the first run's agent is the root and
    every further run's agent is its child, as sub-agents are."""
    trace_id = rng.randbytes(16)
    spans = pool.run(rng, trace_id, start_ns)
    root = spans[0]
    for number in range(1, runs):
        run = pool.run(rng, trace_id, start_ns + number * RUN_SPACING_NS)
        run[0].parent_span_id = root.span_id
        run[0].name = "sub_agent"
        spans.extend(run)
    root.end_time_unix_nano = max(span.end_time_unix_nano for span in spans)
    for span in spans:
        _set_attribute(span, "session.id", session)
        if span.name == "lookup_order" and rng.random() < ERROR_RATE:
            _fail_tool_call(span)
    return spans


def large_trace(now_ns: int, spans: int = LARGE_TRACE_SPANS) -> list[Span]:
    """The large trace of exactly ``spans`` spans (a key of ``LARGE_TRACES``), the hours it
    names before ``now_ns``; its ids are always the same."""
    rng = random.Random(spans)
    start_ns = now_ns - LARGE_TRACES[spans] * 3600 * 10**9
    runs = spans // SPANS_PER_RUN
    return build_trace(RunPool(rng, 8), rng, runs, start_ns, f"session-large-{spans}")


def _traces(plan: LoadPlan) -> Iterator[list[Span]]:
    rng = random.Random(plan.part)
    pool = RunPool(rng)
    remaining = plan.spans
    sessions = max(1, plan.spans // (18 * TRACES_PER_SESSION))
    span_ns = int(plan.hours * 3600 * 10**9)
    while remaining >= SPANS_PER_RUN:
        runs = 1 if rng.random() < 0.1 else rng.randint(2, 7)
        runs = min(runs, remaining // SPANS_PER_RUN)
        start_ns = plan.now_ns - 300 * 10**9 - rng.randrange(span_ns)
        session = f"session-{plan.part}-{rng.randrange(sessions)}"
        yield build_trace(pool, rng, runs, start_ns, session)
        remaining -= runs * SPANS_PER_RUN


def _requests(plan: LoadPlan) -> Iterator[ExportTraceServiceRequest]:
    resource = Resource(attributes=attributes({"openinference.project.name": PROJECT}))
    pending = [span for spans in plan.large_traces for span in large_trace(plan.now_ns, spans)]
    for trace in _traces(plan):
        pending.extend(trace)
        if len(pending) >= SPANS_PER_REQUEST:
            yield _request(resource, pending)
            pending = []
    if pending:
        yield _request(resource, pending)


def _request(resource: Resource, spans: list[Span]) -> ExportTraceServiceRequest:
    return ExportTraceServiceRequest(
        resource_spans=[ResourceSpans(resource=resource, scope_spans=[ScopeSpans(spans=spans)])]
    )


async def _load(plan: LoadPlan) -> int:
    prices, limits = ModelPriceTable.load(), DecodeLimits()
    connection = await asyncpg.connect(plan.database_url)
    written = 0
    try:
        await prepare_connection(connection)
        batches: list[DecodedSpanBatch] = []
        for request in _requests(plan):
            decoded = decode_export_request(
                request, None, prices=prices, limits=limits, received_at_unix_nano=time.time_ns()
            )
            batches.extend(decoded.batches)
            if len(batches) >= REQUESTS_PER_WRITE:
                written += (await write_batches(connection, batches)).inserted
                batches = []
        if batches:
            written += (await write_batches(connection, batches)).inserted
    finally:
        await connection.close()
    return written


def _load_in_process(plan: LoadPlan) -> int:
    return asyncio.run(_load(plan))


def load_spans(database_url: str, spans: int, workers: int, hours: float) -> int:
    """Write about ``spans`` spans (the large traces included) with ``workers`` processes
    in parallel, each on its own connection; print progress; return how many were stored."""
    now_ns = time.time_ns()
    parts = workers * PARTS_PER_WORKER
    share = (spans - sum(LARGE_TRACES)) // parts // SPANS_PER_RUN * SPANS_PER_RUN
    # The first part writes the 1,000-span trace as before, the second the 10,000-span one.
    large = [(size,) for size in LARGE_TRACES] + [()] * parts
    plans = [
        LoadPlan(database_url, part, max(share, 0), hours, now_ns, large[part])
        for part in range(parts)
    ]
    stored = 0
    started = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        for done, written in enumerate(pool.imap_unordered(_load_in_process, plans), 1):
            stored += written
            rate = stored / (time.perf_counter() - started)
            print(f"  {done}/{parts} parts, {stored:,} spans ({rate:,.0f} spans/s)", flush=True)
    return stored


async def analyze(database_url: str) -> None:
    """Vacuum and analyze what was loaded, as autovacuum would soon, so that the measurement
    sees settled statistics and visibility maps instead of racing autovacuum."""
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute("VACUUM (ANALYZE) spans, traces, project_sessions, projects")
    finally:
        await connection.close()


def large_trace_id(spans: int = LARGE_TRACE_SPANS) -> str:
    """The OpenTelemetry id (hex) of the large trace of ``spans`` spans."""
    return large_trace(time.time_ns(), spans)[0].trace_id.hex()  # the ids don't depend on time


def retriever_span_id(spans: int = OUTLINE_TRACE_SPANS) -> str:
    """The OpenTelemetry id (hex) of the first retriever span of a large trace (one with
    documents), the span whose detail the benchmark reads."""
    first = next(span for span in large_trace(time.time_ns(), spans) if span.name == "retrieve")
    return first.span_id.hex()
