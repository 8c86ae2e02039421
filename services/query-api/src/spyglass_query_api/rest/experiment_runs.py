"""Experiment runs and their evaluations (Phoenix's shapes): create and list runs, upsert
evaluations, and what is left to run or evaluate (what ``resume_experiment`` and
``resume_evaluation`` read).

A run is written once per (example, repetition): posting it again answers 409 and changes
nothing, unless the stored run failed, which the new one replaces. An evaluation is upserted on
(run, name). A run list without ``limit`` is written out as it is read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
from litestar import Controller, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromQuery, JSONBody
from litestar.response import Stream
from litestar.status_codes import HTTP_200_OK
from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError

from spyglass_core.errors import ConflictError, InvalidArgumentError, NotFoundError
from spyglass_query_api.compression import ANSWER_ALWAYS_SMALL
from spyglass_query_api.dependencies import Db, Statements
from spyglass_query_api.queries import experiment_runs as run_queries
from spyglass_query_api.queries import experiments as queries
from spyglass_query_api.queries.experiment_runs import ExampleRow, RunRefusal, RunRow
from spyglass_query_api.queries.ids import global_id
from spyglass_query_api.rest.errors import UnprocessableParameterError
from spyglass_query_api.rest.experiments import MAX_PAGE, ExperimentId, rowid_or_404
from spyglass_query_api.rest.fields import Name
from spyglass_query_api.rest.pagination import page_of, page_request


class CreateExperimentRunRequest(BaseModel):
    dataset_example_id: str
    output: Any
    repetition_number: int = Field(gt=0)
    start_time: datetime
    end_time: datetime
    trace_id: str | None = None
    error: str | None = None


class CreatedId(BaseModel):
    id: str


class CreatedIdBody(BaseModel):
    data: CreatedId


class ExperimentRun(BaseModel):
    dataset_example_id: str
    output: Any
    repetition_number: int
    start_time: datetime
    end_time: datetime
    trace_id: str | None
    error: str | None
    id: str
    experiment_id: str


class ExperimentRunsPage(BaseModel):
    data: list[ExperimentRun]
    next_cursor: str | None


class DatasetExample(BaseModel):
    id: str
    node_id: str
    input: dict[str, Any]
    output: dict[str, Any]
    metadata: dict[str, Any]
    updated_at: datetime


class IncompleteExperimentRun(BaseModel):
    dataset_example: DatasetExample
    repetition_numbers: list[int]


class IncompleteExperimentRunsPage(BaseModel):
    data: list[IncompleteExperimentRun]
    next_cursor: str | None


class IncompleteExperimentEvaluation(BaseModel):
    experiment_run: ExperimentRun
    dataset_example: DatasetExample
    evaluation_names: list[str]


class IncompleteExperimentEvaluationsPage(BaseModel):
    data: list[IncompleteExperimentEvaluation]
    next_cursor: str | None


class EvaluationResult(BaseModel):
    label: str | None = None
    score: float | None = None
    explanation: str | None = None


class UpsertExperimentEvaluationRequest(BaseModel):
    experiment_run_id: str
    name: Name
    annotator_kind: Literal["LLM", "CODE", "HUMAN"]
    start_time: datetime
    end_time: datetime
    result: EvaluationResult | None = None
    error: str | None = None
    metadata: dict[str, Any] | None = None
    trace_id: str | None = None


def _run_fields(row: RunRow) -> dict[str, Any]:
    """A run as Phoenix shows it (``ExperimentRun``'s fields)."""
    return {
        "dataset_example_id": global_id("DatasetExample", row.dataset_example_id),
        "output": row.output,
        "repetition_number": row.repetition_number,
        "start_time": row.start_time,
        "end_time": row.end_time,
        "trace_id": row.trace_id,
        "error": row.error,
        "id": global_id("ExperimentRun", row.id),
        "experiment_id": global_id("Experiment", row.experiment_id),
    }


def _run(row: RunRow) -> ExperimentRun:
    return ExperimentRun(**_run_fields(row))


def _example(row: ExampleRow) -> DatasetExample:
    node_id = global_id("DatasetExample", row.id)
    return DatasetExample(
        id=row.external_id or node_id,
        node_id=node_id,
        input=row.input,
        output=row.output,
        metadata=row.metadata,
        updated_at=row.updated_at,
    )


def _aware(moment: datetime) -> datetime:
    """``moment`` with a time zone: a naive one is taken as UTC, as Phoenix takes it."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _run_refused(refusal: RunRefusal, experiment_id: str, data: CreateExperimentRunRequest) -> None:
    """Raise what a run that was not written amounts to."""
    if not refusal.experiment_exists:
        raise NotFoundError(f"Experiment with ID {experiment_id} does not exist")
    if not refusal.example_exists:
        raise NotFoundError(f"DatasetExample with ID {data.dataset_example_id} does not exist")
    if not refusal.example_in_experiment:
        raise UnprocessableParameterError(
            "dataset_example_id",
            f"DatasetExample {data.dataset_example_id} is not an example of the dataset version "
            f"(and splits) of experiment {experiment_id}",
            location="body",
        )
    if data.repetition_number > refusal.repetitions:
        raise UnprocessableParameterError(
            "repetition_number",
            f"repetition_number must be at most the experiment's repetitions "
            f"({refusal.repetitions}), got {data.repetition_number}",
            location="body",
        )
    run = (
        ""
        if refusal.existing_run_id is None
        else global_id("ExperimentRun", refusal.existing_run_id)
    )
    raise ConflictError(
        f"Experiment run {run} already exists with a successful result and cannot be updated"
    )


class ExperimentRunController(Controller):
    path = "/v1"
    tags = ["experiments"]  # noqa: RUF012 (litestar declares it as an instance variable)

    @post(
        "/experiments/{experiment_id:str}/runs",
        summary="Create run for an experiment",
        status_code=HTTP_200_OK,
        opt=ANSWER_ALWAYS_SMALL,
    )
    async def create_experiment_run(
        self,
        statements: Statements,
        experiment_id: ExperimentId,
        data: JSONBody[CreateExperimentRunRequest],
    ) -> CreatedIdBody:
        """Store the task's result for one (example, repetition): 409 if a successful run is
        there already (nothing changes), a failed one is replaced."""
        try:
            outcome = await run_queries.create_run(
                statements,
                experiment_id=rowid_or_404(experiment_id, "Experiment"),
                example_id=rowid_or_404(data.dataset_example_id, "DatasetExample"),
                repetition_number=data.repetition_number,
                output=data.output,
                start_time=_aware(data.start_time),
                end_time=_aware(data.end_time),
                trace_id=data.trace_id,
                error=data.error,
            )
        except IntegrityError:
            # The experiment (or its dataset, examples and all) was deleted while this was
            # written: its foreign keys refused the run.
            raise NotFoundError(f"Experiment with ID {experiment_id} does not exist") from None
        if isinstance(outcome, RunRefusal):
            _run_refused(outcome, experiment_id, data)
            raise AssertionError("unreachable")  # _run_refused always raises
        return CreatedIdBody(data=CreatedId(id=global_id("ExperimentRun", outcome)))

    @get(
        "/experiments/{experiment_id:str}/runs",
        summary="List runs for an experiment",
        responses={
            HTTP_200_OK: ResponseSpec(
                data_container=ExperimentRunsPage,
                description="The experiment's runs",
                generate_examples=False,
            )
        },
    )
    async def list_experiment_runs(
        self,
        connection: Db,
        experiment_id: ExperimentId,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[int | None] = None,
    ) -> Response[Any]:
        """The experiment's runs, newest first; all of them unless ``limit`` is given (then
        written out as they are read: memory stays bounded at any number of runs)."""
        rowid = rowid_or_404(experiment_id, "Experiment")
        page = page_request(cursor, limit, "ExperimentRun", default=1, maximum=2**62)
        if await queries.get_experiment_name(connection, rowid) is None:
            raise NotFoundError(f"Experiment with ID {experiment_id} does not exist")
        if limit is not None:
            rows = await run_queries.list_runs(connection, rowid, page.start, page.fetch)
            cut = page_of(rows, page, "ExperimentRun")
            return Response(
                ExperimentRunsPage(
                    data=[_run(row) for row in cut.rows], next_cursor=cut.next_cursor
                )
            )
        engine = connection.engine

        async def chunks() -> AsyncIterator[bytes]:
            separator = b'{"data":['
            async with engine.connect() as reader:
                async for batch in run_queries.stream_runs(reader, rowid):
                    out = bytearray()
                    for row in batch:
                        out += separator
                        out += orjson.dumps(_run_fields(row))
                        separator = b","
                    yield bytes(out)
            yield (b"" if separator == b"," else separator) + b'],"next_cursor":null}'

        return Stream(chunks(), media_type="application/json")

    @get(
        "/experiments/{experiment_id:str}/incomplete-runs",
        summary="Get incomplete runs for an experiment",
    )
    async def get_incomplete_experiment_runs(
        self,
        connection: Db,
        experiment_id: ExperimentId,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[int] = 50,
    ) -> IncompleteExperimentRunsPage:
        """The experiment's examples with repetitions that have no run or a failed one, in
        example order, ``limit`` examples at a time (the cursor names the next example)."""
        rowid = rowid_or_404(experiment_id, "Experiment")
        page = page_request(cursor, limit, "DatasetExample", default=50, maximum=MAX_PAGE)
        if await queries.get_experiment_name(connection, rowid) is None:
            raise NotFoundError(f"Experiment with ID {experiment_id} does not exist")
        rows = await run_queries.list_incomplete_runs(connection, rowid, page.start, page.fetch)
        cut = page_of(rows, page, "DatasetExample")
        return IncompleteExperimentRunsPage(
            data=[
                IncompleteExperimentRun(
                    dataset_example=_example(row.example),
                    repetition_numbers=row.repetition_numbers,
                )
                for row in cut.rows
            ],
            next_cursor=cut.next_cursor,
        )

    @get(
        "/experiments/{experiment_id:str}/incomplete-evaluations",
        summary="Get incomplete evaluations for an experiment",
    )
    async def get_incomplete_experiment_evaluations(
        self,
        connection: Db,
        experiment_id: ExperimentId,
        evaluation_name: FromQuery[list[str] | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[int] = 50,
    ) -> IncompleteExperimentEvaluationsPage:
        """The experiment's successful runs lacking a successful evaluation of some of
        ``evaluation_name``, in run order, ``limit`` runs at a time."""
        rowid = rowid_or_404(experiment_id, "Experiment")
        page = page_request(cursor, limit, "ExperimentRun", default=50, maximum=MAX_PAGE)
        names = sorted({name.strip() for name in evaluation_name or [] if name.strip()})
        if not names:
            raise InvalidArgumentError("At least one evaluation_name must be provided")
        if await queries.get_experiment_name(connection, rowid) is None:
            raise NotFoundError(f"Experiment with ID {experiment_id} does not exist")
        rows = await run_queries.list_incomplete_evaluations(
            connection, rowid, names, page.start, page.fetch
        )
        cut = page_of(rows, page, "ExperimentRun")
        return IncompleteExperimentEvaluationsPage(
            data=[
                IncompleteExperimentEvaluation(
                    experiment_run=_run(row.run),
                    dataset_example=_example(row.example),
                    evaluation_names=row.evaluation_names,
                )
                for row in cut.rows
            ],
            next_cursor=cut.next_cursor,
        )

    @post(
        "/experiment_evaluations",
        summary="Create or update evaluation for an experiment run",
        status_code=HTTP_200_OK,
        opt=ANSWER_ALWAYS_SMALL,
    )
    async def upsert_experiment_evaluation(
        self, statements: Statements, data: JSONBody[UpsertExperimentEvaluationRequest]
    ) -> CreatedIdBody:
        """Store a run's evaluation, replacing the run's evaluation of the same name."""
        run_rowid = rowid_or_404(data.experiment_run_id, "ExperimentRun")
        result = data.result or EvaluationResult()
        values = {
            "name": data.name,
            "annotator_kind": data.annotator_kind,
            "label": result.label,
            "score": result.score,
            "explanation": result.explanation,
            "trace_id": data.trace_id,
            "error": data.error,
            "metadata": data.metadata or {},
            "start_time": _aware(data.start_time),
            "end_time": _aware(data.end_time),
        }
        missing = f"ExperimentRun with ID {data.experiment_run_id} does not exist"
        try:
            evaluation_id = await run_queries.upsert_evaluation(statements, run_rowid, values)
        except IntegrityError:  # the run was deleted while this was written
            raise NotFoundError(missing) from None
        if evaluation_id is None:
            raise NotFoundError(missing)
        return CreatedIdBody(data=CreatedId(id=global_id("ExperimentEvaluation", evaluation_id)))
