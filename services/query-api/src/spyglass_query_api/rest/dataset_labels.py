"""Dataset labels (Phoenix's shapes): ``/v1/dataset_labels`` and ``/v1/datasets/{id}/labels``.

Labels are global and uniquely named; a dataset carries any number of them. Labels are named by
their ``DatasetLabel`` GlobalID, datasets by GlobalID or name. Applying a label that is on the
dataset, or removing one that is not, changes nothing and is no error (as in Phoenix).

Refusals: an id that is not a label's GlobalID, a colour that is not ``#`` and six lowercase hex
digits, an empty or too long name: 422 naming the field; an unknown label or dataset: 404; a
taken name: 409.
"""

from __future__ import annotations

from typing import Annotated, TypeAlias

from litestar import Controller, delete, get, patch, post, put
from litestar.params import FromQuery, JSONBody, PathParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT
from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError

from spyglass_core.errors import ConflictError, NotFoundError
from spyglass_query_api.dependencies import Db
from spyglass_query_api.queries import dataset_labels as queries
from spyglass_query_api.queries.dataset_labels import LabelChanges, LabelRow
from spyglass_query_api.queries.ids import global_id, rowid_of
from spyglass_query_api.rest.datasets import dataset_by_identifier
from spyglass_query_api.rest.errors import UnprocessableEntityError, UnprocessableParameterError
from spyglass_query_api.rest.fields import Name
from spyglass_query_api.rest.pagination import page_of, page_request

LabelId: TypeAlias = Annotated[str, PathParameter(description="The ID of the dataset label")]
DatasetIdentifier: TypeAlias = Annotated[
    str,
    PathParameter(
        description="The dataset identifier: either the dataset ID (GlobalID) or its name."
    ),
]
HEX_COLOR = r"^#([0-9a-f]{6})$"
"""A label's colour: ``#`` and six lowercase hex digits (Phoenix's rule)."""
MAX_PAGE = 10_000
"""The longest page of labels a list gives (Phoenix sets none)."""


class DatasetLabel(BaseModel):
    id: str
    name: str
    description: str | None
    color: str


class DatasetLabelBody(BaseModel):
    data: DatasetLabel


class DatasetLabelsBody(BaseModel):
    data: list[DatasetLabel]


class DatasetLabelsPage(BaseModel):
    data: list[DatasetLabel]
    next_cursor: str | None


class CreateDatasetLabelRequest(BaseModel):
    name: Name = Field(description="The name of the dataset label")
    color: str = Field(pattern=HEX_COLOR, description="A lowercase hex color code (#00cc88)")
    description: str | None = Field(default=None, description="An optional description")


class UpdateDatasetLabelRequest(BaseModel):
    """Fields to change; an omitted field (or a null name or colour) stays as it is, a null
    description clears it."""

    name: Name | None = None
    color: str | None = Field(default=None, pattern=HEX_COLOR)
    description: str | None = None


class SetDatasetLabelsRequest(BaseModel):
    dataset_label_ids: list[str] = Field(
        default_factory=list,
        description="Every label the dataset is to carry (GlobalIDs); [] removes them all",
    )


def _label(row: LabelRow) -> DatasetLabel:
    return DatasetLabel(
        id=global_id("DatasetLabel", row.id),
        name=row.name,
        description=row.description,
        color=row.color,
    )


def _label_rowid(label_id: str, field: str = "label_id", location: str = "path") -> int:
    rowid = rowid_of(label_id, "DatasetLabel")
    if rowid is None:
        raise UnprocessableParameterError(
            field, f"Invalid dataset label ID: {label_id}", location=location
        )
    return rowid


def _found(row: LabelRow | None) -> DatasetLabelBody:
    """The label's answer; a 404 for None."""
    if row is None:
        raise NotFoundError("Dataset label not found")
    return DatasetLabelBody(data=_label(row))


def _taken(name: str) -> ConflictError:
    return ConflictError(f"A dataset label named '{name}' already exists")


