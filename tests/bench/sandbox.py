"""Benchmark: the sandbox's overhead per code evaluation, p50 and p99.

A trivial evaluator (it returns a small dict built from its arguments) runs N times through one
``Sandbox``: first one at a time, then with 8 in flight. Each evaluation forks a child of the
fork server, confines it (rlimits, nobody when root, Landlock, seccomp), sends the request,
runs the function and reads the result, so its wall time is the sandbox's overhead. Also shown:
the fork server's start (paid once per worker process), and the CPU an evaluation costs the
child, the worker process and the fork server.

    .venv/bin/python -m tests.bench.sandbox [--evaluations 1000] [--concurrency 8] [--landlock auto]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Literal

import psutil

from spyglass_sandbox import Limits, Sandbox, SandboxOutcome

TRIVIAL = """
def evaluate(output, expected):
    return {"score": float(output == expected), "label": "match" if output == expected else "no"}
"""


def percentile(values: list[float], fraction: float) -> float:
    """The value below which ``fraction`` of ``values`` lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


class CpuMeter:
    """CPU seconds spent by this process (the worker's side) and by the fork server itself
    (not its children: their time is in each outcome's ``cpu_seconds``)."""

    def __init__(self, server_pid: int) -> None:
        self._server = psutil.Process(server_pid)
        self._start = self._now()

    def _now(self) -> tuple[float, float]:
        server = self._server.cpu_times()
        return time.process_time(), server.user + server.system

    def per_evaluation_ms(self, evaluations: int) -> str:
        worker, server = (
            (end - start) * 1000 / evaluations
            for end, start in zip(self._now(), self._start, strict=True)
        )
        return f"worker CPU {worker:4.2f} ms, fork server CPU {server:4.2f} ms a evaluation"


def report(label: str, outcomes: list[SandboxOutcome], elapsed: float) -> None:
    failed = [outcome.reason for outcome in outcomes if not outcome.ok]
    if failed:
        raise SystemExit(f"{label}: {len(failed)} evaluations failed, first: {failed[0]}")
    walls = [outcome.duration_seconds * 1000 for outcome in outcomes]
    cpus = [outcome.cpu_seconds * 1000 for outcome in outcomes]
    print(
        f"{label:<14} p50 {percentile(walls, 0.5):6.2f} ms   "
        f"p99 {percentile(walls, 0.99):6.2f} ms   "
        f"child CPU p50 {statistics.median(cpus):5.2f} ms   "
        f"{len(outcomes) / elapsed:7.0f} evaluations/s"
    )


async def measure(
    evaluations: int, concurrency: int, landlock: Literal["auto", "require", "off"]
) -> None:
    limits = Limits()
    sandbox = Sandbox(landlock=landlock, max_children=concurrency)
    try:
        began = time.perf_counter()
        info = await sandbox.start()
        print(
            f"fork server started in {(time.perf_counter() - began) * 1000:.0f} ms "
            f"(child uid {info.child_uid}, Landlock ABI {info.landlock_abi or 'off'})"
        )

        async def one(n: int) -> SandboxOutcome:
            arguments = {"output": f"answer {n}", "expected": f"answer {n % 2}"}
            return await sandbox.run(TRIVIAL, arguments=arguments, limits=limits)

        for _ in range(20):  # warm-up: the first children touch pages the rest share
            await one(0)

        began, meter = time.perf_counter(), CpuMeter(info.pid)
        sequential = [await one(n) for n in range(evaluations)]
        report("sequential", sequential, time.perf_counter() - began)
        print(f"{'':14} {meter.per_evaluation_ms(evaluations)}")

        slots = asyncio.Semaphore(concurrency)

        async def bounded(n: int) -> SandboxOutcome:
            async with slots:
                return await one(n)

        began, meter = time.perf_counter(), CpuMeter(info.pid)
        parallel = await asyncio.gather(*(bounded(n) for n in range(evaluations)))
        report(f"{concurrency} concurrent", list(parallel), time.perf_counter() - began)
        print(f"{'':14} {meter.per_evaluation_ms(evaluations)}")
    finally:
        await sandbox.aclose()


def main() -> None:
    """Run the benchmark and print p50 / p99 overhead per evaluation."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evaluations", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--landlock", choices=["auto", "require", "off"], default="auto")
    arguments = parser.parse_args()
    asyncio.run(measure(arguments.evaluations, arguments.concurrency, arguments.landlock))


if __name__ == "__main__":
    main()
