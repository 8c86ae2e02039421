"""Annotation configs and their project assignments.

A config is stored as its name and a JSON document of the rest (``type``, ``description``,
``optimization_direction`` and the kind's own fields). Identifiers are GlobalIDs of any of the
three config types, or, where the contract allows it, names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Table,
    all_,
    any_,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from spyglass_core.errors import ConflictError, InvalidArgumentError, NotFoundError
from spyglass_db.models import AnnotationConfig, ProjectAnnotationConfig, metadata
from spyglass_query_api.queries.ids import decode_global_id
from spyglass_query_api.queries.tables import rowids

CONFIG_TYPE_NAMES = frozenset(
    {"CategoricalAnnotationConfig", "ContinuousAnnotationConfig", "FreeformAnnotationConfig"}
)


def _table(model: type[Any]) -> Table:
    return metadata.tables[model.__tablename__]


CONFIGS = _table(AnnotationConfig)
PROJECT_CONFIGS = _table(ProjectAnnotationConfig)


@dataclass(frozen=True)
class ConfigRow:
    id: int
    name: str
    config: dict[str, Any]


def config_rowid_of(value: str) -> int | None:
    """The row id if ``value`` is a GlobalID of any config type, else None."""
    node = decode_global_id(value)
    if node is None or node[0] not in CONFIG_TYPE_NAMES:
        return None
    return node[1]


def config_rowid(config_id: str) -> int:
    """The row id of a config GlobalID.

    Raises:
        InvalidArgumentError: ``config_id`` is not the GlobalID of an annotation config.
    """
    rowid = config_rowid_of(config_id)
    if rowid is None:
        raise InvalidArgumentError(f"Invalid annotation configuration ID: {config_id}")
    return rowid


_COLUMNS = (CONFIGS.c.id, CONFIGS.c.name, CONFIGS.c.config)
_ASSIGNED = CONFIGS.join(PROJECT_CONFIGS, PROJECT_CONFIGS.c.annotation_config_id == CONFIGS.c.id)


def _list_statement(assigned: bool, from_start: bool) -> Any:
    statement = select(*_COLUMNS)
    if assigned:
        statement = statement.select_from(_ASSIGNED).where(
            PROJECT_CONFIGS.c.project_id == bindparam("project")
        )
    if from_start:
        statement = statement.where(CONFIGS.c.id <= bindparam("start"))
    return statement.order_by(CONFIGS.c.id.desc()).limit(bindparam("fetch"))


_LISTS = {
    (assigned, from_start): _list_statement(assigned, from_start)
    for assigned in (False, True)
    for from_start in (False, True)
}
"""The list of each shape: (a project's configs only, from a cursor on)."""

_BY_ROWID = select(*_COLUMNS).where(CONFIGS.c.id == bindparam("value"))
_BY_NAME = select(*_COLUMNS).where(CONFIGS.c.name == bindparam("value"))
_BY_ROWIDS = (
    select(*_COLUMNS).where(CONFIGS.c.id == any_(rowids("ids"))).order_by(CONFIGS.c.id.desc())
)
_CREATE = (
    insert(CONFIGS).values(name=bindparam("name"), config=bindparam("config")).returning(*_COLUMNS)
)
_UPDATE = (
    update(CONFIGS)
    .where(CONFIGS.c.id == bindparam("rowid"))
    .values(name=bindparam("name"), config=bindparam("config"))
    .returning(*_COLUMNS)
)
_DELETE = delete(CONFIGS).where(CONFIGS.c.id == bindparam("rowid")).returning(*_COLUMNS)
_ASSIGN = (
    postgresql.insert(PROJECT_CONFIGS)
    .values(project_id=bindparam("project"), annotation_config_id=bindparam("config"))
    .on_conflict_do_nothing()
    .inline()  # no RETURNING of the new row's id: nothing reads it
)
_UNASSIGN = delete(PROJECT_CONFIGS).where(
    PROJECT_CONFIGS.c.project_id == bindparam("project"),
    PROJECT_CONFIGS.c.annotation_config_id == bindparam("config"),
)
_UNASSIGN_OTHERS = delete(PROJECT_CONFIGS).where(
    PROJECT_CONFIGS.c.project_id == bindparam("project"),
    PROJECT_CONFIGS.c.annotation_config_id != all_(rowids("ids")),
)
_ASSIGN_ALL = (
    postgresql.insert(PROJECT_CONFIGS)
    .from_select(
        ["project_id", "annotation_config_id"],
        select(bindparam("project", type_=BigInteger), func.unnest(rowids("ids"))),
    )
    .on_conflict_do_nothing()
)


def _row(row: Any) -> ConfigRow:
    return ConfigRow(row.id, row.name, row.config)


async def list_configs(
    connection: AsyncConnection, fetch: int, start: int | None = None, project_id: int | None = None
) -> list[ConfigRow]:
    """Up to ``fetch`` configs newest first, from rowid ``start`` down; with ``project_id``,
    only those assigned to that project."""
    statement = _LISTS[project_id is not None, start is not None]
    values: dict[str, object] = {"fetch": fetch}
    if project_id is not None:
        values["project"] = project_id
    if start is not None:
        values["start"] = start
    result = await connection.execute(statement, values)
    return [_row(row) for row in result]


async def get_config(connection: AsyncConnection, identifier: str) -> ConfigRow:
    """The config ``identifier`` names: its GlobalID, else its name.

    Raises:
        NotFoundError: no such config.
    """
    rowid = config_rowid_of(identifier)
    statement, value = (_BY_ROWID, rowid) if rowid is not None else (_BY_NAME, identifier)
    result = await connection.execute(statement, {"value": value})
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
    return await _write(connection, _CREATE, {"name": name, "config": config})


async def update_config(
    connection: AsyncConnection, rowid: int, name: str, config: dict[str, Any]
) -> ConfigRow:
    """Replace config ``rowid``'s name and fields.

    Raises:
        NotFoundError: no such config.
        ConflictError: another config has the name.
    """
    return await _write(connection, _UPDATE, {"rowid": rowid, "name": name, "config": config})


async def _write(connection: AsyncConnection, statement: Any, values: dict[str, Any]) -> ConfigRow:
    try:
        async with connection.begin_nested():
            result = await connection.execute(statement, values)
            row = result.one_or_none()
    except IntegrityError:
        raise ConflictError(
            f"The name of the annotation configuration is already taken: {values['name']}"
        ) from None
    if row is None:
        raise NotFoundError(f"Annotation configuration not found: {values.get('rowid')}")
    return _row(row)


async def delete_config(connection: AsyncConnection, rowid: int) -> ConfigRow:
    """Delete config ``rowid`` (and its assignments); return what it was.

    Raises:
        NotFoundError: no such config.
    """
    result = await connection.execute(_DELETE, {"rowid": rowid})
    row = result.one_or_none()
    if row is None:
        raise NotFoundError(f"Annotation configuration not found: {rowid}")
    return _row(row)


async def assign_config(connection: AsyncConnection, project_id: int, rowid: int) -> None:
    """Assign a config to a project; an existing assignment stays as it is."""
    await connection.execute(_ASSIGN, {"project": project_id, "config": rowid})


async def unassign_config(connection: AsyncConnection, project_id: int, rowid: int) -> None:
    """Unassign a config from a project, if it is assigned."""
    await connection.execute(_UNASSIGN, {"project": project_id, "config": rowid})


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
    result = await connection.execute(_BY_ROWIDS, {"ids": rowids})
    rows = [_row(row) for row in result]
    unknown = [by_rowid[rowid] for rowid in rowids if rowid not in {row.id for row in rows}]
    if unknown:
        raise NotFoundError(f"Annotation configurations not found: {', '.join(unknown)}")
    values = {"project": project_id, "ids": rowids}
    await connection.execute(_UNASSIGN_OTHERS, values)
    await connection.execute(_ASSIGN_ALL, values)
    return rows
