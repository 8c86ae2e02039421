"""Prompts (Phoenix's shapes): list and create them (a version at a time), read a version by
id, by tag or the latest, list versions, tag versions, update and delete prompts.

A prompt is named by its GlobalID (``Prompt:N``) or its name; a value that is neither (not an
identifier) is refused with 422, as Phoenix does, and one that names no prompt is 404. Versions
and tags are named by GlobalID only (``PromptVersion:N``): anything else names no version (404).
What a version may hold, and the checks between its fields, are in ``prompt_bodies.py``.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeAlias

from litestar import Controller, delete, get, patch, post
from litestar.params import FromQuery, JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection

from spyglass_core.errors import NotFoundError
from spyglass_query_api.dependencies import Db
from spyglass_query_api.queries import prompts as queries
from spyglass_query_api.queries.ids import global_id, rowid_of
from spyglass_query_api.queries.prompts import (
    NewPromptVersion,
    PromptRow,
    PromptVersionRow,
    PromptVersionTagRow,
)
from spyglass_query_api.rest.errors import UnprocessableParameterError
from spyglass_query_api.rest.pagination import page_of, page_request
from spyglass_query_api.rest.prompt_bodies import (
    CreatePromptRequestBody,
    PatchPromptRequestBody,
    PromptVersionTagData,
    identifier_error,
    stored,
)

PromptIdentifier: TypeAlias = Annotated[
    str, PathParameter(description="The identifier of the prompt, i.e. name or ID.")
]
PromptVersionId: TypeAlias = Annotated[
    str, PathParameter(description="The ID of the prompt version.")
]
Limit: TypeAlias = Annotated[
    int, QueryParameter(gt=0, description="The max number of items to return at a time.")
]

DEFAULT_PAGE = 100
MAX_PAGE = 1000
"""The longest page a list of prompts, versions or tags gives (a larger limit is capped)."""


# Shapes -----------------------------------------------------------------------------------------


class Prompt(BaseModel):
    name: str
    description: str | None
    source_prompt_id: str | None
    metadata: dict[str, Any] | None
    id: str


class PromptVersion(BaseModel):
    """A stored version; its JSON fields read back exactly as they were validated and stored."""

    description: str | None
    model_provider: str
    model_name: str
    template: dict[str, Any]
    template_type: str
    template_format: str
    invocation_parameters: dict[str, Any]
    tools: dict[str, Any] | None
    response_format: dict[str, Any] | None
    id: str


class PromptVersionTag(BaseModel):
    name: str
    description: str | None
    id: str


class GetPromptsResponseBody(BaseModel):
    data: list[Prompt]
    next_cursor: str | None


class GetPromptVersionsResponseBody(BaseModel):
    data: list[PromptVersion]
    next_cursor: str | None


class GetPromptVersionTagsResponseBody(BaseModel):
    data: list[PromptVersionTag]
    next_cursor: str | None


class GetPromptResponseBody(BaseModel):
    data: PromptVersion


class CreatePromptResponseBody(BaseModel):
    data: PromptVersion


class PatchPromptResponseBody(BaseModel):
    data: Prompt


def _prompt(row: PromptRow) -> Prompt:
    return Prompt(
        name=row.name,
        description=row.description,
        source_prompt_id=(
            None if row.source_prompt_id is None else global_id("Prompt", row.source_prompt_id)
        ),
        metadata=row.metadata,
        id=global_id("Prompt", row.id),
    )


def _version(row: PromptVersionRow) -> PromptVersion:
    return PromptVersion(
        description=row.description,
        model_provider=row.model_provider,
        model_name=row.model_name,
        template=row.template,
        template_type=row.template_type,
        template_format=row.template_format,
        invocation_parameters=row.invocation_parameters,
        tools=row.tools,
        response_format=row.response_format,
        id=global_id("PromptVersion", row.id),
    )


def _tag(row: PromptVersionTagRow) -> PromptVersionTag:
    return PromptVersionTag(
        name=row.name, description=row.description, id=global_id("PromptVersionTag", row.id)
    )


# Identifiers ------------------------------------------------------------------------------------


async def _existing_prompt(connection: AsyncConnection, identifier: str) -> PromptRow:
    """The prompt ``identifier`` names: its GlobalID, else its name.

    Raises:
        UnprocessableParameterError: ``identifier`` is neither a Prompt GlobalID nor a name.
        NotFoundError: no such prompt.
    """
    rowid = rowid_of(identifier, "Prompt")
    if rowid is not None:
        row = await queries.get_prompt(connection, rowid)
        if row is not None:
            return row
    elif (error := identifier_error("prompt_identifier", identifier)) is not None:
        raise UnprocessableParameterError(
            "prompt_identifier", f"{error}, or a Prompt GlobalID", location="path"
        )
    else:
        row = await queries.get_prompt_by_name(connection, identifier)
        if row is not None:
            return row
    raise NotFoundError(f"Prompt {identifier} not found")


def _version_rowid(prompt_version_id: str) -> int:
    """The row id of a PromptVersion GlobalID.

    Raises:
        NotFoundError: ``prompt_version_id`` is not one (it names no version).
    """
    rowid = rowid_of(prompt_version_id, "PromptVersion")
    if rowid is None:
        raise NotFoundError(f"Prompt version {prompt_version_id} not found")
    return rowid


async def _existing_version(
    connection: AsyncConnection, prompt_version_id: str
) -> PromptVersionRow:
    """The version ``prompt_version_id`` names.

    Raises:
        NotFoundError: no such version.
    """
    row = await queries.get_prompt_version(connection, _version_rowid(prompt_version_id))
    if row is None:
        raise NotFoundError(f"Prompt version {prompt_version_id} not found")
    return row


def _tag_name(tag_name: str) -> str:
    """``tag_name`` if it can name a tag.

    Raises:
        UnprocessableParameterError: it is not an identifier.
    """
    error = identifier_error("tag_name", tag_name)
    if error is not None:
        raise UnprocessableParameterError("tag_name", error, location="path")
    return tag_name


# Handlers ---------------------------------------------------------------------------------------


class PromptController(Controller):
    path = "/v1"
    tags = ["prompts"]  # noqa: RUF012 (litestar declares it as an instance variable)

    @get("/prompts", summary="List all prompts")
    async def list_prompts(
        self,
        connection: Db,
        cursor: FromQuery[str | None] = None,
        limit: Limit = DEFAULT_PAGE,
    ) -> GetPromptsResponseBody:
        """Every prompt, newest first, ``limit`` at a time."""
        page = page_request(cursor, limit, "Prompt", default=DEFAULT_PAGE, maximum=MAX_PAGE)
        rows = await queries.list_prompts(connection, page.start, page.fetch)
        cut = page_of(rows, page, "Prompt")
        return GetPromptsResponseBody(
            data=[_prompt(row) for row in cut.rows], next_cursor=cut.next_cursor
        )

    @post("/prompts", summary="Create a new prompt", status_code=HTTP_200_OK)
    async def create_prompt(
        self, connection: Db, data: JSONBody[CreatePromptRequestBody]
    ) -> CreatePromptResponseBody:
        """Add a version to the prompt ``prompt.name``, creating the prompt if it is new (its
        description and metadata are taken only then)."""
        version = data.version
        row = await queries.create_prompt_version(
            connection,
            name=data.prompt.name,
            description=data.prompt.description,
            metadata=data.prompt.metadata or {},
            version=NewPromptVersion(
                description=version.description,
                template_type=version.template_type,
                template_format=version.template_format,
                template=stored(version.template) or {},
                invocation_parameters=stored(version.invocation_parameters) or {},
                tools=stored(version.tools),
                response_format=stored(version.response_format),
                model_provider=version.model_provider,
                model_name=version.model_name,
            ),
        )
        return CreatePromptResponseBody(data=_version(row))

    @get("/prompts/{prompt_identifier:str}/versions", summary="List prompt versions")
    async def list_prompt_versions(
        self,
        connection: Db,
        prompt_identifier: PromptIdentifier,
        cursor: FromQuery[str | None] = None,
        limit: Limit = DEFAULT_PAGE,
    ) -> GetPromptVersionsResponseBody:
        """The prompt's versions, newest first, ``limit`` at a time."""
        page = page_request(cursor, limit, "PromptVersion", default=DEFAULT_PAGE, maximum=MAX_PAGE)
        prompt = await _existing_prompt(connection, prompt_identifier)
        rows = await queries.list_prompt_versions(connection, prompt.id, page.start, page.fetch)
        cut = page_of(rows, page, "PromptVersion")
        return GetPromptVersionsResponseBody(
            data=[_version(row) for row in cut.rows], next_cursor=cut.next_cursor
        )

    @get("/prompt_versions/{prompt_version_id:str}", summary="Get prompt version by ID")
    async def get_prompt_version(
        self, connection: Db, prompt_version_id: PromptVersionId
    ) -> GetPromptResponseBody:
        """The version with this GlobalID."""
        return GetPromptResponseBody(
            data=_version(await _existing_version(connection, prompt_version_id))
        )

    @get(
        "/prompts/{prompt_identifier:str}/tags/{tag_name:str}", summary="Get prompt version by tag"
    )
    async def get_prompt_version_by_tag(
        self,
        connection: Db,
        prompt_identifier: PromptIdentifier,
        tag_name: Annotated[str, PathParameter(description="The tag of the prompt version")],
    ) -> GetPromptResponseBody:
        """The prompt's version its tag ``tag_name`` names."""
        name = _tag_name(tag_name)
        prompt = await _existing_prompt(connection, prompt_identifier)
        row = await queries.get_tagged_prompt_version(connection, prompt.id, name)
        if row is None:
            raise NotFoundError(f"Prompt {prompt_identifier} has no tag {name}")
        return GetPromptResponseBody(data=_version(row))

    @get("/prompts/{prompt_identifier:str}/latest", summary="Get latest prompt version")
    async def get_latest_prompt_version(
        self, connection: Db, prompt_identifier: PromptIdentifier
    ) -> GetPromptResponseBody:
        """The prompt's newest version."""
        prompt = await _existing_prompt(connection, prompt_identifier)
        row = await queries.get_latest_prompt_version(connection, prompt.id)
        if row is None:
            raise NotFoundError(f"Prompt {prompt_identifier} has no versions")
        return GetPromptResponseBody(data=_version(row))

    @get("/prompt_versions/{prompt_version_id:str}/tags", summary="List prompt version tags")
    async def list_prompt_version_tags(
        self,
        connection: Db,
        prompt_version_id: PromptVersionId,
        cursor: FromQuery[str | None] = None,
        limit: Limit = DEFAULT_PAGE,
    ) -> GetPromptVersionTagsResponseBody:
        """The tags that name this version, newest first, ``limit`` at a time."""
        page = page_request(
            cursor, limit, "PromptVersionTag", default=DEFAULT_PAGE, maximum=MAX_PAGE
        )
        version = await _existing_version(connection, prompt_version_id)
        rows = await queries.list_prompt_version_tags(
            connection, version.id, page.start, page.fetch
        )
        cut = page_of(rows, page, "PromptVersionTag")
        return GetPromptVersionTagsResponseBody(
            data=[_tag(row) for row in cut.rows], next_cursor=cut.next_cursor
        )

    @post(
        "/prompt_versions/{prompt_version_id:str}/tags",
        summary="Add tag to prompt version",
        status_code=HTTP_204_NO_CONTENT,
    )
    async def set_prompt_version_tag(
        self,
        connection: Db,
        prompt_version_id: PromptVersionId,
        data: JSONBody[PromptVersionTagData],
    ) -> None:
        """Point the prompt's tag ``name`` at this version, moving it from another version."""
        rowid = _version_rowid(prompt_version_id)
        if not await queries.set_prompt_version_tag(connection, rowid, data.name, data.description):
            raise NotFoundError(f"Prompt version {prompt_version_id} not found")

    @delete(
        "/prompt_versions/{prompt_version_id:str}/tags/{tag_name:str}",
        summary="Delete a tag from a prompt version",
        status_code=HTTP_204_NO_CONTENT,
    )
    async def delete_prompt_version_tag(
        self,
        connection: Db,
        prompt_version_id: PromptVersionId,
        tag_name: Annotated[str, PathParameter(description="The name of the tag to delete.")],
    ) -> None:
        """Delete the tag ``tag_name`` of the version's prompt (whichever version it names)."""
        name = _tag_name(tag_name)
        version = await _existing_version(connection, prompt_version_id)
        if not await queries.delete_prompt_version_tag(connection, version.id, name):
            raise NotFoundError(f"Tag {name} not found on the prompt of {prompt_version_id}")

    @patch("/prompts/{prompt_identifier:str}", summary="Update prompt metadata")
    async def update_prompt(
        self,
        connection: Db,
        prompt_identifier: PromptIdentifier,
        data: JSONBody[PatchPromptRequestBody],
    ) -> PatchPromptResponseBody:
        """Change the description (``null`` clears it) or replace the metadata; an omitted field
        is left as it is."""
        prompt = await _existing_prompt(connection, prompt_identifier)
        changes = {field: getattr(data, field) for field in data.model_fields_set}
        row = await queries.update_prompt(connection, prompt.id, changes)
        if row is None:
            raise NotFoundError(f"Prompt {prompt_identifier} not found")
        return PatchPromptResponseBody(data=_prompt(row))

    @delete(
        "/prompts/{prompt_identifier:str}",
        summary="Delete a prompt",
        status_code=HTTP_204_NO_CONTENT,
    )
    async def delete_prompt(self, connection: Db, prompt_identifier: PromptIdentifier) -> None:
        """Delete the prompt with its versions and tags."""
        prompt = await _existing_prompt(connection, prompt_identifier)
        if not await queries.delete_prompt(connection, prompt.id):
            raise NotFoundError(f"Prompt {prompt_identifier} not found")
