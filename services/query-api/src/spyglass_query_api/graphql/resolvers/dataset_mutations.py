"""The dataset mutations (Phoenix's names): ``patchDataset``, ``deleteDataset``,
``patchDatasetExamples`` and ``deleteDatasetExamples``.

Every argument is checked before anything is written, each refusal naming its argument
(``input.patches.0.input``): ids of the wrong kind, JSON that is not an object, nested deeper
than ``MAX_JSON_DEPTH`` or not storable (an integer JSON can't carry exactly, a lone
surrogate), names that are empty or too long for their unique index. What only the database
knows (an unknown example, one deleted meanwhile, a taken name) is refused by the query layer,
whose savepoint leaves nothing written.
"""

from __future__ import annotations

from typing import Any

import orjson
from ariadne import MutationType

from spyglass_core.errors import NotFoundError
from spyglass_core.storable import MAX_JSON_DEPTH, MAX_NAME_LENGTH, json_depth_exceeds
from spyglass_query_api.graphql.context import Info, RequestContext, request_context
from spyglass_query_api.graphql.errors import ArgumentError
from spyglass_query_api.queries import dataset_edits, dataset_pages, datasets
from spyglass_query_api.queries.dataset_edits import ExamplePatch
from spyglass_query_api.queries.dataset_pages import DatasetNode
from spyglass_query_api.queries.ids import rowid_of

dataset_mutation = MutationType()

MAX_EXAMPLES_PER_EDIT = 10_000
"""Examples one mutation may patch or delete."""


_KINDS = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "a boolean"}


def _json_object(value: Any, argument: str) -> dict[str, Any]:
    """``value`` if it is a JSON object PostgreSQL can store.

    Raises:
        ArgumentError: it is not an object, nests deeper than ``MAX_JSON_DEPTH`` levels, or
            holds what JSON can't carry exactly (an integer past 64 bits, a lone surrogate).
    """
    if not isinstance(value, dict):
        kind = _KINDS.get(type(value), type(value).__name__)
        raise ArgumentError(argument, f"`{argument}` must be a JSON object, got {kind}")
    if json_depth_exceeds(value, MAX_JSON_DEPTH):
        raise ArgumentError(argument, f"`{argument}` nests deeper than {MAX_JSON_DEPTH} levels")
    try:
        orjson.dumps(value)
    except orjson.JSONEncodeError as error:
        raise ArgumentError(argument, f"`{argument}` can't be stored: {error}") from None
    return value


def _optional_object(values: dict[str, Any], key: str, argument: str) -> dict[str, Any] | None:
    value = values.get(key)
    return None if value is None else _json_object(value, argument)


def _dataset_rowid(value: str, argument: str) -> int:
    rowid = rowid_of(value, "Dataset")
    if rowid is None:
        raise ArgumentError(argument, f"`{argument}` is not a Dataset id: {value!r}")
    return rowid


def _example_rowids(values: list[str], argument: str, field: str = "") -> list[int]:
    """The row ids of ``values``, each named ``<argument>.<index><field>`` if refused."""
    if not values:
        raise ArgumentError(argument, f"`{argument}` must name at least one example")
    if len(values) > MAX_EXAMPLES_PER_EDIT:
        raise ArgumentError(
            argument,
            f"`{argument}` names {len(values)} examples; at most {MAX_EXAMPLES_PER_EDIT} a time",
        )
    rowids = []
    for index, value in enumerate(values):
        rowid = rowid_of(value, "DatasetExample")
        if rowid is None:
            name = f"{argument}.{index}{field}"
            raise ArgumentError(name, f"`{name}` is not a DatasetExample id: {value!r}")
        rowids.append(rowid)
    return rowids


def _name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ArgumentError("input.name", "`name` must not be empty")
    if len(value) > MAX_NAME_LENGTH:
        raise ArgumentError(
            "input.name", f"`name` must be at most {MAX_NAME_LENGTH} characters, got {len(value)}"
        )
    return value


async def _payload(context: RequestContext, dataset_id: int) -> dict[str, Any]:
    nodes = await context.read(dataset_pages.get_dataset_nodes, [dataset_id])
    return {"dataset": nodes[dataset_id]}


@dataset_mutation.field("patchDataset")
async def resolve_patch_dataset(_: Any, info: Info, input: dict[str, Any]) -> dict[str, Any]:
    """Change a dataset's name, description or metadata."""
    dataset_id = _dataset_rowid(input["dataset_id"], "input.datasetId")
    changes: dict[str, Any] = {}
    if input.get("name") is not None:
        changes["name"] = _name(input["name"])
    if "description" in input:
        changes["description"] = input["description"] or None
    if input.get("metadata") is not None:
        changes["metadata"] = _json_object(input["metadata"], "input.metadata")
    if not changes:
        raise ArgumentError("input", "Give at least one of `name`, `description`, `metadata`")
    node = await request_context(info).read(dataset_edits.patch_dataset, dataset_id, changes)
    return {"dataset": node}


@dataset_mutation.field("deleteDataset")
async def resolve_delete_dataset(_: Any, info: Info, input: dict[str, Any]) -> dict[str, Any]:
    """Delete a dataset with everything in it; answers it as it was."""
    dataset_id = _dataset_rowid(input["dataset_id"], "input.datasetId")
    context = request_context(info)
    nodes: dict[int, DatasetNode] = await context.read(
        dataset_pages.get_dataset_nodes, [dataset_id]
    )
    if dataset_id not in nodes or not await context.read(datasets.delete_dataset, dataset_id):
        raise NotFoundError(f"Unknown dataset: {input['dataset_id']}")
    return {"dataset": nodes[dataset_id]}


@dataset_mutation.field("patchDatasetExamples")
async def resolve_patch_examples(_: Any, info: Info, input: dict[str, Any]) -> dict[str, Any]:
    """One new version in which each patched example has its new content."""
    values = input["patches"]
    example_ids = _example_rowids(
        [patch["example_id"] for patch in values], "input.patches", ".exampleId"
    )
    if len(set(example_ids)) < len(example_ids):
        raise ArgumentError("input.patches", "An example can be patched once per mutation")
    patches = []
    for index, (example_id, patch) in enumerate(zip(example_ids, values, strict=True)):
        where = f"input.patches.{index}"
        parts = {
            key: _optional_object(patch, key, f"{where}.{key}")
            for key in ("input", "output", "metadata")
        }
        if all(part is None for part in parts.values()):
            raise ArgumentError(where, f"`{where}` changes none of input, output, metadata")
        patches.append(ExamplePatch(example_id, **parts))
    description = input.get("version_description") or None
    metadata = _optional_object(input, "version_metadata", "input.versionMetadata") or {}
    context = request_context(info)
    version = await context.read(dataset_edits.patch_examples, patches, description, metadata)
    return await _payload(context, version.dataset_id)


@dataset_mutation.field("deleteDatasetExamples")
async def resolve_delete_examples(_: Any, info: Info, input: dict[str, Any]) -> dict[str, Any]:
    """One new version without the examples."""
    example_ids = list(dict.fromkeys(_example_rowids(input["example_ids"], "input.exampleIds")))
    description = input.get("dataset_version_description") or None
    metadata = (
        _optional_object(input, "dataset_version_metadata", "input.datasetVersionMetadata") or {}
    )
    context = request_context(info)
    version = await context.read(dataset_edits.delete_examples, example_ids, description, metadata)
    return await _payload(context, version.dataset_id)
