"""`make bench`: datasets and experiments at the sizes where other platforms break (issue 15).

It starts the platform the way `make run` does in a scratch ``SPYGLASS_HOME`` and, through the
gateway (the address users and their clients have):

1. writes a CSV of ``--examples`` rows (question, context, answer, category, split) and uploads
   it with ``phoenix.client``'s ``datasets.create_dataset(csv_file_path=...)``, timing it and
   sampling the query API's resident memory throughout;
2. reads it back whole with ``datasets.get_dataset``;
3. creates ``--experiments`` experiments over it as the client does; posts the runs of the first
   ``--posted-runs`` examples of the first one, and two evaluations each, over HTTP with the
   bodies ``run_experiment`` / ``evaluate_experiment`` send, ``--concurrency`` requests at a
   time (runs first, then evaluations, as the client's two phases), and writes the rest of the
   runs and evaluations of all experiments straight into PostgreSQL (``generate_series``), so
   that every experiment has a run and two evaluations for each example. The default of 32 in
   flight is what a thousand runs a second takes: ``run_experiment`` posts a run when its task
   returns, and a task that calls a model for 30 ms or more needs 30 in flight for that rate;
4. asks for the comparison page (``--page-size`` examples x all experiments with their scores,
   the first experiment the baseline) ``--repetitions`` times and reports p50 / p95;
5. streams the first experiment's JSON export, timing it and sampling memory.

    uv run python -m tests.bench.datasets [--examples 100000] [--experiments 5]

Targets (issue 15): upload <= 20 s with query-api RSS <= 300 MB; get_dataset <= 5 s; >= 1,000
runs/s posted; comparison p95 <= 150 ms; JSON export <= 10 s.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import csv
import gc
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httptools
import httpx
import orjson
import psutil

from tests.bench.ingest import Platform, RssSampler, _percentile

CATEGORIES = ("billing", "shipping", "returns", "account", "other")
EVALUATORS = ("correctness", "relevance")
COMPARE_QUERY = """
query ComparePage($base: ID!, $others: [ID!]!, $first: Int, $after: String, $search: String,
                  $filter: ExperimentComparisonFilter) {
  compareExperiments(baseExperimentId: $base, compareExperimentIds: $others, first: $first,
                     after: $after, search: $search, filter: $filter) {
    edges { node { id example { id input output } repeatedRunGroupsJson } }
    pageInfo { hasNextPage endCursor }
  }
}"""
"""What the comparison page asks (services/gateway/ui/src/pages/ExperimentComparePage.tsx)."""


@dataclass
class Figures:
    """What the run measured, printed as a table at the end."""

    rows: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, what: str, figure: str, target: str = "") -> None:
        self.rows.append((what, figure, target))
        print(f"  {what}: {figure}  {target}", flush=True)

    def print(self) -> None:
        width = max(len(row[0]) for row in self.rows)
        print("\nDatasets and experiments benchmark")
        for what, figure, target in self.rows:
            print(f"  {what:<{width}}  {figure:>18}  {target}")


def write_csv(path: Path, examples: int) -> None:
    """``examples`` rows of a support-bot evaluation set (about 300 bytes a row)."""
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["question", "context", "answer", "category", "split"])
        for index in range(examples):
            category = CATEGORIES[index % len(CATEGORIES)]
            writer.writerow(
                [
                    f"Question {index}: where is order #{index * 7919 % 1_000_003} of mine?",
                    (
                        f"The customer wrote about {category}; their account is {index % 977} "
                        "days old and they have asked twice before. Policy: answer in a day."
                    ),
                    f"Order #{index * 7919 % 1_000_003} ships on day {index % 30 + 1}.",
                    category,
                    "test" if index % 5 == 0 else "train",
                ]
            )


def run_body(example_id: str, index: int) -> dict[str, Any]:
    """A run as ``run_experiment`` posts it."""
    return {
        "dataset_example_id": example_id,
        "output": {"answer": f"It ships on day {index % 30 + 1}."},
        "repetition_number": 1,
        "start_time": "2026-12-03T12:00:00+00:00",
        "end_time": "2026-12-03T12:00:00.250000+00:00",
        "trace_id": f"{index:032x}",
        "error": None,
    }


def evaluation_body(run_id: str, name: str, index: int) -> dict[str, Any]:
    """An evaluation as ``evaluate_experiment`` posts it."""
    score = (index * 31 + len(name)) % 10 / 10
    return {
        "experiment_run_id": run_id,
        "trace_id": f"{index + 1:032x}",
        "name": name,
        "annotator_kind": "CODE",
        "start_time": "2026-12-03T12:00:01+00:00",
        "end_time": "2026-12-03T12:00:01.010000+00:00",
        "result": {"score": score, "label": str(score >= 0.5), "explanation": None},
        "error": None,
        "metadata": {},
    }


class _KeptAliveConnection(asyncio.Protocol):
    """One HTTP/1.1 connection that sends pre-encoded requests one after another and parses
    the answers with httptools (the parser the platform's own servers use)."""

    def __init__(self) -> None:
        self._parser = httptools.HttpResponseParser(self)
        self._transport: asyncio.Transport | None = None
        self._answer: asyncio.Future[tuple[int, bytes]] | None = None
        self._body: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        self._parser.feed_data(data)

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        assert self._answer is not None
        self._answer.set_result((self._parser.get_status_code(), b"".join(self._body)))

    def connection_lost(self, error: Exception | None) -> None:
        if self._answer is not None and not self._answer.done():
            self._answer.set_exception(
                ConnectionError(f"the server closed the connection: {error}")
            )

    async def exchange(self, request: bytes) -> tuple[int, bytes]:
        """Send one request; its status and body."""
        assert self._transport is not None
        self._answer = asyncio.get_running_loop().create_future()
        self._body = []
        self._transport.write(request)
        return await self._answer

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


async def post_all(
    base_url: str, path: str, bodies: list[dict[str, Any]], concurrency: int
) -> tuple[float, list[str]]:
    """POST every body, ``concurrency`` at a time over as many kept-alive connections; seconds
    taken and the ids answered.

    The load generator shares this machine's two cores with the platform, where a client on
    its own machine would cost the platform nothing; so it spends as little CPU as it can:
    requests are encoded before the clock starts and sent over plain kept-alive connections
    (about 60 µs a request, where aiohttp took 400 and httpx, the Phoenix client's, 2,000).
    """
    url = urlsplit(base_url)
    assert url.hostname is not None and url.port is not None
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {url.hostname}:{url.port}\r\n"
        "Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    )
    requests = []
    for body in bodies:
        payload = orjson.dumps(body)
        requests.append(head.format(length=len(payload)).encode() + payload)
    ids: list[str] = [""] * len(bodies)
    loop = asyncio.get_running_loop()
    connections = [
        (await loop.create_connection(_KeptAliveConnection, url.hostname, url.port))[1]
        for _ in range(concurrency)
    ]
    next_index = 0

    async def worker(connection: _KeptAliveConnection) -> None:
        nonlocal next_index
        while next_index < len(requests):
            index = next_index
            next_index += 1
            status, answer = await connection.exchange(requests[index])
            if status != 200:
                raise SystemExit(f"POST {path} answered {status}: {answer!r}")
            ids[index] = orjson.loads(answer)["data"]["id"]

    try:
        started = time.perf_counter()
        await asyncio.gather(*(worker(connection) for connection in connections))
        return time.perf_counter() - started, ids
    finally:
        for connection in connections:
            connection.close()


def postgres_pids(platform: Platform) -> list[int]:
    """The embedded PostgreSQL's postmaster and every process it started (backends included)."""
    pids = []
    for pid in platform.service_pids("postgres"):
        try:
            process = psutil.Process(pid)
            pids += [pid, *(child.pid for child in process.children(recursive=True))]
        except psutil.NoSuchProcess:
            continue
    return sorted(set(pids))


class ProcessCpu:
    """CPU seconds (user + system) of each role's processes between enter and exit.

    Each role's processes are listed again at exit: a process started meanwhile (a database
    connection opened under the load) counts from its start.
    """

    def __init__(self, roles: dict[str, Callable[[], list[int]]]) -> None:
        self.roles = roles
        self.seconds: dict[str, float] = {}

    def _read(self) -> dict[str, dict[int, float]]:
        readings: dict[str, dict[int, float]] = {}
        for role, pids in self.roles.items():
            readings[role] = {}
            for pid in pids():
                try:
                    times = psutil.Process(pid).cpu_times()
                except psutil.NoSuchProcess:
                    continue
                readings[role][pid] = times.user + times.system
        return readings

    def __enter__(self) -> ProcessCpu:
        self._before = self._read()
        return self

    def __exit__(self, *_: object) -> None:
        after = self._read()
        self.seconds = {
            role: sum(
                seconds - self._before[role].get(pid, 0.0) for pid, seconds in after[role].items()
            )
            for role in after
        }

    def per_item(self, count: int) -> str:
        """Microseconds of each role per item, as one line."""
        return ", ".join(
            f"{role} {seconds / count * 1e6:.0f}" for role, seconds in self.seconds.items()
        )


BULK_RUNS = """
INSERT INTO experiment_runs
    (experiment_id, dataset_example_id, repetition_number, trace_id, output, start_time,
     end_time)
SELECT xe.experiment_id, xe.dataset_example_id, 1, lpad(to_hex(xe.dataset_example_id), 32, '0'),
    jsonb_build_object('task_output', jsonb_build_object(
        'answer', 'It ships on day ' || (xe.dataset_example_id % 30 + 1) || '.')),
    timestamptz '2026-12-03 12:00:00+00',
    timestamptz '2026-12-03 12:00:00+00' + (xe.dataset_example_id % 500) * interval '1 ms'
FROM experiments_dataset_examples AS xe
WHERE xe.experiment_id = ANY($1::bigint[])
ON CONFLICT DO NOTHING
"""
BULK_EVALUATIONS = """
INSERT INTO experiment_run_annotations
    (experiment_run_id, name, annotator_kind, label, score, metadata, start_time, end_time)
SELECT r.id, n.name, 'CODE', ((r.id * 31 + r.experiment_id) % 10 >= 5)::text,
    ((r.id * 31 + r.experiment_id + length(n.name)) % 10) / 10.0, '{}',
    timestamptz '2026-12-03 12:00:01+00', timestamptz '2026-12-03 12:00:01.01+00'
FROM experiment_runs AS r CROSS JOIN unnest($2::text[]) AS n(name)
WHERE r.experiment_id = ANY($1::bigint[])
ON CONFLICT DO NOTHING
"""


async def fill_in(database_url: str, experiment_rowids: list[int]) -> None:
    """Every experiment gets a run for each example and two evaluations for each run."""
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(BULK_RUNS, experiment_rowids)
        await connection.execute(BULK_EVALUATIONS, experiment_rowids, list(EVALUATORS))
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


def rowid(global_id: str) -> int:
    """The table row id in a GlobalID."""
    return int(base64.b64decode(global_id).decode().rsplit(":", 1)[1])


async def compare_page(
    http: httpx.AsyncClient,
    experiment_ids: list[str],
    page_size: int,
    repetitions: int,
    regressed: bool = False,
) -> list[float] | str:
    """Milliseconds of each read of the comparison page (``regressed``: only the examples
    where a compared experiment's correctness fell below the baseline's), or why it could not
    be read."""
    variables: dict[str, Any] = {
        "base": experiment_ids[0],
        "others": experiment_ids[1:],
        "first": page_size,
    }
    if regressed:
        variables["filter"] = {"annotationName": EVALUATORS[0], "comparison": "REGRESSED"}
    timings = []
    for attempt in range(repetitions + 3):
        started = time.perf_counter()
        body = {"query": COMPARE_QUERY, "variables": variables}
        response = await http.post("/graphql", json=body)
        elapsed = (time.perf_counter() - started) * 1000
        answer = response.json()
        if response.status_code != 200 or answer.get("errors"):
            return f"not available ({str(answer.get('errors', response.text))[:120]})"
        if attempt >= 3:
            timings.append(elapsed)
    return timings


async def stream_export(http: httpx.AsyncClient, experiment_id: str) -> tuple[float, int]:
    started = time.perf_counter()
    size = 0
    async with http.stream("GET", f"/v1/experiments/{experiment_id}/json") as response:
        if response.status_code != 200:
            raise SystemExit(f"export answered {response.status_code}")
        async for chunk in response.aiter_raw():
            size += len(chunk)
    return time.perf_counter() - started, size


async def run(arguments: argparse.Namespace, figures: Figures) -> None:
    from phoenix.client import Client

    home = Path(tempfile.mkdtemp(prefix="spyglass-bench-"))
    platform = Platform(home)
    try:
        platform.start(writers=1, settings={"SPYGLASS_LAUNCHER_BUILD_UI": "false"})
        base = f"http://127.0.0.1:{platform.ports['SPYGLASS_GATEWAY_PORT']}"
        query_api = {"query-api": platform.service_pids("spyglass_query_api")}
        client = Client(base_url=base)
        path = home / "examples.csv"
        write_csv(path, arguments.examples)
        size_mb = path.stat().st_size / 2**20
        print(f"uploading {arguments.examples} rows ({size_mb:.1f} MB of CSV)...", flush=True)
        with RssSampler(query_api) as upload_memory:
            started = time.perf_counter()
            dataset = client.datasets.create_dataset(
                name="bench-support",
                csv_file_path=path,
                input_keys=["question", "context"],
                output_keys=["answer"],
                metadata_keys=["category"],
                split_keys=["split"],
                timeout=600,
            )
            upload_seconds = time.perf_counter() - started
        figures.add(
            f"upload of a {arguments.examples}-row CSV (create_dataset)",
            f"{upload_seconds:.1f} s",
            "target <= 20 s",
        )
        figures.add(
            "query-api peak RSS during the upload",
            f"{upload_memory.peak_mb['query-api']:.0f} MB",
            "target <= 300 MB",
        )
        started = time.perf_counter()
        read_back = client.datasets.get_dataset(dataset=dataset.name, timeout=600)
        get_seconds = time.perf_counter() - started
        assert len(read_back.examples) == arguments.examples, len(read_back.examples)
        figures.add(
            f"get_dataset of {arguments.examples} examples", f"{get_seconds:.2f} s", "target <= 5 s"
        )

        async with httpx.AsyncClient(base_url=base, timeout=600) as http:
            experiments = []
            for number in range(arguments.experiments):
                response = await http.post(
                    f"/v1/datasets/{dataset.id}/experiments",
                    json={"name": f"bench-{number}", "repetitions": 1},
                )
                response.raise_for_status()
                experiments.append(response.json()["data"]["id"])
            examples = [example["id"] for example in read_back.examples]
            del read_back  # 100,000 examples the load generator's collector would walk
            gc.collect()
            posted = examples[: arguments.posted_runs]
            roles: dict[str, Callable[[], list[int]]] = {
                "query API": lambda: platform.service_pids("spyglass_query_api"),
                "gateway": lambda: platform.service_pids("spyglass_gateway"),
                "PostgreSQL": lambda: postgres_pids(platform),
                "load generator": lambda: [os.getpid()],
            }
            with ProcessCpu(roles) as run_cpu:
                run_seconds, run_ids = await post_all(
                    base,
                    f"/v1/experiments/{experiments[0]}/runs",
                    [run_body(example, index) for index, example in enumerate(posted)],
                    arguments.concurrency,
                )
            figures.add(
                f"{len(posted)} runs posted, {arguments.concurrency} at a time",
                f"{len(posted) / run_seconds:.0f} runs/s",
                "target >= 1,000 runs/s",
            )
            figures.add("  CPU a run (µs)", run_cpu.per_item(len(posted)))
            evaluations = [
                evaluation_body(run_id, name, index)
                for index, run_id in enumerate(run_ids)
                for name in EVALUATORS
            ]
            with ProcessCpu(roles) as evaluation_cpu:
                evaluation_seconds, _ = await post_all(
                    base, "/v1/experiment_evaluations", evaluations, arguments.concurrency
                )
            figures.add(
                f"{len(evaluations)} evaluations posted, {arguments.concurrency} at a time",
                f"{len(evaluations) / evaluation_seconds:.0f} evaluations/s",
            )
            figures.add("  CPU an evaluation (µs)", evaluation_cpu.per_item(len(evaluations)))
            print("writing the other runs and evaluations in PostgreSQL...", flush=True)
            await fill_in(platform.database_url, [rowid(item) for item in experiments])

            for regressed in (False, True):
                timings = await compare_page(
                    http, experiments, arguments.page_size, arguments.repetitions, regressed
                )
                label = (
                    f"comparison page ({arguments.page_size} examples x {len(experiments)}"
                    f"{', regressed only' if regressed else ''})"
                )
                if isinstance(timings, str):
                    figures.add(label, timings, "target p95 <= 150 ms")
                else:
                    figures.add(
                        label,
                        f"p50 {statistics.median(timings):.0f} ms, "
                        f"p95 {_percentile(timings, 0.95):.0f} ms",
                        "target p95 <= 150 ms",
                    )
            pids = {
                "query-api": query_api["query-api"],
                "gateway": platform.service_pids("spyglass_gateway"),
            }
            with RssSampler(pids) as export_memory:
                export_seconds, export_bytes = await stream_export(http, experiments[0])
            figures.add(
                f"JSON export of {arguments.examples} runs",
                f"{export_seconds:.1f} s ({export_bytes / 2**20:.0f} MB)",
                "target <= 10 s",
            )
            figures.add(
                "query-api / gateway peak RSS during the export",
                f"{export_memory.peak_mb['query-api']:.0f} / "
                f"{export_memory.peak_mb['gateway']:.0f} MB",
            )
    finally:
        platform.stop()
        if not arguments.keep:
            shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=100_000)
    parser.add_argument("--experiments", type=int, default=5)
    parser.add_argument("--posted-runs", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--page-size", type=int, default=50)
    parser.add_argument("--repetitions", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="keep the scratch home")
    arguments = parser.parse_args()
    figures = Figures()
    asyncio.run(run(arguments, figures))
    figures.print()


if __name__ == "__main__":
    main()
