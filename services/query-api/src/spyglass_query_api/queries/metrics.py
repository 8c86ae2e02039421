"""A project's figures: ``stats`` over a time range and ``timeSeries`` in buckets.

``scoreSeries`` is the mean score of each annotation name (span and trace annotations, online
evaluations' among them) in the same buckets, by the annotated span's or trace's start time.

Both are one statement of separate aggregates, each over an index range: traces by
``(project_rowid, start_time)`` (count, latency quantiles), root spans by their partial index
(errors and tokens: roots carry their trace's cumulative counts), and the project's spans by
``(project_rowid, start_time)``, which carries ``llm_cost_total`` (span count and cost in one
index-only scan: cost is not cumulative, so every span's is summed). Each aggregate reads only
the columns it needs, so that covering indexes answer it without the wide span rows.

The statements are SQL text (ordered-set aggregates, ``date_bin``), built once per shape: a
time range open on either side leaves its condition out rather than binding an infinite bound,
so each index range stays exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncConnection

LATENCY_MS = "EXTRACT(EPOCH FROM t.end_time - t.start_time) * 1000"


def _range(alias: str, start: bool, end: bool) -> str:
    conditions = []
    if start:
        conditions.append(f"{alias}.start_time >= :start")
    if end:
        conditions.append(f"{alias}.start_time < :end")
    return "".join(f" AND {condition}" for condition in conditions)


@dataclass(frozen=True)
class ProjectStats:
    """Figures of the traces (and spans) that start in a time range."""

    trace_count: int
    latency_ms_p50: float | None
    latency_ms_p99: float | None
    error_count: int
    """Traces whose root counts an error."""
    token_count_prompt: int
    token_count_completion: int
    span_count: int
    cost_total: float


def _stats_statement(start: bool, end: bool) -> TextClause:
    return text(
        "SELECT traces.count, traces.p50, traces.p99, roots.errors, roots.prompt,"
        "  roots.completion, counted.spans, counted.cost FROM "
        f"(SELECT count(*) AS count, percentile_cont(0.5) WITHIN GROUP (ORDER BY {LATENCY_MS}) "
        f"   AS p50, percentile_cont(0.99) WITHIN GROUP (ORDER BY {LATENCY_MS}) AS p99"
        "  FROM traces t WHERE t.project_rowid = :project"
        f"{_range('t', start, end)}) traces, "
        "(SELECT count(*) FILTER (WHERE s.cumulative_error_count > 0) AS errors,"
        "   COALESCE(sum(s.cumulative_llm_token_count_prompt), 0) AS prompt,"
        "   COALESCE(sum(s.cumulative_llm_token_count_completion), 0) AS completion"
        "  FROM spans s WHERE s.project_rowid = :project AND s.parent_id IS NULL"
        f"{_range('s', start, end)}) roots, "
        "(SELECT count(*) AS spans, COALESCE(sum(s.llm_cost_total), 0) AS cost FROM spans s"
        f"  WHERE s.project_rowid = :project{_range('s', start, end)}) counted"
    )


_STATS = {
    (start, end): _stats_statement(start, end) for start in (False, True) for end in (False, True)
}
"""The stats statement of each time range shape: (has a start, has an end)."""


async def get_project_stats(
    connection: AsyncConnection,
    project_rowid: int,
    start: datetime | None = None,
    end: datetime | None = None,
) -> ProjectStats:
    """The project's figures over the traces (and spans) that start in ``[start, end)``."""
    statement = _STATS[start is not None, end is not None]
    values: dict[str, object] = {"project": project_rowid}
    if start is not None:
        values["start"] = start
    if end is not None:
        values["end"] = end
    result = await connection.execute(statement, values)
    traces, p50, p99, errors, prompt, completion, spans, cost = result.one()
    # token sums are numeric (exact): as ints they stay exact
    return ProjectStats(traces, p50, p99, errors, int(prompt), int(completion), spans, float(cost))


@dataclass(frozen=True)
class TimeSeriesBucket:
    """Figures of the traces (and spans) that start in one bucket."""

    timestamp: datetime
    trace_count: int
    latency_ms_p50: float | None
    latency_ms_p90: float | None
    latency_ms_p99: float | None
    error_count: int
    token_count_prompt: int
    token_count_completion: int
    cost_total: float


_BUCKET = "date_bin(CAST(:interval AS interval), {}, CAST(:start AS timestamptz))"

