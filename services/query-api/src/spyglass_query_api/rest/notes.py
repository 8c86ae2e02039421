"""``POST /v1/{span,trace,session}_notes``: free-text notes, stored as annotations named ``note``.

A note is always ``annotator_kind`` HUMAN and ``source`` API, its text in ``explanation``. Each
call adds a new note (the server stamps ``px-span-note:<uuid>`` and the like as identifier)
unless the caller gives an identifier, which upserts the note with that identifier. The target
must be stored already (404 otherwise): notes are written synchronously, as in Phoenix.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, post
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK
from pydantic import BaseModel, BeforeValidator, Field
from sqlalchemy.ext.asyncio import AsyncConnection

from spyglass_core.errors import NotFoundError
from spyglass_db.annotations import (
    AnnotationWrite,
    Outcome,
    TargetKind,
    annotation_type_name,
    upsert_annotations,
)
from spyglass_query_api.dependencies import Db
from spyglass_query_api.queries.ids import global_id
from spyglass_query_api.rest.annotations import NOTE_NAME, InsertedAnnotation
from spyglass_query_api.rest.fields import Identifier


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


Stripped = Annotated[str, BeforeValidator(_strip), Field(min_length=1)]

_IDENTIFIER_DESCRIPTION = (
    "Optional identifier. When non-empty, the note is upserted on (target, name='note', "
    "identifier); when omitted or empty, the server stamps a unique one so each call appends "
    "a new note."
)


class SpanNoteData(BaseModel):
    span_id: Stripped = Field(description="OpenTelemetry Span ID (hex, no 0x prefix)")
    note: Stripped = Field(description="The note text to add to the span")
    identifier: Identifier = Field(default="", description=_IDENTIFIER_DESCRIPTION)


class TraceNoteData(BaseModel):
    trace_id: Stripped = Field(description="OpenTelemetry Trace ID (hex, no 0x prefix)")
    note: Stripped = Field(description="The note text to add to the trace")
    identifier: Identifier = Field(default="", description=_IDENTIFIER_DESCRIPTION)


class SessionNoteData(BaseModel):
    session_id: Stripped = Field(description="Session ID")
    note: Stripped = Field(description="The note text to add to the session")
    identifier: Identifier = Field(default="", description=_IDENTIFIER_DESCRIPTION)


class CreateSpanNoteRequestBody(BaseModel):
    data: SpanNoteData


class CreateTraceNoteRequestBody(BaseModel):
    data: TraceNoteData


class CreateSessionNoteRequestBody(BaseModel):
    data: SessionNoteData


class CreateNoteResponseBody(BaseModel):
    data: InsertedAnnotation


_PREFIX = {
    TargetKind.SPAN: "px-span-note",
    TargetKind.TRACE: "px-trace-note",
    TargetKind.SESSION: "px-session-note",
}
_NOT_FOUND = {
    TargetKind.SPAN: "Span with ID {} not found",
    TargetKind.TRACE: "Trace with ID {} not found",
    TargetKind.SESSION: "Session with session_id {} not found",
}


def note_identifier(kind: TargetKind, given: str) -> str:
    """The identifier a note is stored under: the caller's, or a new ``px-<kind>-note:<uuid>``."""
    return given or f"{_PREFIX[kind]}:{uuid.uuid4()}"


async def create_note(
    connection: AsyncConnection, kind: TargetKind, target_id: str, note: str, identifier: str
) -> CreateNoteResponseBody:
    """Store a note on the target; answer its GlobalID.

    Raises:
        NotFoundError: the target is not stored.
    """
    write = AnnotationWrite(
        target_id=target_id,
        name=NOTE_NAME,
        annotator_kind="HUMAN",
        explanation=note,
        identifier=note_identifier(kind, identifier),
    )
    [result] = await upsert_annotations(connection, kind, [write])
    if result.outcome is Outcome.MISSING_TARGET or result.rowid is None:
        raise NotFoundError(_NOT_FOUND[kind].format(target_id))
    return CreateNoteResponseBody(
        data=InsertedAnnotation(id=global_id(annotation_type_name(kind), result.rowid))
    )


class NoteController(Controller):
    path = "/v1"
    tags = ["annotations"]  # noqa: RUF012 (litestar declares it as an instance variable)

    @post("/span_notes", summary="Create a span note", status_code=HTTP_200_OK)
    async def create_span_note(
        self, connection: Db, data: JSONBody[CreateSpanNoteRequestBody]
    ) -> CreateNoteResponseBody:
        """Add a note to a span (by OTel span id)."""
        note = data.data
        return await create_note(
            connection, TargetKind.SPAN, note.span_id, note.note, note.identifier
        )

    @post("/trace_notes", summary="Create a trace note", status_code=HTTP_200_OK)
    async def create_trace_note(
        self, connection: Db, data: JSONBody[CreateTraceNoteRequestBody]
    ) -> CreateNoteResponseBody:
        """Add a note to a trace (by OTel trace id)."""
        note = data.data
        return await create_note(
            connection, TargetKind.TRACE, note.trace_id, note.note, note.identifier
        )

    @post("/session_notes", summary="Create a session note", status_code=HTTP_200_OK)
    async def create_session_note(
        self, connection: Db, data: JSONBody[CreateSessionNoteRequestBody]
    ) -> CreateNoteResponseBody:
        """Add a note to a session (by its ``session.id``)."""
        note = data.data
        return await create_note(
            connection, TargetKind.SESSION, note.session_id, note.note, note.identifier
        )
