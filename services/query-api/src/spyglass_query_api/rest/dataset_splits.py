"""Dataset splits (Phoenix's shapes): ``/v1/datasets/{dataset_identifier}/splits``.

Create a split (optionally holding some of the dataset's examples), change its name, colour,
description, metadata and examples, or delete it. Split names are global (as in Phoenix), so a
name another dataset's split has is taken. Examples are named by ``DatasetExample`` GlobalID and
must be the dataset's; an example both added and removed in one update ends up removed.

Refusals: a malformed split or example id, an empty or too long name, an empty colour: 422
naming the field; an unknown dataset, split or example: 404; a taken name: 409.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, TypeAlias

from litestar import Controller, delete, patch, post
from litestar.params import JSONBody, PathParameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT
from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from spyglass_core.errors import ConflictError, NotFoundError
from spyglass_core.storable import MAX_NAME_LENGTH
from spyglass_query_api.dependencies import Db
from spyglass_query_api.queries import dataset_splits as queries
from spyglass_query_api.queries.dataset_splits import DatasetSplitRow, SplitChanges
from spyglass_query_api.queries.datasets import SPLIT_COLOR
from spyglass_query_api.queries.ids import global_id, rowid_of
from spyglass_query_api.rest.datasets import dataset_by_identifier
from spyglass_query_api.rest.errors import UnprocessableParameterError

DatasetIdentifier: TypeAlias = Annotated[
    str,
    PathParameter(description="The dataset identifier: either dataset ID or dataset name."),
]
SplitId: TypeAlias = Annotated[
    str, PathParameter(description="The ID (GlobalID) of the dataset split.")
]


class DatasetSplit(BaseModel):
    id: str
    name: str
    description: str | None
    color: str
    metadata: dict[str, Any]
    example_count: int
    created_at: datetime
    updated_at: datetime


class DatasetSplitBody(BaseModel):
    data: DatasetSplit


class CreateDatasetSplitRequest(BaseModel):
    name: str = Field(description="A unique name for the split.")
    description: str | None = Field(default=None, description="An optional description.")
    color: str | None = Field(default=None, description=f"A hex color; {SPLIT_COLOR} if omitted.")
    metadata: dict[str, Any] = Field(default_factory=dict, description="Arbitrary JSON metadata.")
    example_ids: list[str] = Field(
        default_factory=list, description="The dataset's examples (GlobalIDs) the split holds."
    )


class UpdateDatasetSplitRequest(BaseModel):
    """Fields to change; an omitted field stays as it is, a null description clears it."""

    name: str | None = Field(default=None, description="A new unique name for the split.")
    description: str | None = Field(default=None, description="A new description, or null.")
    color: str | None = Field(default=None, description="A new hex color for the split.")
    metadata: dict[str, Any] | None = Field(default=None, description="Replaces the metadata.")
    add_example_ids: list[str] = Field(
        default_factory=list, description="The dataset's examples (GlobalIDs) to add."
    )
    remove_example_ids: list[str] = Field(
        default_factory=list, description="Examples (GlobalIDs) to take out of the split."
    )


def _split(row: DatasetSplitRow) -> DatasetSplit:
    return DatasetSplit(
        id=global_id("DatasetSplit", row.id),
        name=row.name,
        description=row.description,
        color=row.color,
        metadata=row.metadata,
        example_count=row.example_count,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _split_name(name: str | None) -> str:
    """The name stripped of surrounding white space, as Phoenix stores it.

    Raises:
        UnprocessableParameterError: empty, or longer than names may be.
    """
    stripped = (name or "").strip()
    if not stripped:
        raise UnprocessableParameterError(
            "name", "Dataset split name cannot be empty", location="body"
        )
    if len(stripped) > MAX_NAME_LENGTH:
        raise UnprocessableParameterError(
            "name",
            f"`name` must be at most {MAX_NAME_LENGTH} characters, got {len(stripped)}",
            location="body",
        )
    return stripped


def _color(color: str | None) -> str:
    if color is None or not color.strip():
        raise UnprocessableParameterError(
            "color", "Dataset split color cannot be empty", location="body"
        )
    return color


def _split_rowid(split_id: str) -> int:
    rowid = rowid_of(split_id, "DatasetSplit")
    if rowid is None:
        raise UnprocessableParameterError(
            "split_id", f"Invalid dataset split ID: {split_id}", location="path"
        )
    return rowid


def _example_rowids(example_ids: list[str], field: str) -> list[int]:
    """The row ids of the examples named, each once, in order.

    Raises:
        UnprocessableParameterError: one is not a ``DatasetExample`` GlobalID.
    """
    rowids: dict[int, None] = {}
    for index, example_id in enumerate(example_ids):
        rowid = rowid_of(example_id, "DatasetExample")
        if rowid is None:
            raise UnprocessableParameterError(
                f"{field}.{index}", f"Invalid dataset example ID: {example_id}", location="body"
            )
        rowids[rowid] = None
    return list(rowids)


async def _check_examples(
    connection: AsyncConnection, dataset_id: int, example_rowids: list[int]
) -> None:
    """Raises NotFoundError naming the examples that are not the dataset's."""
    missing = await queries.find_missing_examples(connection, dataset_id, example_rowids)
    if missing:
        names = ", ".join(global_id("DatasetExample", rowid) for rowid in missing)
        raise NotFoundError(f"Dataset examples not found in this dataset: {names}")


