"""A trace's outline: its spans as compact rows, for drawing its tree and waterfall (GraphQL's
``Trace.outline``).

``Trace.spans`` resolves about ten fields per span through graphql-core, which costs ~85 ms
per 1,000 spans; a 10,000-span trace must open in well under a second. The outline is instead
one ``JSON`` value (a leaf to graphql-core, which serializes it without visiting its parts):
``columns`` names the fields once and each span is one short array in ``rows``. PostgreSQL
builds the rows (``json_agg``), reading only the columns they need, never attributes or events;
a span's body is read with ``span(spanId:)`` when the UI opens it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

MAX_OUTLINE_SPANS = 100_000

OUTLINE_COLUMNS = (
    "spanId",
    "parentId",
    "name",
    "spanKind",
    "statusCode",
    "startOffsetMs",
    "latencyMs",
    "cumulativeTokenCountTotal",
    "costTotal",
    "cumulativeErrorCount",
)
"""The fields of each row, in order (the UI reads rows by these positions)."""

_ROW_SQL = (
    "json_build_array(s.span_id, s.parent_id, s.name, s.span_kind, s.status_code, "
    "CAST(EXTRACT(EPOCH FROM s.start_time - t.start_time) * 1000 AS double precision), "
    "CAST(EXTRACT(EPOCH FROM s.end_time - s.start_time) * 1000 AS double precision), "
    "s.cumulative_llm_token_count_prompt + s.cumulative_llm_token_count_completion, "
    "s.llm_cost_total, s.cumulative_error_count)"
)
"""One span as a row of ``OUTLINE_COLUMNS``; ``s`` is the span, ``t`` its trace."""

# Each trace reads at most one span more than it shows: that span's presence is `truncated`.
_OUTLINES = text(f"""
SELECT t.id, t.start_time, o.rows, o.truncated FROM traces t
CROSS JOIN LATERAL (
  SELECT COALESCE(json_agg({_ROW_SQL} ORDER BY s.position)
           FILTER (WHERE s.position <= :most), '[]') AS rows,
         count(*) > :most AS truncated
  FROM (
    SELECT span_id, parent_id, name, span_kind, status_code, start_time, end_time,
      cumulative_llm_token_count_prompt, cumulative_llm_token_count_completion,
      llm_cost_total, cumulative_error_count,
      row_number() OVER (ORDER BY start_time, span_id) AS position
    FROM spans WHERE trace_rowid = t.id ORDER BY start_time, span_id LIMIT :most + 1
  ) s
) o
WHERE t.id = ANY(:keys)
""")


@dataclass(frozen=True)
class TraceOutline:
    """A trace's start and its first spans as rows of ``OUTLINE_COLUMNS``, in start order."""

    start_time: datetime
    rows: list[list[Any]]
    truncated: bool

    def value(self) -> dict[str, Any]:
        """The ``Trace.outline`` JSON value."""
        return {
            "startTime": self.start_time.astimezone(UTC).isoformat(),
            "truncated": self.truncated,
            "columns": list(OUTLINE_COLUMNS),
            "rows": self.rows,
        }


async def get_trace_outlines(
    connection: AsyncConnection, trace_rowids: Sequence[int], most: int = MAX_OUTLINE_SPANS
) -> dict[int, TraceOutline]:
    """The outline of each trace in ``trace_rowids`` with at most ``most`` rows (one statement).

    Rows are in start order, ties broken by span id; a span whose parent has not arrived keeps
    its ``parentId``. Offsets are from the trace's start, which ingestion keeps at its earliest
    span's start. A trace that is not there is left out.
    """
    result = await connection.execute(_OUTLINES, {"keys": list(trace_rowids), "most": most})
    return {
        rowid: TraceOutline(start, spans, truncated) for rowid, start, spans, truncated in result
    }
