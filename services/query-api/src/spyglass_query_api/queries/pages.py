"""Keyset pages: a list ordered by (sort value, row id), read from a position on.

A page reads ``fetch`` rows (one more than it shows, to learn whether another follows) after a
position: the sort value and row id of the previous page's last row, compared as one row value,
so ties in the sort value are broken by the row id and no row is repeated or skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, TextClause, bindparam, text, tuple_
from sqlalchemy.types import BigInteger, TypeEngine

from spyglass_core.storable import MAX_BIGINT

Node = TypeVar("Node")


@dataclass(frozen=True)
class Keyset:
    """A page to read: its order, how many rows, and the position it starts after (if any).

    ``inclusive`` starts at the position instead: REST cursors name the next page's first row.
    """

    descending: bool
    fetch: int
    after_value: Any = None
    after_rowid: int | None = None
    inclusive: bool = False


def keyset_page(
    statement: Select[Any], sort: ColumnElement[Any], rowid: ColumnElement[Any], page: Keyset
) -> tuple[Select[Any], dict[str, object]]:
    """``statement`` narrowed to the page, with the parameters to execute it with."""
    values: dict[str, object] = {"fetch": page.fetch}
    if page.after_rowid is not None:
        position = tuple_(
            bindparam("after_value", type_=sort.type), bindparam("after_rowid", type_=rowid.type)
        )
        keys = tuple_(sort, rowid)
        if page.descending:
            statement = statement.where(keys <= position if page.inclusive else keys < position)
        else:
            statement = statement.where(keys >= position if page.inclusive else keys > position)
        values.update(after_value=page.after_value, after_rowid=page.after_rowid)
    if page.descending:
        statement = statement.order_by(sort.desc(), rowid.desc())
    else:
        statement = statement.order_by(sort.asc(), rowid.asc())
    return statement.limit(bindparam("fetch")), values


@dataclass(frozen=True)
class Sorted(Generic[Node]):
    """A row of a page, its rowid and its value in the page's order (what a cursor holds)."""

    id: int
    node: Node
    value: Any


def keyset_sql(page: Keyset, sort_sql: str, rowid_sql: str) -> tuple[str, dict[str, object]]:
    """``keyset_page``'s position for statements written as SQL text: a condition keeping the
    rows after ``page``'s position (``TRUE`` on a first page) and its parameters."""
    if page.after_rowid is None:
        return "TRUE", {}
    operator = "<" if page.descending else ">"
    if page.inclusive:
        operator += "="
    return (
        f"({sort_sql}, {rowid_sql}) {operator} (:after_value, :after_rowid)",
        {"after_value": page.after_value, "after_rowid": page.after_rowid},
    )


def order_sql(page: Keyset, sort_sql: str, rowid_sql: str) -> str:
    """The ORDER BY clause of ``page``'s order, as SQL text."""
    direction = "DESC" if page.descending else "ASC"
    return f"ORDER BY {sort_sql} {direction}, {rowid_sql} {direction}"


def newest_first(
    select_sql: str, rowid_sql: str, where_sql: str = "TRUE", **parameters: TypeEngine[Any]
) -> TextClause:
    """A REST page's statement (Phoenix's cursor pages): the rows of ``select_sql`` (``SELECT
    ... FROM table AS t``) that meet ``where_sql``, newest first from row id ``:start``
    (inclusive, :func:`page_start`) down, ``:fetch`` of them (NULL: all).

    Args:
        rowid_sql: the row id column (``t.id``).
        parameters: the types of ``where_sql``'s own bind parameters.
    """
    return text(
        f"{select_sql} WHERE ({where_sql}) AND {rowid_sql} <= :start "
        f"ORDER BY {rowid_sql} DESC LIMIT :fetch"
    ).bindparams(
        bindparam("start", type_=BigInteger),
        bindparam("fetch", type_=BigInteger),
        *(bindparam(name, type_=kind) for name, kind in parameters.items()),
    )


def page_start(start: int | None) -> int:
    """The ``:start`` of a :func:`newest_first` page: ``start``, or every row for None."""
    return MAX_BIGINT if start is None else start
