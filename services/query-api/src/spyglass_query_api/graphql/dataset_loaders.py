"""The request's DataLoaders of datasets, versions and examples (see ``loaders.py``).

Each reads the rows of all the keys a page asks for with one statement of
``queries/dataset_pages.py``, so a page of datasets or examples costs the same number of
statements whatever its length.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from spyglass_query_api.graphql.context import RequestContext
from spyglass_query_api.graphql.dataloader import DataLoader
from spyglass_query_api.queries import dataset_pages
from spyglass_query_api.queries.dataset_labels import LabelRow
from spyglass_query_api.queries.dataset_pages import (
    DatasetNode,
    DiffCounts,
    RevisionRow,
    VersionChanges,
    VersionNode,
)
from spyglass_query_api.queries.dataset_splits import SplitRow
from spyglass_query_api.queries.spans import SpanNode

Key = TypeVar("Key", bound=Hashable)
Value = TypeVar("Value")


def _loader(
    context: RequestContext,
    name: str,
    read: Callable[[Any, Sequence[Key]], Awaitable[Mapping[Key, Value]]],
    missing: Callable[[], Value],
) -> DataLoader[Key, Value]:
    """The request's loader called ``name`` (made on first use), reading through ``read``."""
    name = f"datasets.{name}"
    if name not in context.loaders:

        async def fetch(keys: Sequence[Key]) -> Mapping[Key, Value]:
            return await context.read(read, list(keys))

        context.loaders[name] = DataLoader(fetch, missing)
    loader: DataLoader[Key, Value] = context.loaders[name]
    return loader


def _none() -> None:
    return None


def datasets(context: RequestContext) -> DataLoader[int, DatasetNode | None]:
    """Datasets by id."""
    return _loader(context, "datasets", dataset_pages.get_dataset_nodes, _none)


def versions(context: RequestContext) -> DataLoader[int, VersionNode | None]:
    """Dataset versions by id."""
    return _loader(context, "versions", dataset_pages.get_versions, _none)


def latest_versions(context: RequestContext) -> DataLoader[int, VersionNode | None]:
    """Each dataset's newest version, by dataset id."""
    return _loader(context, "latest_versions", dataset_pages.get_latest_versions, _none)


def example_counts(context: RequestContext) -> DataLoader[tuple[int, int | None], int]:
    """Examples as of (dataset id, version id or None for the latest)."""
    return _loader(context, "example_counts", dataset_pages.count_examples, lambda: 0)


def version_changes(context: RequestContext) -> DataLoader[int, VersionChanges]:
    """What each version created, patched and deleted, by version id."""
    return _loader(
        context,
        "version_changes",
        dataset_pages.get_version_changes,
        lambda: VersionChanges(0, 0, 0),
    )


def dataset_splits(context: RequestContext) -> DataLoader[int, list[SplitRow]]:
    """The splits of each dataset's examples, by dataset id."""
    return _loader(context, "dataset_splits", dataset_pages.list_dataset_splits, list)


def dataset_labels(context: RequestContext) -> DataLoader[int, list[LabelRow]]:
    """Each dataset's labels, by dataset id."""
    return _loader(context, "dataset_labels", dataset_pages.list_dataset_labels, list)


def example_splits(context: RequestContext) -> DataLoader[int, list[SplitRow]]:
    """Each example's splits, by example id."""
    return _loader(context, "example_splits", dataset_pages.list_example_splits, list)


def example_spans(context: RequestContext) -> DataLoader[tuple[int, datetime], SpanNode | None]:
    """Examples' source spans, by link (span row id, start time); None once the span is gone."""
    return _loader(context, "example_spans", dataset_pages.get_example_spans, _none)


def revisions_at(context: RequestContext) -> DataLoader[tuple[int, int], RevisionRow | None]:
    """Each (example id, version id)'s latest revision up to that version."""
    return _loader(context, "revisions_at", dataset_pages.get_revisions_at, _none)


async def _count_diffs(
    connection: AsyncConnection, keys: Sequence[tuple[int, int, int]]
) -> dict[tuple[int, int, int], DiffCounts]:
    return {key: await dataset_pages.count_version_diff(connection, *key) for key in keys}


def diff_counts(context: RequestContext) -> DataLoader[tuple[int, int, int], DiffCounts]:
    """Examples added, deleted and patched between two versions, by (dataset id, from version
    id, to version id): counted once a request, however many of the counts are asked for."""
    return _loader(context, "diff_counts", _count_diffs, lambda: DiffCounts(0, 0, 0))
