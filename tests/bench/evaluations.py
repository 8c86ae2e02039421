"""`make bench`: the evaluation plane (issue 17): built-in evaluations per worker process, and an
online rule judged by a provider answering in 50 ms while ingest runs at 5,000 spans/s.

It starts the fake provider (``tests.support.fake_provider``) and the platform the way
`make run` does, in a scratch ``SPYGLASS_HOME`` with ``OPENAI_API_KEY`` / ``OPENAI_BASE_URL``
pointing at the fake (one eval worker process, one dispatcher), then:

1. **Built-ins per worker process.** ``--builtin-jobs`` spans are ingested; as many jobs of a
   ``regex`` evaluator over them are recorded QUEUED and their ``spyglass.evaluate`` tasks
   queued at once (100 jobs a task) on the platform's Redis. Timed from the first task queued
   to the last job finished, in the one worker process: claim, read, evaluate, write the
   annotation and finish, all of it.
2. **An online rule at 5,000 spans/s.** A rule judges LLM spans (a quarter of the spans) with
   the built-in ``correctness`` judge, sampling 40% of them: 10% of the spans ingested. Agent
   traces are sent over OTLP/HTTP at ``--rate`` spans a second for ``--seconds``; the fake
   answers each judge call in 50 ms. Queue lag is, per job, from the dispatcher recording it
   (right after its span was stored) to the worker finishing it; also from the bench sending
   the span to its score being written.
3. The same with 10% of the provider's calls answered 429 (``Retry-After: 1``); then every
   sampled LLM span must have exactly one score and no job may have failed.

    uv run python -m tests.bench.evaluations [--rate 5000] [--seconds 60] [--builtin-jobs 20000]

Targets: a built-in evaluator >= 2,000 evaluations/s per worker process; the rule's queue lag
p95 <= 5 s; with 429s, nothing lost or duplicated. The sandbox's overhead per code evaluation
is ``tests.bench.sandbox``'s figure (also part of `make bench`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import orjson
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from spyglass_core.settings import RedisSettings
from spyglass_db.evaluation_rules import is_sampled
from spyglass_jobs import JobProducer, TaskName
from tests.bench.datasets import ProcessCpu
from tests.bench.experiments import FakeProvider
from tests.bench.ingest import Platform, SendResult, build_requests, send_http

SPANS_PER_REQUEST = 100
JOBS_PER_TASK = 100
RATE = 0.4
"""The rule's sampling rate of LLM spans: LLM spans are a quarter of the agent traces' spans."""
JUDGE = {"kind": "LLM", "judge": "correctness", "provider": "OPENAI", "model": "gpt-4o-mini"}
REGEX = {"kind": "BUILTIN", "evaluator": "regex", "config": {"pattern": r"refund|order|\d+"}}


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] if ordered else 0.0


async def _evaluator(
    connection: asyncpg.Connection, name: str, definition: Mapping[str, object]
) -> int:
    evaluator_id: int = await connection.fetchval(
        "INSERT INTO evaluators (name, kind) VALUES ($1, $2) RETURNING id", name, definition["kind"]
    )
    await connection.execute(
        "INSERT INTO evaluator_versions (evaluator_id, version, definition) VALUES ($1, 1, $2)",
        evaluator_id,
        orjson.dumps(definition).decode(),
    )
    return evaluator_id


async def _wait_until(check: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        await asyncio.sleep(0.25)


async def send_paced(
    url: str, requests: list[bytes], rate: float
) -> tuple[SendResult, list[float]]:
    """Send ``requests`` (``SPANS_PER_REQUEST`` spans each) at ``rate`` spans a second over kept
    connections; the result and each request's send time (``time.time()``). A refused request
    (429 or 503: ingest pushing back) or a dropped connection is sent again shortly after."""
    result = SendResult()
    interval = SPANS_PER_REQUEST / rate
    sent_at = [0.0] * len(requests)
    headers = {"content-type": "application/x-protobuf"}
    started = time.perf_counter()
    wall = time.time()
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=32)) as http:

        async def send(body: bytes) -> None:
            while True:
                try:
                    response = await http.post(url, content=body, headers=headers)
                except httpx.TransportError as error:
                    key = type(error).__name__
                    result.refused[key] = result.refused.get(key, 0) + 1
                    await asyncio.sleep(0.05)
                    continue
                if response.status_code == 200:
                    return
                key = str(response.status_code)
                result.refused[key] = result.refused.get(key, 0) + 1
                await asyncio.sleep(0.05)

        tasks = []
        for index, body in enumerate(requests):
            delay = started + index * interval - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            sent_at[index] = wall + (time.perf_counter() - started)
            tasks.append(asyncio.create_task(send(body)))
        await asyncio.gather(*tasks)
    return result, sent_at


def trace_sent_times(requests: list[bytes], sent_at: list[float]) -> dict[str, float]:
    """Each trace id (hex) and when the request holding it was sent."""
    times: dict[str, float] = {}
    for body, moment in zip(requests, sent_at, strict=True):
        request = ExportTraceServiceRequest.FromString(body)
        for resource in request.resource_spans:
            for scope in resource.scope_spans:
                for span in scope.spans:
                    times[span.trace_id.hex()] = moment
    return times


@dataclass
class OnlineFigures:
    spans: int
    seconds: float
    jobs: int
    states: dict[str, int]
    lag_p50: float
    lag_p95: float
    lag_max: float
    end_to_end_p95: float
    expected: int
    scored_spans: int
    scores: int
    calls: dict[str, object] = field(default_factory=dict)
    cpu: str = ""
    """Microseconds of CPU of each role per span sent."""


async def builtin_throughput(platform: Platform, base: str, jobs: int) -> tuple[float, int]:
    """Evaluations a second of one worker process over ``jobs`` regex jobs, and how many."""
    project = "builtin-bench"
    requests = build_requests(jobs, SPANS_PER_REQUEST, project, seed=7)
    await send_http(f"{base}/v1/traces", requests, 8, SendResult())
    connection = await asyncpg.connect(platform.database_url)
    try:
        await _wait_until(
            lambda: _count(
                connection,
                "SELECT count(*) >= $1 FROM spans s JOIN projects p "
                "ON p.id = s.project_rowid WHERE p.name = $2",
                jobs,
                project,
            ),
            300,
            "the built-in bench's spans to be stored",
        )
        evaluator = await _evaluator(connection, "bench-regex", REGEX)
        project_id = await connection.fetchval("SELECT id FROM projects WHERE name = $1", project)
        # A paused rule would park its jobs; this one is active, with no filter, and its jobs
        # are recorded here rather than by the dispatcher (the rule is created after the
        # spans were announced), so that the figure is the worker's alone.
        rule = await connection.fetchval(
            "INSERT INTO evaluation_rules (project_id, name, annotation_name, evaluator_id, "
            "target, sampling_rate) VALUES ($1, 'bench-regex', 'mentions', $2, 'SPAN', 1) "
            "RETURNING id",
            project_id,
            evaluator,
        )
        ids = [
            int(row[0])
            for row in await connection.fetch(
                "INSERT INTO evaluation_jobs (rule_id, rule_version, project_id, target_kind, "
                "target_id, evaluator_version_id, state, due_at) "
                "SELECT $1, 1, $2, 'SPAN', s.span_id, v.id, 'QUEUED', now() + interval '1 hour' "
                "FROM spans s, evaluator_versions v WHERE s.project_rowid = $2 "
                "AND v.evaluator_id = $3 ORDER BY s.span_id LIMIT $4 RETURNING id",
                rule,
                project_id,
                evaluator,
                jobs,
            )
        ]
        producer = JobProducer(RedisSettings(url=platform.redis_url), "bench")
        started = time.perf_counter()
        for start in range(0, len(ids), JOBS_PER_TASK):
            await producer.send(TaskName.EVALUATE, job_ids=ids[start : start + JOBS_PER_TASK])
        await _wait_until(
            lambda: _count(
                connection,
                "SELECT count(*) >= $1 FROM evaluation_jobs WHERE rule_id = $2 "
                "AND state = 'SUCCEEDED'",
                len(ids),
                rule,
            ),
            600,
            "the built-in jobs",
        )
        seconds = time.perf_counter() - started
        await producer.close()
        return len(ids) / seconds, len(ids)
    finally:
        await connection.close()


async def _count(connection: asyncpg.Connection, statement: str, *arguments: object) -> bool:
    return bool(await connection.fetchval(statement, *arguments))


async def online_rule(
    platform: Platform,
    base: str,
    fake: FakeProvider,
    rate: float,
    seconds: float,
    name: str,
    seed: int,
) -> OnlineFigures:
    """Ingest at ``rate`` spans/s for ``seconds`` into project ``name`` with a judge rule on it."""
    connection = await asyncpg.connect(platform.database_url)
    try:
        project_id = await connection.fetchval(
            "INSERT INTO projects (name) VALUES ($1) RETURNING id", name
        )
        evaluator = await _evaluator(connection, f"{name}-judge", JUDGE)
        rule = await connection.fetchval(
            "INSERT INTO evaluation_rules (project_id, name, annotation_name, evaluator_id, "
            "filter, target, sampling_rate) VALUES ($1, $2, 'correctness', $3, "
            "'span_kind == ''LLM''', 'SPAN', $4) RETURNING id",
            project_id,
            name,
            evaluator,
            RATE,
        )
        # The dispatcher reads its rules every few seconds.
        await asyncio.sleep(6)
        spans = int(rate * seconds)
        # Each phase its own seed: the same trace ids would land in the first phase's project.
        requests = build_requests(spans, SPANS_PER_REQUEST, name, seed=seed)
        cpu = ProcessCpu(_roles(platform))
        cpu.__enter__()
        started = time.perf_counter()
        result, sent_at = await send_paced(f"{base}/v1/traces", requests, rate)
        sent_seconds = time.perf_counter() - started
        if result.refused:
            print(f"  ingest refused some requests (retried): {result.refused}")
        sent = trace_sent_times(requests, sent_at)
        llm_traces = [trace for trace in sent if is_sampled(trace, RATE)]

        async def all_finished() -> bool:
            unfinished = await connection.fetchval(
                "SELECT count(*) FROM evaluation_jobs WHERE rule_id = $1 "
                "AND state IN ('PENDING', 'QUEUED', 'RUNNING', 'RETRYING')",
                rule,
            )
            recorded = await connection.fetchval(
                "SELECT count(*) FROM evaluation_jobs WHERE rule_id = $1", rule
            )
            return bool(unfinished == 0 and recorded >= len(llm_traces))

        await _wait_until(all_finished, 900, "the rule's jobs to finish")
        cpu.__exit__()
        rows = await connection.fetch(
            "SELECT j.target_id, j.state, j.created_at, j.finished_at, s.trace_id "
            "FROM evaluation_jobs j JOIN spans sp ON sp.span_id = j.target_id "
            "JOIN traces s ON s.id = sp.trace_rowid WHERE j.rule_id = $1",
            rule,
        )
        states: dict[str, int] = {}
        lags: list[float] = []
        end_to_end: list[float] = []
        for row in rows:
            states[row["state"]] = states.get(row["state"], 0) + 1
            if row["finished_at"] is not None:
                lags.append((row["finished_at"] - row["created_at"]).total_seconds())
                moment = sent.get(row["trace_id"])
                if moment is not None:
                    end_to_end.append(row["finished_at"].timestamp() - moment)
        scored = await connection.fetchrow(
            "SELECT count(DISTINCT a.span_rowid) AS spans, count(*) AS scores "
            "FROM span_annotations a WHERE a.name = 'correctness' AND a.identifier = $1",
            f"rule-{rule}",
        )
        return OnlineFigures(
            spans=spans,
            seconds=sent_seconds,
            jobs=len(rows),
            states=states,
            lag_p50=_percentile(lags, 0.5),
            lag_p95=_percentile(lags, 0.95),
            lag_max=max(lags, default=0.0),
            end_to_end_p95=_percentile(end_to_end, 0.95),
            expected=len(llm_traces),
            scored_spans=int(scored["spans"]),
            scores=int(scored["scores"]),
            calls=fake.calls().get("by_model", {}),
            cpu=cpu.per_item(spans),
        )
    finally:
        await connection.close()


def _roles(platform: Platform) -> dict[str, Callable[[], list[int]]]:
    def worker() -> list[int]:
        dispatchers = set(platform.service_pids("spyglass_eval_worker dispatcher"))
        return [
            pid for pid in platform.service_pids("spyglass_eval_worker") if pid not in dispatchers
        ]

    return {
        "eval-worker": worker,
        "dispatcher": lambda: platform.service_pids("spyglass_eval_worker dispatcher"),
        "receiver": lambda: platform.service_pids("spyglass_ingest receiver"),
        "writer": lambda: platform.service_pids("spyglass_ingest writer"),
        "postgres": lambda: platform.service_pids("postgres"),
    }


def _report(title: str, figures: OnlineFigures) -> None:
    print(f"{title}:")
    print(
        f"  {figures.spans:,} spans sent in {figures.seconds:.1f} s "
        f"({figures.spans / figures.seconds:,.0f} spans/s); {figures.jobs:,} jobs "
        f"(expected {figures.expected:,}): {figures.states}"
    )
    print(
        f"  queue lag p50 {figures.lag_p50:.2f} s, p95 {figures.lag_p95:.2f} s, max "
        f"{figures.lag_max:.2f} s; sent-to-scored p95 {figures.end_to_end_p95:.2f} s"
    )
    print(
        f"  {figures.scored_spans:,} spans scored, {figures.scores:,} scores; "
        f"provider calls: {figures.calls}"
    )
    print(f"  CPU per span sent (us): {figures.cpu}")


async def run(arguments: argparse.Namespace) -> None:
    home = Path(tempfile.mkdtemp(prefix="spyglass-bench-evals-"))
    fake = FakeProvider.start()
    platform = Platform(home)
    try:
        platform.start(
            writers=1,
            settings={
                "SPYGLASS_LAUNCHER_BUILD_UI": "false",
                "OPENAI_API_KEY": "sk-bench",
                "OPENAI_BASE_URL": f"{fake.url}/v1",
            },
        )
        base = f"http://127.0.0.1:{platform.ports['SPYGLASS_RECEIVER_HTTP_PORT']}"
        rate, jobs = await builtin_throughput(platform, base, arguments.builtin_jobs)
        print(f"Built-in evaluator (regex), one worker process: {jobs:,} jobs, {rate:,.0f} /s")

        fake.control(
            latency_ms=50,
            call_tools=True,
            tool_arguments={"explanation": "It answers the question.", "label": "correct"},
        )
        clean = await online_rule(
            platform, base, fake, arguments.rate, arguments.seconds, "live", seed=11
        )
        _report(f"Online rule at {arguments.rate:,.0f} spans/s, judge at 50 ms", clean)

        fake.control(reset=True)
        fake.control(
            latency_ms=50,
            call_tools=True,
            tool_arguments={"explanation": "It answers the question.", "label": "correct"},
            rate_limit_fraction=0.1,
            retry_after=1,
        )
        limited = await online_rule(
            platform, base, fake, arguments.rate, arguments.seconds, "live-429", seed=13
        )
        _report("The same with 10% of calls answered 429 (Retry-After 1)", limited)
        lost = limited.expected - limited.scored_spans
        duplicated = limited.scores - limited.scored_spans
        print(f"  lost {lost}, duplicated {duplicated}, failed {limited.states.get('FAILED', 0)}")
        if lost or duplicated or limited.states.get("FAILED"):
            raise SystemExit("the 429 run lost, duplicated or failed evaluations")
    finally:
        platform.stop()
        fake.stop()
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=5000.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--builtin-jobs", type=int, default=20000)
    arguments = parser.parse_args()
    os.environ.setdefault("SPYGLASS_LOG_LEVEL", "WARNING")
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    asyncio.run(run(arguments))


if __name__ == "__main__":
    main()
