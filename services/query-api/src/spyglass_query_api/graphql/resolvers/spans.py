"""``Span`` (a span's fields, its body read on demand) and a project's span list."""

from __future__ import annotations

from typing import Any, cast

from ariadne import ObjectType

from spyglass_query_api.graphql import loaders
from spyglass_query_api.graphql.arguments import TimeRange, Window, connection, span_filter
from spyglass_query_api.graphql.context import Info, RequestContext, request_context
from spyglass_query_api.graphql.resolvers.annotations import summaries
from spyglass_query_api.queries.annotations import AnnotationNode
from spyglass_query_api.queries.ids import global_id
from spyglass_query_api.queries.sessions import io_value
from spyglass_query_api.queries.spans import (
    PREVIEW_LENGTH,
    SpanBody,
    SpanNode,
    SpanSortColumn,
    list_span_nodes,
)
from spyglass_query_api.queries.traces import TraceNode

span = ObjectType("Span")
span_event = ObjectType("SpanEvent")
document = ObjectType("Document")


async def list_spans(
    context: RequestContext,
    project_rowid: int,
    period: TimeRange,
    expression: str | None,
    page: Window,
    *,
    roots_only: bool,
) -> dict[str, Any]:
    """A page of a project's spans that start in ``period`` and match ``expression``."""
    rows = await context.read(
        list_span_nodes,
        project_rowid,
        span_filter(expression),
        page.keyset,
        sort=cast(SpanSortColumn, page.sort.column),  # the schema's enum
        start=period.start,
        end=period.end,
        roots_only=roots_only,
    )
    return connection(rows, page, lambda row: row.node, lambda row: row.value)


async def _body(node: SpanNode, info: Info) -> SpanBody:
    body = await loaders.span_bodies(request_context(info)).load(node.id)
    return body if body is not None else SpanBody({}, [])


def _text(attributes: dict[str, Any], key: str, field: str) -> Any:
    value = attributes.get(key)
    return value.get(field) if isinstance(value, dict) else None


@span.field("id")
def resolve_id(node: SpanNode, _: Any) -> str:
    """The span's GlobalID."""
    return global_id("Span", node.id)


@span.field("latencyMs")
def resolve_latency(node: SpanNode, _: Any) -> float:
    """Milliseconds from start to end."""
    return (node.end_time - node.start_time).total_seconds() * 1000


@span.field("tokenCountPrompt")
def resolve_tokens_prompt(node: SpanNode, _: Any) -> int | None:
    """The span's own prompt tokens (LLM spans only)."""
    return node.llm_token_count_prompt


@span.field("tokenCountCompletion")
def resolve_tokens_completion(node: SpanNode, _: Any) -> int | None:
    """The span's own completion tokens (LLM spans only)."""
    return node.llm_token_count_completion


@span.field("tokenCountTotal")
def resolve_tokens_total(node: SpanNode, _: Any) -> int | None:
    """The span's own tokens; null if it counts none."""
    counts = (node.llm_token_count_prompt, node.llm_token_count_completion)
    if counts == (None, None):
        return None
    return sum(count or 0 for count in counts)


@span.field("cumulativeTokenCountPrompt")
def resolve_cumulative_prompt(node: SpanNode, _: Any) -> int:
    """Prompt tokens of the span and its descendants."""
    return node.cumulative_llm_token_count_prompt


@span.field("cumulativeTokenCountCompletion")
def resolve_cumulative_completion(node: SpanNode, _: Any) -> int:
    """Completion tokens of the span and its descendants."""
    return node.cumulative_llm_token_count_completion


@span.field("cumulativeTokenCountTotal")
def resolve_cumulative_total(node: SpanNode, _: Any) -> int:
    """Tokens of the span and its descendants."""
    return node.cumulative_llm_token_count_prompt + node.cumulative_llm_token_count_completion


@span.field("costPrompt")
def resolve_cost_prompt(node: SpanNode, _: Any) -> float | None:
    """USD of the prompt tokens."""
    return node.llm_cost_prompt


@span.field("costCompletion")
def resolve_cost_completion(node: SpanNode, _: Any) -> float | None:
    """USD of the completion tokens."""
    return node.llm_cost_completion


