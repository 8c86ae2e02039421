"""``Dataset`` and what hangs from it: versions, examples as of a version, splits, labels, and
the difference between two versions (Phoenix's names where Phoenix has them).

Ids are REST's GlobalIDs (``Dataset``, ``DatasetVersion``, ``DatasetExample``, ``DatasetSplit``,
``DatasetLabel``). A ``Dataset`` resolves from a ``DatasetNode`` (``queries/dataset_pages.py``);
other modules extending the type (a dataset's experiments) read its row id as ``node.id``.

A ``datasetVersionId`` argument must be a version of the dataset at hand: anything else is a
``BAD_USER_INPUT`` naming it, except in ``exampleCount``, which answers 0 (as Phoenix does), and
``versionDiff``, which answers null.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ariadne import ObjectType, QueryType

from spyglass_query_api.graphql import dataset_loaders
from spyglass_query_api.graphql.arguments import Sort, connection, exactly_one, window
from spyglass_query_api.graphql.context import Info, RequestContext, request_context
from spyglass_query_api.graphql.dataset_arguments import rowid_argument
from spyglass_query_api.graphql.errors import ArgumentError
from spyglass_query_api.queries import dataset_pages
from spyglass_query_api.queries.dataset_labels import LabelRow
from spyglass_query_api.queries.dataset_pages import (
    DatasetNode,
    DatasetSortColumn,
    DiffCounts,
    ExampleNode,
    ExampleSearch,
    RevisionRow,
    VersionChanges,
    VersionNode,
)
from spyglass_query_api.queries.dataset_splits import SplitRow
from spyglass_query_api.queries.ids import global_id, rowid_of
from spyglass_query_api.queries.spans import SpanNode

dataset_query = QueryType()
dataset = ObjectType("Dataset")
dataset_version = ObjectType("DatasetVersion")
dataset_example = ObjectType("DatasetExample")
dataset_example_revision = ObjectType("DatasetExampleRevision")
dataset_split = ObjectType("DatasetSplit")
dataset_label = ObjectType("DatasetLabel")
dataset_version_diff = ObjectType("DatasetVersionDiff")

_SORT_COLUMNS: dict[str, DatasetSortColumn] = {
    "id": "id",
    "createdAt": "created_at",
    "name": "name",
}


@dataclass(frozen=True)
class VersionDiff:
    """Two versions of one dataset, compared."""

    dataset_id: int
    from_version: VersionNode
    to_version: VersionNode


def split_rowids(values: list[str] | None, argument: str = "splitIds") -> list[int] | None:
    """The row ids of ``splitIds`` (None when not given).

    Raises:
        ArgumentError: a value is not a ``DatasetSplit`` GlobalID.
    """
    if values is None:
        return None
    return [rowid_argument(value, "DatasetSplit", argument) for value in values]


async def version_of(
    context: RequestContext, dataset_id: int, value: str, argument: str = "datasetVersionId"
) -> VersionNode:
    """The version ``value`` names, which must be one of the dataset's.

    Raises:
        ArgumentError: not a ``DatasetVersion`` GlobalID, or not one of this dataset's.
    """
    version = await dataset_loaders.versions(context).load(
        rowid_argument(value, "DatasetVersion", argument)
    )
    if version is None or version.dataset_id != dataset_id:
        raise ArgumentError(argument, f"`{argument}` is not a version of this dataset: {value}")
    return version


async def _version_id(context: RequestContext, node: DatasetNode, value: str | None) -> int | None:
    """The version an argument names (checked), else the dataset's latest; None without one."""
    if value is not None:
        return (await version_of(context, node.id, value)).id
    latest = await dataset_loaders.latest_versions(context).load(node.id)
    return None if latest is None else latest.id


