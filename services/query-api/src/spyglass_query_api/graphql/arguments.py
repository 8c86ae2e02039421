"""Reading arguments: time ranges, sorts, and cursor pages (``first`` / ``after``).

Pages are keyset pages: rows are ordered by a sort value and then by row id, and a cursor is the
(sort column, value, row id) of the last row shown, base64-encoded JSON. The next page is the
rows after it in that order, so pages stay right while new rows arrive. A cursor made under
another sort, or one that isn't ours, is an error naming ``after``.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import orjson

from spyglass_core.storable import MAX_BIGINT, has_nul
from spyglass_db.filters import FilterExpressionError, SqlCondition, compile_span_filter
from spyglass_query_api.graphql.errors import ArgumentError, FilterArgumentError
from spyglass_query_api.queries.pages import Keyset

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000

Node = TypeVar("Node")
SortValue = datetime | float | int | str

TEXT_SORT_COLUMNS = frozenset({"name"})
"""Sort columns whose values are text (a cursor holds the text itself)."""


@dataclass(frozen=True)
class TimeRange:
    """``start`` included, ``end`` excluded; None leaves that side open."""

    start: datetime | None
    end: datetime | None


def time_range(value: dict[str, Any] | None, argument: str = "timeRange") -> TimeRange:
    """The ``TimeRange`` input, checked.

    Raises:
        ArgumentError: it ends before it starts.
    """
    start = (value or {}).get("start")
    end = (value or {}).get("end")
    if start is not None and end is not None and end < start:
        raise ArgumentError(
            argument,
            f"{argument}.end ({end.isoformat()}) is before {argument}.start ({start.isoformat()})",
        )
    return TimeRange(start, end)


@dataclass(frozen=True)
class Sort:
    """A sort column (a ``SpanSortColumn`` value, or ``id``) and its direction."""

    column: str
    descending: bool


def sort_of(value: dict[str, Any] | None) -> Sort:
    """The ``SpanSort`` input; newest first when omitted."""
    if value is None:
        return Sort("startTime", descending=True)
    return Sort(value["column"], descending=(value.get("direction") or "DESC") == "DESC")


@dataclass(frozen=True)
class Position:
    """Where a page starts: after the row with this sort value and row id."""

    value: SortValue
    rowid: int


@dataclass(frozen=True)
class Window:
    """A page to read: its size and, after the first page, the position it starts after."""

    first: int
    after: Position | None
    sort: Sort

    @property
    def fetch(self) -> int:
        """Rows to read: one more than the page, to learn whether another page follows."""
        return self.first + 1

    @property
    def keyset(self) -> Keyset:
        """The page as the query layer reads it."""
        if self.after is None:
            return Keyset(self.sort.descending, self.fetch)
        return Keyset(self.sort.descending, self.fetch, self.after.value, self.after.rowid)


def encode_cursor(sort: Sort, value: SortValue, rowid: int) -> str:
    """The cursor of a row at ``value`` (its sort value) and ``rowid``."""
    shown = value.isoformat() if isinstance(value, datetime) else value
    return base64.b64encode(orjson.dumps([sort.column, shown, rowid])).decode()


def decode_cursor(cursor: str, sort: Sort, argument: str = "after") -> Position:
    """The position a cursor names.

    Raises:
        ArgumentError: not a cursor of ours (a row id outside ``bigint`` or a sort value that
            is not a finite number is not), or one made under another sort column.
    """
    try:
        column, value, rowid = orjson.loads(base64.b64decode(cursor, validate=True))
    except (binascii.Error, ValueError, TypeError, orjson.JSONDecodeError):
        raise ArgumentError(argument, f"Invalid cursor: {cursor!r}") from None
    if column != sort.column:
        raise ArgumentError(
            argument, f"The cursor was made for sorting by {column!r}, not by {sort.column!r}"
        )
    if not _is_bigint(rowid):
        raise ArgumentError(argument, f"Invalid cursor: {cursor!r}")
    if sort.column in TEXT_SORT_COLUMNS:
        if not isinstance(value, str) or has_nul(value):
            raise ArgumentError(argument, f"Invalid cursor: {cursor!r}")
        return Position(value, rowid)
    if sort.column in ("startTime", "createdAt"):
        try:
            return Position(datetime.fromisoformat(value), rowid)
        except (TypeError, ValueError):
            raise ArgumentError(argument, f"Invalid cursor: {cursor!r}") from None
    if not (_is_bigint(value) or (isinstance(value, float) and math.isfinite(value))):
        raise ArgumentError(argument, f"Invalid cursor: {cursor!r}")
    return Position(value, rowid)


def _is_bigint(value: object) -> bool:
    """Whether ``value`` is an integer PostgreSQL's ``bigint`` holds (a cursor's row id, say)."""
    return (
        isinstance(value, int)
        and not isinstance(value, bool)
        and -MAX_BIGINT - 1 <= value <= MAX_BIGINT
    )


def window(first: int | None, after: str | None, sort: Sort) -> Window:
    """The page ``first`` and ``after`` ask for; ``first`` over ``MAX_PAGE_SIZE`` is capped.

    Raises:
        ArgumentError: ``first`` is negative, or ``after`` is not a cursor of this sort.
    """
    if first is None:
        first = DEFAULT_PAGE_SIZE
    if first < 0:
        raise ArgumentError("first", f"first must not be negative, got {first}")
    position = decode_cursor(after, sort) if after else None
    return Window(min(first, MAX_PAGE_SIZE), position, sort)


def connection(
    rows: Sequence[Any],
    page: Window,
    node: Callable[[Any], Node],
    sort_value: Callable[[Any], SortValue],
) -> dict[str, Any]:
    """A Relay connection of ``rows`` (read with ``page.fetch``)."""
    shown = rows[: page.first]
    edges = [
        {"node": node(row), "cursor": encode_cursor(page.sort, sort_value(row), row.id)}
        for row in shown
    ]
    return {
        "edges": edges,
        "page_info": {
            "has_next_page": len(rows) > page.first,
            "end_cursor": edges[-1]["cursor"] if edges else None,
        },
    }


def exactly_one(**identifiers: str | None) -> tuple[str, str]:
    """The one identifier argument given, as (name, value).

    Raises:
        ArgumentError: none or more than one of them was given.
    """
    given = [(name, value) for name, value in identifiers.items() if value is not None]
    if len(given) != 1:
        names = " or ".join(identifiers)
        raise ArgumentError(names, f"Give exactly one of {names}")
    return given[0]


def span_filter(expression: str | None, argument: str = "filter") -> SqlCondition:
    """The SQL condition of a span filter expression over the spans row ``s``.

    Raises:
        FilterArgumentError: the expression is not in the filter language.
    """
    if expression is None or not expression.strip():
        return SqlCondition("TRUE")
    try:
        return compile_span_filter(expression, span="s", prefix="filter_")
    except FilterExpressionError as error:
        raise FilterArgumentError(argument, error) from None
