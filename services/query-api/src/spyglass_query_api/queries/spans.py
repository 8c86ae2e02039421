"""Span rows as lists and trees show them: ``SpanNode``, and the Core columns it is read with.

A span is read in two parts: ``SpanNode`` (what lists and the trace tree show: ids, names,
times, status, tokens, cost, and in lists a preview of input and output) and its body
(attributes and events), read only when asked for, since attributes are most of a span's bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, true

from spyglass_query_api.queries.tables import SPANS, TRACES

PREVIEW_LENGTH = 200


@dataclass(frozen=True)
class SpanNode:
    """A span without its body; ``previews`` is False when the previews were not read."""

    id: int
    span_id: str
    trace_id: str
    parent_id: str | None
    name: str
    span_kind: str
    start_time: datetime
    end_time: datetime
    status_code: str
    status_message: str
    cumulative_error_count: int
    llm_token_count_prompt: int | None
    llm_token_count_completion: int | None
    cumulative_llm_token_count_prompt: int
    cumulative_llm_token_count_completion: int
    llm_cost_prompt: float | None
    llm_cost_completion: float | None
    llm_cost_total: float | None
    trace_rowid: int
    project_rowid: int
    input_preview: str | None = None
    output_preview: str | None = None
    previews: bool = False


def _preview(key: str) -> ColumnElement[str]:
    """The first ``PREVIEW_LENGTH`` characters of ``attributes.<key>.value``."""
    return func.left(SPANS.c.attributes[(key, "value")].astext, PREVIEW_LENGTH)


SPAN_TREE_COLUMNS: tuple[ColumnElement[Any], ...] = (
    SPANS.c.id,
    SPANS.c.span_id,
    TRACES.c.trace_id,
    SPANS.c.parent_id,
    SPANS.c.name,
    SPANS.c.span_kind,
    SPANS.c.start_time,
    SPANS.c.end_time,
    SPANS.c.status_code,
    SPANS.c.status_message,
    SPANS.c.cumulative_error_count,
    SPANS.c.llm_token_count_prompt,
    SPANS.c.llm_token_count_completion,
    SPANS.c.cumulative_llm_token_count_prompt,
    SPANS.c.cumulative_llm_token_count_completion,
    SPANS.c.llm_cost_prompt,
    SPANS.c.llm_cost_completion,
    SPANS.c.llm_cost_total,
    SPANS.c.trace_rowid,
    SPANS.c.project_rowid,
)
"""What the trace tree needs (``SPANS`` joined to ``TRACES``): no attributes are read."""

SPAN_LIST_COLUMNS: tuple[ColumnElement[Any], ...] = (
    *SPAN_TREE_COLUMNS,
    _preview("input"),
    _preview("output"),
    true(),
)
"""What span tables need: the tree's columns and previews of input and output."""


def span_node(row: Any) -> SpanNode:
    """A ``SpanNode`` from a row read with ``SPAN_TREE_COLUMNS`` or ``SPAN_LIST_COLUMNS``."""
    return SpanNode(*row[:23])
