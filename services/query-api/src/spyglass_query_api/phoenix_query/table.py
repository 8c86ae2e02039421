"""Data frames as pandas' "table" JSON (the Table Schema format ``DataFrame.to_json(orient=
"table")`` writes and ``pandas.read_json(orient="table")`` reads), written without pandas.

Phoenix's clients expect every index and column name prefixed with its position and ``_``
(``0_context.span_id``) and strip that prefix after reading, so that names may repeat.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

PANDAS_TABLE_VERSION = "1.4.0"
"""The ``pandas_version`` pandas writes into table JSON (unchanged since pandas 1.4)."""


@dataclass(frozen=True)
class Column:
    """One column (or index level) of a frame: its name and one value per row."""

    name: str
    values: Sequence[Any]


@dataclass(frozen=True)
class Frame:
    """A frame: its index levels and its columns, all of the same length."""

    index: Sequence[Column]
    columns: Sequence[Column]


def field_type(values: Sequence[Any]) -> dict[str, str]:
    """The Table Schema type of a column, as pandas would infer it from ``values``: times are
    UTC datetimes; integers with gaps are numbers (pandas reads them as floats); anything
    mixed or structured is ``string`` (an object column)."""
    present = [value for value in values if value is not None]
    complete = len(present) == len(values)
    if not present:
        return {"type": "string"}
    if all(isinstance(value, datetime) for value in present):
        return {"type": "datetime", "tz": "UTC"}
    if all(isinstance(value, bool) for value in present):
        return {"type": "boolean"} if complete else {"type": "string"}
    if any(isinstance(value, bool) for value in present):
        return {"type": "string"}
    if all(isinstance(value, int) for value in present) and complete:
        return {"type": "integer"}
    if all(isinstance(value, int | float) for value in present):
        return {"type": "number"}
    return {"type": "string"}


def table_json(frame: Frame) -> bytes:
    """``frame`` as table JSON, names prefixed with their position."""
    levels = [*frame.index, *frame.columns]
    names = [f"{position}_{column.name}" for position, column in enumerate(levels)]
    fields = [
        {"name": name, **field_type(column.values)}
        for name, column in zip(names, levels, strict=True)
    ]
    rows = len(levels[0].values) if levels else 0
    data = [
        {name: column.values[row] for name, column in zip(names, levels, strict=True)}
        for row in range(rows)
    ]
    schema: dict[str, Any] = {"fields": fields, "pandas_version": PANDAS_TABLE_VERSION}
    if frame.index:
        schema["primaryKey"] = names[: len(frame.index)]
    return orjson.dumps({"schema": schema, "data": data}, option=orjson.OPT_UTC_Z)