class DatasetLabelController(Controller):
    path = "/v1"
    tags = ["datasets"]  # noqa: RUF012 (litestar declares it as an instance variable)

    @get("/dataset_labels", summary="List dataset labels")
    async def list_dataset_labels(
        self,
        connection: Db,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[int] = 100,
    ) -> DatasetLabelsPage:
        """Every label, newest first, ``limit`` at a time."""
        page = page_request(cursor, limit, "DatasetLabel", default=100, maximum=MAX_PAGE)
        rows = await queries.list_labels(connection, page.start, page.fetch)
        cut = page_of(rows, page, "DatasetLabel")
        return DatasetLabelsPage(
            data=[_label(row) for row in cut.rows], next_cursor=cut.next_cursor
        )

    @post("/dataset_labels", summary="Create a dataset label", status_code=HTTP_201_CREATED)
    async def create_dataset_label(
        self, connection: Db, data: JSONBody[CreateDatasetLabelRequest]
    ) -> DatasetLabelBody:
        """A new label; 409 if its name is taken."""
        row = await queries.create_label(connection, data.name, data.description, data.color)
        if row is None:
            raise _taken(data.name)
        return DatasetLabelBody(data=_label(row))

    @get("/dataset_labels/{label_id:str}", summary="Get a dataset label by ID")
    async def get_dataset_label(self, connection: Db, label_id: LabelId) -> DatasetLabelBody:
        """One label."""
        row = await queries.get_label(connection, _label_rowid(label_id))
        return _found(row)

    @patch("/dataset_labels/{label_id:str}", summary="Update a dataset label by ID")
    async def update_dataset_label(
        self, connection: Db, label_id: LabelId, data: JSONBody[UpdateDatasetLabelRequest]
    ) -> DatasetLabelBody:
        """Change the fields given; 422 if none is, 409 if the new name is taken."""
        label_rowid = _label_rowid(label_id)
        changes = LabelChanges(
            name=data.name,
            color=data.color,
            description=data.description,
            set_description="description" in data.model_fields_set,
        )
        if changes.name is None and changes.color is None and not changes.set_description:
            raise UnprocessableEntityError("No fields to update")
        try:
            row = await queries.update_label(connection, label_rowid, changes)
        except IntegrityError:
            raise _taken(data.name or "") from None
        return _found(row)

    @delete(
        "/dataset_labels/{label_id:str}",
        summary="Delete a dataset label by ID",
        status_code=HTTP_204_NO_CONTENT,
    )
    async def delete_dataset_label(self, connection: Db, label_id: LabelId) -> None:
        """Delete a label, taking it off every dataset."""
        if not await queries.delete_label(connection, _label_rowid(label_id)):
            raise NotFoundError("Dataset label not found")

    @get(
        "/datasets/{dataset_identifier:str}/labels", summary="List the labels applied to a dataset"
    )
    async def list_dataset_labels_for_dataset(
        self, connection: Db, dataset_identifier: DatasetIdentifier
    ) -> DatasetLabelsBody:
        """The dataset's labels, newest first."""
        dataset = await dataset_by_identifier(connection, dataset_identifier)
        rows = await queries.list_labels_of_dataset(connection, dataset.id)
        return DatasetLabelsBody(data=[_label(row) for row in rows])

    @put(
        "/datasets/{dataset_identifier:str}/labels",
        summary="Replace the set of labels applied to a dataset",
        status_code=HTTP_200_OK,
    )
    async def set_dataset_labels_for_dataset(
        self,
        connection: Db,
        dataset_identifier: DatasetIdentifier,
        data: JSONBody[SetDatasetLabelsRequest],
    ) -> DatasetLabelsBody:
        """Make the dataset carry exactly the labels named; 404 if one does not exist."""
        label_rowids = list(
            dict.fromkeys(
                _label_rowid(label_id, f"dataset_label_ids.{index}", "body")
                for index, label_id in enumerate(data.dataset_label_ids)
            )
        )
        dataset = await dataset_by_identifier(connection, dataset_identifier)
        missing = await queries.find_missing_labels(connection, label_rowids)
        if missing:
            names = ", ".join(global_id("DatasetLabel", rowid) for rowid in missing)
            raise NotFoundError(f"Dataset labels not found: {names}")
        rows = await queries.replace_labels(connection, dataset.id, label_rowids)
        return DatasetLabelsBody(data=[_label(row) for row in rows])

    @put(
        "/datasets/{dataset_identifier:str}/labels/{label_id:str}",
        summary="Apply a label to a dataset",
        status_code=HTTP_200_OK,
    )
    async def add_dataset_label_to_dataset(
        self,
        connection: Db,
        dataset_identifier: DatasetIdentifier,
        label_id: Annotated[str, PathParameter(description="The ID of the dataset label to apply")],
    ) -> DatasetLabelBody:
        """Put the label on the dataset (a no-op if it is there); answers the label."""
        label_rowid = _label_rowid(label_id)
        dataset = await dataset_by_identifier(connection, dataset_identifier)
        row = await queries.apply_label(connection, dataset.id, label_rowid)
        return _found(row)

    @delete(
        "/datasets/{dataset_identifier:str}/labels/{label_id:str}",
        summary="Remove a label from a dataset",
        status_code=HTTP_204_NO_CONTENT,
    )
    async def remove_dataset_label_from_dataset(
        self,
        connection: Db,
        dataset_identifier: DatasetIdentifier,
        label_id: Annotated[
            str, PathParameter(description="The ID of the dataset label to remove")
        ],
    ) -> None:
        """Take the label off the dataset (a no-op if it is not on it)."""
        label_rowid = _label_rowid(label_id)
        dataset = await dataset_by_identifier(connection, dataset_identifier)
        await queries.remove_label(connection, dataset.id, label_rowid)
