"""Reading and writing annotation configs and their project assignments (raw SQL).

A config is stored as its name and a JSON document of the rest (``type``, ``description``,
``optimization_direction`` and the kind's own fields). Identifiers are GlobalIDs of any of the
three config types, or, where the contract allows it, names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import BigInteger

from spyglass_core.errors import ConflictError, InvalidArgumentError, NotFoundError
from spyglass_query_api.queries.ids import decode_global_id
from spyglass_query_api.rest.errors import UnprocessableParameterError
from spyglass_query_api.rest.pagination import PageRequest

CONFIG_TYPE_NAMES = frozenset(
    {"CategoricalAnnotationConfig", "ContinuousAnnotationConfig", "FreeformAnnotationConfig"}
)
MAX_CONFIGS_PER_PAGE = 1000
_SELECT = "SELECT c.id, c.name, c.config FROM annotation_configs c"
_IDS = bindparam("ids", type_=ARRAY(BigInteger))


@dataclass(frozen=True)
class ConfigRow:
    id: int
    name: str
    config: dict[str, Any]


def _config_node(value: str) -> int | None:
    node = decode_global_id(value)
    if node is None or node[0] not in CONFIG_TYPE_NAMES:
        return None
    return node[1]


def config_page_request(cursor: str | None, limit: int) -> PageRequest:
    """Validate a config list's cursor (a GlobalID of any config type) and limit (capped).

    Raises:
        UnprocessableParameterError: a cursor that is no config GlobalID, a limit below 1.
    """
    if limit < 1:
        raise UnprocessableParameterError("limit", f"limit must be at least 1, got {limit}")
    start = None
    if cursor:
        start = _config_node(cursor)
        if start is None:
            raise UnprocessableParameterError("cursor", f"Invalid cursor: {cursor!r}")
    return PageRequest(start, min(limit, MAX_CONFIGS_PER_PAGE))


def config_rowid(config_id: str) -> int:
    """The row id of a config GlobalID.

    Raises:
        InvalidArgumentError: ``config_id`` is not the GlobalID of an annotation config.
    """
    rowid = _config_node(config_id)
    if rowid is None:
        raise InvalidArgumentError(f"Invalid annotation configuration ID: {config_id}")
    return rowid


def _row(row: Any) -> ConfigRow:
    return ConfigRow(row.id, row.name, row.config)


async def list_configs(
    connection: AsyncConnection, page: PageRequest, project_id: int | None = None
) -> list[ConfigRow]:
    """Configs newest first from the page's start, one more than the page (to see a next)."""
    conditions = ["TRUE"]
    values: dict[str, object] = {"fetch": page.fetch}
    join = ""
    if project_id is not None:
        join = " JOIN project_annotation_configs p ON p.annotation_config_id = c.id"
        conditions.append("p.project_id = :project")
        values["project"] = project_id
    if page.start is not None:
        conditions.append("c.id <= :start")
        values["start"] = page.start
    result = await connection.execute(
        text(f"{_SELECT}{join} WHERE {' AND '.join(conditions)} ORDER BY c.id DESC LIMIT :fetch"),
        values,
    )
    return [_row(row) for row in result]


async def get_config(connection: AsyncConnection, identifier: str) -> ConfigRow:
    """The config ``identifier`` names: its GlobalID, else its name.

    Raises:
        NotFoundError: no such config.
    """
    rowid = _config_node(identifier)
    column, value = ("c.id", rowid) if rowid is not None else ("c.name", identifier)
    result = await connection.execute(text(f"{_SELECT} WHERE {column} = :value"), {"value": value})
    row = result.one_or_none()
    if row is None:
        raise NotFoundError(f"Annotation configuration not found: {identifier}")
    return _row(row)


async def create_config(
    connection: AsyncConnection, name: str, config: dict[str, Any]
) -> ConfigRow:
    """A new config.

    Raises:
        ConflictError: the name is taken.
    """
    statement = text(
        "INSERT INTO annotation_configs (name, config) VALUES (:name, CAST(:config AS jsonb)) "
        "RETURNING id, name, config"
    )
    return await _write(connection, statement, {"name": name, "config": orjson.dumps(config)})


