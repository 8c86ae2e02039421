"""Finding the rows that path and body identifiers name (GlobalID or natural key), or 404.

Every endpoint resolves identifiers through these, so that "a GlobalID or a name" means the
same everywhere and an unknown one always answers 404 with the identifier in the message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from spyglass_core.errors import NotFoundError
from spyglass_query_api.rest.ids import rowid_of


@dataclass(frozen=True)
class ProjectRow:
    id: int
    name: str
    description: str | None


@dataclass(frozen=True)
class TraceRow:
    id: int
    trace_id: str
    project_rowid: int
    start_time: datetime
    end_time: datetime


@dataclass(frozen=True)
class SpanRow:
    id: int
    span_id: str
    start_time: datetime
    trace_rowid: int
    project_rowid: int


@dataclass(frozen=True)
class SessionRow:
    id: int
    session_id: str
    project_id: int
    start_time: datetime
    end_time: datetime


async def find_project(connection: AsyncConnection, identifier: str) -> ProjectRow | None:
    """The project ``identifier`` names (its GlobalID or its name), or None."""
    rowid = rowid_of(identifier, "Project")
    column, value = ("id", rowid) if rowid is not None else ("name", identifier)
    result = await connection.execute(
        text(f"SELECT id, name, description FROM projects WHERE {column} = :value"),
        {"value": value},
    )
    row = result.one_or_none()
    return ProjectRow(*row) if row else None


async def get_project(connection: AsyncConnection, identifier: str) -> ProjectRow:
    """The project ``identifier`` names.

    Raises:
        NotFoundError: no such project.
    """
    project = await find_project(connection, identifier)
    if project is None:
        raise NotFoundError(f"Project with identifier {identifier} not found")
    return project


async def find_trace(connection: AsyncConnection, identifier: str) -> TraceRow | None:
    """The trace ``identifier`` names (its GlobalID or its OTel trace id), or None."""
    rowid = rowid_of(identifier, "Trace")
    column, value = ("id", rowid) if rowid is not None else ("trace_id", identifier)
    result = await connection.execute(
        text(
            "SELECT id, trace_id, project_rowid, start_time, end_time FROM traces "
            f"WHERE {column} = :value"
        ),
        {"value": value},
    )
    row = result.one_or_none()
    return TraceRow(*row) if row else None


async def find_span(connection: AsyncConnection, identifier: str) -> SpanRow | None:
    """The span ``identifier`` names (its GlobalID or its OTel span id), or None."""
    rowid = rowid_of(identifier, "Span")
    column, value = ("id", rowid) if rowid is not None else ("span_id", identifier)
    result = await connection.execute(
        text(
            "SELECT id, span_id, start_time, trace_rowid, project_rowid FROM spans "
            f"WHERE {column} = :value LIMIT 1"
        ),
        {"value": value},
    )
    row = result.one_or_none()
    return SpanRow(*row) if row else None


async def find_session(connection: AsyncConnection, identifier: str) -> SessionRow | None:
    """The session ``identifier`` names (its GlobalID or its ``session.id``), or None."""
    rowid = rowid_of(identifier, "ProjectSession")
    column, value = ("id", rowid) if rowid is not None else ("session_id", identifier)
    result = await connection.execute(
        text(
            "SELECT id, session_id, project_id, start_time, end_time FROM project_sessions "
            f"WHERE {column} = :value"
        ),
        {"value": value},
    )
    row = result.one_or_none()
    return SessionRow(*row) if row else None
