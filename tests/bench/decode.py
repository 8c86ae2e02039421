"""Benchmark: how many spans a second one core turns from OTLP bytes into bus messages.

It measures what the receiver does per request on its hot path: parse the
``ExportTraceServiceRequest``, ``decode_export_request``, and serialize the resulting batches,
over the same agent traces as the ingest benchmark (``tests/bench/ingest.py``).

    uv run python -m tests.bench.decode [--spans 40960] [--spans-per-request 512]
    uv run python -m tests.bench.decode --profile      # where the time goes
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import time

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from spyglass_spans import DecodeLimits, ModelPriceTable, decode_export_request
from tests.bench.ingest import build_requests


def handle(payload: bytes, prices: ModelPriceTable, limits: DecodeLimits) -> int:
    """What the receiver does with one request body; returns the bytes it would publish."""
    request = ExportTraceServiceRequest.FromString(payload)
    result = decode_export_request(
        request, None, prices=prices, limits=limits, received_at_unix_nano=time.time_ns()
    )
    return sum(len(batch.SerializeToString()) for batch in result.batches)


def main() -> None:
    """Run the benchmark and print spans per second."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=40_960)
    parser.add_argument("--spans-per-request", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    arguments = parser.parse_args()

    requests = build_requests(arguments.spans, arguments.spans_per_request, "bench", 7)
    spans = sum(
        len(ExportTraceServiceRequest.FromString(body).resource_spans[0].scope_spans[0].spans)
        for body in requests
    )
    prices, limits = ModelPriceTable.load(), DecodeLimits()
    print(f"{spans} spans, {sum(map(len, requests)) / spans:.0f} bytes a span")
    if arguments.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for payload in requests:
            handle(payload, prices, limits)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        return
    rates = []
    for _ in range(arguments.rounds):
        started = time.perf_counter()
        for payload in requests:
            handle(payload, prices, limits)
        rates.append(spans / (time.perf_counter() - started))
    print(
        f"parse + decode + serialize: {statistics.median(rates):,.0f} spans/s "
        f"(median of {arguments.rounds} rounds; best {max(rates):,.0f})"
    )


if __name__ == "__main__":
    main()
