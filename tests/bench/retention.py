"""`make bench`: retention, with the whole platform on this machine.

Two figures the issue asks for:

* **A sweep under load.** 1,000,000 spans of one project (``old``) are bulk-loaded straight into
  PostgreSQL; then ingest runs at full speed into another project (``live``, the ingest
  benchmark's agent runs over OTLP/gRPC and OTLP/HTTP), first alone (the baseline), then while a
  retention sweep (``max_count = 1``) deletes every trace of ``old`` but its newest. Reported:
  the sweep's duration and ingest's persisted spans/s alone and during the sweep.
* **A partition drop.** 1,000,000 spans are bulk-loaded into a week long past, and the global
  maximum age drops that week: the time of the drop itself (annotations, detach, drop) and of
  the clean-up of the traces it emptied are reported apart.

The bulk load writes rows of the size of ingest's (about 1.3 KB of attributes a span, under
PostgreSQL's 2 KB compression threshold, so stored as they are; ten spans a trace) with
``INSERT ... SELECT`` in chunks, so that loading takes seconds, not the minutes the write path
would.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import orjson

from spyglass_core.settings import DbSettings
from spyglass_db import create_engine
from spyglass_db.pacing import Pace
from spyglass_db.partitions import apply_max_age, create_partition, partition_for, week_start
from spyglass_db.retention import RetentionRule, RetentionSettings, sweep_project
from tests.bench.ingest import (
    Platform,
    SendResult,
    StoredWatcher,
    build_requests,
    send_grpc,
    send_http,
)

SPANS_PER_TRACE = 10
CHUNK_TRACES = 10_000

BULK_TRACES = """
INSERT INTO traces (project_rowid, trace_id, start_time, end_time)
SELECT $1, md5($2::text || ':' || g), $3::timestamptz + g * interval '10 ms',
       $3::timestamptz + g * interval '10 ms' + interval '1 s'
FROM generate_series($4::bigint, $5::bigint) g
"""
BULK_SPANS = """
INSERT INTO spans (trace_rowid, project_rowid, span_id, parent_id, name, span_kind, start_time,
                   end_time, attributes)
SELECT t.id, t.project_rowid, substr(md5(t.trace_id || s), 1, 16),
       CASE WHEN s = 0 THEN NULL ELSE substr(md5(t.trace_id || 0), 1, 16) END,
       'step', 'CHAIN', t.start_time + s * interval '1 ms', t.start_time + s * interval '1 ms'
       + interval '50 ms',
       jsonb_build_object(
           'input', jsonb_build_object('value', repeat(md5(t.trace_id || s), 40)),
           'metadata', jsonb_build_object('tier', 'gold'))
FROM traces t, generate_series(0, $3::int - 1) s
WHERE t.project_rowid = $1 AND t.id > $2
"""


async def bulk_load(database_url: str, project: str, spans: int, start: datetime) -> int:
    """Write ``spans`` spans (ten a trace) into ``project``, starting at ``start``; return the
    project's id."""
    connection = await asyncpg.connect(database_url)
    try:
        project_id: int = await connection.fetchval(
            "INSERT INTO projects (name) VALUES ($1) ON CONFLICT (name) DO UPDATE "
            "SET name = EXCLUDED.name RETURNING id",
            project,
        )
        traces = spans // SPANS_PER_TRACE
        started = time.perf_counter()
        for first in range(0, traces, CHUNK_TRACES):
            last_id = await connection.fetchval("SELECT COALESCE(max(id), 0) FROM traces")
            async with connection.transaction():
                end = min(first + CHUNK_TRACES, traces)
                await connection.execute(BULK_TRACES, project_id, project, start, first, end - 1)
                await connection.execute(BULK_SPANS, project_id, last_id, SPANS_PER_TRACE)
            done = end * SPANS_PER_TRACE
            rate = done / (time.perf_counter() - started)
            print(f"  {project}: {done:,} spans loaded ({rate:,.0f} spans/s)", flush=True)
        await connection.execute("VACUUM (ANALYZE) spans, traces")
        return project_id
    finally:
        await connection.close()


