"""One page of a project's spans in start-time order, fast whether a filter matches often or rarely.

Every span list (REST search, ``POST /v1/spans``, GraphQL) reads a page of spans newest (or
oldest) first through ``ix_spans_project_rowid_start_time``. Without a filter, that is an index
walk that stops after the page. With a filter that reads each span's attributes (the filter
language, ``attribute=key:value``), PostgreSQL has to guess how many spans match, and its
guess is poor: the statistics of wide JSONB values are thin, so it may take a common value for
a rare one and fetch every match through the GIN index before sorting them (seconds, at a
million spans), or take a rare value for a common one and walk the whole project.

So the page is read in two steps whose cost doesn't depend on the guess:

1. **Probe** the newest ``PROBE_SPANS`` spans (``SpanPageQuery.probe``) in index order and
   keep those that match, up to a page. A filter that matches one span in 200 or more fills
   the page here, reading at most that many rows.
2. Only if the page isn't full and older spans remain, read the matches **older than the
   probe** with whatever plan PostgreSQL picks: such a filter is rare, which is where the GIN
   index and a bitmap scan are quick.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

PROBE_SPANS = 20_000
"""Spans the first step reads at most: about 30 ms of attribute filtering on this hardware."""


@dataclass(frozen=True)
class SpanPageQuery:
    """What to read: columns over spans ``s`` and traces ``t``, and the page's conditions.

    ``conditions`` are cheap tests on the span row itself (project, time range, ids, a keyset
    position); ``filters`` are those that may read attributes or annotations. Neither may refer
    to ``t``, which is joined after the page is chosen.
    """

    columns: str
    conditions: Sequence[str]
    filters: Sequence[str] = ()
    parameters: Mapping[str, object] = field(default_factory=dict)
    fetch: int = 101
    descending: bool = True
    probe: int = PROBE_SPANS

    @property
    def order(self) -> str:
        direction = "DESC" if self.descending else "ASC"
        return f"s.start_time {direction}, s.id {direction}"

    @property
    def where(self) -> str:
        return " AND ".join(f"({condition})" for condition in self.conditions) or "TRUE"

    @property
    def filtered(self) -> str:
        return " AND ".join(f"({condition})" for condition in self.filters) or "TRUE"


async def _rows(
    connection: AsyncConnection, sql: str, parameters: Mapping[str, object]
) -> Sequence[Any]:
    # SQLAlchemy caches a text statement's compiled form by its text: a filter seen before is
    # not compiled again.
    return (await connection.execute(text(sql), dict(parameters))).all()


async def read_span_page(connection: AsyncConnection, query: SpanPageQuery) -> list[Any]:
    """Up to ``query.fetch`` rows of spans matching the query, in start-time order (one
    statement without filters; with filters one, or three when the probe leaves the page short).
    """
    joined = "JOIN traces t ON t.id = s.trace_rowid"
    if not query.filters:
        return list(
            await _rows(
                connection,
                f"SELECT {query.columns} FROM spans s {joined} WHERE {query.where} "
                f"ORDER BY {query.order} LIMIT :page_fetch",
                {**query.parameters, "page_fetch": query.fetch},
            )
        )
    rows = list(
        await _rows(
            connection,
            f"SELECT {query.columns} FROM (SELECT * FROM spans s WHERE {query.where} "
            f"ORDER BY {query.order} LIMIT :page_probe) s {joined} WHERE {query.filtered} "
            f"ORDER BY {query.order} LIMIT :page_fetch",
            {**query.parameters, "page_probe": query.probe, "page_fetch": query.fetch},
        )
    )
    if len(rows) >= query.fetch:
        return rows
    boundary = await _rows(
        connection,
        f"SELECT s.start_time, s.id FROM spans s WHERE {query.where} "
        f"ORDER BY {query.order} OFFSET :page_probe LIMIT 1",
        {**query.parameters, "page_probe": query.probe - 1},
    )
    if not boundary:
        return rows  # the probe read every span there is
    operator = "<" if query.descending else ">"
    older = await _rows(
        connection,
        f"SELECT {query.columns} FROM spans s {joined} WHERE {query.where} "
        f"AND (s.start_time, s.id) {operator} (:page_start_time, :page_rowid) "
        f"AND {query.filtered} ORDER BY {query.order} LIMIT :page_fetch",
        {
            **query.parameters,
            "page_start_time": boundary[0][0],
            "page_rowid": boundary[0][1],
            "page_fetch": query.fetch - len(rows),
        },
    )
    return rows + list(older)
