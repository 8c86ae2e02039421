"""Experiments (Phoenix's shapes): create, list, get, update and delete them; JSON and CSV
exports of their runs; tags. Runs and evaluations are in ``experiment_runs.py``.

Experiments, runs and evaluations are named by GlobalID only, as in Phoenix. The exports
stream: memory stays bounded whatever the number of runs.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from datetime import datetime
from secrets import token_hex
from typing import Annotated, Any, TypeAlias

import orjson
from litestar import Controller, delete, get, patch, post
from litestar.params import FromQuery, JSONBody, PathParameter
from litestar.response import Stream
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncConnection

from spyglass_core.errors import NotFoundError
from spyglass_db.deletion import delete_projects
from spyglass_db.models.experiments import EXPERIMENT_PROJECT_PREFIX
from spyglass_query_api.dependencies import Db
from spyglass_query_api.queries import experiment_runs as run_queries
from spyglass_query_api.queries import experiments as queries
from spyglass_query_api.queries.experiments import (
    ExperimentRow,
    TagRow,
)
from spyglass_query_api.queries.ids import global_id, rowid_of
from spyglass_query_api.rest.errors import UnprocessableParameterError
from spyglass_query_api.rest.fields import Name
from spyglass_query_api.rest.pagination import page_of, page_request

ExperimentId: TypeAlias = Annotated[str, PathParameter(description="The experiment's GlobalID")]
DatasetId: TypeAlias = Annotated[str, PathParameter(description="The dataset's GlobalID")]

MAX_PAGE = 10_000
"""The longest page a list of experiments, incomplete runs or evaluations gives."""


# Shapes -----------------------------------------------------------------------------------------


class Experiment(BaseModel):
    id: str
    dataset_id: str
    dataset_version_id: str
    name: str
    description: str | None
    repetitions: int
    metadata: dict[str, Any]
    project_name: str | None
    created_at: datetime
    updated_at: datetime
    example_count: int
    successful_run_count: int
    failed_run_count: int
    missing_run_count: int


class ExperimentBody(BaseModel):
    data: Experiment


class ExperimentsPage(BaseModel):
    data: list[Experiment]
    next_cursor: str | None


class CreateExperimentRequest(BaseModel):
    name: str | None = None
    description: str | None = None
    metadata: dict[str, Any] | None = None
    version_id: str | None = None
    splits: list[str] | None = None
    repetitions: int = Field(default=1, ge=1)


class UpdateExperimentRequest(BaseModel):
    """Fields to change; an omitted field stays as it is."""

    name: str | None = None
    description: str | None = None
    metadata: dict[str, Any] | None = None


class ExperimentTag(BaseModel):
    id: str
    name: str
    description: str | None


class ExperimentTagBody(BaseModel):
    data: ExperimentTag


class ExperimentTagsBody(BaseModel):
    data: list[ExperimentTag]


class SetExperimentTagRequest(BaseModel):
    name: Name = Field(pattern=r"^[a-z0-9]([_a-z0-9-]*[a-z0-9])?$")
    description: str | None = None


def _experiment(row: ExperimentRow) -> Experiment:
    return Experiment(
        id=global_id("Experiment", row.id),
        dataset_id=global_id("Dataset", row.dataset_id),
        dataset_version_id=global_id("DatasetVersion", row.dataset_version_id),
        name=row.name,
        description=row.description,
        repetitions=row.repetitions,
        metadata=row.metadata,
        project_name=row.project_name,
        created_at=row.created_at,
        updated_at=row.updated_at,
        example_count=row.example_count,
        successful_run_count=row.successful_run_count,
        failed_run_count=row.failed_run_count,
        missing_run_count=row.missing_run_count,
    )


def _tag(row: TagRow) -> ExperimentTag:
    return ExperimentTag(
        id=global_id("ExperimentTag", row.id), name=row.name, description=row.description
    )


def rowid_or_404(identifier: str, type_name: str) -> int:
    """The row id of a GlobalID of ``type_name``.

    Raises:
        NotFoundError: ``identifier`` is not one (it names nothing).
    """
    rowid = rowid_of(identifier, type_name)
    if rowid is None:
        raise NotFoundError(f"{type_name} with ID {identifier} does not exist")
    return rowid


async def _existing_experiment(connection: AsyncConnection, experiment_id: str) -> ExperimentRow:
    """The experiment ``experiment_id`` names, with its counts.

    Raises:
        NotFoundError: no such experiment.
    """
    row = await queries.get_experiment(connection, rowid_or_404(experiment_id, "Experiment"))
    if row is None:
        raise NotFoundError(f"Experiment with ID {experiment_id} does not exist")
    return row


async def _resolve_splits(connection: AsyncConnection, identifiers: list[str]) -> list[int]:
    """The ids of the splits named (by GlobalID or name).

    Raises:
        NotFoundError: one names no split.
    """
    by_identifier = {name: rowid_of(name, "DatasetSplit") for name in identifiers}
    found_ids, by_name = await queries.find_split_ids(
        connection, [rowid for rowid in by_identifier.values() if rowid is not None], identifiers
    )
    split_ids: list[int] = []
    for identifier, rowid in by_identifier.items():
        if rowid is not None and rowid in found_ids:
            split_ids.append(rowid)
        elif identifier in by_name:
            split_ids.append(by_name[identifier])
        else:
            raise NotFoundError(f"Dataset split {identifier} does not exist")
    return split_ids


# Handlers ---------------------------------------------------------------------------------------


async def create_experiment_from(
    connection: AsyncConnection, dataset_id: str, data: CreateExperimentRequest
) -> int:
    """A new experiment over a version of the dataset (its latest if ``version_id`` is
    omitted), limited to ``splits`` if given, with its trace project ``Experiment-<hex>``;
    its row id.

    Raises:
        NotFoundError: no such dataset, version or split.
    """
    dataset_rowid = rowid_or_404(dataset_id, "Dataset")
    dataset_name = await queries.get_dataset_name(connection, dataset_rowid)
    if dataset_name is None:
        raise NotFoundError(f"Dataset with ID {dataset_id} does not exist")
    requested_version = (
        None if data.version_id is None else rowid_or_404(data.version_id, "DatasetVersion")
    )
    version = await queries.get_version(connection, dataset_rowid, requested_version)
    if version is None:
        if data.version_id is not None:
            raise NotFoundError(f"DatasetVersion with ID {data.version_id} does not exist")
        raise NotFoundError(f"Dataset {dataset_id} does not have any versions")
    split_ids = await _resolve_splits(connection, data.splits or [])
    version_gid = global_id("DatasetVersion", version.id)
    return await queries.create_experiment(
        connection,
        dataset_id=dataset_rowid,
        version_id=version.id,
        name=data.name or f"{dataset_name[:8].replace(' ', '-')}-{token_hex(4)}",
        description=data.description,
        repetitions=data.repetitions,
        metadata=data.metadata or {},
        project_name=f"{EXPERIMENT_PROJECT_PREFIX}{token_hex(12)}",
        project_description=f"dataset_id: {dataset_id}\ndataset_version_id: {version_gid}",
        split_ids=split_ids,
    )


class ExperimentController(Controller):
    path = "/v1"
    tags = ["experiments"]  # noqa: RUF012 (litestar declares it as an instance variable)

    @post(
        "/datasets/{dataset_id:str}/experiments",
        summary="Create experiment on a dataset",
        status_code=HTTP_200_OK,
    )
    async def create_experiment(
        self, connection: Db, dataset_id: DatasetId, data: JSONBody[CreateExperimentRequest]
    ) -> ExperimentBody:
        """A new experiment over a version of the dataset (its latest if ``version_id`` is
        omitted), limited to ``splits`` if given, with its trace project ``Experiment-<hex>``."""
        experiment_rowid = await create_experiment_from(connection, dataset_id, data)
        row = await queries.get_experiment(connection, experiment_rowid)
        assert row is not None  # written in this transaction
        return ExperimentBody(data=_experiment(row))

    @get("/datasets/{dataset_id:str}/experiments", summary="List experiments by dataset")
    async def list_experiments(
        self,
        connection: Db,
        dataset_id: DatasetId,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[int] = 50,
    ) -> ExperimentsPage:
        """The dataset's experiments, newest first, ``limit`` at a time."""
        page = page_request(cursor, limit, "Experiment", default=50, maximum=MAX_PAGE)
        dataset_rowid = rowid_or_404(dataset_id, "Dataset")
        if await queries.get_dataset_name(connection, dataset_rowid) is None:
            raise NotFoundError(f"Dataset with ID {dataset_id} does not exist")
        rows = await queries.list_experiments(connection, dataset_rowid, page.start, page.fetch)
        cut = page_of(rows, page, "Experiment")
        return ExperimentsPage(
            data=[_experiment(row) for row in cut.rows], next_cursor=cut.next_cursor
        )

    @get("/experiments/{experiment_id:str}", summary="Get experiment by ID")
    async def get_experiment(self, connection: Db, experiment_id: ExperimentId) -> ExperimentBody:
        """The experiment with its example count and its successful, failed and missing runs."""
        return ExperimentBody(
            data=_experiment(await _existing_experiment(connection, experiment_id))
        )

    @patch("/experiments/{experiment_id:str}", summary="Update an experiment")
    async def update_experiment(
        self,
        connection: Db,
        experiment_id: ExperimentId,
        data: JSONBody[UpdateExperimentRequest],
    ) -> ExperimentBody:
        """Change the name, description or metadata; ``description: null`` clears it, a null
        name or metadata is refused (422)."""
        changes = {field: getattr(data, field) for field in data.model_fields_set}
        for field in ("name", "metadata"):
            if field in changes and changes[field] is None:
                raise UnprocessableParameterError(
                    field, f"`{field}` must not be null", location="body"
                )
        rowid = rowid_or_404(experiment_id, "Experiment")
        if not await queries.update_experiment(connection, rowid, changes):
            raise NotFoundError(f"Experiment with ID {experiment_id} does not exist")
        return ExperimentBody(
            data=_experiment(await _existing_experiment(connection, experiment_id))
        )

    @delete(
        "/experiments/{experiment_id:str}",
        summary="Delete experiment by ID",
        status_code=HTTP_204_NO_CONTENT,
    )
    async def delete_experiment(
        self,
        connection: Db,
        experiment_id: ExperimentId,
        delete_project: FromQuery[bool] = False,
    ) -> None:
        """Delete the experiment with its runs, evaluations and tags; with ``delete_project``
        also its trace project."""
        existed, project_id = await queries.delete_experiment(
            connection, rowid_or_404(experiment_id, "Experiment")
        )
        if not existed:
            raise NotFoundError(f"Experiment with ID {experiment_id} does not exist")
        if delete_project and project_id is not None:
            await delete_projects(connection, [project_id])

    @get(
        "/experiments/{experiment_id:str}/json",
        summary="Download experiment runs as a JSON file",
        media_type="application/json",
    )
    async def get_experiment_json(self, connection: Db, experiment_id: ExperimentId) -> Stream:
        """Every run with its example's input and reference output and its evaluations, in
        (example, repetition) order, as one JSON array written as it is read."""
        name = await _export_name(connection, experiment_id)
        engine = connection.engine
        rowid = rowid_or_404(experiment_id, "Experiment")

        async def chunks() -> AsyncIterator[bytes]:
            separator = b"["
            async with engine.connect() as reader:
                async for batch in run_queries.stream_export_rows(reader, rowid):
                    out = bytearray()
                    for row in batch:
                        out += separator
                        out += orjson.dumps(_json_record(row._mapping))
                        separator = b","
                    yield bytes(out)
            yield b"[]" if separator == b"[" else b"]"

        return Stream(
            chunks(),
            media_type="application/json",
            headers={"content-disposition": _attachment(name, "json")},
        )

    @get(
        "/experiments/{experiment_id:str}/csv",
        summary="Download experiment runs as a CSV file",
        media_type="text/csv",
    )
    async def get_experiment_csv(self, connection: Db, experiment_id: ExperimentId) -> Stream:
        """Every run as a CSV row, with a group of columns per evaluation name."""
        name = await _export_name(connection, experiment_id)
        rowid = rowid_or_404(experiment_id, "Experiment")
        evaluation_names = await run_queries.list_evaluation_names(connection, rowid)
        engine = connection.engine

        async def chunks() -> AsyncIterator[str]:
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(_csv_header(evaluation_names))
            async with engine.connect() as reader:
                async for batch in run_queries.stream_export_rows(reader, rowid):
                    for row in batch:
                        writer.writerow(_csv_row(row._mapping, evaluation_names))
                    yield out.getvalue()
                    out.seek(0)
                    out.truncate()
            yield out.getvalue()

        return Stream(
            chunks(),
            media_type="text/csv",
            headers={"content-disposition": _attachment(name, "csv")},
        )

    @get("/experiments/{experiment_id:str}/tags", summary="List an experiment's tags")
    async def list_experiment_tags(
        self, connection: Db, experiment_id: ExperimentId
    ) -> ExperimentTagsBody:
        """The tags that point at this experiment, by name."""
        rowid = rowid_or_404(experiment_id, "Experiment")
        if await queries.get_experiment_name(connection, rowid) is None:
            raise NotFoundError(f"Experiment with ID {experiment_id} does not exist")
        return ExperimentTagsBody(
            data=[_tag(row) for row in await queries.list_tags(connection, rowid)]
        )

    @post(
        "/experiments/{experiment_id:str}/tags",
        summary="Set a tag on an experiment",
        status_code=HTTP_200_OK,
    )
    async def set_experiment_tag(
        self,
        connection: Db,
        experiment_id: ExperimentId,
        data: JSONBody[SetExperimentTagRequest],
    ) -> ExperimentTagBody:
        """Point the dataset's tag ``name`` at this experiment, moving it from another."""
        row = await queries.set_tag(
            connection, rowid_or_404(experiment_id, "Experiment"), data.name, data.description
        )
        if row is None:
            raise NotFoundError(f"Experiment with ID {experiment_id} does not exist")
        return ExperimentTagBody(data=_tag(row))

    @delete(
        "/experiments/{experiment_id:str}/tags/{tag_identifier:str}",
        summary="Remove a tag from an experiment",
        status_code=HTTP_204_NO_CONTENT,
    )
    async def delete_experiment_tag(
        self,
        connection: Db,
        experiment_id: ExperimentId,
        tag_identifier: Annotated[
            str, PathParameter(description="The node ID or name of the tag to remove")
        ],
    ) -> None:
        """Remove the tag (by GlobalID or name) from the experiment."""
        rowid = rowid_or_404(experiment_id, "Experiment")
        tag_rowid = rowid_of(tag_identifier, "ExperimentTag")
        if not await queries.delete_tag(connection, rowid, tag_rowid, tag_identifier):
            if await queries.get_experiment_name(connection, rowid) is None:
                raise NotFoundError(f"Experiment with ID {experiment_id} does not exist")
            raise NotFoundError(f"Tag {tag_identifier} is not on experiment {experiment_id}")


