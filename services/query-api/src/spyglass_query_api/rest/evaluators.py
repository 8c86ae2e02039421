"""Evaluators (Spyglass's own REST; Phoenix has none): list and create them, read one by GlobalID
or name, change its description, add and list its versions, delete it.

A definition is checked by ``spyglass_evals.parse_definition`` before it is stored (a refusal is
a 422 whose ``loc`` is the field under ``definition`` and whose message names the line of code
or the template variable), and it is stored as it was sent, ``kind`` included, so the
evaluation worker reads the very JSON that was checked. Versions are immutable: a change is
version n + 1. Every evaluator and version answers with its **profile**: the inputs it reads
(null: code, which reads whatever its parameters name), its choices (label -> score) and the
direction of its score, for forms to be built from.

An evaluator an online rule uses can't be deleted (409 naming the rules); its dataset
evaluators go with it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, TypeAlias

from litestar import Controller, delete, get, patch, post
from litestar.params import FromQuery, JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection

from spyglass_core.errors import ConflictError, NotFoundError
from spyglass_evals import EvaluatorConfigError, check_input_mapping, parse_definition, profile
from spyglass_evals.definitions import EvaluatorDefinition
from spyglass_query_api.dependencies import Db
from spyglass_query_api.queries import evaluators as queries
from spyglass_query_api.queries.evaluators import EvaluatorRow, EvaluatorVersionRow
from spyglass_query_api.queries.ids import global_id, rowid_of
from spyglass_query_api.rest.errors import UnprocessableParameterError
from spyglass_query_api.rest.evaluator_bodies import (
    CreateEvaluatorRequestBody,
    CreateEvaluatorVersionRequestBody,
    EvaluatorKind,
    PatchEvaluatorRequestBody,
)
from spyglass_query_api.rest.pagination import page_of, page_request
from spyglass_query_api.rest.prompt_bodies import identifier_error

EvaluatorIdentifier: TypeAlias = Annotated[
    str, PathParameter(description="The evaluator's GlobalID or name.")
]
Limit: TypeAlias = Annotated[
    int, QueryParameter(gt=0, description="The max number of items to return at a time.")
]

DEFAULT_PAGE = 100
MAX_PAGE = 1000
MAX_RULES_NAMED = 10
"""How many of the rules that use an evaluator its refused deletion names."""


# Shapes -----------------------------------------------------------------------------------------


class EvaluatorChoice(BaseModel):
    label: str
    score: float | None


class EvaluatorProfile(BaseModel):
    """What an evaluator reads and gives, to build forms from."""

    inputs: list[str] | None
    """The inputs it reads by name (null: code, which reads what its parameters name)."""
    choices: list[EvaluatorChoice] | None
    """The labels it gives and their scores, in order (null: a free score or label)."""
    direction: str
    """Which way its score is better: maximize, minimize or neutral."""


class Evaluator(BaseModel):
    """An evaluator with its latest version."""

    id: str
    name: str
    kind: str
    description: str | None
    version: int
    """Its latest version's number."""
    version_id: str
    definition: dict[str, Any]
    """Its latest version's definition, as it was saved."""
    note: str | None
    profile: EvaluatorProfile | None
    """Null only if the stored definition is no longer accepted (after an upgrade)."""
    created_at: datetime
    updated_at: datetime


class EvaluatorVersion(BaseModel):
    id: str
    evaluator_id: str
    version: int
    definition: dict[str, Any]
    note: str | None
    profile: EvaluatorProfile | None
    created_at: datetime


class EvaluatorBody(BaseModel):
    data: Evaluator


class EvaluatorsPage(BaseModel):
    data: list[Evaluator]
    next_cursor: str | None


class EvaluatorVersionBody(BaseModel):
    data: EvaluatorVersion


class EvaluatorVersionsPage(BaseModel):
    data: list[EvaluatorVersion]
    next_cursor: str | None


def profile_of(definition: dict[str, Any], kind: str) -> EvaluatorProfile | None:
    """The profile of a stored definition (None if it is no longer accepted)."""
    try:
        parsed = parse_definition(definition, kind)
    except EvaluatorConfigError:
        return None
    return _profile(parsed)


def _profile(definition: EvaluatorDefinition) -> EvaluatorProfile:
    described = profile(definition)
    choices = None
    if described.choices is not None:
        choices = [
            EvaluatorChoice(label=label, score=score) for label, score in described.choices.items()
        ]
    return EvaluatorProfile(
        inputs=None if described.inputs is None else list(described.inputs),
        choices=choices,
        direction=str(described.direction),
    )


