"""`make bench`: server-side experiments against a provider that answers in 50 ms (issue 16).

It starts the fake provider (``tests.support.fake_provider``, the same server the tests use,
in a process of its own) and the platform the way `make run` does in a scratch
``SPYGLASS_HOME``, with ``OPENAI_API_KEY`` / ``OPENAI_BASE_URL`` pointing at the fake. Through
the gateway it uploads a dataset of ``--examples`` examples, then runs a prompt over it as a
server-side experiment (``POST /v1/experiment_jobs``) and times it from creation to COMPLETED:

0. streams ``--streams`` playground answers (``POST /v1/chat/completions``, ``stream: true``)
   and times each first token from the fake sending it to this client reading it;
1. with one experiment runner process;
2. with two (the platform started again with ``SPYGLASS_LAUNCHER_EXPERIMENT_RUNNERS=2``);
3. with two, the provider answering 10% of calls 429 with ``Retry-After: 1``; then checks that
   every (example, repetition) has exactly one run and none failed;
4. with one and with two, a job of ``--slow-examples`` examples against a model answering in
   ``--slow-latency-ms`` (1 s, as real models do): there a process is bound by its calls in
   flight, not by its CPU, and a second process doubles the rate. At 50 ms one process
   already takes a whole core, so on a 2-core machine that also runs PostgreSQL, the ingest
   service and the fake provider, a second process can add only what the cores have left.

Each figure is runs per second over the whole job (planning included), and the CPU each role
spent per run.

    uv run python -m tests.bench.experiments [--examples 10000] [--latency-ms 50]

Targets (issue 16): >= 300 runs/s with 2 runner processes, about twice one process's rate;
with 10% of calls answered 429, every run completes exactly once and the job takes <= 1.5x
the clean time. The playground's first streamed token reaches the browser <= 50 ms after the
provider sends it (measured at an HTTP client; a browser adds its own parsing only).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from spyglass_launcher.ports import free_port
from tests.bench.datasets import Figures, ProcessCpu
from tests.bench.ingest import Platform

PROMPT = {
    "model_provider": "OPENAI",
    "model_name": "gpt-4o-mini",
    "template": {
        "type": "chat",
        "messages": [
            {"role": "system", "content": "You answer support questions in one sentence."},
            {"role": "user", "content": "Question: {{ question }}"},
        ],
    },
    "template_format": "MUSTACHE",
    "invocation_parameters": {"type": "openai", "openai": {"temperature": 0.0}},
}


@dataclass
class FakeProvider:
    """The fake provider as a process of its own."""

    port: int
    process: subprocess.Popen[bytes]

    @classmethod
    def start(cls) -> FakeProvider:
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.fake_provider", "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        fake = cls(port, process)
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{fake.url}/healthz", timeout=2).status_code == 200:
                    return fake
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit("the fake provider did not start")
            time.sleep(0.2)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def control(self, **script: Any) -> None:
        httpx.post(f"{self.url}/_control", json=script, timeout=10).raise_for_status()

    def calls(self) -> dict[str, Any]:
        answer: dict[str, Any] = httpx.get(f"{self.url}/_calls", timeout=10).json()
        return answer

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def start_platform(home: Path, fake: FakeProvider, runners: int) -> Platform:
    platform = Platform(home)
    platform.start(
        writers=1,
        settings={
            "SPYGLASS_LAUNCHER_BUILD_UI": "false",
            "SPYGLASS_LAUNCHER_EXPERIMENT_RUNNERS": str(runners),
            "OPENAI_API_KEY": "sk-bench",
            "OPENAI_BASE_URL": f"{fake.url}/v1",
        },
    )
    return platform


def upload(base: str, name: str, examples: int) -> str:
    response = httpx.post(
        f"{base}/v1/datasets/upload?sync=true",
        json={
            "action": "create",
            "name": name,
            "inputs": [{"question": f"where is parcel {index}?"} for index in range(examples)],
            "outputs": [{"answer": f"at depot {index % 97}"} for index in range(examples)],
        },
        timeout=600,
    )
    response.raise_for_status()
    dataset_id: str = response.json()["data"]["dataset_id"]
    return dataset_id


def run_job(base: str, dataset_id: str, platform: Platform) -> tuple[float, dict[str, Any], str]:
    """Seconds from creation to COMPLETED, the finished job, and the CPU per run by role."""
    roles = {
        "runner": lambda: platform.service_pids("spyglass_experiment_runner"),
        "query-api": lambda: platform.service_pids("spyglass_query_api"),
        "ingest": lambda: platform.service_pids("spyglass_ingest"),
        "postgres": lambda: platform.service_pids("postgres"),
    }
    with httpx.Client(base_url=base, timeout=60) as client, ProcessCpu(roles) as cpu:
        started = time.perf_counter()
        response = client.post(
            "/v1/experiment_jobs", json={"dataset_id": dataset_id, "prompt": PROMPT}
        )
        response.raise_for_status()
        job_id = response.json()["data"]["id"]
        while True:
            job: dict[str, Any] = client.get(f"/v1/experiment_jobs/{job_id}").json()["data"]
            if job["status"] != "RUNNING":
                break
            time.sleep(0.5)
        seconds = time.perf_counter() - started
    if job["status"] != "COMPLETED":
        raise SystemExit(f"the job ended {job['status']}: {job['status_reason']}")
    return seconds, job, cpu.per_item(max(job["progress"]["done"], 1))


async def distinct_runs(database_url: str, experiment_gid: str) -> tuple[int, int, int]:
    """(runs, distinct (example, repetition), failed runs) of the experiment."""
    import base64

    rowid = int(base64.b64decode(experiment_gid).decode().rsplit(":", 1)[1])
    connection = await asyncpg.connect(database_url)
    try:
        row = await connection.fetchrow(
            "SELECT count(*), count(DISTINCT (dataset_example_id, repetition_number)), "
            "count(*) FILTER (WHERE error IS NOT NULL) FROM experiment_runs "
            "WHERE experiment_id = $1",
            rowid,
        )
        assert row is not None
        return int(row[0]), int(row[1]), int(row[2])
    finally:
        await connection.close()


def first_tokens(base: str, fake: FakeProvider, streams: int) -> list[float]:
    """Milliseconds from the fake sending each stream's first chunk to the client (through the
    gateway and the query API) reading it, for ``streams`` playground calls one after another."""
    # No pause between the fake's chunks: whichever chunk Spyglass sends first (the role, or
    # the first word), it left the fake at the first chunk's time.
    fake.control(latency_ms=50, inter_token_ms=0, rate_limit_fraction=0.0)
    received: list[float] = []
    with httpx.Client(base_url=base, timeout=60) as client:
        for index in range(streams):
            body = {
                "model": "openai:gpt-4o-mini",
                "stream": True,
                "messages": [{"role": "user", "content": f"tell me about parcel {index} now"}],
            }
            with client.stream("POST", "/v1/chat/completions", json=body) as response:
                response.raise_for_status()
                first: float | None = None
                for line in response.iter_lines():
                    if first is None and line.startswith("data: "):
                        first = time.time()
                received.append(first or float("nan"))
    sent = [item["first_chunk_at"] for item in fake.calls()["first_chunks"]][-streams:]
    return [(got - at) * 1000 for got, at in zip(received, sent, strict=True)]


def measure(arguments: argparse.Namespace, figures: Figures) -> None:
    import asyncio

    fake = FakeProvider.start()
    homes: list[Path] = []
    try:
        fake.control(latency_ms=arguments.latency_ms)
        rates: dict[int, float] = {}
        slow_rates: dict[int, float] = {}
        clean_two = 0.0
        for runners in (1, 2):
            home = Path(tempfile.mkdtemp(prefix="spyglass-bench-"))
            homes.append(home)
            platform = start_platform(home, fake, runners)
            try:
                base = f"http://127.0.0.1:{platform.ports['SPYGLASS_GATEWAY_PORT']}"
                if runners == 1:
                    delays = sorted(first_tokens(base, fake, arguments.streams))
                    figures.add(
                        f"playground first token, provider to client ({arguments.streams} streams)",
                        f"p50 {delays[len(delays) // 2]:.1f} ms, "
                        f"p95 {delays[int(len(delays) * 0.95) - 1]:.1f} ms",
                        "target <= 50 ms",
                    )
                dataset = upload(base, f"bench-{runners}", arguments.examples)
                fake.control(latency_ms=arguments.latency_ms, rate_limit_fraction=0.0)
                seconds, _, cpu = run_job(base, dataset, platform)
                rates[runners] = arguments.examples / seconds
                figures.add(
                    f"{arguments.examples} runs, {runners} runner process(es), "
                    f"{arguments.latency_ms:g} ms provider",
                    f"{seconds:.1f} s, {rates[runners]:.0f} runs/s",
                    "target >= 300 runs/s" if runners == 2 else "",
                )
                figures.add(f"  CPU per run (us), {runners} runner(s)", cpu)
                slow_dataset = upload(base, f"bench-slow-{runners}", arguments.slow_examples)
                fake.control(latency_ms=arguments.slow_latency_ms, rate_limit_fraction=0.0)
                slow_seconds, _, _ = run_job(base, slow_dataset, platform)
                fake.control(latency_ms=arguments.latency_ms)
                slow_rates[runners] = arguments.slow_examples / slow_seconds
                figures.add(
                    f"{arguments.slow_examples} runs, {runners} runner process(es), "
                    f"{arguments.slow_latency_ms:g} ms provider",
                    f"{slow_seconds:.1f} s, {slow_rates[runners]:.0f} runs/s",
                )
                if runners == 2:
                    clean_two = seconds
                    fake.control(
                        latency_ms=arguments.latency_ms, rate_limit_fraction=0.1, retry_after=1
                    )
                    before = fake.calls()["by_model"].get("gpt-4o-mini", {}).get("429", 0)
                    limited_seconds, limited_job, _ = run_job(base, dataset, platform)
                    after = fake.calls()["by_model"].get("gpt-4o-mini", {}).get("429", 0)
                    runs, distinct, failed = asyncio.run(
                        distinct_runs(platform.database_url, limited_job["experiment_id"])
                    )
                    figures.add(
                        f"{arguments.examples} runs, 2 runner processes, "
                        f"{arguments.latency_ms:g} ms provider, 10% of calls answered 429 "
                        "(Retry-After: 1)",
                        f"{limited_seconds:.1f} s ({limited_seconds / clean_two:.2f}x clean), "
                        f"{after - before} 429s",
                        "target <= 1.5x",
                    )
                    figures.add(
                        "  runs written / distinct (example, repetition) / failed",
                        f"{runs} / {distinct} / {failed}",
                        f"target {arguments.examples} / {arguments.examples} / 0",
                    )
            finally:
                platform.stop()
        figures.add(
            f"2 runners vs 1, {arguments.latency_ms:g} ms provider",
            f"{rates[2] / rates[1]:.2f}x",
            "target about 2x (one process already takes a core: see the README)",
        )
        figures.add(
            f"2 runners vs 1, {arguments.slow_latency_ms:g} ms provider",
            f"{slow_rates[2] / slow_rates[1]:.2f}x",
            "target about 2x",
        )
    finally:
        fake.stop()
        if not arguments.keep:
            for home in homes:
                shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument(
        "--slow-examples", type=int, default=4_000, help="examples of the slow-model job"
    )
    parser.add_argument(
        "--slow-latency-ms",
        type=float,
        default=1_000.0,
        help="a model as slow as real ones: each process is bound by its calls in flight",
    )
    parser.add_argument("--streams", type=int, default=40, help="playground streams timed")
    parser.add_argument("--keep", action="store_true", help="keep the scratch homes")
    arguments = parser.parse_args()
    os.environ.setdefault("PYTHONPATH", str(Path(__file__).resolve().parents[2]))
    figures = Figures()
    measure(arguments, figures)
    figures.print()


if __name__ == "__main__":
    main()