async def ingest(platform: Platform, requests: list[bytes], total: int, concurrency: int) -> float:
    """Send ``requests`` (``total`` spans into ``live``); persisted spans per second."""
    ports = platform.ports
    async with StoredWatcher(platform.nats_url, "live", total) as watcher:
        started = time.perf_counter()
        await asyncio.gather(
            send_grpc(
                f"127.0.0.1:{ports['SPYGLASS_RECEIVER_GRPC_PORT']}",
                requests[::2],
                concurrency,
                SendResult(),
            ),
            send_http(
                f"http://127.0.0.1:{ports['SPYGLASS_RECEIVER_HTTP_PORT']}/v1/traces",
                requests[1::2],
                concurrency,
                SendResult(),
            ),
        )
        await asyncio.wait_for(watcher.done.wait(), timeout=900)
        return total / (watcher.completed_at - started)


async def sweep_under_load(platform: Platform, arguments: argparse.Namespace) -> dict[str, object]:
    database_url = platform.database_url
    print(f"loading {arguments.spans:,} spans into project 'old'...", flush=True)
    old = await bulk_load(database_url, "old", arguments.spans, datetime.now(UTC))
    per_round = arguments.ingest_spans
    baseline_requests = build_requests(per_round, 512, "live", 11)
    during_requests = build_requests(per_round, 512, "live", 12)
    total = len(baseline_requests) * 512
    print("ingest alone...", flush=True)
    baseline = await ingest(platform, baseline_requests, total, arguments.concurrency)
    del baseline_requests

    engine = create_engine(DbSettings(url=database_url))
    try:
        print("ingest while the sweep runs...", flush=True)
        started = time.perf_counter()
        sweep = asyncio.create_task(
            sweep_project(
                engine,
                old,
                RetentionRule(max_count=1),
                datetime.now(UTC),
                arguments.batch_size,
                Pace(arguments.duty_cycle),
            )
        )
        during = await ingest(platform, during_requests, total, arguments.concurrency)
        ingest_seconds = time.perf_counter() - started
        deleted = await sweep
        sweep_seconds = time.perf_counter() - started
    finally:
        await engine.dispose()
    connection = await asyncpg.connect(database_url)
    try:
        left = await connection.fetchval("SELECT count(*) FROM spans WHERE project_rowid = $1", old)
    finally:
        await connection.close()
    return {
        "spans_swept": arguments.spans - left,
        "traces_deleted": deleted,
        "sweep_seconds": round(sweep_seconds, 1),
        "batch_size_traces": arguments.batch_size,
        "duty_cycle": arguments.duty_cycle,
        "ingest_spans_per_round": total,
        "ingest_alone_spans_per_second": round(baseline),
        "ingest_during_sweep_spans_per_second": round(during),
        "ingest_round_during_sweep_seconds": round(ingest_seconds, 1),
        "ingest_cost_percent": round(100 * (1 - during / baseline), 1),
    }


async def partition_drop(database_url: str, spans: int) -> dict[str, object]:
    week = week_start(datetime.now(UTC)) - timedelta(weeks=20)
    engine = create_engine(DbSettings(url=database_url))
    try:
        async with engine.begin() as connection:
            await create_partition(connection, partition_for(week))
        print(f"loading {spans:,} spans into the week of {week:%Y-%m-%d}...", flush=True)
        await bulk_load(database_url, "ancient", spans, week + timedelta(hours=1))
        started = time.perf_counter()
        report = await apply_max_age(engine, datetime.now(UTC), timedelta(weeks=10))
        total_seconds = time.perf_counter() - started
    finally:
        await engine.dispose()
    return {
        "spans_in_partition": spans,
        "partitions_dropped": list(report.partitions),
        "traces_cleaned_up": report.traces,
        "drop_and_clean_up_seconds": round(total_seconds, 2),
        "drop_seconds": round(report.drop_seconds, 3),
    }


async def run(arguments: argparse.Namespace) -> dict[str, object]:
    platform = Platform(Path(tempfile.mkdtemp(prefix="spyglass-bench-retention-")))
    platform.start(arguments.writers, {"SPYGLASS_RETENTION_ENABLED": "false"})
    try:
        figures: dict[str, object] = {"sweep": await sweep_under_load(platform, arguments)}
        figures["partition_drop"] = await partition_drop(platform.database_url, arguments.spans)
        return figures
    finally:
        platform.stop()
        shutil.rmtree(platform.home, ignore_errors=True)  # gigabytes of scratch data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--ingest-spans", type=int, default=200_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument(
        "--duty-cycle",
        type=float,
        default=RetentionSettings.model_fields["duty_cycle"].default,
        help="the sweep's share of the time (SPYGLASS_RETENTION_DUTY_CYCLE; 1: flat out)",
    )
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--writers", type=int, default=1)
    arguments = parser.parse_args()
    print(orjson.dumps(asyncio.run(run(arguments)), option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