async def update_config(
    connection: AsyncConnection, rowid: int, name: str, config: dict[str, Any]
) -> ConfigRow:
    """Replace config ``rowid``'s name and fields.

    Raises:
        NotFoundError: no such config.
        ConflictError: another config has the name.
    """
    statement = text(
        "UPDATE annotation_configs SET name = :name, config = CAST(:config AS jsonb) "
        "WHERE id = :id RETURNING id, name, config"
    )
    values = {"id": rowid, "name": name, "config": orjson.dumps(config)}
    return await _write(connection, statement, values)


async def _write(connection: AsyncConnection, statement: Any, values: dict[str, Any]) -> ConfigRow:
    values = {**values, "config": values["config"].decode()}
    try:
        async with connection.begin_nested():
            result = await connection.execute(statement, values)
            row = result.one_or_none()
    except IntegrityError:
        raise ConflictError(
            f"The name of the annotation configuration is already taken: {values['name']}"
        ) from None
    if row is None:
        raise NotFoundError(f"Annotation configuration not found: {values.get('id')}")
    return _row(row)


async def delete_config(connection: AsyncConnection, rowid: int) -> ConfigRow:
    """Delete config ``rowid`` (and its assignments); return what it was.

    Raises:
        NotFoundError: no such config.
    """
    result = await connection.execute(
        text("DELETE FROM annotation_configs WHERE id = :id RETURNING id, name, config"),
        {"id": rowid},
    )
    row = result.one_or_none()
    if row is None:
        raise NotFoundError(f"Annotation configuration not found: {rowid}")
    return _row(row)


async def assign_config(connection: AsyncConnection, project_id: int, rowid: int) -> None:
    """Assign a config to a project; an existing assignment stays as it is."""
    await connection.execute(
        text(
            "INSERT INTO project_annotation_configs (project_id, annotation_config_id) "
            "VALUES (:project, :config) ON CONFLICT DO NOTHING"
        ),
        {"project": project_id, "config": rowid},
    )


async def unassign_config(connection: AsyncConnection, project_id: int, rowid: int) -> None:
    """Unassign a config from a project, if it is assigned."""
    await connection.execute(
        text(
            "DELETE FROM project_annotation_configs "
            "WHERE project_id = :project AND annotation_config_id = :config"
        ),
        {"project": project_id, "config": rowid},
    )


async def set_project_configs(
    connection: AsyncConnection, project_id: int, config_ids: Sequence[str]
) -> list[ConfigRow]:
    """Make exactly the configs ``config_ids`` (GlobalIDs) the project's; return them, newest
    first.

    Raises:
        InvalidArgumentError: one of ``config_ids`` is not the GlobalID of an annotation config.
        NotFoundError: some of them name no config.
    """
    by_rowid = {config_rowid(config_id): config_id for config_id in config_ids}
    rowids = list(by_rowid)
    result = await connection.execute(
        text(f"{_SELECT} WHERE c.id = ANY(:ids) ORDER BY c.id DESC").bindparams(_IDS),
        {"ids": rowids},
    )
    rows = [_row(row) for row in result]
    unknown = [by_rowid[rowid] for rowid in rowids if rowid not in {row.id for row in rows}]
    if unknown:
        raise NotFoundError(f"Annotation configurations not found: {', '.join(unknown)}")
    await connection.execute(
        text(
            "DELETE FROM project_annotation_configs "
            "WHERE project_id = :project AND NOT (annotation_config_id = ANY(:ids))"
        ).bindparams(_IDS),
        {"project": project_id, "ids": rowids},
    )
    await connection.execute(
        text(
            "INSERT INTO project_annotation_configs (project_id, annotation_config_id) "
            "SELECT :project, unnest(:ids) ON CONFLICT DO NOTHING"
        ).bindparams(_IDS),
        {"project": project_id, "ids": rowids},
    )
    return rows