@dataset_query.field("datasets")
async def resolve_datasets(
    _: Any,
    info: Info,
    first: int | None = None,
    after: str | None = None,
    sort: dict[str, Any] | None = None,
    filter: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Datasets, newest first unless ``sort`` says otherwise."""
    order = Sort("id", descending=True)
    if sort is not None:
        order = Sort(sort["col"], descending=sort["dir"] == "DESC")
    page = window(first, after, order)
    column = _SORT_COLUMNS[order.column]
    contains = (filter or {}).get("value") or None
    nodes = await request_context(info).read(
        dataset_pages.list_dataset_nodes, page.keyset, column, contains
    )
    return connection(nodes, page, lambda node: node, lambda node: getattr(node, column))


@dataset_query.field("dataset")
async def resolve_dataset(
    _: Any, info: Info, id: str | None = None, name: str | None = None
) -> DatasetNode | None:
    """A dataset by GlobalID or name; null if there is none."""
    context = request_context(info)
    argument, value = exactly_one(id=id, name=name)
    if argument == "id":
        rowid = rowid_of(value, "Dataset")
        return None if rowid is None else await dataset_loaders.datasets(context).load(rowid)
    return await context.read(dataset_pages.find_dataset_node, value)


@dataset.field("id")
def resolve_dataset_id(node: DatasetNode, _: Any) -> str:
    return global_id("Dataset", node.id)


@dataset.field("exampleCount")
async def resolve_example_count(
    node: DatasetNode,
    info: Info,
    dataset_version_id: str | None = None,
    split_ids: list[str] | None = None,
) -> int:
    """Examples as of a version (the latest by default), in any of ``splitIds`` if given."""
    context = request_context(info)
    splits = split_rowids(split_ids)
    version_id: int | None = None
    if dataset_version_id is not None:
        version = await dataset_loaders.versions(context).load(
            rowid_argument(dataset_version_id, "DatasetVersion", "datasetVersionId")
        )
        if version is None or version.dataset_id != node.id:
            return 0
        version_id = version.id
    if splits is None:
        return await dataset_loaders.example_counts(context).load((node.id, version_id))
    if version_id is None:
        version_id = await _version_id(context, node, None)
    if version_id is None:
        return 0
    return await context.read(dataset_pages.count_examples_in_splits, node.id, version_id, splits)


@dataset.field("latestVersion")
async def resolve_latest_version(node: DatasetNode, info: Info) -> VersionNode | None:
    return await dataset_loaders.latest_versions(request_context(info)).load(node.id)


@dataset.field("versions")
async def resolve_versions(
    node: DatasetNode, info: Info, first: int | None = None, after: str | None = None
) -> dict[str, Any]:
    """The dataset's versions, newest first."""
    page = window(first, after, Sort("id", descending=True))
    rows = await request_context(info).read(dataset_pages.list_versions, node.id, page.keyset)
    return connection(rows, page, lambda row: row, lambda row: row.id)


@dataset.field("splits")
async def resolve_splits(node: DatasetNode, info: Info) -> list[SplitRow]:
    return await dataset_loaders.dataset_splits(request_context(info)).load(node.id)


@dataset.field("labels")
async def resolve_labels(node: DatasetNode, info: Info) -> list[LabelRow]:
    return await dataset_loaders.dataset_labels(request_context(info)).load(node.id)


@dataset.field("examples")
async def resolve_examples(
    node: DatasetNode,
    info: Info,
    dataset_version_id: str | None = None,
    split_ids: list[str] | None = None,
    filter: str | None = None,
    first: int | None = None,
    after: str | None = None,
) -> dict[str, Any]:
    """A page of the examples of a version (the latest by default) in example id order."""
    context = request_context(info)
    splits = split_rowids(split_ids)
    page = window(first, after, Sort("id", descending=False))
    version_id = await _version_id(context, node, dataset_version_id)
    if version_id is None:
        return connection([], page, lambda row: row, lambda row: row.id)
    search = ExampleSearch(node.id, version_id, splits, (filter or "").strip() or None)
    rows = await context.read(
        dataset_pages.list_examples,
        search,
        after_id=page.after.rowid if page.after else 0,
        fetch=page.fetch,
    )
    return connection(rows, page, lambda row: row, lambda row: row.id)


@dataset.field("example")
async def resolve_example(
    node: DatasetNode, info: Info, id: str, dataset_version_id: str | None = None
) -> ExampleNode | None:
    """One of the dataset's examples as of a version; null if unknown or not yet created."""
    context = request_context(info)
    version_id = await _version_id(context, node, dataset_version_id)
    example_id = rowid_of(id, "DatasetExample")
    if example_id is None or version_id is None:
        return None
    example = await context.read(dataset_pages.get_example, node.id, example_id, version_id)
    return None if example is None or example.revision is None else example


@dataset.field("versionDiff")
async def resolve_version_diff(
    node: DatasetNode, info: Info, from_version_id: str, to_version_id: str
) -> VersionDiff | None:
    """Two of the dataset's versions, compared; null if either isn't one of them."""
    loader = dataset_loaders.versions(request_context(info))
    ends = []
    for value in (from_version_id, to_version_id):
        rowid = rowid_of(value, "DatasetVersion")
        version = None if rowid is None else await loader.load(rowid)
        if version is None or version.dataset_id != node.id:
            return None
        ends.append(version)
    return VersionDiff(node.id, ends[0], ends[1])


@dataset_version.field("id")
def resolve_version_id(node: VersionNode, _: Any) -> str:
    return global_id("DatasetVersion", node.id)


@dataset_version.field("exampleCount")
async def resolve_version_example_count(node: VersionNode, info: Info) -> int:
    return await dataset_loaders.example_counts(request_context(info)).load(
        (node.dataset_id, node.id)
    )


@dataset_version.field("changes")
async def resolve_version_changes(node: VersionNode, info: Info) -> VersionChanges:
    return await dataset_loaders.version_changes(request_context(info)).load(node.id)


@dataset_example.field("id")
def resolve_example_id(node: ExampleNode, _: Any) -> str:
    return global_id("DatasetExample", node.id)


@dataset_example.field("revision")
async def resolve_revision(
    node: ExampleNode, info: Info, dataset_version_id: str | None = None
) -> RevisionRow | None:
    """The example's content as of a version (the one it was read at by default)."""
    if dataset_version_id is None:
        return node.revision
    context = request_context(info)
    version = await version_of(context, node.dataset_id, dataset_version_id)
    return await dataset_loaders.revisions_at(context).load((node.id, version.id))


@dataset_example.field("datasetSplits")
async def resolve_example_splits(node: ExampleNode, info: Info) -> list[SplitRow]:
    return await dataset_loaders.example_splits(request_context(info)).load(node.id)


@dataset_example.field("span")
async def resolve_example_span(node: ExampleNode, info: Info) -> SpanNode | None:
    """The span the example was made from, while it is stored."""
    if node.span_rowid is None or node.span_start_time is None:
        return None
    return await dataset_loaders.example_spans(request_context(info)).load(
        (node.span_rowid, node.span_start_time)
    )


@dataset_example_revision.field("datasetVersionId")
def resolve_revision_version(row: RevisionRow, _: Any) -> str:
    return global_id("DatasetVersion", row.version_id)


@dataset_split.field("id")
def resolve_split_id(row: SplitRow, _: Any) -> str:
    return global_id("DatasetSplit", row.id)


@dataset_label.field("id")
def resolve_label_id(row: LabelRow, _: Any) -> str:
    return global_id("DatasetLabel", row.id)


async def _diff_counts(diff: VersionDiff, info: Info) -> DiffCounts:
    key = (diff.dataset_id, diff.from_version.id, diff.to_version.id)
    return await dataset_loaders.diff_counts(request_context(info)).load(key)


@dataset_version_diff.field("addedCount")
async def resolve_added(diff: VersionDiff, info: Info) -> int:
    return (await _diff_counts(diff, info)).added


@dataset_version_diff.field("deletedCount")
async def resolve_deleted(diff: VersionDiff, info: Info) -> int:
    return (await _diff_counts(diff, info)).deleted


@dataset_version_diff.field("patchedCount")
async def resolve_patched(diff: VersionDiff, info: Info) -> int:
    return (await _diff_counts(diff, info)).patched


@dataset_version_diff.field("changes")
async def resolve_changes(
    diff: VersionDiff, info: Info, first: int | None = None, after: str | None = None
) -> dict[str, Any]:
    """A page of the examples that differ, in example id order."""
    page = window(first, after, Sort("id", descending=False))
    rows = await request_context(info).read(
        dataset_pages.list_version_diff,
        diff.dataset_id,
        diff.from_version.id,
        diff.to_version.id,
        after_id=page.after.rowid if page.after else 0,
        fetch=page.fetch,
    )
    return connection(rows, page, lambda row: row, lambda row: row.id)
