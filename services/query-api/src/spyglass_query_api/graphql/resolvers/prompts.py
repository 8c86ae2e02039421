"""``Prompt``, ``PromptVersion`` and ``PromptVersionTag`` (Phoenix's names), read-only: prompts
are written through REST (``rest/prompts.py``), and read here through the same query layer
(``queries/prompts.py``).

Ids are REST's GlobalIDs (``Prompt``, ``PromptVersion``, ``PromptVersionTag``). A prompt's
latest version, version count and tags, and a version's tags and sequence number, read through
DataLoaders (``prompt_loaders.py``), so a page of prompts costs the same statements whatever
its length.
"""

from __future__ import annotations

from typing import Any

from ariadne import ObjectType, QueryType

from spyglass_query_api.graphql import prompt_loaders
from spyglass_query_api.graphql.arguments import Sort, connection, exactly_one, window
from spyglass_query_api.graphql.context import Info, request_context
from spyglass_query_api.queries import prompts as store
from spyglass_query_api.queries.ids import global_id, rowid_of
from spyglass_query_api.queries.prompts import PromptRow, PromptVersionRow, PromptVersionTagRow

prompt_query = QueryType()
prompt = ObjectType("Prompt")
prompt_version = ObjectType("PromptVersion")
prompt_version_tag = ObjectType("PromptVersionTag")

_NEWEST_FIRST = Sort("id", descending=True)


def _start_after(rowid: int) -> int:
    """The first row id of a newest-first page after the row ``rowid`` (within ``bigint``)."""
    return max(rowid - 1, -1)


# Root fields ------------------------------------------------------------------------------------


@prompt_query.field("prompts")
async def resolve_prompts(
    _: Any, info: Info, first: int | None = None, after: str | None = None
) -> dict[str, Any]:
    """Prompts, newest first."""
    context = request_context(info)
    page = window(first, after, _NEWEST_FIRST)
    start = None if page.after is None else _start_after(page.after.rowid)
    rows = await context.read(store.list_prompts, start, page.fetch)
    loader = prompt_loaders.prompts(context)
    for row in rows:
        loader.prime(row.id, row)
    return connection(rows, page, lambda row: row, lambda row: row.id)


@prompt_query.field("prompt")
async def resolve_prompt(
    _: Any, info: Info, id: str | None = None, name: str | None = None
) -> PromptRow | None:
    """A prompt by GlobalID or name; null if there is none."""
    context = request_context(info)
    argument, value = exactly_one(id=id, name=name)
    if argument == "id":
        rowid = rowid_of(value, "Prompt")
        return None if rowid is None else await prompt_loaders.prompts(context).load(rowid)
    return await context.read(store.get_prompt_by_name, value)


@prompt_query.field("promptVersion")
async def resolve_prompt_version(_: Any, info: Info, id: str) -> PromptVersionRow | None:
    """A version by GlobalID; null if there is none."""
    rowid = rowid_of(id, "PromptVersion")
    if rowid is None:
        return None
    return await prompt_loaders.versions(request_context(info)).load(rowid)


# Prompt -----------------------------------------------------------------------------------------


@prompt.field("id")
def resolve_prompt_id(row: PromptRow, _: Info) -> str:
    return global_id("Prompt", row.id)


@prompt.field("sourcePromptId")
def resolve_source_prompt_id(row: PromptRow, _: Info) -> str | None:
    return None if row.source_prompt_id is None else global_id("Prompt", row.source_prompt_id)


@prompt.field("latestVersion")
async def resolve_latest_version(row: PromptRow, info: Info) -> PromptVersionRow | None:
    return await prompt_loaders.latest_versions(request_context(info)).load(row.id)


@prompt.field("versionCount")
async def resolve_version_count(row: PromptRow, info: Info) -> int:
    return await prompt_loaders.version_counts(request_context(info)).load(row.id)


@prompt.field("versionTags")
async def resolve_prompt_tags(row: PromptRow, info: Info) -> list[PromptVersionTagRow]:
    return await prompt_loaders.prompt_tags(request_context(info)).load(row.id)


@prompt.field("promptVersions")
async def resolve_prompt_versions(
    row: PromptRow, info: Info, first: int | None = None, after: str | None = None
) -> dict[str, Any]:
    """A page of the prompt's versions, newest first."""
    context = request_context(info)
    page = window(first, after, _NEWEST_FIRST)
    start = None if page.after is None else _start_after(page.after.rowid)
    rows = await context.read(store.list_prompt_versions, row.id, start, page.fetch)
    loader = prompt_loaders.versions(context)
    for version in rows:
        loader.prime(version.id, version)
    return connection(rows, page, lambda version: version, lambda version: version.id)


# PromptVersion ----------------------------------------------------------------------------------


@prompt_version.field("id")
def resolve_version_id(row: PromptVersionRow, _: Info) -> str:
    return global_id("PromptVersion", row.id)


@prompt_version.field("promptId")
def resolve_version_prompt_id(row: PromptVersionRow, _: Info) -> str:
    return global_id("Prompt", row.prompt_id)


@prompt_version.field("prompt")
async def resolve_version_prompt(row: PromptVersionRow, info: Info) -> PromptRow | None:
    # Null only if the prompt was deleted since the version was read in this request.
    return await prompt_loaders.prompts(request_context(info)).load(row.prompt_id)


@prompt_version.field("sequenceNumber")
async def resolve_sequence_number(row: PromptVersionRow, info: Info) -> int:
    return await prompt_loaders.version_numbers(request_context(info)).load(row.id)


@prompt_version.field("isLatest")
async def resolve_is_latest(row: PromptVersionRow, info: Info) -> bool:
    latest = await prompt_loaders.latest_versions(request_context(info)).load(row.prompt_id)
    return latest is not None and latest.id == row.id


@prompt_version.field("tags")
async def resolve_version_tags(row: PromptVersionRow, info: Info) -> list[PromptVersionTagRow]:
    return await prompt_loaders.version_tags(request_context(info)).load(row.id)


# PromptVersionTag -------------------------------------------------------------------------------


@prompt_version_tag.field("id")
def resolve_tag_id(row: PromptVersionTagRow, _: Info) -> str:
    return global_id("PromptVersionTag", row.id)


@prompt_version_tag.field("promptVersionId")
def resolve_tag_version_id(row: PromptVersionTagRow, _: Info) -> str:
    return global_id("PromptVersion", row.prompt_version_id)
