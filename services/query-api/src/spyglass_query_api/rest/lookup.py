"""Finding the rows that path and body identifiers name (GlobalID or natural key), or 404.

Every endpoint resolves identifiers through these, so that "a GlobalID or a name" means the
same everywhere and an unknown one always answers 404 with the identifier in the message.
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


RowT = TypeVar("RowT")


async def _find(
    connection: AsyncConnection,
    identifier: str,
    type_name: str,
    natural_key: str,
    select: str,
    make: Callable[..., RowT],
) -> RowT | None:
    """The row ``identifier`` names: a GlobalID of ``type_name``, else the ``natural_key``."""
    rowid = rowid_of(identifier, type_name)
    column, value = ("id", rowid) if rowid is not None else (natural_key, identifier)
    result = await connection.execute(
        text(f"{select} WHERE {column} = :value LIMIT 1"), {"value": value}
    )
    row = result.one_or_none()
    return make(*row) if row else None


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
    project = await find_project(connection, identifier)
    if project is None:
        raise NotFoundError(f"Project with identifier {identifier} not found")
    return project


async def find_span(connection: AsyncConnection, identifier: str) -> SpanRow | None:
    """The span ``identifier`` names (its GlobalID or its OTel span id), or None."""
    return await _find(
        connection, identifier, "Span", "span_id",
        "SELECT id, span_id, start_time, trace_rowid, project_rowid FROM spans", SpanRow,
    )  # fmt: skip
