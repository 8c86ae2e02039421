"""From traces to datasets over GraphQL (Phoenix's names): ``createDataset`` and
``addSpansToDataset``, which the spans table and the trace view call.

Arguments are checked before anything is written, each refusal naming its argument
(``input.spanIds.2``): ids of the wrong kind, a name empty or too long for its unique index,
metadata that is not a storable JSON object, more spans than ``MAX_SPANS``. What only the
database knows (an unknown dataset or span, a taken name) is refused by the query layer, whose
savepoint leaves nothing written.
"""

from __future__ import annotations

import math
from typing import Any

import orjson
from ariadne import MutationType

from spyglass_core.errors import ConflictError, NotFoundError
from spyglass_core.storable import MAX_JSON_DEPTH, MAX_NAME_LENGTH, json_depth_exceeds, walk_json
from spyglass_query_api.graphql.context import Info, RequestContext, request_context
from spyglass_query_api.graphql.errors import ArgumentError
from spyglass_query_api.queries import dataset_pages, dataset_spans, datasets
from spyglass_query_api.queries.dataset_spans import MAX_SPANS
from spyglass_query_api.queries.ids import rowid_of

dataset_span_mutation = MutationType()


def _rowid(value: str, type_name: str, argument: str) -> int:
    rowid = rowid_of(value, type_name)
    if rowid is None:
        raise ArgumentError(argument, f"`{argument}` is not a {type_name} id: {value!r}")
    return rowid


def _metadata(value: Any, argument: str) -> dict[str, Any]:
    """``value`` (None: empty) if it is a JSON object PostgreSQL can store: nested at most
    ``MAX_JSON_DEPTH`` deep, finite numbers, integers JSON carries exactly."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ArgumentError(argument, f"`{argument}` must be a JSON object")
    if json_depth_exceeds(value, MAX_JSON_DEPTH):
        raise ArgumentError(argument, f"`{argument}` nests deeper than {MAX_JSON_DEPTH} levels")
    if any(isinstance(item, float) and not math.isfinite(item) for _, item, _ in walk_json(value)):
        raise ArgumentError(argument, f"`{argument}` must hold finite numbers only")
    try:
        orjson.dumps(value)
    except orjson.JSONEncodeError as error:
        raise ArgumentError(argument, f"`{argument}` can't be stored: {error}") from None
    return value


def _name(value: str) -> str:
    name = value.strip()
    if not name:
        raise ArgumentError("input.name", "`name` must not be empty")
    if len(name) > MAX_NAME_LENGTH:
        raise ArgumentError(
            "input.name", f"`name` must be at most {MAX_NAME_LENGTH} characters, got {len(name)}"
        )
    return name


async def _payload(context: RequestContext, dataset_id: int) -> dict[str, Any]:
    nodes = await context.read(dataset_pages.get_dataset_nodes, [dataset_id])
    return {"dataset": nodes[dataset_id]}


@dataset_span_mutation.field("createDataset")
async def resolve_create_dataset(_: Any, info: Info, input: dict[str, Any]) -> dict[str, Any]:
    """A new dataset with no versions."""
    name = _name(input["name"])
    metadata = _metadata(input.get("metadata"), "input.metadata")
    context = request_context(info)
    dataset_id = await context.read(
        datasets.create_dataset, name, input.get("description") or None, metadata
    )
    if dataset_id is None:
        raise ConflictError(f"A dataset named {name!r} already exists")
    return await _payload(context, dataset_id)


@dataset_span_mutation.field("addSpansToDataset")
async def resolve_add_spans(_: Any, info: Info, input: dict[str, Any]) -> dict[str, Any]:
    """One new version of the dataset with an example per span."""
    dataset_id = _rowid(input["dataset_id"], "Dataset", "input.datasetId")
    span_ids = input["span_ids"]
    if not span_ids:
        raise ArgumentError("input.spanIds", "`input.spanIds` must name at least one span")
    if len(span_ids) > MAX_SPANS:
        raise ArgumentError(
            "input.spanIds", f"`input.spanIds` names {len(span_ids)} spans; at most {MAX_SPANS}"
        )
    span_rowids = [
        _rowid(span_id, "Span", f"input.spanIds.{index}") for index, span_id in enumerate(span_ids)
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
    return await _payload(context, dataset_id)