def _taken(name: str) -> ConflictError:
    return ConflictError(f"A dataset split named '{name}' already exists")


class DatasetSplitController(Controller):
    path = "/v1/datasets/{dataset_identifier:str}/splits"
    tags = ["datasets"]  # noqa: RUF012 (litestar declares it as an instance variable)

    @post(summary="Create a dataset split", status_code=HTTP_201_CREATED)
    async def create_dataset_split(
        self,
        connection: Db,
        dataset_identifier: DatasetIdentifier,
        data: JSONBody[CreateDatasetSplitRequest],
    ) -> DatasetSplitBody:
        """A new split, holding ``example_ids`` (the dataset's examples)."""
        name = _split_name(data.name)
        color = SPLIT_COLOR if data.color is None else _color(data.color)
        example_rowids = _example_rowids(data.example_ids, "example_ids")
        dataset = await dataset_by_identifier(connection, dataset_identifier)
        await _check_examples(connection, dataset.id, example_rowids)
        row = await queries.create_split(
            connection,
            dataset.id,
            name=name,
            description=data.description or None,
            color=color,
            metadata=data.metadata,
            example_ids=example_rowids,
        )
        if row is None:
            raise _taken(name)
        return DatasetSplitBody(data=_split(row))

    @patch("/{split_id:str}", summary="Update a dataset split")
    async def update_dataset_split(
        self,
        connection: Db,
        dataset_identifier: DatasetIdentifier,
        split_id: SplitId,
        data: JSONBody[UpdateDatasetSplitRequest],
    ) -> DatasetSplitBody:
        """Change the fields given, then add and remove examples (removal wins)."""
        split_rowid = _split_rowid(split_id)
        given = data.model_fields_set
        changes = SplitChanges(
            name=_split_name(data.name) if "name" in given else None,
            color=_color(data.color) if "color" in given else None,
            metadata=data.metadata,
            description=data.description or None,
            set_description="description" in given,
        )
        add = _example_rowids(data.add_example_ids, "add_example_ids")
        remove = _example_rowids(data.remove_example_ids, "remove_example_ids")
        dataset = await dataset_by_identifier(connection, dataset_identifier)
        await _check_examples(connection, dataset.id, [*add, *remove])
        try:
            updated = await queries.update_split(connection, split_rowid, changes)
        except IntegrityError:
            raise _taken(changes.name or "") from None
        if not updated:
            raise NotFoundError(f"Dataset split with ID {split_id} not found")
        await queries.add_examples(connection, split_rowid, add)
        await queries.remove_examples(connection, split_rowid, remove)
        row = await queries.get_split(connection, split_rowid, dataset.id)
        if row is None:  # deleted meanwhile
            raise NotFoundError(f"Dataset split with ID {split_id} not found")
        return DatasetSplitBody(data=_split(row))

    @delete("/{split_id:str}", summary="Delete a dataset split", status_code=HTTP_204_NO_CONTENT)
    async def delete_dataset_split(
        self, connection: Db, dataset_identifier: DatasetIdentifier, split_id: SplitId
    ) -> None:
        """Delete the split everywhere (it is global); its examples stay."""
        split_rowid = _split_rowid(split_id)
        await dataset_by_identifier(connection, dataset_identifier)
        if not await queries.delete_split(connection, split_rowid):
            raise NotFoundError(f"Dataset split with ID {split_id} not found")
