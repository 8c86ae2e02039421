"""Evaluators attached to a dataset (Spyglass's own REST): list, attach, detach.

A dataset evaluator scores every successful run of every experiment over its dataset as a run
annotation called ``name``: runs written later get their job with the run's own write, and
runs already written are recorded for scoring when it is attached (the answer says how many).
The dataset is named by its GlobalID, as Phoenix's dataset endpoints name it (anything else is
a 422); the evaluator by its GlobalID or name, and a version that it does not have, or an input
mapping that can't be read, is a 422 naming the field.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, TypeAlias

from litestar import Controller, Request, delete, get, post
from litestar.params import FromQuery, JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection

from spyglass_core.errors import ConflictError, NotFoundError
from spyglass_db.evaluation_jobs import score_existing_runs
from spyglass_query_api.access import requester_id
from spyglass_query_api.dependencies import Db
from spyglass_query_api.queries import dataset_evaluators as queries
from spyglass_query_api.queries.dataset_evaluators import DatasetEvaluatorRow
from spyglass_query_api.queries.ids import global_id, rowid_of
from spyglass_query_api.rest.errors import UnprocessableParameterError
from spyglass_query_api.rest.evaluator_bodies import CreateDatasetEvaluatorRequestBody
from spyglass_query_api.rest.evaluators import attachable_evaluator, checked_mapping
from spyglass_query_api.rest.pagination import page_of, page_request

DatasetId: TypeAlias = Annotated[str, PathParameter(description="The ID of the dataset")]
Limit: TypeAlias = Annotated[
    int, QueryParameter(gt=0, description="The max number of items to return at a time.")
]

DEFAULT_PAGE = 100
MAX_PAGE = 1000


class EvaluatorSummary(BaseModel):
    id: str
    name: str
    kind: str


class DatasetEvaluator(BaseModel):
    id: str
    dataset_id: str
    evaluator: EvaluatorSummary
    evaluator_version: int | None
    """The version it runs; null: always the latest."""
    name: str
    """The annotation name of its scores."""
    input_mapping: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class CreatedDatasetEvaluator(DatasetEvaluator):
    existing_runs: int
    """Runs already written over the dataset that were recorded for scoring now."""


class DatasetEvaluatorsPage(BaseModel):
    data: list[DatasetEvaluator]
    next_cursor: str | None


class CreateDatasetEvaluatorResponseBody(BaseModel):
    data: CreatedDatasetEvaluator


def _fields(row: DatasetEvaluatorRow) -> dict[str, Any]:
    return {
        "id": global_id("DatasetEvaluator", row.id),
        "dataset_id": global_id("Dataset", row.dataset_id),
        "evaluator": EvaluatorSummary(
            id=global_id("Evaluator", row.evaluator_id),
            name=row.evaluator_name,
            kind=row.evaluator_kind,
        ),
        "evaluator_version": row.evaluator_version,
        "name": row.name,
        "input_mapping": row.input_mapping,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def _dataset_rowid(value: str) -> int:
    rowid = rowid_of(value, "Dataset")
    if rowid is None:
        raise UnprocessableParameterError("id", f"Invalid Dataset ID: {value!r}", location="path")
    return rowid


async def _existing_dataset(connection: AsyncConnection, dataset_id: str) -> int:
    """The row id of the dataset ``dataset_id`` names, kept from deletion until the end of the
    transaction.

    Raises:
        UnprocessableParameterError: not a Dataset GlobalID.
        NotFoundError: no such dataset.
    """
    rowid = _dataset_rowid(dataset_id)
    if not await queries.lock_dataset(connection, rowid):
        raise NotFoundError(f"Dataset with ID {dataset_id} not found")
    return rowid


class DatasetEvaluatorController(Controller):
    path = "/v1/datasets/{id:str}/evaluators"
    tags = ["datasets", "evaluators"]  # noqa: RUF012 (litestar declares it as an instance variable)

    @get(summary="List a dataset's evaluators")
    async def list_dataset_evaluators(
        self,
        connection: Db,
        id: DatasetId,
        cursor: FromQuery[str | None] = None,
        limit: Limit = DEFAULT_PAGE,
    ) -> DatasetEvaluatorsPage:
        """The evaluators attached to the dataset, newest first, ``limit`` at a time."""
        page = page_request(
            cursor, limit, "DatasetEvaluator", default=DEFAULT_PAGE, maximum=MAX_PAGE
        )
        dataset = await _existing_dataset(connection, id)
        rows = await queries.list_dataset_evaluators(connection, dataset, page.start, page.fetch)
        cut = page_of(rows, page, "DatasetEvaluator")
        return DatasetEvaluatorsPage(
            data=[DatasetEvaluator(**_fields(row)) for row in cut.rows],
            next_cursor=cut.next_cursor,
        )

    @post(summary="Attach an evaluator to a dataset", status_code=HTTP_201_CREATED)
    async def create_dataset_evaluator(
        self,
        connection: Db,
        id: DatasetId,
        data: JSONBody[CreateDatasetEvaluatorRequestBody],
        request: Request[Any, Any, Any],
    ) -> CreateDatasetEvaluatorResponseBody:
        """Attach an evaluator: it scores the runs of every experiment over the dataset, those
        already written too. A name the dataset's evaluators have already is 409."""
        dataset = await _existing_dataset(connection, id)
        evaluator = await attachable_evaluator(connection, data.evaluator, data.evaluator_version)
        mapping = checked_mapping(data.input_mapping)
        row = await queries.create_dataset_evaluator(
            connection,
            dataset_id=dataset,
            evaluator_id=evaluator.id,
            evaluator_version=data.evaluator_version,
            name=data.name,
            input_mapping=mapping,
            requested_by=requester_id(request),
        )
        if row is None:
            raise ConflictError(f"Dataset {id} already has an evaluator named {data.name}")
        existing = await score_existing_runs(connection, row.id, datetime.now(UTC))
        return CreateDatasetEvaluatorResponseBody(
            data=CreatedDatasetEvaluator(**_fields(row), existing_runs=existing)
        )

    @delete(
        "/{dataset_evaluator_id:str}",
        summary="Detach an evaluator from a dataset",
        status_code=HTTP_204_NO_CONTENT,
    )
    async def delete_dataset_evaluator(
        self,
        connection: Db,
        id: DatasetId,
        dataset_evaluator_id: Annotated[
            str, PathParameter(description="The ID of the dataset evaluator")
        ],
    ) -> None:
        """Detach it: it scores no more runs (the scores it wrote stay; its unfinished jobs go)."""
        dataset = _dataset_rowid(id)
        rowid = rowid_of(dataset_evaluator_id, "DatasetEvaluator")
        if rowid is None or not await queries.delete_dataset_evaluator(connection, dataset, rowid):
            raise NotFoundError(f"Dataset {id} has no evaluator with ID {dataset_evaluator_id}")
