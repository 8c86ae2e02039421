"""Server-side experiments (our own operations, not Phoenix's): run a prompt over a dataset.

``POST /v1/experiment_jobs`` creates an experiment over a dataset version (optionally some
splits, with repetitions) and a job that the experiment runner carries out: one call of the
prompt's model per (example, repetition), each a run of the experiment with its trace. The
prompt is a stored version (``prompt_version_id``) or given whole (``prompt``, a playground
variant). ``GET /v1/experiment_jobs/{id}`` gives its status and progress; ``.../cancel`` and
``.../resume`` stop it and run what it has left (missing and failed runs).

Refused before anything is created (422, the message says what to fix): a template variable
that some examples' inputs lack (named, with how many examples lack it), an unknown provider
or one Spyglass can't call, no credential configured for the provider.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, TypeAlias

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.types import BigInteger, Text

from spyglass_core.errors import InvalidArgumentError, NotFoundError
from spyglass_db import experiment_jobs as jobs
from spyglass_db.experiment_jobs import JobProgress, JobRow
from spyglass_jobs import JobProducer, TaskName
from spyglass_llm.credentials import CredentialResolver
from spyglass_llm.errors import MissingCredential, UnsupportedProviderError
from spyglass_llm.runnable import RunnablePrompt
from spyglass_query_api.access import requester_id
from spyglass_query_api.dependencies import Db
from spyglass_query_api.queries.ids import global_id
from spyglass_query_api.rest.errors import UnprocessableEntityError
from spyglass_query_api.rest.experiments import (
    CreateExperimentRequest,
    create_experiment_from,
    rowid_or_404,
)
from spyglass_spans import ModelPriceTable

JobId: TypeAlias = Annotated[str, PathParameter(description="The job's GlobalID")]

Producer: TypeAlias = NamedDependency[JobProducer]
Credentials: TypeAlias = NamedDependency[CredentialResolver]
Prices: TypeAlias = NamedDependency[ModelPriceTable]
Engine: TypeAlias = NamedDependency[AsyncEngine]


class PromptBody(BaseModel):
    """A prompt given whole, as a prompt version's fields (a playground variant)."""

    model_provider: str = Field(max_length=64)
    model_name: str = Field(max_length=256)
    template: dict[str, Any]
    template_format: str = Field(default="MUSTACHE", max_length=16)
    invocation_parameters: dict[str, Any] = Field(default_factory=dict)
    tools: dict[str, Any] | None = None
    response_format: dict[str, Any] | None = None


class CreateExperimentJobRequest(CreateExperimentRequest):
    """An experiment over a dataset, run by the server with a prompt."""

    dataset_id: str = Field(max_length=256)
    prompt_version_id: str | None = Field(default=None, max_length=256)
    prompt: PromptBody | None = None

    @model_validator(mode="after")
    def _one_prompt(self) -> CreateExperimentJobRequest:
        if (self.prompt_version_id is None) == (self.prompt is None):
            raise ValueError("give exactly one of prompt_version_id and prompt")
        return self


class ExperimentJobProgress(BaseModel):
    total: int
    succeeded: int
    failed: int
    done: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float | None
    runs_per_second: float
    eta_seconds: float | None


class ExperimentJob(BaseModel):
    id: str
    experiment_id: str
    status: str
    status_reason: str | None
    model_provider: str
    model_name: str
    prompt_version_id: str | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    progress: ExperimentJobProgress


class ExperimentJobBody(BaseModel):
    data: ExperimentJob