_TIME_SERIES = text(
    "SELECT b.bucket, COALESCE(tr.traces, 0), tr.p50, tr.p90, tr.p99, "
    "  COALESCE(r.errors, 0), COALESCE(r.prompt, 0), COALESCE(r.completion, 0),"
    "  COALESCE(c.cost, 0) FROM "
    "(SELECT CAST(:start AS timestamptz) + n * CAST(:interval AS interval) AS bucket"
    "  FROM generate_series(0, :buckets - 1) AS n) b "
    f"LEFT JOIN (SELECT {_BUCKET.format('t.start_time')} AS bucket, count(*) AS traces,"
    f"  percentile_cont(0.5) WITHIN GROUP (ORDER BY {LATENCY_MS}) AS p50,"
    f"  percentile_cont(0.9) WITHIN GROUP (ORDER BY {LATENCY_MS}) AS p90,"
    f"  percentile_cont(0.99) WITHIN GROUP (ORDER BY {LATENCY_MS}) AS p99"
    "  FROM traces t WHERE t.project_rowid = :project"
    f"{_range('t', True, True)} GROUP BY 1) tr USING (bucket) "
    f"LEFT JOIN (SELECT {_BUCKET.format('s.start_time')} AS bucket,"
    "  count(*) FILTER (WHERE s.cumulative_error_count > 0) AS errors,"
    "  sum(s.cumulative_llm_token_count_prompt) AS prompt,"
    "  sum(s.cumulative_llm_token_count_completion) AS completion"
    "  FROM spans s WHERE s.project_rowid = :project AND s.parent_id IS NULL"
    f"{_range('s', True, True)} GROUP BY 1) r USING (bucket) "
    f"LEFT JOIN (SELECT {_BUCKET.format('s.start_time')} AS bucket,"
    "  sum(s.llm_cost_total) AS cost FROM spans s WHERE s.project_rowid = :project"
    f"{_range('s', True, True)} GROUP BY 1) c USING (bucket) "
    "ORDER BY b.bucket"
)


async def list_time_series(
    connection: AsyncConnection,
    project_rowid: int,
    start: datetime,
    end: datetime,
    interval: timedelta,
    buckets: int,
) -> list[TimeSeriesBucket]:
    """``buckets`` buckets of ``interval`` from ``start`` (empty ones too), each with the
    figures of the traces (and spans) that start in it and in ``[start, end)``."""
    result = await connection.execute(
        _TIME_SERIES,
        {
            "project": project_rowid,
            "start": start,
            "end": end,
            "interval": interval,
            "buckets": buckets,
        },
    )
    return [
        TimeSeriesBucket(
            timestamp, traces, p50, p90, p99, errors, int(prompt), int(completion), float(cost)
        )
        for timestamp, traces, p50, p90, p99, errors, prompt, completion, cost in result
    ]


@dataclass(frozen=True)
class ScoreBucket:
    """The annotations of one name on spans or traces that start in one bucket."""

    timestamp: datetime
    name: str
    count: int
    """Annotations of that name (with or without a score)."""
    score_mean: float | None


MAX_SCORE_NAMES = 20
"""The annotation names a series carries (those with the most annotations in the range)."""

_SCORE_SERIES = text(
    "WITH annotated AS ("
    f"  SELECT {_BUCKET.format('s.start_time')} AS bucket, a.name, a.score"
    "   FROM spans s JOIN span_annotations a"
    "     ON a.span_rowid = s.id AND a.span_start_time = s.start_time"
    f"  WHERE s.project_rowid = :project{_range('s', True, True)}"
    "  UNION ALL"
    f"  SELECT {_BUCKET.format('t.start_time')} AS bucket, a.name, a.score"
    "   FROM traces t JOIN trace_annotations a ON a.trace_rowid = t.id"
    f"  WHERE t.project_rowid = :project{_range('t', True, True)}"
    "), names AS ("
    "  SELECT name FROM annotated GROUP BY name ORDER BY count(*) DESC, name"
    f"  LIMIT {MAX_SCORE_NAMES}"
    ") SELECT bucket, name, count(*) AS annotations, avg(score) AS score_mean"
    " FROM annotated JOIN names USING (name) GROUP BY bucket, name ORDER BY name, bucket"
)


async def list_score_series(
    connection: AsyncConnection,
    project_rowid: int,
    start: datetime,
    end: datetime,
    interval: timedelta,
) -> list[ScoreBucket]:
    """Each annotation name's count and mean score per ``interval`` bucket from ``start`` (only
    buckets that have some), over the spans and traces that start in ``[start, end)``."""
    result = await connection.execute(
        _SCORE_SERIES,
        {"project": project_rowid, "start": start, "end": end, "interval": interval},
    )
    return [
        ScoreBucket(bucket, name, int(count), None if mean is None else float(mean))
        for bucket, name, count, mean in result
    ]
