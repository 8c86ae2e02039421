"""Writing span, document, trace and session annotations by the ids clients use.

The query API (REST annotations, notes, parked annotations) and the evaluation worker (online
evaluation scores) write annotations through :func:`upsert_annotations`.

Upserts go by the ids clients use (OTel span and trace ids, session ids): one statement per
batch and target kind. The rows travel as one JSON parameter, each is matched to its target,
and those with a target are upserted on (name, target, identifier), the last of a batch
winning. An update only replaces a row last written no later than it was received, so a parked
annotation that resolves late never overwrites a newer write of the same annotation. What did
not resolve is reported back, for the caller to refuse (404), park or record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import orjson
from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncConnection


class TargetKind(StrEnum):
    """What an annotation annotates; the value is what ``pending_annotations`` stores."""

    SPAN = "span"
    DOCUMENT = "document"
    TRACE = "trace"
    SESSION = "session"


@dataclass(frozen=True)
class AnnotationWrite:
    """One annotation as a client sent it, its target named by the client's id."""

    target_id: str
    name: str
    annotator_kind: str
    label: str | None = None
    score: float | None = None
    explanation: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    identifier: str = ""
    source: str = "API"
    user_id: int | None = None
    document_position: int | None = None
    received_at: datetime | None = None
    """When the API accepted it; None means now (the transaction's time)."""


class Outcome(StrEnum):
    """What became of one write."""

    STORED = "stored"
    SUPERSEDED = "superseded"
    """The target exists but holds a newer write of the same annotation, which stays."""
    MISSING_TARGET = "missing_target"
    DOCUMENT_OUT_OF_RANGE = "document_out_of_range"


@dataclass(frozen=True)
class WriteResult:
    """The outcome of one write and, when stored, the annotation's row id."""

    outcome: Outcome
    rowid: int | None = None


@dataclass(frozen=True)
class _Target:
    table: str
    type_name: str
    join: str
    """A lateral subquery over ``r`` (the incoming rows) naming the target's key columns."""
    key_columns: tuple[str, ...]
    row_columns: tuple[str, ...]
    in_range: str = "TRUE"


_DOCUMENT_COUNT = (
    "CASE WHEN jsonb_typeof(d.documents) = 'array' THEN jsonb_array_length(d.documents) ELSE 0 END"
)

TARGETS: dict[TargetKind, _Target] = {
    TargetKind.SPAN: _Target(
        table="span_annotations",
        type_name="SpanAnnotation",
        join=(
            "SELECT s.id AS span_rowid, s.start_time AS span_start_time FROM spans s "
            "WHERE s.span_id = r.target_id ORDER BY s.start_time DESC LIMIT 1"
        ),
        key_columns=("span_rowid",),
        row_columns=("span_rowid", "span_start_time"),
    ),
    TargetKind.DOCUMENT: _Target(
        table="document_annotations",
        type_name="DocumentAnnotation",
        join=(
            "SELECT s.id AS span_rowid, s.start_time AS span_start_time, "
            f"{_DOCUMENT_COUNT} AS document_count FROM spans s CROSS JOIN LATERAL (SELECT "
            "CASE WHEN upper(s.span_kind) = 'RERANKER' "
            "THEN s.attributes -> 'reranker' -> 'output_documents' "
            "ELSE s.attributes -> 'retrieval' -> 'documents' END AS documents) d "
            "WHERE s.span_id = r.target_id ORDER BY s.start_time DESC LIMIT 1"
        ),
        key_columns=("span_rowid", "document_position"),
        row_columns=("span_rowid", "span_start_time", "document_position"),
        in_range="r.document_position >= 0 AND r.document_position < t.document_count",
    ),
    TargetKind.TRACE: _Target(
        table="trace_annotations",
        type_name="TraceAnnotation",
        join="SELECT id AS trace_rowid FROM traces WHERE trace_id = r.target_id",
        key_columns=("trace_rowid",),
        row_columns=("trace_rowid",),
    ),
    TargetKind.SESSION: _Target(
        table="project_session_annotations",
        type_name="ProjectSessionAnnotation",
        join=(
            "SELECT id AS project_session_id FROM project_sessions WHERE session_id = r.target_id"
        ),
        key_columns=("project_session_id",),
        row_columns=("project_session_id",),
    ),
}

