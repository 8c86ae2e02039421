"""The rows resolvers pass around, and the columns each is read with.

A span is read in two parts: ``SpanNode`` (what lists and the trace tree show: ids, names,
times, status, tokens, cost, and in lists a preview of input and output) and its body
(attributes and events), which ``loaders.span_bodies`` reads only when a query asks for it.
"""

from __future__ import annotations

from spyglass_query_api.queries.projects import ProjectNode as ProjectNode
from spyglass_query_api.queries.spans import PREVIEW_LENGTH

PROJECT_COLUMNS = (
    "p.id, p.name, p.description, p.gradient_start_color, p.gradient_end_color, p.created_at"
)
"""``queries.projects.PROJECT_COLUMNS`` as SQL text over ``p`` (``resolvers/retention.py``)."""

SPAN_TREE_COLUMNS = (
    "s.id, s.span_id, t.trace_id, s.parent_id, s.name, s.span_kind, s.start_time, s.end_time, "
    "s.status_code, s.status_message, s.cumulative_error_count, s.llm_token_count_prompt, "
    "s.llm_token_count_completion, s.cumulative_llm_token_count_prompt, "
    "s.cumulative_llm_token_count_completion, s.llm_cost_prompt, s.llm_cost_completion, "
    "s.llm_cost_total, s.trace_rowid, s.project_rowid"
)
"""``queries.spans.SPAN_TREE_COLUMNS`` as SQL text over ``s`` and ``t``, for the statements
still written as text (the span filter language compiles to text)."""

SPAN_LIST_COLUMNS = (
    f"{SPAN_TREE_COLUMNS}, left(s.attributes #>> '{{input,value}}', {PREVIEW_LENGTH}), "
    f"left(s.attributes #>> '{{output,value}}', {PREVIEW_LENGTH}), TRUE"
)
"""What span tables need: the tree's columns and previews of input and output."""


TRACE_COLUMNS = (
    "t.id, t.trace_id, t.project_rowid, t.project_session_rowid, t.start_time, t.end_time"
)
