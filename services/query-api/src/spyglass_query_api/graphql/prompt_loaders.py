"""The request's DataLoaders of prompts, their versions and tags, and of experiment jobs.

Each reads the rows of all the keys a page asks for with one statement (of
``queries/prompts.py`` or ``spyglass_db.experiment_jobs``), so a page of prompts or experiments
costs the same number of statements whatever its length.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from spyglass_db import experiment_jobs
from spyglass_db.experiment_jobs import JobProgress, JobRow
from spyglass_query_api.graphql.context import RequestContext
from spyglass_query_api.graphql.dataloader import DataLoader
from spyglass_query_api.queries import prompts as prompts_query
from spyglass_query_api.queries.prompts import PromptRow, PromptVersionRow, PromptVersionTagRow

Value = TypeVar("Value")


def _loader(
    context: RequestContext,
    read: Callable[[Any, Sequence[int]], Awaitable[Mapping[int, Value]]],
    missing: Callable[[], Value],
) -> DataLoader[int, Value]:
    """The request's loader of ``read`` (a function of a connection and row ids)."""
    name = f"prompts.{read.__name__}"
    if name not in context.loaders:

        async def fetch(keys: Sequence[int]) -> Mapping[int, Value]:
            return await context.read(read, list(keys))

        context.loaders[name] = DataLoader(fetch, missing)
    loader: DataLoader[int, Value] = context.loaders[name]
    return loader


def _none() -> None:
    return None


def prompts(context: RequestContext) -> DataLoader[int, PromptRow | None]:
    """Prompts by row id."""
    return _loader(context, prompts_query.get_prompts, _none)


def versions(context: RequestContext) -> DataLoader[int, PromptVersionRow | None]:
    """Prompt versions by row id."""
    return _loader(context, prompts_query.get_prompt_versions, _none)


def latest_versions(context: RequestContext) -> DataLoader[int, PromptVersionRow | None]:
    """Each prompt's newest version, by prompt id."""
    return _loader(context, prompts_query.get_latest_prompt_versions, _none)


def version_counts(context: RequestContext) -> DataLoader[int, int]:
    """How many versions each prompt has, by prompt id."""
    return _loader(context, prompts_query.count_prompt_versions, lambda: 0)


def version_numbers(context: RequestContext) -> DataLoader[int, int]:
    """Each version's place among its prompt's versions (1 for the first), by version id."""
    return _loader(context, prompts_query.get_prompt_version_numbers, lambda: 0)


def prompt_tags(context: RequestContext) -> DataLoader[int, list[PromptVersionTagRow]]:
    """Each prompt's tags, by prompt id."""
    return _loader(context, prompts_query.list_tags_of_prompts, list)


def version_tags(context: RequestContext) -> DataLoader[int, list[PromptVersionTagRow]]:
    """Each version's tags, by version id."""
    return _loader(context, prompts_query.list_tags_of_versions, list)


def jobs(context: RequestContext) -> DataLoader[int, JobRow | None]:
    """The job of each experiment run on the server, by experiment id."""
    return _loader(context, experiment_jobs.get_jobs_of_experiments, _none)


def job_progress(context: RequestContext) -> DataLoader[int, JobProgress]:
    """The progress of each experiment's job, by experiment id."""
    return _loader(
        context, experiment_jobs.get_jobs_progress, lambda: JobProgress(0, 0, 0, 0, 0, 0)
    )
