"""The words of the filter language: span columns, their aliases, and what an operand is."""

from __future__ import annotations

import ast
import difflib
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """The type of an operand, which decides how it compares."""

    TEXT = "text"
    NUMBER = "number"
    TIME = "time"
    BOOLEAN = "boolean"
    JSON = "attribute"
    """An attribute: its JSON type is only known per span, so reads are typed by context."""
    NULL = "None"
    PARENT = "parent_span"


@dataclass(frozen=True)
class SpanColumn:
    """A named value of a span. ``template`` is SQL with ``{span}`` (the spans alias) and
    ``{alias}`` (a fresh alias for a subquery's table)."""

    kind: Kind
    template: str
    integer: bool = False
    """Integer SQL: arithmetic on it is done in double precision, so it can't overflow."""
    upper: bool = False
    """Compared case-insensitively: text values are upper-cased before comparing."""


_LLM_COUNT_SUM = (
    "(CASE WHEN {span}.llm_token_count_prompt IS NULL AND {span}.llm_token_count_completion "
    "IS NULL THEN NULL ELSE COALESCE({span}.llm_token_count_prompt, 0) + "
    "COALESCE({span}.llm_token_count_completion, 0) END)"
)

SPAN_COLUMNS: dict[str, SpanColumn] = {
    "span_id": SpanColumn(Kind.TEXT, "{span}.span_id"),
    "trace_id": SpanColumn(
        Kind.TEXT,
        "(SELECT {alias}.trace_id FROM traces {alias} WHERE {alias}.id = {span}.trace_rowid)",
    ),
    "parent_id": SpanColumn(Kind.TEXT, "{span}.parent_id"),
    "span_kind": SpanColumn(Kind.TEXT, "upper({span}.span_kind)", upper=True),
    "name": SpanColumn(Kind.TEXT, "{span}.name"),
    "status_code": SpanColumn(Kind.TEXT, "{span}.status_code", upper=True),
    "status_message": SpanColumn(Kind.TEXT, "{span}.status_message"),
    "latency_ms": SpanColumn(
        Kind.NUMBER,
        "(CAST(EXTRACT(EPOCH FROM ({span}.end_time - {span}.start_time)) AS double precision)"
        " * 1000)",
    ),
    "cumulative_llm_token_count_prompt": SpanColumn(
        Kind.NUMBER, "{span}.cumulative_llm_token_count_prompt", integer=True
    ),
    "cumulative_llm_token_count_completion": SpanColumn(
        Kind.NUMBER, "{span}.cumulative_llm_token_count_completion", integer=True
    ),
    "cumulative_llm_token_count_total": SpanColumn(
        Kind.NUMBER,
        "(CAST({span}.cumulative_llm_token_count_prompt AS bigint)"
        " + {span}.cumulative_llm_token_count_completion)",
        integer=True,
    ),
    "llm_token_count_prompt": SpanColumn(
        Kind.NUMBER, "{span}.llm_token_count_prompt", integer=True
    ),
    "llm_token_count_completion": SpanColumn(
        Kind.NUMBER, "{span}.llm_token_count_completion", integer=True
    ),
    "llm_token_count_total": SpanColumn(Kind.NUMBER, _LLM_COUNT_SUM, integer=True),
    "start_time": SpanColumn(Kind.TIME, "{span}.start_time"),
    "end_time": SpanColumn(Kind.TIME, "{span}.end_time"),
}

DOTTED_ALIASES: dict[str, str] = {
    "context.span_id": "span_id",
    "context.trace_id": "trace_id",
    "cumulative_token_count.prompt": "cumulative_llm_token_count_prompt",
    "cumulative_token_count.completion": "cumulative_llm_token_count_completion",
    "cumulative_token_count.total": "cumulative_llm_token_count_total",
}
"""Older spellings Phoenix still accepts."""

ANNOTATION_TABLES: dict[str, tuple[str, str]] = {
    "annotations": ("span_annotations", "span_rowid = {span}.id"),
    "evals": ("span_annotations", "span_rowid = {span}.id"),
    "trace_annotations": ("trace_annotations", "trace_rowid = {span}.trace_rowid"),
}
"""Subscriptable names of annotations: the table, and how a row of it belongs to the span."""

ANNOTATION_FIELDS: dict[str, Kind] = {
    "label": Kind.TEXT,
    "score": Kind.NUMBER,
    "explanation": Kind.TEXT,
}

ROOT_NAMES = ("parent_span",)
ATTRIBUTE_ROOTS = ("attributes", "metadata")
"""Names that reach attributes by subscript: ``attributes['llm.model_name']``,
``metadata['tier']`` (the ``metadata`` attribute)."""

KNOWN_NAMES = (
    *SPAN_COLUMNS,
    *DOTTED_ALIASES,
    *ANNOTATION_TABLES,
    *ROOT_NAMES,
    *ATTRIBUTE_ROOTS,
)


def suggestion(word: str, choices: tuple[str, ...] = KNOWN_NAMES) -> str:
    """``"; did you mean 'x'?"`` for the closest of ``choices``, or nothing."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.75)
    return f"; did you mean {close[0]!r}?" if close else ""


@dataclass(frozen=True)
class Operand:
    """A compiled value: its SQL (or, for a literal, its Python value) and its kind."""

    kind: Kind
    node: ast.AST
    label: str
    """How an error names it: ``span_kind``, ``llm.token_count.total``, ``'abc'``."""
    sql: str = ""
    constant: bool = False
    value: object = None
    path: tuple[str, ...] = ()
    """For attributes: the path in the nested document."""
    integer: bool = False
    upper: bool = False
    trace_id: bool = False

    def describe(self) -> str:
        """``text (span_kind)``, ``the number 3``: how an error about types names it."""
        if self.constant:
            return "None" if self.kind is Kind.NULL else f"the {self.kind.value} {self.label}"
        return f"{self.kind.value} {self.label}"
