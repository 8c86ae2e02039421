"""Phoenix's SpanQuery: a filter plus what to make of the spans it matches.

A query arrives as ``SpanQuery.to_dict()`` of ``arize-phoenix-client``::

    {"select": {"input": {"key": "input.value"}}, "filter": {"condition": "span_kind == 'LLM'"},
     "explode": {"key": "retrieval.documents", "kwargs": {"reference": "document.content"}},
     "concat": {"key": "retrieval.documents", "separator": "\\n\\n", "kwargs": {...}},
     "rename": {"input": "question"}, "index": {"key": "context.span_id"}}

and becomes a :class:`Frame` of the spans (newest first): without ``select``, ``explode`` and
``concat``, Phoenix's default columns (the span's fields and one ``attributes.<key>`` column per
attribute, keyed as ``phoenix_attributes.semantic_columns`` says); ``explode`` makes one row per
item of a list attribute, indexed by the span and the item's position (``document_position``
for ``retrieval.documents``); ``concat`` joins the items' values into one text per span.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from spyglass_core.errors import InvalidArgumentError
from spyglass_db.filters import compile_span_filter
from spyglass_db.filters.condition import SqlCondition
from spyglass_query_api.phoenix_attributes import dotted_object, semantic_columns
from spyglass_query_api.phoenix_query.table import Column, Frame

SPAN_ID = "context.span_id"
DEFAULT_COLUMNS = (
    "name",
    "span_kind",
    "parent_id",
    "start_time",
    "end_time",
    "status_code",
    "status_message",
    "events",
    SPAN_ID,
    "context.trace_id",
)
"""The span fields of a default frame, before its ``attributes.*`` columns."""

KEY_ALIASES = {
    "span_id": SPAN_ID,
    "trace_id": "context.trace_id",
    "cumulative_token_count.prompt": "cumulative_llm_token_count_prompt",
    "cumulative_token_count.completion": "cumulative_llm_token_count_completion",
    "cumulative_token_count.total": "cumulative_llm_token_count_total",
}
DOCUMENTS = "retrieval.documents"

Record = Mapping[str, Any]
"""One span: its fields by name (``context.span_id``, ``latency_ms``...) and ``attributes``."""


@dataclass(frozen=True)
class ListProjection:
    """An ``explode`` or ``concat``: the list attribute, and output name -> key in each item
    (empty: every flattened key of the items)."""

    key: str
    fields: dict[str, str] = field(default_factory=dict)
    separator: str = "\n\n"


@dataclass(frozen=True)
class SpanQueryPlan:
    """A parsed SpanQuery: its compiled filter and its projections."""

    condition: SqlCondition
    select: dict[str, str] | None
    explode: ListProjection | None
    concat: ListProjection | None
    rename: dict[str, str]
    index: str


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidArgumentError(f"{where} must be a non-empty text; got {value!r}"[:300])
    return value


def _object(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidArgumentError(f"{where} must be an object; got {value!r}"[:300])
    return value


def _key(value: Any, where: str) -> str:
    key = _text(value, where)
    return KEY_ALIASES.get(key, key)


def _list_projection(document: Any, where: str, *, concat: bool) -> ListProjection | None:
    if document is None:
        return None
    body = _object(document, where)
    fields = {
        _text(name, f"{where}.kwargs"): _key(key, f"{where}.kwargs.{name}")
        for name, key in _object(body.get("kwargs"), f"{where}.kwargs").items()
    }
    separator = body.get("separator", "\n\n") if concat else "\n\n"
    if not isinstance(separator, str):
        raise InvalidArgumentError(f"{where}.separator must be a text")
    return ListProjection(_key(body.get("key"), f"{where}.key"), fields, separator)


def parse_span_query(document: Any, number: int) -> SpanQueryPlan:
    """The plan of ``queries[number]``; its filter's parameters are prefixed ``q<number>_``.

    Raises:
        InvalidArgumentError: a malformed query, naming the part at fault.
        FilterExpressionError: its filter is not in the language.
    """
    where = f"queries[{number}]"
    query = _object(document, where)
    select = None
    if query.get("select") is not None:
        select = {
            _text(name, f"{where}.select"): _key(
                _object(projection, f"{where}.select.{name}").get("key"),
                f"{where}.select.{name}.key",
            )
            for name, projection in _object(query["select"], f"{where}.select").items()
        }
    condition_text = _object(query.get("filter"), f"{where}.filter").get("condition") or ""
    if not isinstance(condition_text, str):
        raise InvalidArgumentError(f"{where}.filter.condition must be a text")
    rename = {
        _text(old, f"{where}.rename"): _text(new, f"{where}.rename.{old}")
        for old, new in _object(query.get("rename"), f"{where}.rename").items()
    }
    index = query.get("index")
    return SpanQueryPlan(
        condition=compile_span_filter(condition_text, prefix=f"q{number}_"),
        select=select,
        explode=_list_projection(query.get("explode"), f"{where}.explode", concat=False),
        concat=_list_projection(query.get("concat"), f"{where}.concat", concat=True),
        rename=rename,
        index=_key(_object(index, f"{where}.index").get("key"), f"{where}.index.key")
        if index is not None
        else SPAN_ID,
    )


def lookup(value: Any, key: str) -> Any:
    """The value at dotted ``key`` in nested ``value`` (list items by position), or None."""
    for part in key.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def value_of(record: Record, key: str) -> Any:
    """A span's value for a SpanQuery key: a span field, ``attributes`` itself, or an
    attribute by dotted path (``input.value``, ``attributes.input.value``)."""
    key = KEY_ALIASES.get(key, key)
    if key in record:
        return record[key]
    if key.startswith("attributes."):
        key = key[len("attributes.") :]
    return lookup(record["attributes"], key)


def _columns(rows: Sequence[Mapping[str, Any]], names: Sequence[str]) -> list[Column]:
    return [Column(name, [row.get(name) for row in rows]) for name in names]


def _names(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row))
    return list(seen)


def _items(record: Record, projection: ListProjection) -> list[dict[str, Any]]:
    items = value_of(record, projection.key)
    if not isinstance(items, list):
        return []
    if projection.fields:
        return [
            {name: lookup(item, key) for name, key in projection.fields.items()} for item in items
        ]
    return [dotted_object(item) if isinstance(item, dict) else {} for item in items]


def span_frame(plan: SpanQueryPlan, records: Sequence[Record]) -> Frame:
    """The frame ``plan`` makes of ``records`` (already filtered and ordered)."""
    if plan.select is None and plan.explode is None and plan.concat is None:
        return _default_frame(plan, records)
    selected = plan.select or {}
    index_from_select = plan.index in selected
    rows: list[dict[str, Any]] = []
    index: list[tuple[Any, ...]] = []
    for record in records:
        row = {name: value_of(record, key) for name, key in selected.items()}
        primary = row.pop(plan.index) if index_from_select else value_of(record, plan.index)
        if plan.concat is not None:
            items = _items(record, plan.concat)
            if not items:
                continue
            for name in _names(items):
                texts = [str(item[name]) for item in items if item.get(name) is not None]
                row[name] = plan.concat.separator.join(texts)
        if plan.explode is None:
            rows.append(row)
            index.append((primary,))
            continue
        for position, item in enumerate(_items(record, plan.explode)):
            rows.append({**row, **item})
            index.append((primary, position))
    index_names = [plan.index]
    if plan.explode is not None:
        index_names.append("document_position" if plan.explode.key == DOCUMENTS else "position")
    column_names = [name for name in selected if not (index_from_select and name == plan.index)]
    column_names += [name for name in _names(rows) if name not in column_names]
    return _renamed(
        Frame(
            [Column(name, [key[level] for key in index]) for level, name in enumerate(index_names)],
            _columns(rows, column_names),
        ),
        plan.rename,
    )


def _default_frame(plan: SpanQueryPlan, records: Sequence[Record]) -> Frame:
    rows: list[dict[str, Any]] = []
    for record in records:
        row = {name: record[name] for name in DEFAULT_COLUMNS}
        for key, value in semantic_columns(record["attributes"]).items():
            row[f"attributes.{key}"] = value
        rows.append(row)
    names = list(DEFAULT_COLUMNS) + [name for name in _names(rows) if name not in DEFAULT_COLUMNS]
    index = Column(plan.index, [value_of(record, plan.index) for record in records])
    return _renamed(Frame([index], _columns(rows, names)), plan.rename)


def _renamed(frame: Frame, rename: dict[str, str]) -> Frame:
    if not rename:
        return frame
    return Frame(
        [Column(rename.get(level.name, level.name), level.values) for level in frame.index],
        [Column(rename.get(column.name, column.name), column.values) for column in frame.columns],
    )
