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

from ariadne import MutationType

from spyglass_core.errors import NotFoundError
from spyglass_query_api.graphql.context import Info, request_context
from spyglass_query_api.graphql.dataset_arguments import (
    dataset_name,
    dataset_payload,
    json_object,
    optional_json_object,
    rowid_argument,
)
from spyglass_query_api.graphql.errors import ArgumentError
from spyglass_query_api.queries import dataset_edits, dataset_pages, datasets
from spyglass_query_api.queries.dataset_edits import ExamplePatch
from spyglass_query_api.queries.dataset_pages import DatasetNode

dataset_mutation = MutationType()

MAX_EXAMPLES_PER_EDIT = 10_000
"""Examples one mutation may patch or delete."""


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
        rowids.append(rowid_argument(value, "DatasetExample", f"{argument}.{index}{field}"))
    return rowids


@dataset_mutation.field("patchDataset")
async def resolve_patch_dataset(_: Any, info: Info, input: dict[str, Any]) -> dict[str, Any]:
    """Change a dataset's name, description or metadata."""
    dataset_id = rowid_argument(input["dataset_id"], "Dataset", "input.datasetId")
    changes: dict[str, Any] = {}
    if input.get("name") is not None:
        changes["name"] = dataset_name(input["name"])
    if "description" in input:
        changes["description"] = input["description"] or None
    if input.get("metadata") is not None:
        changes["metadata"] = json_object(input["metadata"], "input.metadata")
    if not changes:
        raise ArgumentError("input", "Give at least one of `name`, `description`, `metadata`")
    node = await request_context(info).read(dataset_edits.patch_dataset, dataset_id, changes)
    return {"dataset": node}


@dataset_mutation.field("deleteDataset")
async def resolve_delete_dataset(_: Any, info: Info, input: dict[str, Any]) -> dict[str, Any]:
    """Delete a dataset with everything in it; answers it as it was."""
    dataset_id = rowid_argument(input["dataset_id"], "Dataset", "input.datasetId")
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
            key: optional_json_object(patch.get(key), f"{where}.{key}")
            for key in ("input", "output", "metadata")
        }
        if all(part is None for part in parts.values()):
            raise ArgumentError(where, f"`{where}` changes none of input, output, metadata")
        patches.append(ExamplePatch(example_id, **parts))
    description = input.get("version_description") or None
    metadata = optional_json_object(input.get("version_metadata"), "input.versionMetadata") or {}
    context = request_context(info)
    version = await context.read(dataset_edits.patch_examples, patches, description, metadata)
    return await dataset_payload(context, version.dataset_id)


@dataset_mutation.field("deleteDatasetExamples")
async def resolve_delete_examples(_: Any, info: Info, input: dict[str, Any]) -> dict[str, Any]:
    """One new version without the examples."""
    example_ids = list(dict.fromkeys(_example_rowids(input["example_ids"], "input.exampleIds")))
    description = input.get("dataset_version_description") or None
    metadata = (
        optional_json_object(input.get("dataset_version_metadata"), "input.datasetVersionMetadata")
        or {}
    )
    context = request_context(info)
    version = await context.read(dataset_edits.delete_examples, example_ids, description, metadata)
    return await dataset_payload(context, version.dataset_id)
