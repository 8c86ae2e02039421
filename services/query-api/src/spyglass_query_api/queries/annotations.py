"""Annotations: each target's (GraphQL), a project's (REST lists and deletes), and upserts.

Spans, documents (a span's retrieved documents, by position), traces and sessions each have an
annotation table of the same columns (``spyglass_db.models.annotations.AnnotationFields``);
``AnnotationNode`` carries the GraphQL type name of the table it came from.

**Upserts** go by the ids clients use (OTel span and trace ids, session ids): one statement per
batch and target kind. The rows travel as one JSON parameter, each is matched to its target,
and those with a target are upserted on (name, target, identifier), the last of a batch
winning. An update only replaces a row last written no later than it was received, so a parked
annotation that resolves late never overwrites a newer write of the same annotation. What did
not resolve is reported back, for the caller to refuse (404) or park
(``pending_annotations.py``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Delete,
    Select,
    Table,
    Text,
    TextClause,
    all_,
    and_,
    any_,
    bindparam,
    delete,
    literal_column,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from spyglass_db.models import (
    DocumentAnnotation,
    ProjectSessionAnnotation,
    SpanAnnotation,
    TraceAnnotation,
    metadata,
)
from spyglass_query_api.queries.tables import PROJECT_SESSIONS, SPANS, TRACES, rowids

_FIELDS = (
    "name",
    "label",
    "score",
    "explanation",
    "annotator_kind",
    "source",
    "identifier",
    "metadata",
    "created_at",
    "updated_at",
)


@dataclass(frozen=True)
class AnnotationNode:
    id: int
    type_name: str
    target: int
    name: str
    label: str | None
    score: float | None
    explanation: str | None
    annotator_kind: str
    source: str
    identifier: str
    metadata: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    document_position: int | None = None


ReadAnnotations = Callable[[AsyncConnection, Sequence[int]], Awaitable[dict[int, list[Any]]]]


def _reader(type_name: str, table: Table, target: str, *extra: str) -> ReadAnnotations:
    """A function reading the annotations of many targets (rowids) of ``table`` at once."""
    statement = (
        select(table.c.id, table.c[target], *(table.c[name] for name in (*_FIELDS, *extra)))
        .where(table.c[target] == any_(rowids("targets")))
        .order_by(table.c.created_at, table.c.id)
    )

    async def read(
        connection: AsyncConnection, targets: Sequence[int]
    ) -> dict[int, list[AnnotationNode]]:
        result = await connection.execute(statement, {"targets": list(targets)})
        found: dict[int, list[AnnotationNode]] = defaultdict(list)
        for row in result:
            found[row[1]].append(AnnotationNode(row[0], type_name, *row[1:]))
        return found

    read.__name__ = f"list_{table.name}"
    return read


def _table(model: type[Any]) -> Table:
    return metadata.tables[model.__tablename__]


list_span_annotations = _reader("SpanAnnotation", _table(SpanAnnotation), "span_rowid")
list_trace_annotations = _reader("TraceAnnotation", _table(TraceAnnotation), "trace_rowid")
list_session_annotations = _reader(
    "ProjectSessionAnnotation", _table(ProjectSessionAnnotation), "project_session_id"
)
list_document_annotations = _reader(
    "DocumentAnnotation", _table(DocumentAnnotation), "span_rowid", "document_position"
)


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


@dataclass(frozen=True)
class ProjectAnnotations:
    """One kind of annotation as a project lists them: its table and how a row reaches its
    target (``joined``), the target's project and the target's client id."""

    table: Table
    target: Table
    joined: ColumnElement[bool]
    project: ColumnElement[int]
    target_id: ColumnElement[str]


_SPAN_ANNOTATIONS = _table(SpanAnnotation)
_TRACE_ANNOTATIONS = _table(TraceAnnotation)
_SESSION_ANNOTATIONS = _table(ProjectSessionAnnotation)

PROJECT_SPAN_ANNOTATIONS = ProjectAnnotations(
    _SPAN_ANNOTATIONS,
    SPANS,
    and_(
        SPANS.c.id == _SPAN_ANNOTATIONS.c.span_rowid,
        SPANS.c.start_time == _SPAN_ANNOTATIONS.c.span_start_time,
    ),
    SPANS.c.project_rowid,
    SPANS.c.span_id,
)
PROJECT_TRACE_ANNOTATIONS = ProjectAnnotations(
    _TRACE_ANNOTATIONS,
    TRACES,
    TRACES.c.id == _TRACE_ANNOTATIONS.c.trace_rowid,
    TRACES.c.project_rowid,
    TRACES.c.trace_id,
)
PROJECT_SESSION_ANNOTATIONS = ProjectAnnotations(
    _SESSION_ANNOTATIONS,
    PROJECT_SESSIONS,
    PROJECT_SESSIONS.c.id == _SESSION_ANNOTATIONS.c.project_session_id,
    PROJECT_SESSIONS.c.project_id,
    PROJECT_SESSIONS.c.session_id,
)


@dataclass(frozen=True)
class ProjectAnnotationRow:
    """An annotation as a project's list shows it; ``target`` is its target's client id."""

    id: int
    target: str
    name: str
    label: str | None
    score: float | None
    explanation: str | None
    metadata: dict[str, Any]
    annotator_kind: str
    identifier: str
    source: str
    user_id: int | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class AnnotationSearch:
    """What a project's annotation list keeps; an empty list keeps all."""

    target_ids: Sequence[str] = ()
    identifiers: Sequence[str] = ()
    include_names: Sequence[str] = ()
    exclude_names: Sequence[str] = ()