def experiment_job(row: JobRow, progress: JobProgress, prices: ModelPriceTable) -> ExperimentJob:
    """The REST (and UI) shape of a job."""
    task = row.task
    provider, model = str(task.get("provider", "")), str(task.get("model", ""))
    cost = prices.cost(model, provider, progress.prompt_tokens, progress.completion_tokens)
    return ExperimentJob(
        id=global_id("ExperimentJob", row.id),
        experiment_id=global_id("Experiment", row.experiment_id),
        status=row.status,
        status_reason=row.status_reason,
        model_provider=provider,
        model_name=model,
        prompt_version_id=(
            None
            if row.prompt_version_id is None
            else global_id("PromptVersion", row.prompt_version_id)
        ),
        created_at=row.created_at,
        updated_at=row.updated_at,
        finished_at=row.finished_at,
        progress=ExperimentJobProgress(
            total=progress.total,
            succeeded=progress.succeeded,
            failed=progress.failed,
            done=progress.done,
            prompt_tokens=progress.prompt_tokens,
            completion_tokens=progress.completion_tokens,
            cost_usd=None if cost is None else cost.total,
            runs_per_second=progress.recent / jobs.RECENT_SECONDS,
            eta_seconds=progress.eta_seconds() if row.status == "RUNNING" else None,
        ),
    )


_PROMPT_VERSION = text(
    """
    SELECT id, model_provider, model_name, template, template_format, invocation_parameters,
        tools, response_format
    FROM prompt_versions WHERE id = :id
    """
).bindparams(bindparam("id", type_=BigInteger))


async def _runnable_prompt(
    connection: AsyncConnection, data: CreateExperimentJobRequest
) -> tuple[RunnablePrompt, int | None]:
    try:
        if data.prompt is not None:
            prompt = data.prompt
            return (
                RunnablePrompt.from_template(
                    provider=prompt.model_provider,
                    model=prompt.model_name,
                    template=prompt.template,
                    template_format=prompt.template_format,
                    invocation_parameters=prompt.invocation_parameters,
                    tools=prompt.tools,
                    response_format=prompt.response_format,
                ),
                None,
            )
        assert data.prompt_version_id is not None
        version_id = rowid_or_404(data.prompt_version_id, "PromptVersion")
        row = (await connection.execute(_PROMPT_VERSION, {"id": version_id})).one_or_none()
        if row is None:
            raise NotFoundError(f"PromptVersion with ID {data.prompt_version_id} does not exist")
        return (
            RunnablePrompt.from_template(
                provider=row.model_provider,
                model=row.model_name,
                template=row.template,
                template_format=row.template_format,
                invocation_parameters=row.invocation_parameters,
                tools=row.tools,
                response_format=row.response_format,
            ),
            version_id,
        )
    except (UnsupportedProviderError, InvalidArgumentError) as error:
        if isinstance(error, NotFoundError):
            raise
        raise UnprocessableEntityError(str(error)) from None


_MISSING_VARIABLES = text(
    """
    SELECT v.name, count(*), min(e.external_id)
    FROM experiments_dataset_examples AS xe
    JOIN dataset_examples AS e ON e.id = xe.dataset_example_id
    JOIN dataset_example_revisions AS rv ON rv.id = xe.dataset_example_revision_id
    CROSS JOIN unnest(:names) AS v(name)
    WHERE xe.experiment_id = :experiment_id
      AND NOT (jsonb_typeof(rv.input) = 'object' AND rv.input ? v.name)
    GROUP BY v.name
    ORDER BY v.name
    """
).bindparams(bindparam("experiment_id", type_=BigInteger), bindparam("names", type_=ARRAY(Text)))


async def _check_variables(
    connection: AsyncConnection, experiment_id: int, prompt: RunnablePrompt
) -> None:
    """Refuse a prompt whose variables some of the experiment's examples lack."""
    names = prompt.variables()
    if not names:
        return
    rows = (
        await connection.execute(
            _MISSING_VARIABLES, {"experiment_id": experiment_id, "names": names}
        )
    ).all()
    if rows:
        described = "; ".join(
            f"'{name}' is missing from the input of {count} example(s) (e.g. {example})"
            for name, count, example in rows
        )
        raise UnprocessableEntityError(f"template variables missing from the dataset: {described}")


