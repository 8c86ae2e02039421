"""Annotations as GraphQL shows them: each target's annotations, oldest first.

Spans, documents (a span's retrieved documents, by position), traces and sessions each have an
annotation table of the same columns (``spyglass_db.models.annotations.AnnotationFields``);
``AnnotationNode`` carries the GraphQL type name of the table it came from.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, any_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from spyglass_db.models import (
    DocumentAnnotation,
    ProjectSessionAnnotation,
    SpanAnnotation,
    TraceAnnotation,
    metadata,
)
from spyglass_query_api.queries.tables import rowids

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
