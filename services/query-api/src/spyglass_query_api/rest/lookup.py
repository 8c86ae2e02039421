"""Finding the rows that path and body identifiers name (GlobalID or natural key), or 404.

Every endpoint resolves identifiers through these, so that "a GlobalID or a name" means the
same everywhere and an unknown one always answers 404 with the identifier in the message. A
GlobalID is tried first, then the natural key, so no name is unreachable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

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
class SpanRow:
    id: int
    span_id: str
    start_time: datetime
    trace_rowid: int
    project_rowid: int


@dataclass(frozen=True)
class TraceRow:
    id: int
    trace_id: str
    project_rowid: int
    project_session_rowid: int | None
    start_time: datetime
    end_time: datetime


@dataclass(frozen=True)
class SessionRow:
    id: int
    session_id: str
    project_id: int
    start_time: datetime
    end_time: datetime


RowT = TypeVar("RowT")


async def _find(
    connection: AsyncConnection,
    identifier: str,
    type_name: str,
    natural_key: str,
    select: str,
    make: Callable[..., RowT],
) -> RowT | None:
    """The row ``identifier`` names: a GlobalID of ``type_name``, else the ``natural_key``.

    A value that decodes as a GlobalID but names no row is looked up as a natural key too, so
    that a project named like a GlobalID (``UHJvamVjdDox``) is still found by its name.
    """
    rowid = rowid_of(identifier, type_name)
    lookups: list[tuple[str, object]] = [(natural_key, identifier)]
    if rowid is not None:
        lookups.insert(0, ("id", rowid))
    for column, value in lookups:
        result = await connection.execute(
            text(f"{select} WHERE {column} = :value LIMIT 1"), {"value": value}
        )
        row = result.one_or_none()
        if row is not None:
            return make(*row)
    return None


def _required(row: RowT | None, missing: str) -> RowT:
    if row is None:
        raise NotFoundError(missing)
    return row


async def find_project(connection: AsyncConnection, identifier: str) -> ProjectRow | None:
    """The project ``identifier`` names (its GlobalID or its name), or None."""
    return await _find(
        connection, identifier, "Project", "name",
        "SELECT id, name, description FROM projects", ProjectRow,
    )  # fmt: skip


async def get_project(connection: AsyncConnection, identifier: str) -> ProjectRow:
    """The project ``identifier`` names.

    Raises:
        NotFoundError: no such project.
    """
    return _required(
        await find_project(connection, identifier),
        f"Project with identifier {identifier} not found",
    )


async def find_span(connection: AsyncConnection, identifier: str) -> SpanRow | None:
    """The span ``identifier`` names (its GlobalID or its OTel span id), or None."""
    return await _find(
        connection, identifier, "Span", "span_id",
        "SELECT id, span_id, start_time, trace_rowid, project_rowid FROM spans", SpanRow,
    )  # fmt: skip


async def get_span(connection: AsyncConnection, identifier: str) -> SpanRow:
    """The span ``identifier`` names.

    Raises:
        NotFoundError: no such span.
    """
    return _required(await find_span(connection, identifier), f"Span not found: {identifier}")


async def find_trace(connection: AsyncConnection, identifier: str) -> TraceRow | None:
    """The trace ``identifier`` names (its GlobalID or its OTel trace id), or None."""
    return await _find(
        connection, identifier, "Trace", "trace_id",
        "SELECT id, trace_id, project_rowid, project_session_rowid, start_time, end_time "
        "FROM traces", TraceRow,
    )  # fmt: skip


async def get_trace(connection: AsyncConnection, identifier: str) -> TraceRow:
    """The trace ``identifier`` names.

    Raises:
        NotFoundError: no such trace.
    """
    return _required(await find_trace(connection, identifier), f"Trace not found: {identifier}")


async def find_session(connection: AsyncConnection, identifier: str) -> SessionRow | None:
    """The session ``identifier`` names (its GlobalID or its ``session.id``), or None."""
    return await _find(
        connection, identifier, "ProjectSession", "session_id",
        "SELECT id, session_id, project_id, start_time, end_time FROM project_sessions",
        SessionRow,
    )  # fmt: skip


async def get_session(connection: AsyncConnection, identifier: str) -> SessionRow:
    """The session ``identifier`` names.

    Raises:
        NotFoundError: no such session.
    """
    return _required(await find_session(connection, identifier), f"Session not found: {identifier}")