def evaluator_shape(row: EvaluatorRow) -> Evaluator:
    """The REST shape of an evaluator row."""
    return Evaluator(
        id=global_id("Evaluator", row.id),
        name=row.name,
        kind=row.kind,
        description=row.description,
        version=row.version,
        version_id=global_id("EvaluatorVersion", row.version_id),
        definition=row.definition,
        note=row.note,
        profile=profile_of(row.definition, row.kind),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _version(row: EvaluatorVersionRow, kind: str) -> EvaluatorVersion:
    return EvaluatorVersion(
        id=global_id("EvaluatorVersion", row.id),
        evaluator_id=global_id("Evaluator", row.evaluator_id),
        version=row.version,
        definition=row.definition,
        note=row.note,
        profile=profile_of(row.definition, kind),
        created_at=row.created_at,
    )


# Identifiers and definitions --------------------------------------------------------------------


async def find_evaluator(connection: AsyncConnection, identifier: str) -> EvaluatorRow | None:
    """The evaluator ``identifier`` names (its GlobalID, else its name), or None."""
    rowid = rowid_of(identifier, "Evaluator")
    if rowid is not None:
        row = await queries.get_evaluator(connection, rowid)
        if row is not None:
            return row
    if identifier_error("name", identifier) is not None:
        return None  # no evaluator can have this name
    return await queries.get_evaluator_by_name(connection, identifier)


async def existing_evaluator(connection: AsyncConnection, identifier: str) -> EvaluatorRow:
    """The evaluator a path's ``evaluator_identifier`` names.

    Raises:
        NotFoundError: no such evaluator.
    """
    row = await find_evaluator(connection, identifier)
    if row is None:
        raise NotFoundError(f"Evaluator {identifier} not found")
    return row


def checked_definition(raw: dict[str, Any], kind: str, field: str = "definition") -> dict[str, Any]:
    """``raw`` (its ``kind`` filled in if it has none) once ``parse_definition`` accepts it.

    Raises:
        UnprocessableParameterError: refused; the body field under ``field`` and the reason.
    """
    definition = raw if "kind" in raw else {"kind": kind, **raw}
    try:
        parse_definition(definition, kind)
    except EvaluatorConfigError as error:
        raise definition_error(error, field) from None
    return definition


def definition_error(error: EvaluatorConfigError, field: str) -> UnprocessableParameterError:
    """The 422 of a refused definition, at ``field`` (``definition``) and the error's own."""
    where = f"{field}.{error.field}" if error.field else field
    message = str(error)
    if error.field:
        message = message.removeprefix(f"{error.field}: ")
    return UnprocessableParameterError(where, f"`{where}`: {message}", location="body")


async def attachable_evaluator(
    connection: AsyncConnection, identifier: str, version: int | None
) -> EvaluatorRow:
    """The evaluator a body's ``evaluator`` names, kept from deletion until the end of the
    transaction, having ``version`` if one is pinned.

    Raises:
        UnprocessableParameterError: no such evaluator, or no such version of it.
    """
    row = await find_evaluator(connection, identifier)
    if row is None or not await queries.share_evaluator(connection, row.id):
        raise UnprocessableParameterError(
            "evaluator", f"`evaluator`: no evaluator {identifier}", location="body"
        )
    if version is not None and (
        await queries.get_evaluator_version(connection, row.id, version) is None
    ):
        raise UnprocessableParameterError(
            "evaluator_version",
            f"`evaluator_version`: evaluator {row.name} has no version {version} "
            f"(its latest is {row.version})",
            location="body",
        )
    return row


def checked_mapping(raw: Any) -> dict[str, str]:
    """An input mapping ``spyglass_evals`` can apply.

    Raises:
        UnprocessableParameterError: it can't; names the entry.
    """
    try:
        return check_input_mapping(raw)
    except EvaluatorConfigError as error:
        field = error.field or "input_mapping"
        raise UnprocessableParameterError(field, f"`{field}`: {error}", location="body") from None


# Handlers ---------------------------------------------------------------------------------------


class EvaluatorController(Controller):
    path = "/v1/evaluators"
    tags = ["evaluators"]  # noqa: RUF012 (litestar declares it as an instance variable)

    @get(summary="List evaluators")
    async def list_evaluators(
        self,
        connection: Db,
        cursor: FromQuery[str | None] = None,
        limit: Limit = DEFAULT_PAGE,
        kind: FromQuery[EvaluatorKind | None] = None,
    ) -> EvaluatorsPage:
        """Evaluators (of ``kind``, if given), newest first, ``limit`` at a time, each with its
        latest version."""
        page = page_request(cursor, limit, "Evaluator", default=DEFAULT_PAGE, maximum=MAX_PAGE)
        rows = await queries.list_evaluators(connection, kind, page.start, page.fetch)
        cut = page_of(rows, page, "Evaluator")
        return EvaluatorsPage(
            data=[evaluator_shape(row) for row in cut.rows], next_cursor=cut.next_cursor
        )

    @post(summary="Create an evaluator", status_code=HTTP_201_CREATED)
    async def create_evaluator(
        self, connection: Db, data: JSONBody[CreateEvaluatorRequestBody]
    ) -> EvaluatorBody:
        """Create an evaluator with its version 1; a taken name is 409."""
        definition = checked_definition(data.definition, data.kind)
        row = await queries.create_evaluator(
            connection,
            name=data.name,
            kind=data.kind,
            description=data.description,
            definition=definition,
            note=data.note,
        )
        if row is None:
            raise ConflictError(f"An evaluator named {data.name} already exists")
        return EvaluatorBody(data=evaluator_shape(row))

    @get("/{evaluator_identifier:str}", summary="Get an evaluator")
    async def get_evaluator(
        self, connection: Db, evaluator_identifier: EvaluatorIdentifier
    ) -> EvaluatorBody:
        """The evaluator with its latest version."""
        return EvaluatorBody(
            data=evaluator_shape(await existing_evaluator(connection, evaluator_identifier))
        )

    @patch("/{evaluator_identifier:str}", summary="Update an evaluator's description")
    async def update_evaluator(
        self,
        connection: Db,
        evaluator_identifier: EvaluatorIdentifier,
        data: JSONBody[PatchEvaluatorRequestBody],
    ) -> EvaluatorBody:
        """Change the description (``null`` clears it; omitted: unchanged). A definition
        changes by a new version."""
        row = await existing_evaluator(connection, evaluator_identifier)
        if "description" in data.model_fields_set:
            await queries.update_evaluator_description(connection, row.id, data.description)
            row = await queries.get_evaluator(connection, row.id) or row
        return EvaluatorBody(data=evaluator_shape(row))

    @delete(
        "/{evaluator_identifier:str}",
        summary="Delete an evaluator",
        status_code=HTTP_204_NO_CONTENT,
    )
    async def delete_evaluator(
        self, connection: Db, evaluator_identifier: EvaluatorIdentifier
    ) -> None:
        """Delete the evaluator with its versions and dataset evaluators (the scores they wrote
        stay); 409 while an online rule uses it."""
        row = await existing_evaluator(connection, evaluator_identifier)
        if not await queries.lock_evaluator(connection, row.id):
            raise NotFoundError(f"Evaluator {evaluator_identifier} not found")
        rules = await queries.list_rules_using(connection, row.id, MAX_RULES_NAMED + 1)
        if rules:
            named = ", ".join(
                f"{rule.name} (project {rule.project_name})" for rule in rules[:MAX_RULES_NAMED]
            )
            more = " and more" if len(rules) > MAX_RULES_NAMED else ""
            raise ConflictError(
                f"Evaluator {row.name} is used by evaluation rules {named}{more}: delete them "
                "or point them at another evaluator first"
            )
        await queries.delete_evaluator(connection, row.id)

    @post(
        "/{evaluator_identifier:str}/versions",
        summary="Add an evaluator version",
        status_code=HTTP_201_CREATED,
    )
    async def create_evaluator_version(
        self,
        connection: Db,
        evaluator_identifier: EvaluatorIdentifier,
        data: JSONBody[CreateEvaluatorVersionRequestBody],
    ) -> EvaluatorVersionBody:
        """Save a new definition as the evaluator's next version (of the evaluator's kind)."""
        row = await existing_evaluator(connection, evaluator_identifier)
        definition = checked_definition(data.definition, row.kind)
        if not await queries.lock_evaluator(connection, row.id):
            raise NotFoundError(f"Evaluator {evaluator_identifier} not found")
        version = await queries.create_evaluator_version(connection, row.id, definition, data.note)
        return EvaluatorVersionBody(data=_version(version, row.kind))

    @get("/{evaluator_identifier:str}/versions", summary="List an evaluator's versions")
    async def list_evaluator_versions(
        self,
        connection: Db,
        evaluator_identifier: EvaluatorIdentifier,
        cursor: FromQuery[str | None] = None,
        limit: Limit = DEFAULT_PAGE,
    ) -> EvaluatorVersionsPage:
        """The evaluator's versions, newest first, ``limit`` at a time."""
        page = page_request(
            cursor, limit, "EvaluatorVersion", default=DEFAULT_PAGE, maximum=MAX_PAGE
        )
        row = await existing_evaluator(connection, evaluator_identifier)
        rows = await queries.list_evaluator_versions(connection, row.id, page.start, page.fetch)
        cut = page_of(rows, page, "EvaluatorVersion")
        return EvaluatorVersionsPage(
            data=[_version(version, row.kind) for version in cut.rows],
            next_cursor=cut.next_cursor,
        )
