"""``POST /v1/{span,trace,session,document}_annotations``: upsert annotations, now or eventually.

Each annotation is upserted on (name, target, identifier). With ``?sync=true`` the write is
immediate and the answer lists the annotations' GlobalIDs; a target that isn't stored is a 404
and nothing is written. With ``sync=false`` (Phoenix's default, and what its client sends) the
answer is ``{"data": []}``: what resolves now is stored, and what names a span, trace or
session not ingested yet is parked in the database until it arrives (see
:mod:`spyglass_query_api.annotations.pending`). The name ``note`` belongs to the notes
endpoints (400).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from litestar import Controller, post
from litestar.params import FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK
from pydantic import BaseModel, Field, field_validator
from sqlalchemy.ext.asyncio import AsyncConnection

from spyglass_core.errors import InvalidArgumentError, NotFoundError
from spyglass_core.logging import get_logger
from spyglass_core.storable import MAX_INTEGER
from spyglass_db.annotations import (
    AnnotationWrite,
    Outcome,
    TargetKind,
    annotation_type_name,
    upsert_annotations,
)
from spyglass_query_api.annotations.pending import ANNOTATIONS_DROPPED, park_annotations
from spyglass_query_api.dependencies import Db
from spyglass_query_api.queries.ids import global_id
from spyglass_query_api.rest.fields import Identifier, Name

log = get_logger(__name__)

NOTE_NAME = "note"
"""The annotation name reserved for notes (``POST /v1/*_notes``)."""


class AnnotationResult(BaseModel):
    label: str | None = Field(default=None, description="The label assigned by the annotation")
    score: float | None = Field(
        default=None, allow_inf_nan=False, description="The score assigned by the annotation"
    )
    explanation: str | None = Field(
        default=None, description="Explanation of the annotation result"
    )


class AnnotationData(BaseModel):
    name: Name = Field(description="The name of the annotation")
    annotator_kind: Literal["LLM", "CODE", "HUMAN"] = Field(
        description="The kind of annotator used for the annotation"
    )
    result: AnnotationResult | None = Field(default=None, description="The annotation's result")
    metadata: dict[str, Any] | None = Field(default=None, description="Metadata of the annotation")
    identifier: Identifier = Field(
        default="",
        description="The identifier of the annotation. "
        "If provided, the annotation will be updated if it already exists.",
    )

    def write(self, target_id: str, document_position: int | None = None) -> AnnotationWrite:
        """The annotation as the store takes it."""
        result = self.result or AnnotationResult()
        return AnnotationWrite(
            target_id=target_id,
            name=self.name,
            annotator_kind=self.annotator_kind,
            label=result.label,
            score=result.score,
            explanation=result.explanation,
            metadata=self.metadata or {},
            identifier=self.identifier,
            document_position=document_position,
        )


class SpanAnnotationData(AnnotationData):
    span_id: str = Field(min_length=1, description="OpenTelemetry Span ID (hex, no 0x prefix)")


class SpanDocumentAnnotationData(SpanAnnotationData):
    document_position: int = Field(
        ge=0, le=MAX_INTEGER, description="0-based index of the retrieved document"
    )

    @field_validator("identifier")
    @classmethod
    def identifier_is_empty(cls, identifier: str) -> str:
        """Phoenix keys document annotations without an identifier; it refuses one."""
        if identifier.strip():
            raise ValueError(f"Non-empty identifier '{identifier}' is not supported")
        return identifier


class TraceAnnotationData(AnnotationData):
    trace_id: str = Field(min_length=1, description="OpenTelemetry Trace ID (hex, no 0x prefix)")


class SessionAnnotationData(AnnotationData):
    session_id: str = Field(min_length=1, description="Session ID")


class AnnotateSpansRequestBody(BaseModel):
    data: list[SpanAnnotationData]


class AnnotateSpanDocumentsRequestBody(BaseModel):
    data: list[SpanDocumentAnnotationData]


class AnnotateTracesRequestBody(BaseModel):
    data: list[TraceAnnotationData] = Field(description="The trace annotations to be upserted")


class AnnotateSessionsRequestBody(BaseModel):
    data: list[SessionAnnotationData]


class InsertedAnnotation(BaseModel):
    id: str = Field(description="The GlobalID of the inserted or updated annotation")


class InsertedAnnotationsBody(BaseModel):
    data: list[InsertedAnnotation]


_MISSING = {
    TargetKind.SPAN: "Spans",
    TargetKind.DOCUMENT: "Spans",
    TargetKind.TRACE: "Traces",
    TargetKind.SESSION: "Sessions",
}


def refuse_note_name(data: Sequence[AnnotationData], notes_path: str, targets: str) -> None:
    """The name ``note`` is reserved for notes.

    Raises:
        InvalidArgumentError: an annotation is named ``note``.
    """
    if any(annotation.name == NOTE_NAME for annotation in data):
        raise InvalidArgumentError(
            f"The name 'note' is reserved for {targets} notes. Use POST {notes_path} instead."
        )


async def write_annotations(
    connection: AsyncConnection, kind: TargetKind, writes: Sequence[AnnotationWrite], sync: bool
) -> InsertedAnnotationsBody:
    """Upsert ``writes``; synchronously all or nothing, else parking what has no target yet.

    Raises:
        NotFoundError: ``sync`` and some target is not stored.
        InvalidArgumentError: ``sync`` and a document position the span doesn't have.
    """
    results = await upsert_annotations(connection, kind, writes)
    outcomes = [(write, result.outcome) for write, result in zip(writes, results, strict=True)]
    missing = [write for write, outcome in outcomes if outcome is Outcome.MISSING_TARGET]
    out_of_range = [
        write for write, outcome in outcomes if outcome is Outcome.DOCUMENT_OUT_OF_RANGE
    ]
    if not sync:
        await park_annotations(connection, kind, missing)
        if out_of_range:
            ANNOTATIONS_DROPPED.labels(kind.value, "document_position_out_of_range").inc(
                len(out_of_range)
            )
            log.warning(
                "annotations_dropped",
                kind=kind.value,
                count=len(out_of_range),
                reason="document_position_out_of_range",
            )
        return InsertedAnnotationsBody(data=[])
    if missing:
        names = ", ".join(dict.fromkeys(write.target_id for write in missing))
        raise NotFoundError(f"{_MISSING[kind]} with IDs {names} do not exist.")
    if out_of_range:
        first = out_of_range[0]
        raise InvalidArgumentError(
            f"Document position {first.document_position} is out of bounds for span "
            f"{first.target_id}"
        )
    type_name = annotation_type_name(kind)
    return InsertedAnnotationsBody(
        data=[
            InsertedAnnotation(id=global_id(type_name, result.rowid))
            for result in results
            if result.rowid is not None
        ]
    )


Sync = FromQuery[bool]


class AnnotationController(Controller):
    path = "/v1"
    tags = ["annotations"]  # noqa: RUF012 (litestar declares it as an instance variable)

    @post("/span_annotations", summary="Create span annotations", status_code=HTTP_200_OK)
    async def annotate_spans(
        self, connection: Db, data: JSONBody[AnnotateSpansRequestBody], sync: Sync = False
    ) -> InsertedAnnotationsBody:
        """Upsert annotations of spans named by their OTel span id."""
        refuse_note_name(data.data, "/v1/span_notes", "trace and span")
        writes = [annotation.write(annotation.span_id) for annotation in data.data]
        return await write_annotations(connection, TargetKind.SPAN, writes, sync)

    @post("/trace_annotations", summary="Create trace annotations", status_code=HTTP_200_OK)
    async def annotate_traces(
        self, connection: Db, data: JSONBody[AnnotateTracesRequestBody], sync: Sync = False
    ) -> InsertedAnnotationsBody:
        """Upsert annotations of traces named by their OTel trace id."""
        refuse_note_name(data.data, "/v1/trace_notes", "trace and span")
        writes = [annotation.write(annotation.trace_id) for annotation in data.data]
        return await write_annotations(connection, TargetKind.TRACE, writes, sync)

    @post("/session_annotations", summary="Create session annotations", status_code=HTTP_200_OK)
    async def annotate_sessions(
        self, connection: Db, data: JSONBody[AnnotateSessionsRequestBody], sync: Sync = False
    ) -> InsertedAnnotationsBody:
        """Upsert annotations of sessions named by their ``session.id``."""
        refuse_note_name(data.data, "/v1/session_notes", "session")
        writes = [annotation.write(annotation.session_id) for annotation in data.data]
        return await write_annotations(connection, TargetKind.SESSION, writes, sync)

    @post(
        "/document_annotations",
        summary="Annotate retrieved documents of spans",
        status_code=HTTP_200_OK,
    )
    async def annotate_span_documents(
        self, connection: Db, data: JSONBody[AnnotateSpanDocumentsRequestBody], sync: Sync = False
    ) -> InsertedAnnotationsBody:
        """Upsert annotations of a span's documents, by span id and document position."""
        refuse_note_name(data.data, "/v1/span_notes", "trace and span")
        writes = [
            annotation.write(annotation.span_id, annotation.document_position)
            for annotation in data.data
        ]
        return await write_annotations(connection, TargetKind.DOCUMENT, writes, sync)