# Exports ----------------------------------------------------------------------------------------

_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._ -]")
_RUN_COLUMNS = (
    "example_id", "repetition_number", "input", "reference_output", "output", "error",
    "latency_ms", "start_time", "end_time", "trace_id", "prompt_token_count",
    "completion_token_count",
)  # fmt: skip
_EVALUATION_COLUMNS = (
    "label", "score", "explanation", "metadata", "annotator_kind", "trace_id", "error",
    "start_time", "end_time",
)  # fmt: skip


async def _export_name(connection: AsyncConnection, experiment_id: str) -> str:
    """The experiment's name, for the file name.

    Raises:
        NotFoundError: no such experiment, or it has no runs (as Phoenix answers).
    """
    rowid = rowid_or_404(experiment_id, "Experiment")
    name = await queries.get_experiment_name(connection, rowid)
    if name is None:
        raise NotFoundError(f"Experiment with ID {experiment_id} does not exist")
    if not await run_queries.has_runs(connection, rowid):
        raise NotFoundError(f"Experiment with ID {experiment_id} has no runs")
    return name


def _attachment(name: str, extension: str) -> str:
    """A ``content-disposition`` naming the file after the experiment (header-safe)."""
    return f'attachment; filename="{_UNSAFE_FILENAME.sub("_", name)}.{extension}"'


