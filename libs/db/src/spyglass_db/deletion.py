"""Deleting projects and traces with everything in them.

Spans have no foreign keys (they were a fifth of the insert cost, see migration 0004), so the
database cascades a delete to sessions, traces and annotations but not to spans: these
functions remove the spans themselves, in the same transaction.

Each deletes the parent rows first. A writer holds the trace rows it is writing (and a key-share
lock on their project) until it commits, so the parent delete waits for writers in flight, and
the span delete that follows, a new statement, sees and removes what they committed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import TIMESTAMP, BigInteger

_IDS = bindparam("ids", type_=ARRAY(BigInteger))


async def _delete_with_spans(
    connection: AsyncConnection, table: str, span_column: str, ids: Sequence[int]
) -> int:
    """Delete rows of ``table`` by id, then the spans whose ``span_column`` names them."""
    deleted = await connection.execute(
        text(f"DELETE FROM {table} WHERE id = ANY(:ids)").bindparams(_IDS), {"ids": list(ids)}
    )
    await connection.execute(
        text(f"DELETE FROM spans WHERE {span_column} = ANY(:ids)").bindparams(_IDS),
        {"ids": list(ids)},
    )
    return deleted.rowcount


async def delete_projects(connection: AsyncConnection, project_ids: Sequence[int]) -> int:
    """Delete projects and their sessions, traces, spans and annotations; return how many."""
    return await _delete_with_spans(connection, "projects", "project_rowid", project_ids)


async def delete_traces(connection: AsyncConnection, trace_rowids: Sequence[int]) -> int:
    """Delete traces (by row id) with their spans and annotations; return how many."""
    return await _delete_with_spans(connection, "traces", "trace_rowid", trace_rowids)


async def delete_spans(connection: AsyncConnection, spans: Sequence[tuple[int, datetime]]) -> int:
    """Delete spans by (row id, start time), the spans' key; return how many."""
    deleted = await connection.execute(
        text(
            "DELETE FROM spans s USING unnest(:ids, :starts) AS k(id, start_time) "
            "WHERE s.id = k.id AND s.start_time = k.start_time"
        ).bindparams(
            bindparam("ids", type_=ARRAY(BigInteger)),
            bindparam("starts", type_=ARRAY(TIMESTAMP(timezone=True))),
        ),
        {"ids": [rowid for rowid, _ in spans], "starts": [start for _, start in spans]},
    )
    return deleted.rowcount
