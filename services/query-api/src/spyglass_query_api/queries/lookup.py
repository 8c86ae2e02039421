"""Finding the rows that path and body identifiers name (GlobalID or natural key), or 404.

Every endpoint resolves identifiers through these, so that "a GlobalID or a name" means the
same everywhere and an unknown one always answers 404 with the identifier in the message. A
GlobalID is tried first, then the natural key, so no name is unreachable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, Table, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from spyglass_core.errors import NotFoundError
from spyglass_query_api.queries.ids import rowid_of
from spyglass_query_api.queries.tables import PROJECT_SESSIONS, PROJECTS, SPANS, TRACES


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


@dataclass(frozen=True)
class _Lookup:
    """How to find one entity's row: by rowid (a GlobalID's) or by its natural key."""

    type_name: str
    by_rowid: Select[Any]
    by_natural_key: Select[Any]


def _lookup(type_name: str, table: Table, natural_key: str, columns: tuple[str, ...]) -> _Lookup:
    select_columns = select(*(table.c[name] for name in columns))
    return _Lookup(
        type_name,
        select_columns.where(table.c.id == bindparam("value")).limit(1),
        select_columns.where(table.c[natural_key] == bindparam("value")).limit(1),
    )


_PROJECT = _lookup("Project", PROJECTS, "name", ("id", "name", "description"))
_SPAN = _lookup(
    "Span", SPANS, "span_id", ("id", "span_id", "start_time", "trace_rowid", "project_rowid")
)
_TRACE = _lookup(
    "Trace", TRACES, "trace_id",
    ("id", "trace_id", "project_rowid", "project_session_rowid", "start_time", "end_time"),
)  # fmt: skip
_SESSION = _lookup(
    "ProjectSession", PROJECT_SESSIONS, "session_id",
    ("id", "session_id", "project_id", "start_time", "end_time"),
)  # fmt: skip


async def _find(
    connection: AsyncConnection, identifier: str, lookup: _Lookup, make: Callable[..., RowT]
) -> RowT | None:
    """The row ``identifier`` names: a GlobalID of the lookup's type, else its natural key.

    A value that decodes as a GlobalID but names no row is looked up as a natural key too, so
    that a project named like a GlobalID (``UHJvamVjdDox``) is still found by its name.
    """
    rowid = rowid_of(identifier, lookup.type_name)
    lookups: list[tuple[Select[Any], object]] = [(lookup.by_natural_key, identifier)]
    if rowid is not None:
        lookups.insert(0, (lookup.by_rowid, rowid))
    for statement, value in lookups:
        result = await connection.execute(statement, {"value": value})
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
    return await _find(connection, identifier, _PROJECT, ProjectRow)


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
    return await _find(connection, identifier, _SPAN, SpanRow)


async def get_span(connection: AsyncConnection, identifier: str) -> SpanRow:
    """The span ``identifier`` names.

    Raises:
        NotFoundError: no such span.
    """
    return _required(await find_span(connection, identifier), f"Span not found: {identifier}")


async def find_trace(connection: AsyncConnection, identifier: str) -> TraceRow | None:
    """The trace ``identifier`` names (its GlobalID or its OTel trace id), or None."""
    return await _find(connection, identifier, _TRACE, TraceRow)


async def get_trace(connection: AsyncConnection, identifier: str) -> TraceRow:
    """The trace ``identifier`` names.

    Raises:
        NotFoundError: no such trace.
    """
    return _required(await find_trace(connection, identifier), f"Trace not found: {identifier}")


async def find_session(connection: AsyncConnection, identifier: str) -> SessionRow | None:
    """The session ``identifier`` names (its GlobalID or its ``session.id``), or None."""
    return await _find(connection, identifier, _SESSION, SessionRow)


async def get_session(connection: AsyncConnection, identifier: str) -> SessionRow:
    """The session ``identifier`` names.

    Raises:
        NotFoundError: no such session.
    """
    return _required(await find_session(connection, identifier), f"Session not found: {identifier}")