@span.field("costTotal")
def resolve_cost_total(node: SpanNode, _: Any) -> float | None:
    """USD of the span's tokens."""
    return node.llm_cost_total


@span.field("inputPreview")
async def resolve_input_preview(node: SpanNode, info: Info) -> str | None:
    """The start of ``input.value``: read with the span in lists, else from its body."""
    if node.previews:
        return node.input_preview
    value = _text((await _body(node, info)).attributes, "input", "value")
    return None if value is None else str(value)[:PREVIEW_LENGTH]


@span.field("outputPreview")
async def resolve_output_preview(node: SpanNode, info: Info) -> str | None:
    """The start of ``output.value``: read with the span in lists, else from its body."""
    if node.previews:
        return node.output_preview
    value = _text((await _body(node, info)).attributes, "output", "value")
    return None if value is None else str(value)[:PREVIEW_LENGTH]


@span.field("input")
async def resolve_input(node: SpanNode, info: Info) -> dict[str, Any] | None:
    """``input.value`` whole, with ``input.mime_type``."""
    attributes = (await _body(node, info)).attributes
    value = _text(attributes, "input", "value")
    return io_value(None if value is None else str(value), _text(attributes, "input", "mime_type"))


@span.field("output")
async def resolve_output(node: SpanNode, info: Info) -> dict[str, Any] | None:
    """``output.value`` whole, with ``output.mime_type``."""
    attributes = (await _body(node, info)).attributes
    value = _text(attributes, "output", "value")
    return io_value(None if value is None else str(value), _text(attributes, "output", "mime_type"))


@span.field("attributes")
async def resolve_attributes(node: SpanNode, info: Info) -> dict[str, Any]:
    """The attributes, nested."""
    return (await _body(node, info)).attributes


@span.field("events")
async def resolve_events(node: SpanNode, info: Info) -> list[dict[str, Any]]:
    """The span's events (exceptions among them)."""
    return (await _body(node, info)).events


@span_event.field("attributes")
def resolve_event_attributes(event: dict[str, Any], _: Any) -> dict[str, Any]:
    """The event's attributes ({} when it has none)."""
    return event.get("attributes") or {}


@span.field("documents")
async def resolve_documents(node: SpanNode, info: Info) -> list[dict[str, Any]]:
    """Retrieved documents (``retrieval.documents``), else reranked ones."""
    attributes = (await _body(node, info)).attributes
    documents = _text(attributes, "retrieval", "documents")
    if not isinstance(documents, list):
        documents = _text(attributes, "reranker", "output_documents")
    result = []
    for position, item in enumerate(documents if isinstance(documents, list) else []):
        fields = item.get("document", item) if isinstance(item, dict) else {}
        fields = fields if isinstance(fields, dict) else {}
        identifier = fields.get("id")
        result.append(
            {
                "span_rowid": node.id,
                "position": position,
                "document_id": None if identifier is None else str(identifier),
                "content": fields.get("content"),
                "score": fields.get("score"),
                "metadata": fields.get("metadata"),
            }
        )
    return result


@document.field("annotations")
async def resolve_document_annotations(item: dict[str, Any], info: Info) -> list[AnnotationNode]:
    """Annotations of this document (by its position in the span)."""
    found = await loaders.document_annotations(request_context(info)).load(item["span_rowid"])
    return [node for node in found if node.document_position == item["position"]]


@span.field("annotations")
async def resolve_annotations(node: SpanNode, info: Info) -> list[AnnotationNode]:
    """The span's annotations, oldest first."""
    return await loaders.span_annotations(request_context(info)).load(node.id)


@span.field("annotationSummaries")
async def resolve_summaries(node: SpanNode, info: Info) -> list[dict[str, Any]]:
    """The span's annotations summed up by name."""
    return summaries(await loaders.span_annotations(request_context(info)).load(node.id))


@span.field("trace")
async def resolve_trace(node: SpanNode, info: Info) -> TraceNode | None:
    """The span's trace."""
    return await loaders.traces(request_context(info)).load(node.trace_rowid)
