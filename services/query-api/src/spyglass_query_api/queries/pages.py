"""Keyset pages: a list ordered by (sort value, row id), read from a position on.

A page reads ``fetch`` rows (one more than it shows, to learn whether another follows) after a
position: the sort value and row id of the previous page's last row, compared as one row value,
so ties in the sort value are broken by the row id and no row is repeated or skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, tuple_


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
