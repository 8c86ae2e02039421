"""A project's figures: ``stats`` over a time range, ``timeSeries`` and ``scoreSeries`` in
buckets, read by ``queries/metrics.py`` (one statement each) and shaped here."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from spyglass_core.storable import MAX_TIME, MIN_TIME
from spyglass_query_api.graphql.arguments import TimeRange
from spyglass_query_api.graphql.context import RequestContext
from spyglass_query_api.graphql.errors import ArgumentError
from spyglass_query_api.queries.metrics import (
    get_project_stats,
    list_score_series,
    list_time_series,
)

MAX_BUCKETS = 1000


async def project_stats(
    context: RequestContext, project_rowid: int, period: TimeRange
) -> dict[str, Any]:
    """``ProjectStats`` of the traces (and spans) that start in ``period``."""
    stats = await context.read(get_project_stats, project_rowid, period.start, period.end)
    prompt, completion = stats.token_count_prompt, stats.token_count_completion
    traces = stats.trace_count
    # Keys are the schema's field names as ariadne converts them (latencyMsP50 -> latency_ms_p_50).
    return {
        "trace_count": traces,
        "span_count": stats.span_count,
        "latency_ms_p_50": stats.latency_ms_p50,
        "latency_ms_p_99": stats.latency_ms_p99,
        "token_count_prompt": float(prompt),
        "token_count_completion": float(completion),
        "token_count_total": float(prompt + completion),
        "cost_total": stats.cost_total,
        "error_rate": min(stats.error_count / traces, 1.0) if traces else None,
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
    assert period.start is not None and period.end is not None  # bucket_count checked them
    buckets = await context.read(
        list_time_series,
        project_rowid,
        period.start,
        period.end,
        timedelta(seconds=interval),
        count,
    )
    return [
        {
            "timestamp": bucket.timestamp,
            "trace_count": bucket.trace_count,
            "latency_ms_p_50": bucket.latency_ms_p50,
            "latency_ms_p_90": bucket.latency_ms_p90,
            "latency_ms_p_99": bucket.latency_ms_p99,
            "error_count": bucket.error_count,
            "token_count_prompt": float(bucket.token_count_prompt),
            "token_count_completion": float(bucket.token_count_completion),
            "token_count_total": float(bucket.token_count_prompt + bucket.token_count_completion),
            "cost_total": bucket.cost_total,
        }
        for bucket in buckets
    ]


async def score_series(
    context: RequestContext, project_rowid: int, period: TimeRange, interval: int
) -> list[dict[str, Any]]:
    """One ``ScoreSeries`` per annotation name, its points in ``interval``-second buckets."""
    bucket_count(period, interval)
    assert period.start is not None and period.end is not None  # bucket_count checked them
    buckets = await context.read(
        list_score_series, project_rowid, period.start, period.end, timedelta(seconds=interval)
    )
    series: dict[str, list[dict[str, Any]]] = {}
    for bucket in buckets:
        series.setdefault(bucket.name, []).append(
            {"timestamp": bucket.timestamp, "count": bucket.count, "score_mean": bucket.score_mean}
        )
    return [{"name": name, "points": points} for name, points in series.items()]
