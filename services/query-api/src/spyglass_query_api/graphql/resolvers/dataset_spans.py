"""From traces to datasets over GraphQL (Phoenix's names): ``createDataset`` and
``addSpansToDataset``, which the spans table and the trace view call.

Arguments are checked before anything is written, each refusal naming its argument
(``input.spanIds.2``): ids of the wrong kind, a name empty or too long for its unique index,
metadata that is not a storable JSON object, more spans than ``MAX_SPANS``. What only the
database knows (an unknown dataset or span, a taken name) is refused by the query layer, whose
savepoint leaves nothing written.
"""

from __future__ import annotations

from typing import Any

from ariadne import MutationType

from spyglass_core.errors import ConflictError, NotFoundError
from spyglass_query_api.graphql.context import Info, request_context
from spyglass_query_api.graphql.dataset_arguments import (
    dataset_name,
    dataset_payload,
    optional_json_object,
    rowid_argument,
)
from spyglass_query_api.graphql.errors import ArgumentError
from spyglass_query_api.queries import dataset_spans, datasets
from spyglass_query_api.queries.dataset_spans import MAX_SPANS

dataset_span_mutation = MutationType()


def _metadata(value: Any, argument: str) -> dict[str, Any]:
    """``value`` checked as a storable JSON object; None is empty."""
    return optional_json_object(value, argument) or {}


@dataset_span_mutation.field("createDataset")
async def resolve_create_dataset(_: Any, info: Info, input: dict[str, Any]) -> dict[str, Any]:
    """A new dataset with no versions."""
    name = dataset_name(input["name"])
    metadata = _metadata(input.get("metadata"), "input.metadata")
    context = request_context(info)
    dataset_id = await context.read(
        datasets.create_dataset, name, input.get("description") or None, metadata
    )
    if dataset_id is None:
        raise ConflictError(f"A dataset named {name!r} already exists")
    return await dataset_payload(context, dataset_id)


@dataset_span_mutation.field("addSpansToDataset")
async def resolve_add_spans(_: Any, info: Info, input: dict[str, Any]) -> dict[str, Any]:
    """One new version of the dataset with an example per span."""
    dataset_id = rowid_argument(input["dataset_id"], "Dataset", "input.datasetId")
    span_ids = input["span_ids"]
    if not span_ids:
        raise ArgumentError("input.spanIds", "`input.spanIds` must name at least one span")
    if len(span_ids) > MAX_SPANS:
        raise ArgumentError(
            "input.spanIds", f"`input.spanIds` names {len(span_ids)} spans; at most {MAX_SPANS}"
        )
    span_rowids = [
        rowid_argument(span_id, "Span", f"input.spanIds.{index}")
        for index, span_id in enumerate(span_ids)
    ]
    metadata = _metadata(input.get("dataset_version_metadata"), "input.datasetVersionMetadata")
    context = request_context(info)
    added = await context.read(
        dataset_spans.add_spans_to_dataset,
        dataset_id,
        span_rowids=span_rowids,
        description=input.get("dataset_version_description") or None,
        metadata=metadata,
    )
    if added is None:
        raise NotFoundError(f"Unknown dataset: {input['dataset_id']}")
    return await dataset_payload(context, dataset_id)
