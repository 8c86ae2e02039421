"""``Experiment.job`` and ``ExperimentJob``: the state and progress of a server-side experiment,
read through ``spyglass_db.experiment_jobs`` (the functions REST's ``/v1/experiment_jobs`` and
the experiment runner use), so both doors show the same figures.

A job's progress is counted from its experiment's runs; its cost prices the runs' tokens at
the job's model, with the query API's price table (REST's ``cost_usd`` does the same).
"""

from __future__ import annotations

from typing import Any

from ariadne import ObjectType

from spyglass_db.experiment_jobs import RECENT_SECONDS, JobRow
from spyglass_query_api.graphql import prompt_loaders
from spyglass_query_api.graphql.context import Info, request_context
from spyglass_query_api.queries.experiments import ExperimentRow
from spyglass_query_api.queries.ids import global_id

experiment_job = ObjectType("ExperimentJob")
experiment_with_job = ObjectType("Experiment")


@experiment_with_job.field("job")
async def resolve_job(row: ExperimentRow, info: Info) -> JobRow | None:
    """The experiment's job; null for one a client ran."""
    return await prompt_loaders.jobs(request_context(info)).load(row.id)


@experiment_job.field("id")
def resolve_job_id(row: JobRow, _: Info) -> str:
    return global_id("ExperimentJob", row.id)


@experiment_job.field("experimentId")
def resolve_job_experiment_id(row: JobRow, _: Info) -> str:
    return global_id("Experiment", row.experiment_id)


@experiment_job.field("modelProvider")
def resolve_model_provider(row: JobRow, _: Info) -> str:
    return str(row.task.get("provider", ""))


@experiment_job.field("modelName")
def resolve_model_name(row: JobRow, _: Info) -> str:
    return str(row.task.get("model", ""))


@experiment_job.field("promptVersionId")
def resolve_prompt_version_id(row: JobRow, _: Info) -> str | None:
    if row.prompt_version_id is None:
        return None
    return global_id("PromptVersion", row.prompt_version_id)


@experiment_job.field("progress")
async def resolve_progress(row: JobRow, info: Info) -> dict[str, Any]:
    """What the job has done (``ExperimentJobProgress``'s fields in snake case)."""
    context = request_context(info)
    progress = await prompt_loaders.job_progress(context).load(row.experiment_id)
    cost = None
    if context.prices is not None:
        cost = context.prices.cost(
            resolve_model_name(row, info),
            resolve_model_provider(row, info),
            progress.prompt_tokens,
            progress.completion_tokens,
        )
    return {
        "total": progress.total,
        "succeeded": progress.succeeded,
        "failed": progress.failed,
        "done": progress.done,
        "prompt_tokens": progress.prompt_tokens,
        "completion_tokens": progress.completion_tokens,
        "cost_usd": None if cost is None else cost.total,
        "runs_per_second": progress.recent / RECENT_SECONDS,
        "eta_seconds": progress.eta_seconds() if row.status == "RUNNING" else None,
    }
