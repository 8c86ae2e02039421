"""Phoenix's cursor pagination: rows by ``id`` descending, the cursor names the next page's first.

The server reads ``limit + 1`` rows; if there is an extra one, ``next_cursor`` is its GlobalID
and the next page starts at it (``id <= cursor``). A cursor that is not a GlobalID of the
listed type, or a limit out of range, is a 422 naming the parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

from spyglass_query_api.queries.ids import global_id, rowid_of
from spyglass_query_api.rest.errors import UnprocessableParameterError

Row = TypeVar("Row")


@dataclass(frozen=True)
class PageRequest:
    """Where a page starts (a rowid, or None for the first page) and how long it is."""

    start: int | None
    limit: int

    @property
    def fetch(self) -> int:
        """Rows to read: one more than the page, to learn whether another page follows."""
        return self.limit + 1


def page_request(
    cursor: str | None, limit: int | None, type_name: str, *, default: int, maximum: int
) -> PageRequest:
    """Validate ``cursor`` and ``limit``; a limit over ``maximum`` is capped to it.

    Raises:
        UnprocessableParameterError: the cursor is not a GlobalID of ``type_name``, or the limit
            is not positive.
    """
    if limit is None:
        limit = default
    if limit < 1:
        raise UnprocessableParameterError("limit", f"limit must be at least 1, got {limit}")
    start = None
    if cursor:
        start = rowid_of(cursor, type_name)
        if start is None:
            raise UnprocessableParameterError("cursor", f"Invalid cursor: {cursor!r}")
    return PageRequest(start, min(limit, maximum))


@dataclass(frozen=True)
class Page(Generic[Row]):
    """One page of rows and the cursor of the next one (None on the last page)."""

    rows: Sequence[Row]
    next_cursor: str | None


def page_of(rows: Sequence[Row], request: PageRequest, type_name: str) -> Page[Row]:
    """Cut ``rows`` (read with ``request.fetch``, each with an ``id``) to a page."""
    if len(rows) <= request.limit:
        return Page(rows, None)
    following = rows[request.limit]
    rowid = getattr(following, "id")  # noqa: B009 (rows are typed loosely: dataclasses or Row)
    return Page(rows[: request.limit], global_id(type_name, rowid))


def utc(moment: datetime | None) -> datetime | None:
    """``moment`` with a time zone: a naive one is taken as UTC, as Phoenix takes it."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def time_range(
    start_time: datetime | None, end_time: datetime | None
) -> tuple[datetime | None, datetime | None]:
    """The bounds in UTC.

    Raises:
        UnprocessableParameterError: ``start_time`` is after ``end_time``.
    """
    start, end = utc(start_time), utc(end_time)
    if start is not None and end is not None and start > end:
        raise UnprocessableParameterError(
            "start_time", f"start_time ({start.isoformat()}) is after end_time ({end.isoformat()})"
        )
    return start, end
