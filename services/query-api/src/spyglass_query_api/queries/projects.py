"""Projects: the rows GraphQL and REST show, their lists, creation and description.

REST shows a project's id, name and description (``lookup.ProjectRow``); GraphQL also its
gradient colours and creation time (``ProjectNode``). Both list projects newest first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import any_, bindparam, exists, func, insert, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from spyglass_query_api.queries.lookup import ProjectRow
from spyglass_query_api.queries.pages import Keyset, keyset_page
from spyglass_query_api.queries.tables import EXPERIMENTS, PROJECTS, rowids


@dataclass(frozen=True)
class ProjectNode:
    id: int
    name: str
    description: str | None
    gradient_start_color: str
    gradient_end_color: str
    created_at: datetime | None


PROJECT_COLUMNS = (
    PROJECTS.c.id,
    PROJECTS.c.name,
    PROJECTS.c.description,
    PROJECTS.c.gradient_start_color,
    PROJECTS.c.gradient_end_color,
    PROJECTS.c.created_at,
)
PROJECT_COLUMNS_SQL = (
    "p.id, p.name, p.description, p.gradient_start_color, p.gradient_end_color, p.created_at"
)
"""``PROJECT_COLUMNS`` as SQL text over ``p``, for statements written as text."""

_ROW_COLUMNS = (PROJECTS.c.id, PROJECTS.c.name, PROJECTS.c.description)

_BY_ROWID = select(*PROJECT_COLUMNS).where(PROJECTS.c.id == any_(rowids("project_rowids")))
_BY_NAME = select(*PROJECT_COLUMNS).where(PROJECTS.c.name == bindparam("name"))
_LIST = select(*PROJECT_COLUMNS)
_NAME_CONTAINS = func.strpos(func.lower(PROJECTS.c.name), func.lower(bindparam("contains"))) > 0
_NOT_AN_EXPERIMENTS = ~exists().where(EXPERIMENTS.c.project_name == PROJECTS.c.name)
"""Projects that hold no experiment's task traces (Phoenix lists those only when asked)."""
_CREATE = (
    insert(PROJECTS)
    .values(name=bindparam("name"), description=bindparam("description"))
    .returning(*_ROW_COLUMNS)
)
_CREATE_IF_MISSING = (
    postgresql.insert(PROJECTS)
    .values(name=bindparam("name"))
    .on_conflict_do_nothing(index_elements=[PROJECTS.c.name])
    .inline()  # no RETURNING of the new row's id: nothing reads it
)
_DESCRIBE = (
    update(PROJECTS)
    .where(PROJECTS.c.id == bindparam("project_rowid"))
    .values(description=bindparam("description"), updated_at=func.now())
    .returning(*_ROW_COLUMNS)
)


async def get_project_nodes(
    connection: AsyncConnection, project_rowids: Sequence[int]
) -> dict[int, ProjectNode]:
    """Projects by rowid."""
    result = await connection.execute(_BY_ROWID, {"project_rowids": list(project_rowids)})
    return {row[0]: ProjectNode(*row) for row in result}


async def find_project_node(connection: AsyncConnection, name: str) -> ProjectNode | None:
    """The project named ``name``, or None."""
    result = await connection.execute(_BY_NAME, {"name": name})
    row = result.one_or_none()
    return None if row is None else ProjectNode(*row)


async def list_projects(
    connection: AsyncConnection,
    page: Keyset,
    name_contains: str | None = None,
    include_experiment_projects: bool = True,
) -> list[ProjectNode]:
    """Up to ``page.fetch`` projects by rowid, whose name contains ``name_contains`` (any case),
    without the projects of experiments' task traces unless ``include_experiment_projects``."""
    statement = _LIST
    if not include_experiment_projects:
        statement = statement.where(_NOT_AN_EXPERIMENTS)
    values: dict[str, object] = {}
    if name_contains:
        statement = statement.where(_NAME_CONTAINS)
        values["contains"] = name_contains
    statement, page_values = keyset_page(statement, PROJECTS.c.id, PROJECTS.c.id, page)
    result = await connection.execute(statement, {**values, **page_values})
    return [ProjectNode(*row) for row in result]


async def create_project(
    connection: AsyncConnection, name: str, description: str | None
) -> ProjectRow:
    """A new project.

    Raises:
        sqlalchemy.exc.IntegrityError: the name is taken.
    """
    result = await connection.execute(_CREATE, {"name": name, "description": description})
    return ProjectRow(*result.one())


async def create_project_if_missing(connection: AsyncConnection, name: str) -> None:
    """Create the project ``name`` unless one has the name (another writer may, meanwhile)."""
    await connection.execute(_CREATE_IF_MISSING, {"name": name})


async def update_project_description(
    connection: AsyncConnection, project_rowid: int, description: str | None
) -> ProjectRow:
    """The project with its new description."""
    result = await connection.execute(
        _DESCRIBE, {"project_rowid": project_rowid, "description": description}
    )
    return ProjectRow(*result.one())
