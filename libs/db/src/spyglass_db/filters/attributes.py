"""SQL over the nested ``spans.attributes`` document: typed reads and indexed containment.

An attribute can hold any JSON type, and one key can hold different types on different spans.
Reads are therefore typed: the text of an attribute is NULL unless it is a JSON string, its
number is NULL unless it is a JSON number, and so on, so that comparing a number never raises
on a span where the attribute is text, and a span where it is missing simply doesn't match.

Equality with a value is written as JSON containment, which is type-correct by itself and, on
paths that ``span_filter_attributes`` keeps, uses its GIN index (migration 0004).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from spyglass_db.models.tracing import covered_by_filter_index

JSON_TYPES = {"text": "string", "number": "number", "boolean": "boolean"}
"""The ``jsonb_typeof`` name of each kind of value an attribute read can produce."""


def attribute_document(path: Sequence[str], value: Any) -> str:
    """The JSON document that holds ``value`` at ``path`` and nothing else, as text."""
    document: Any = value
    for part in reversed(path):
        document = {part: document}
    return orjson.dumps(document).decode()


def containment_usable(path: Sequence[str]) -> bool:
    """Whether an equality at ``path`` may be written as containment: not through array
    positions (``messages.0.role``), whose containment document would need arrays."""
    return bool(path) and not any(part.lstrip("-").isdigit() for part in path)


def attribute_containment(
    span: str, path: Sequence[str], parameter: str, *, any_of: bool = False
) -> str:
    """SQL testing that the attributes of ``span`` contain the document bound to ``parameter``
    (:func:`attribute_document` of ``path``), or, with ``any_of``, one of the documents in the
    array bound to it. Uses the filter index when ``path`` is covered by it."""
    column = (
        f"span_filter_attributes({span}.attributes)"
        if covered_by_filter_index(tuple(path))
        else f"{span}.attributes"
    )
    if any_of:
        return f"{column} @> ANY(CAST(:{parameter} AS jsonb[]))"
    return f"{column} @> CAST(:{parameter} AS jsonb)"


def attribute_value(span: str, parameter: str) -> str:
    """SQL of the JSON value at the path (a ``text[]``) bound to ``parameter``; NULL if absent."""
    return f"({span}.attributes #> CAST(:{parameter} AS text[]))"


def typed_read(json_sql: str, kind: str) -> str:
    """SQL reading the JSON value ``json_sql`` as ``kind`` (text, number or boolean): NULL
    when the value is missing or of another JSON type."""
    json_type = JSON_TYPES[kind]
    if kind == "text":
        value = f"{json_sql} #>> '{{}}'"
    elif kind == "number":
        value = f"CAST({json_sql} AS double precision)"
    else:
        value = f"CAST({json_sql} AS boolean)"
    return f"(CASE WHEN jsonb_typeof({json_sql}) = '{json_type}' THEN {value} END)"