_LISTED_FIELDS = (
    "name",
    "label",
    "score",
    "explanation",
    "metadata",
    "annotator_kind",
    "identifier",
    "source",
    "user_id",
    "created_at",
    "updated_at",
)


_TEXTS = ARRAY(Text)


def _texts(name: str) -> Any:
    return bindparam(name, type_=_TEXTS)


async def list_project_annotations(
    connection: AsyncConnection,
    kind: ProjectAnnotations,
    project_rowid: int,
    search: AnnotationSearch,
    *,
    fetch: int,
    start: int | None = None,
) -> list[ProjectAnnotationRow]:
    """Up to ``fetch`` of a project's annotations of ``kind`` that ``search`` keeps, newest
    first (by rowid, from ``start`` down)."""
    table = kind.table
    statement = (
        select(
            table.c.id,
            kind.target_id,
            *(table.c[name] for name in _LISTED_FIELDS),
        )
        .select_from(table.join(kind.target, kind.joined))
        .where(kind.project == bindparam("project"))
    )
    values: dict[str, object] = {"project": project_rowid, "fetch": fetch}
    for condition, key, value in (
        (kind.target_id == any_(_texts("targets")), "targets", search.target_ids),
        (table.c.identifier == any_(_texts("identifiers")), "identifiers", search.identifiers),
        (table.c.name == any_(_texts("include")), "include", search.include_names),
        (table.c.name != all_(_texts("exclude")), "exclude", search.exclude_names),
    ):
        if value:
            statement = statement.where(condition)
            values[key] = list(value)
    if start is not None:
        statement = statement.where(table.c.id <= bindparam("start"))
        values["start"] = start
    statement = statement.order_by(table.c.id.desc()).limit(bindparam("fetch"))
    result = await connection.execute(statement, values)
    return [ProjectAnnotationRow(*row) for row in result]


async def has_project_targets(
    connection: AsyncConnection,
    kind: ProjectAnnotations,
    project_rowid: int,
    target_ids: Sequence[str],
) -> bool:
    """Whether any of ``target_ids`` (client ids) is a target of ``kind`` in the project."""
    statement: Select[Any] = (
        select(literal_column("1"))
        .select_from(kind.target)
        .where(kind.project == bindparam("project"), kind.target_id == any_(_texts("targets")))
        .limit(literal_column("1"))
    )
    result = await connection.execute(
        statement, {"project": project_rowid, "targets": list(target_ids)}
    )
    return result.first() is not None


@dataclass(frozen=True)
class AnnotationDeletion:
    """What a delete narrows to; every given field must match (``created_at`` in
    ``[start, end)``)."""

    name: str | None = None
    identifier: str | None = None
    annotator_kind: str | None = None
    start: datetime | None = None
    end: datetime | None = None


async def delete_project_annotations(
    connection: AsyncConnection,
    kind: ProjectAnnotations,
    project_rowid: int,
    deletion: AnnotationDeletion,
) -> int:
    """Delete a project's annotations of ``kind`` that match ``deletion``; return how many."""
    table = kind.table
    statement: Delete = delete(table).where(kind.project == bindparam("project"), kind.joined)
    values: dict[str, object] = {"project": project_rowid}
    for condition, key, value in (
        (table.c.name == bindparam("name"), "name", deletion.name),
        (table.c.identifier == bindparam("identifier"), "identifier", deletion.identifier),
        (table.c.annotator_kind == bindparam("kind"), "kind", deletion.annotator_kind),
        (table.c.created_at >= bindparam("start"), "start", deletion.start),
        (table.c.created_at < bindparam("end"), "end", deletion.end),
    ):
        if value is not None:
            statement = statement.where(condition)
            values[key] = value
    result = await connection.execute(statement, values)
    return result.rowcount