_RECORD = (
    "ordinal int, target_id text, document_position int, name text, label text, "
    "score float8, explanation text, metadata jsonb, annotator_kind text, identifier text, "
    "source text, user_id bigint, received_at timestamptz"
)
_VALUES = (
    "name", "label", "score", "explanation", "metadata", "annotator_kind", "identifier",
    "source", "user_id",
)  # fmt: skip
_UPDATED = ("label", "score", "explanation", "metadata", "annotator_kind", "source", "user_id")


def annotation_type_name(kind: TargetKind) -> str:
    """The GlobalID type name of annotations of ``kind`` (``SpanAnnotation``...)."""
    return TARGETS[kind].type_name


def _upsert_statement(kind: TargetKind) -> TextClause:
    target = TARGETS[kind]
    key = ("name", *target.key_columns, "identifier")
    found = [f"t.{column}" for column in target.row_columns if column != "document_position"]
    insert_columns = (*_VALUES, *target.row_columns, "created_at", "updated_at")
    selected = (*_VALUES, *target.row_columns, "stamped_at", "stamped_at")
    updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in (*_UPDATED, "updated_at"))
    matches = " AND ".join(f"u.{column} = r.{column}" for column in key)
    return text(
        "WITH rows AS ("
        f" SELECT r.*, {', '.join(found)}, ({target.in_range}) AS in_range,"
        " COALESCE(r.received_at, now()) AS stamped_at"
        f" FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r({_RECORD})"
        f" CROSS JOIN LATERAL ({target.join}) t"
        "), latest AS ("
        f" SELECT DISTINCT ON ({', '.join(key)}) * FROM rows WHERE in_range"
        f" ORDER BY {', '.join(key)}, ordinal DESC"
        "), upserted AS ("
        f" INSERT INTO {target.table} ({', '.join(insert_columns)})"
        f" SELECT {', '.join(selected)} FROM latest"
        f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}"
        f" WHERE {target.table}.updated_at <= EXCLUDED.updated_at"
        f" RETURNING id, {', '.join(key)}"
        ") SELECT r.ordinal, r.in_range, u.id FROM rows r"
        f" LEFT JOIN upserted u ON {matches}"
    )


_UPSERTS = {kind: _upsert_statement(kind) for kind in TargetKind}
"""The upsert of each target kind, built once."""


async def upsert_annotations(
    connection: AsyncConnection, kind: TargetKind, writes: Sequence[AnnotationWrite]
) -> list[WriteResult]:
    """Upsert ``writes`` onto their targets; one result per write, in order.

    A write whose target isn't stored is reported ``MISSING_TARGET`` and changes nothing; a
    document annotation whose position is outside the span's documents, ``DOCUMENT_OUT_OF_RANGE``.
    Writes of the same annotation in one call: the last one is stored, and each reports its id.
    """
    if not writes:
        return []
    rows = [
        {**asdict(write), "ordinal": ordinal, "metadata": write.metadata or {}}
        for ordinal, write in enumerate(writes)
    ]
    result = await connection.execute(_UPSERTS[kind], {"rows": orjson.dumps(rows).decode()})
    found = {row.ordinal: (row.in_range, row.id) for row in result}
    outcomes: list[WriteResult] = []
    for ordinal in range(len(writes)):
        if ordinal not in found:
            outcomes.append(WriteResult(Outcome.MISSING_TARGET))
            continue
        in_range, rowid = found[ordinal]
        if not in_range:
            outcomes.append(WriteResult(Outcome.DOCUMENT_OUT_OF_RANGE))
        elif rowid is None:
            outcomes.append(WriteResult(Outcome.SUPERSEDED))
        else:
            outcomes.append(WriteResult(Outcome.STORED, rowid))
    return outcomes
