"""``/v1/projects``: list, get, create, update and delete projects (Phoenix's shapes).

``default`` always exists and can't be deleted (403), as in Phoenix. Deleting a project removes
its traces, spans, sessions and annotations.
"""

from __future__ import annotations

from typing import Annotated, TypeAlias

from litestar import Controller, delete, get, post, put
from litestar.params import FromQuery, JSONBody, PathParameter
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT
from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError

from spyglass_core.errors import ConflictError, ForbiddenError
from spyglass_db.deletion import delete_projects
from spyglass_db.models import DEFAULT_PROJECT_NAME
from spyglass_query_api.dependencies import Db
from spyglass_query_api.queries.ids import global_id
from spyglass_query_api.queries.lookup import ProjectRow, get_project
from spyglass_query_api.queries.pages import Keyset
from spyglass_query_api.queries.projects import (
    ProjectNode,
    create_project,
    list_projects,
    update_project_description,
)
from spyglass_query_api.rest.fields import Name
from spyglass_query_api.rest.pagination import page_of, page_request

ProjectIdentifier: TypeAlias = Annotated[
    str, PathParameter(description="The project identifier: either project ID or project name.")
]


class Project(BaseModel):
    name: str = Field(min_length=1)
    description: str | None = None
    id: str


class ProjectBody(BaseModel):
    data: Project


class ProjectsPage(BaseModel):
    data: list[Project]
    next_cursor: str | None


class CreateProjectRequest(BaseModel):
    name: Name
    description: str | None = None


class UpdateProjectRequest(BaseModel):
    description: str | None = None


def _project(row: ProjectRow | ProjectNode) -> Project:
    return Project(name=row.name, description=row.description, id=global_id("Project", row.id))


class ProjectController(Controller):
    path = "/v1/projects"
    tags = ["projects"]  # noqa: RUF012 (litestar declares it as an instance variable)

    @get(summary="List projects")
    async def list_projects(
        self,
        connection: Db,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[int] = 100,
        include_experiment_projects: FromQuery[bool] = False,
        include_dataset_evaluator_projects: FromQuery[bool] = False,
        name_contains: FromQuery[str | None] = None,
    ) -> ProjectsPage:
        """Projects by id, newest first, ``limit`` at a time."""
        page = page_request(cursor, limit, "Project", default=100, maximum=1000)
        keyset = Keyset(
            descending=True,
            fetch=page.fetch,
            after_value=page.start,
            after_rowid=page.start,
            inclusive=True,
        )
        rows = await list_projects(connection, keyset, name_contains, include_experiment_projects)
        cut = page_of(rows, page, "Project")
        return ProjectsPage(data=[_project(row) for row in cut.rows], next_cursor=cut.next_cursor)

    @post(summary="Create a project", status_code=HTTP_200_OK)
    async def create_project(
        self, connection: Db, data: JSONBody[CreateProjectRequest]
    ) -> ProjectBody:
        """A new project; 409 if the name is taken."""
        try:
            created = await create_project(connection, data.name, data.description)
        except IntegrityError:
            raise ConflictError(f"Project with name {data.name} already exists") from None
        return ProjectBody(data=_project(created))

    @get("/{project_identifier:str}", summary="Get a project")
    async def get_project(
        self,
        connection: Db,
        project_identifier: ProjectIdentifier,
    ) -> ProjectBody:
        return ProjectBody(data=_project(await get_project(connection, project_identifier)))

    @put("/{project_identifier:str}", summary="Update a project's description")
    async def update_project(
        self,
        connection: Db,
        project_identifier: ProjectIdentifier,
        data: JSONBody[UpdateProjectRequest],
    ) -> ProjectBody:
        project = await get_project(connection, project_identifier)
        updated = await update_project_description(connection, project.id, data.description)
        return ProjectBody(data=_project(updated))

    @delete(
        "/{project_identifier:str}", summary="Delete a project", status_code=HTTP_204_NO_CONTENT
    )
    async def delete_project(
        self,
        connection: Db,
        project_identifier: ProjectIdentifier,
    ) -> None:
        """Delete a project with all its traces, spans, sessions and annotations."""
        project = await get_project(connection, project_identifier)
        if project.name == DEFAULT_PROJECT_NAME:
            raise ForbiddenError("The default project cannot be deleted")
        await delete_projects(connection, [project.id])
