"""Annotations: each target's (GraphQL) and a project's (REST lists and deletes).

Spans, documents (a span's retrieved documents, by position), traces and sessions each have an
annotation table of the same columns (``spyglass_db.models.annotations.AnnotationFields``);
``AnnotationNode`` carries the GraphQL type name of the table it came from.

Upserts are ``spyglass_db.annotations`` (the evaluation worker writes them too).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Delete,
    Select,
    Table,
    Text,
    all_,
    and_,
    any_,
    bindparam,
    delete,
    literal_column,
    select,
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
