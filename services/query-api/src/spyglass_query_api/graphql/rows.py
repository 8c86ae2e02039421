"""The rows resolvers pass around, and the columns each is read with.

A span is read in two parts: ``SpanNode`` (what lists and the trace tree show: ids, names,
times, status, tokens, cost, and in lists a preview of input and output) and its body
(attributes and events), which ``loaders.span_bodies`` reads only when a query asks for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

PREVIEW_LENGTH = 200


@dataclass(frozen=True)
class ProjectNode:
    id: int
    name: str
    description: str | None
    gradient_start_color: str
    gradient_end_color: str
    created_at: datetime | None


PROJECT_COLUMNS = (
    "p.id, p.name, p.description, p.gradient_start_color, p.gradient_end_color, p.created_at"
)


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


SPAN_TREE_COLUMNS = (
    "s.id, s.span_id, t.trace_id, s.parent_id, s.name, s.span_kind, s.start_time, s.end_time, "
    "s.status_code, s.status_message, s.cumulative_error_count, s.llm_token_count_prompt, "
    "s.llm_token_count_completion, s.cumulative_llm_token_count_prompt, "
    "s.cumulative_llm_token_count_completion, s.llm_cost_prompt, s.llm_cost_completion, "
    "s.llm_cost_total, s.trace_rowid, s.project_rowid"
)
"""What the trace tree needs: no attributes are read."""

SPAN_LIST_COLUMNS = (
    f"{SPAN_TREE_COLUMNS}, left(s.attributes #>> '{{input,value}}', {PREVIEW_LENGTH}), "
    f"left(s.attributes #>> '{{output,value}}', {PREVIEW_LENGTH}), TRUE"
)
"""What span tables need: the tree's columns and previews of input and output."""


def span_node(row: Any) -> SpanNode:
    """A ``SpanNode`` from a row read with ``SPAN_TREE_COLUMNS`` or ``SPAN_LIST_COLUMNS``."""
    return SpanNode(*row[:23])


@dataclass(frozen=True)
class SpanBody:
    attributes: dict[str, Any]
    events: list[dict[str, Any]]


@dataclass(frozen=True)
class TraceFigures:
    """What a trace's spans add up to (roots carry the cumulative tokens and errors)."""

    span_count: int
    cost_total: float


@dataclass(frozen=True)
class TraceNode:
    """A trace; a list reads its root span and figures with the page (``prefetched``), so
    that its fields resolve without waiting on a loader, one awaitable per field per row."""

    id: int
    trace_id: str
    project_rowid: int
    project_session_rowid: int | None
    start_time: datetime
    end_time: datetime
    root: SpanNode | None = None
    figures: TraceFigures | None = None
    prefetched: bool = False


TRACE_COLUMNS = (
    "t.id, t.trace_id, t.project_rowid, t.project_session_rowid, t.start_time, t.end_time"
)


def trace_node(row: Any) -> TraceNode:
    """A ``TraceNode`` from a row that starts with ``TRACE_COLUMNS``."""
    return TraceNode(*row[:6])


@dataclass(frozen=True)
class SessionNode:
    id: int
    session_id: str
    project_id: int
    start_time: datetime
    end_time: datetime


SESSION_COLUMNS = "ps.id, ps.session_id, ps.project_id, ps.start_time, ps.end_time"


@dataclass(frozen=True)
class SessionFigures:
    trace_count: int
    token_count_total: int
    cost_total: float


@dataclass(frozen=True)
class SessionTurn:
    """One trace of a session with its root span's input and output (value, MIME type)."""

    trace: TraceNode
    input: dict[str, Any] | None
    output: dict[str, Any] | None


@dataclass(frozen=True)
class AnnotationNode:
    id: int
    type_name: str
    target: int
    name: str
    label: str | None
    score: float | None
    explanation: str | None
    annotator_kind: str
    source: str
    identifier: str
    metadata: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    document_position: int | None = None


ANNOTATION_COLUMNS = (
    "name, label, score, explanation, annotator_kind, source, identifier, metadata, "
    "created_at, updated_at"
)


def io_value(value: str | None, mime_type: str | None) -> dict[str, Any] | None:
    """A ``SpanIOValue``, or None without a value."""
    if value is None:
        return None
    return {"value": value, "mime_type": mime_type}