class ExperimentJobController(Controller):
    path = "/v1/experiment_jobs"
    tags = ["experiment jobs"]  # noqa: RUF012 (litestar declares it as an instance variable)

    @post("", summary="Run a prompt over a dataset on the server", status_code=HTTP_202_ACCEPTED)
    async def create_experiment_job(
        self,
        engine: Engine,
        producer: Producer,
        credentials: Credentials,
        prices: Prices,
        data: JSONBody[CreateExperimentJobRequest],
        request: Request[Any, Any, Any],
    ) -> ExperimentJobBody:
        """Create an experiment over the dataset and a job that runs ``prompt`` (or the prompt
        version) for each (example, repetition); the experiment runner starts at once."""
        # Committed before it is queued, so the runner finds it; queued after, so a failure
        # to queue leaves a paused job to resume rather than a running one nobody runs.
        async with engine.begin() as connection:
            prompt, version_id = await _runnable_prompt(connection, data)
            try:
                await credentials.resolve(prompt.provider)
            except (MissingCredential, UnsupportedProviderError) as error:
                raise UnprocessableEntityError(str(error)) from None
            experiment_id = await create_experiment_from(connection, data.dataset_id, data)
            await _check_variables(connection, experiment_id, prompt)
            row = await jobs.create_job(
                connection,
                experiment_id,
                prompt.model_dump(mode="json", by_alias=True),
                version_id,
                requested_by=requester_id(request),
            )
        try:
            await producer.send(TaskName.RUN_EXPERIMENT, job_id=row.id, epoch=row.epoch)
        except Exception:
            async with engine.begin() as connection:
                await jobs.pause_job(
                    connection,
                    row.id,
                    row.epoch,
                    "could not be queued (Redis unreachable); resume it",
                )
            raise
        async with engine.connect() as connection:
            progress = await jobs.get_job_progress(connection, experiment_id)
        return ExperimentJobBody(data=experiment_job(row, progress, prices))

    @get("/{job_id:str}", summary="Get a server-side experiment's status and progress")
    async def get_experiment_job(
        self, connection: Db, prices: Prices, job_id: JobId
    ) -> ExperimentJobBody:
        """The job, with the progress of its runs."""
        row = await jobs.get_job(connection, rowid_or_404(job_id, "ExperimentJob"))
        if row is None:
            raise NotFoundError(f"ExperimentJob with ID {job_id} does not exist")
        progress = await jobs.get_job_progress(connection, row.experiment_id)
        return ExperimentJobBody(data=experiment_job(row, progress, prices))

    @post(
        "/{job_id:str}/cancel", summary="Cancel a server-side experiment", status_code=HTTP_200_OK
    )
    async def cancel_experiment_job(
        self, connection: Db, prices: Prices, job_id: JobId
    ) -> ExperimentJobBody:
        """Stop the job: no call starts after a second; runs written so far stay."""
        row = await jobs.cancel_job(connection, rowid_or_404(job_id, "ExperimentJob"))
        if row is None:
            raise NotFoundError(f"ExperimentJob with ID {job_id} does not exist")
        progress = await jobs.get_job_progress(connection, row.experiment_id)
        return ExperimentJobBody(data=experiment_job(row, progress, prices))

    @post(
        "/{job_id:str}/resume", summary="Resume a server-side experiment", status_code=HTTP_200_OK
    )
    async def resume_experiment_job(
        self,
        engine: Engine,
        producer: Producer,
        prices: Prices,
        job_id: JobId,
        request: Request[Any, Any, Any],
    ) -> ExperimentJobBody:
        """Run what the job has left (runs missing or failed) in a new epoch."""
        async with engine.begin() as connection:
            row = await jobs.resume_job(
                connection,
                rowid_or_404(job_id, "ExperimentJob"),
                requested_by=requester_id(request),
            )
        if row is None:
            raise NotFoundError(f"ExperimentJob with ID {job_id} does not exist")
        await producer.send(TaskName.RUN_EXPERIMENT, job_id=row.id, epoch=row.epoch)
        async with engine.connect() as connection:
            progress = await jobs.get_job_progress(connection, row.experiment_id)
        return ExperimentJobBody(data=experiment_job(row, progress, prices))
