"""A project's figures: ``stats`` over a time range and ``timeSeries`` in buckets.

Both are one statement of separate aggregates, each over an index range: traces by
``(project_rowid, start_time)`` (count, latency quantiles), root spans by their partial index
(errors and tokens: roots carry their trace's cumulative counts), and the project's spans by
``(project_rowid, start_time)``, which carries ``llm_cost_total`` (span count and cost in one
index-only scan: cost is not cumulative, so every span's is summed). Each aggregate reads only
the columns it needs, so that covering indexes answer it without the wide span rows.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from spyglass_core.storable import MAX_TIME, MIN_TIME
from spyglass_query_api.graphql.arguments import TimeRange
from spyglass_query_api.graphql.context import RequestContext
from spyglass_query_api.graphql.errors import ArgumentError

MAX_BUCKETS = 1000

LATENCY_MS = "EXTRACT(EPOCH FROM t.end_time - t.start_time) * 1000"


def _range(alias: str, column: str, period: TimeRange) -> str:
    conditions = []
    if period.start is not None:
        conditions.append(f"{alias}.{column} >= :start")
    if period.end is not None:
        conditions.append(f"{alias}.{column} < :end")
    return "".join(f" AND {condition}" for condition in conditions)


async def project_stats(
    context: RequestContext, project_rowid: int, period: TimeRange
) -> dict[str, Any]:
    """``ProjectStats`` of the traces (and spans) that start in ``period``."""
    rows = await context.fetch(
        "SELECT traces.count, traces.p50, traces.p99, roots.errors, roots.prompt,"
        "  roots.completion, counted.spans, counted.cost FROM "
        f"(SELECT count(*) AS count, percentile_cont(0.5) WITHIN GROUP (ORDER BY {LATENCY_MS}) "
        f"   AS p50, percentile_cont(0.99) WITHIN GROUP (ORDER BY {LATENCY_MS}) AS p99"
        "  FROM traces t WHERE t.project_rowid = :project"
        f"{_range('t', 'start_time', period)}) traces, "
        "(SELECT count(*) FILTER (WHERE s.cumulative_error_count > 0) AS errors,"
        "   COALESCE(sum(s.cumulative_llm_token_count_prompt), 0) AS prompt,"
        "   COALESCE(sum(s.cumulative_llm_token_count_completion), 0) AS completion"
        "  FROM spans s WHERE s.project_rowid = :project AND s.parent_id IS NULL"
        f"{_range('s', 'start_time', period)}) roots, "
        "(SELECT count(*) AS spans, COALESCE(sum(s.llm_cost_total), 0) AS cost FROM spans s"
        f"  WHERE s.project_rowid = :project{_range('s', 'start_time', period)}) counted",
        {"project": project_rowid, "start": period.start, "end": period.end},
    )
    traces, p50, p99, errors, prompt, completion, spans, cost = rows[0]
    # Keys are the schema's field names as ariadne converts them (latencyMsP50 -> latency_ms_p_50).
    return {
        "trace_count": traces,
        "span_count": spans,
        "latency_ms_p_50": p50,
        "latency_ms_p_99": p99,
        "token_count_prompt": float(prompt),
        "token_count_completion": float(completion),
        "token_count_total": float(prompt + completion),
        "cost_total": float(cost),
        "error_rate": min(errors / traces, 1.0) if traces else None,
    }


def bucket_count(period: TimeRange, interval: int) -> int:
    """How many ``interval``-second buckets cover ``period``.

    Raises:
        ArgumentError: an open time range, one outside the times a span can have (buckets
            there would fall outside PostgreSQL's and Python's calendars), an interval under a
            second, or too many buckets.
    """
    if period.start is None or period.end is None:
        raise ArgumentError("timeRange", "timeSeries needs both timeRange.start and timeRange.end")
    for side, moment in (("start", period.start), ("end", period.end)):
        if not MIN_TIME <= moment <= MAX_TIME:
            raise ArgumentError(
                "timeRange",
                f"timeRange.{side} must be between {MIN_TIME.isoformat()} and "
                f"{MAX_TIME.isoformat()} (the times a span can have), got {moment.isoformat()}",
            )
    if interval < 1:
        raise ArgumentError("interval", f"interval is in seconds, at least 1; got {interval}")
    count = max(1, math.ceil((period.end - period.start).total_seconds() / interval))
    if count > MAX_BUCKETS:
        raise ArgumentError(
            "interval",
            f"timeRange / interval makes {count} buckets; at most {MAX_BUCKETS} are served",
        )
    return count


async def time_series(
    context: RequestContext, project_rowid: int, period: TimeRange, interval: int
) -> list[dict[str, Any]]:
    """One ``TimeSeriesBucket`` per ``interval`` seconds from ``period.start``, empty ones too."""
    count = bucket_count(period, interval)
    bucket = "date_bin(CAST(:interval AS interval), {}, CAST(:start AS timestamptz))"
    rows = await context.fetch(
        "SELECT b.bucket, COALESCE(tr.traces, 0), tr.p50, tr.p90, tr.p99, "
        "  COALESCE(r.errors, 0), COALESCE(r.prompt, 0), COALESCE(r.completion, 0),"
        "  COALESCE(c.cost, 0) FROM "
        "(SELECT CAST(:start AS timestamptz) + n * CAST(:interval AS interval) AS bucket"
        "  FROM generate_series(0, :buckets - 1) AS n) b "
        f"LEFT JOIN (SELECT {bucket.format('t.start_time')} AS bucket, count(*) AS traces,"
        f"  percentile_cont(0.5) WITHIN GROUP (ORDER BY {LATENCY_MS}) AS p50,"
        f"  percentile_cont(0.9) WITHIN GROUP (ORDER BY {LATENCY_MS}) AS p90,"
        f"  percentile_cont(0.99) WITHIN GROUP (ORDER BY {LATENCY_MS}) AS p99"
        "  FROM traces t WHERE t.project_rowid = :project"
        f"{_range('t', 'start_time', period)} GROUP BY 1) tr USING (bucket) "
        f"LEFT JOIN (SELECT {bucket.format('s.start_time')} AS bucket,"
        "  count(*) FILTER (WHERE s.cumulative_error_count > 0) AS errors,"
        "  sum(s.cumulative_llm_token_count_prompt) AS prompt,"
        "  sum(s.cumulative_llm_token_count_completion) AS completion"
        "  FROM spans s WHERE s.project_rowid = :project AND s.parent_id IS NULL"
        f"{_range('s', 'start_time', period)} GROUP BY 1) r USING (bucket) "
        f"LEFT JOIN (SELECT {bucket.format('s.start_time')} AS bucket,"
        "  sum(s.llm_cost_total) AS cost FROM spans s WHERE s.project_rowid = :project"
        f"{_range('s', 'start_time', period)} GROUP BY 1) c USING (bucket) "
        "ORDER BY b.bucket",
        {
            "project": project_rowid,
            "start": period.start,
            "end": period.end,
            "interval": timedelta(seconds=interval),
            "buckets": count,
        },
    )
    return [
        {
            "timestamp": row[0],
            "trace_count": row[1],
            "latency_ms_p_50": row[2],
            "latency_ms_p_90": row[3],
            "latency_ms_p_99": row[4],
            "error_count": row[5],
            "token_count_prompt": float(row[6]),
            "token_count_completion": float(row[7]),
            "token_count_total": float(row[6] + row[7]),
            "cost_total": float(row[8]),
        }
        for row in rows
    ]