def _annotations(row: Any) -> list[dict[str, Any]]:
    """The run's evaluations; scores as floats (JSON from PostgreSQL writes 1.0 as 1)."""
    annotations: list[dict[str, Any]] = row["annotations"]
    for annotation in annotations:
        if annotation["score"] is not None:
            annotation["score"] = float(annotation["score"])
    return annotations


def _json_record(row: Any) -> dict[str, Any]:
    return {
        "example_id": global_id("DatasetExample", row["dataset_example_id"]),
        **{column: row[column] for column in _RUN_COLUMNS[1:]},
        "annotations": _annotations(row),
    }


def _csv_header(evaluation_names: list[str]) -> list[str]:
    return [
        *_RUN_COLUMNS,
        *(
            f"annotation_{name}_{column}"
            for name in evaluation_names
            for column in _EVALUATION_COLUMNS
        ),
    ]


def _csv_text(value: Any) -> Any:
    """A cell: strings and numbers as they are, JSON for the rest, empty for null."""
    if value is None or isinstance(value, str | int | float):
        return "" if value is None else value
    if isinstance(value, datetime):
        return value.isoformat()
    return orjson.dumps(value).decode()


def _csv_row(row: Any, evaluation_names: list[str]) -> list[Any]:
    cells = [global_id("DatasetExample", row["dataset_example_id"])]
    cells.extend(_csv_text(row[column]) for column in _RUN_COLUMNS[1:])
    cells[2] = orjson.dumps(row["input"]).decode()
    cells[3] = orjson.dumps(row["reference_output"]).decode()
    by_name = {annotation["name"]: annotation for annotation in _annotations(row)}
    for name in evaluation_names:
        annotation = by_name.get(name)
        for column in _EVALUATION_COLUMNS:
            cells.append("" if annotation is None else _csv_text(annotation[column]))
    return cells
