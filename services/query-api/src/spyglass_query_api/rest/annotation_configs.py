"""``/v1/annotation_configs`` and ``/v1/projects/{id}/annotation_configs``: annotation shapes.

A config is CATEGORICAL (labelled values with optional scores), CONTINUOUS (a score between
optional bounds) or FREEFORM (text, with an optional threshold and bounds), each with an
optimization direction. Its GlobalID's type names its kind (``CategoricalAnnotationConfig``...).
Names are unique (409), ``note`` is reserved (409), an inconsistent config is 400. Projects
list the configs assigned to them; assigning and unassigning are idempotent.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeAlias

from litestar import Controller, delete, get, post, put
from litestar.params import FromQuery, JSONBody, PathParameter
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT
from pydantic import BaseModel, Field, RootModel

from spyglass_core.errors import ConflictError, InvalidArgumentError
from spyglass_query_api.dependencies import Db
from spyglass_query_api.queries import annotation_configs as config_store
from spyglass_query_api.queries.annotation_configs import ConfigRow, config_rowid_of
from spyglass_query_api.queries.ids import global_id
from spyglass_query_api.queries.lookup import get_project
from spyglass_query_api.rest.errors import UnprocessableParameterError
from spyglass_query_api.rest.fields import Name
from spyglass_query_api.rest.pagination import PageRequest

Direction: TypeAlias = Literal["MINIMIZE", "MAXIMIZE", "NONE"]
ProjectIdentifier: TypeAlias = Annotated[
    str, PathParameter(description="The project identifier: either project ID or project name.")
]
ConfigIdentifier: TypeAlias = Annotated[
    str, PathParameter(description="The annotation configuration identifier: either ID or name.")
]
ConfigId: TypeAlias = Annotated[
    str, PathParameter(description="ID of the annotation configuration")
]

MAX_CONFIGS_PER_PAGE = 1000

TYPE_NAMES = {
    "CATEGORICAL": "CategoricalAnnotationConfig",
    "CONTINUOUS": "ContinuousAnnotationConfig",
    "FREEFORM": "FreeformAnnotationConfig",
}


class CategoricalAnnotationValue(BaseModel):
    label: str
    score: float | None = Field(default=None, allow_inf_nan=False)


class CategoricalAnnotationConfigData(BaseModel):
    name: Name
    type: Literal["CATEGORICAL"]
    description: str | None = None
    optimization_direction: Direction
    values: list[CategoricalAnnotationValue]


class ContinuousAnnotationConfigData(BaseModel):
    name: Name
    type: Literal["CONTINUOUS"]
    description: str | None = None
    optimization_direction: Direction
    lower_bound: float | None = Field(default=None, allow_inf_nan=False)
    upper_bound: float | None = Field(default=None, allow_inf_nan=False)


class FreeformAnnotationConfigData(BaseModel):
    name: Name
    type: Literal["FREEFORM"]
    description: str | None = None
    optimization_direction: Direction | None = None
    threshold: float | None = Field(default=None, allow_inf_nan=False)
    lower_bound: float | None = Field(default=None, allow_inf_nan=False)
    upper_bound: float | None = Field(default=None, allow_inf_nan=False)


ConfigData: TypeAlias = Annotated[
    CategoricalAnnotationConfigData | ContinuousAnnotationConfigData | FreeformAnnotationConfigData,
    Field(discriminator="type"),
]


class CreateAnnotationConfigData(RootModel[ConfigData]):
    root: ConfigData


class CategoricalAnnotationConfig(CategoricalAnnotationConfigData):
    id: str


class ContinuousAnnotationConfig(ContinuousAnnotationConfigData):
    id: str


class FreeformAnnotationConfig(FreeformAnnotationConfigData):
    id: str


Config: TypeAlias = Annotated[
    CategoricalAnnotationConfig | ContinuousAnnotationConfig | FreeformAnnotationConfig,
    Field(discriminator="type"),
]


class AnnotationConfigBody(BaseModel):
    data: Config


class AnnotationConfigsPage(BaseModel):
    data: list[Config]
    next_cursor: str | None


class SetProjectAnnotationConfigsRequestBody(BaseModel):
    annotation_config_ids: list[str] = Field(
        description="Every annotation config GlobalID the project should have; others are "
        "unassigned, and an empty list clears them all."
    )


_MODELS: dict[str, type[BaseModel]] = {
    "CATEGORICAL": CategoricalAnnotationConfig,
    "CONTINUOUS": ContinuousAnnotationConfig,
    "FREEFORM": FreeformAnnotationConfig,
}


def config_response(row: ConfigRow) -> Any:
    """The API form of a stored config: its fields, its name and its GlobalID."""
    kind = row.config.get("type", "FREEFORM")
    fields = {**row.config, "name": row.name, "id": global_id(TYPE_NAMES[kind], row.id)}
    return _MODELS[kind].model_validate(fields)


def checked_config(data: ConfigData) -> dict[str, Any]:
    """What is stored of a config (everything but its name), once it is consistent.

    Raises:
        ConflictError: the name ``note``, reserved for notes.
        InvalidArgumentError: no values, an empty or repeated label, or bounds out of order.
    """
    if data.name == "note":
        raise ConflictError(
            "The name 'note' is reserved for trace and span notes and cannot be used "
            "for annotation configs."
        )
    if isinstance(data, CategoricalAnnotationConfigData):
        if not data.values:
            raise InvalidArgumentError("values: a categorical config needs at least one value")
        labels = [value.label for value in data.values]
        if any(not label for label in labels):
            raise InvalidArgumentError("values: labels must be non-empty")
        repeated = sorted({label for label in labels if labels.count(label) > 1})
        if repeated:
            raise InvalidArgumentError(
                f'values: the categorical config repeats the label "{repeated[0]}"'
            )
    else:
        lower, upper = data.lower_bound, data.upper_bound
        if lower is not None and upper is not None and lower >= upper:
            raise InvalidArgumentError(
                f"lower_bound ({lower}) must be strictly less than upper_bound ({upper})"
            )
    return data.model_dump(exclude={"name"})


def config_page_request(cursor: str | None, limit: int) -> PageRequest:
    """Validate a config list's cursor (a GlobalID of any config type) and limit (capped).

    Raises:
        UnprocessableParameterError: a cursor that is no config GlobalID, a limit below 1.
    """
    if limit < 1:
        raise UnprocessableParameterError("limit", f"limit must be at least 1, got {limit}")
    start = None
    if cursor:
        start = config_rowid_of(cursor)
        if start is None:
            raise UnprocessableParameterError("cursor", f"Invalid cursor: {cursor!r}")
    return PageRequest(start, min(limit, MAX_CONFIGS_PER_PAGE))


def _page(rows: list[ConfigRow], page: PageRequest) -> AnnotationConfigsPage:
    following = rows[page.limit] if len(rows) > page.limit else None
    return AnnotationConfigsPage(
        data=[config_response(row) for row in rows[: page.limit]],
        next_cursor=config_response(following).id if following else None,
    )


class AnnotationConfigController(Controller):
    path = "/v1"
    tags = ["annotation_configs"]  # noqa: RUF012 (litestar declares it as an instance variable)

    @get("/annotation_configs", summary="List annotation configurations")
    async def list_annotation_configs(
        self, connection: Db, cursor: FromQuery[str | None] = None, limit: FromQuery[int] = 100
    ) -> AnnotationConfigsPage:
        """Every annotation config, newest first, with cursor pages."""
        page = config_page_request(cursor, limit)
        return _page(await config_store.list_configs(connection, page.fetch, page.start), page)

    @post(
        "/annotation_configs", summary="Create an annotation configuration", status_code=HTTP_200_OK
    )
    async def create_annotation_config(
        self, connection: Db, data: JSONBody[CreateAnnotationConfigData]
    ) -> AnnotationConfigBody:
        """A new config; 409 if its name is taken."""
        stored = checked_config(data.root)
        row = await config_store.create_config(connection, data.root.name, stored)
        return AnnotationConfigBody(data=config_response(row))

    @get("/annotation_configs/{config_identifier:str}", summary="Get an annotation configuration")
    async def get_annotation_config(
        self,
        connection: Db,
        config_identifier: Annotated[
            str, PathParameter(description="ID or name of the annotation configuration")
        ],
    ) -> AnnotationConfigBody:
        """The config a GlobalID or a name names."""
        row = await config_store.get_config(connection, config_identifier)
        return AnnotationConfigBody(data=config_response(row))

    @put("/annotation_configs/{config_id:str}", summary="Update an annotation configuration")
    async def update_annotation_config(
        self, connection: Db, config_id: ConfigId, data: JSONBody[CreateAnnotationConfigData]
    ) -> AnnotationConfigBody:
        """Replace a config (its name, kind and fields) by its GlobalID."""
        rowid = config_store.config_rowid(config_id)
        stored = checked_config(data.root)
        row = await config_store.update_config(connection, rowid, data.root.name, stored)
        return AnnotationConfigBody(data=config_response(row))

    @delete(
        "/annotation_configs/{config_id:str}",
        summary="Delete an annotation configuration",
        status_code=HTTP_200_OK,
    )
    async def delete_annotation_config(
        self, connection: Db, config_id: ConfigId
    ) -> AnnotationConfigBody:
        """Delete a config by its GlobalID; answer what it was."""
        rowid = config_store.config_rowid(config_id)
        row = await config_store.delete_config(connection, rowid)
        return AnnotationConfigBody(data=config_response(row))

    @get(
        "/projects/{project_identifier:str}/annotation_configs",
        summary="List annotation configurations assigned to a project",
    )
    async def list_project_annotation_configs(
        self,
        connection: Db,
        project_identifier: ProjectIdentifier,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[int] = 100,
    ) -> AnnotationConfigsPage:
        """The project's configs, newest first, with cursor pages."""
        page = config_page_request(cursor, limit)
        project = await get_project(connection, project_identifier)
        rows = await config_store.list_configs(connection, page.fetch, page.start, project.id)
        return _page(rows, page)

    @put(
        "/projects/{project_identifier:str}/annotation_configs",
        summary="Replace the annotation configurations assigned to a project",
    )
    async def set_project_annotation_configs(
        self,
        connection: Db,
        project_identifier: ProjectIdentifier,
        data: JSONBody[SetProjectAnnotationConfigsRequestBody],
    ) -> AnnotationConfigsPage:
        """Make the project's configs exactly the given ones; answer them."""
        project = await get_project(connection, project_identifier)
        rows = await config_store.set_project_configs(
            connection, project.id, data.annotation_config_ids
        )
        return AnnotationConfigsPage(data=[config_response(row) for row in rows], next_cursor=None)

    @put(
        "/projects/{project_identifier:str}/annotation_configs/{config_identifier:str}",
        summary="Assign an annotation configuration to a project",
    )
    async def assign_annotation_config(
        self,
        connection: Db,
        project_identifier: ProjectIdentifier,
        config_identifier: ConfigIdentifier,
    ) -> AnnotationConfigBody:
        """Assign a config (GlobalID or name) to the project; assigning twice changes nothing."""
        project = await get_project(connection, project_identifier)
        row = await config_store.get_config(connection, config_identifier)
        await config_store.assign_config(connection, project.id, row.id)
        return AnnotationConfigBody(data=config_response(row))

    @delete(
        "/projects/{project_identifier:str}/annotation_configs/{config_identifier:str}",
        summary="Unassign an annotation configuration from a project",
        status_code=HTTP_204_NO_CONTENT,
    )
    async def unassign_annotation_config(
        self,
        connection: Db,
        project_identifier: ProjectIdentifier,
        config_identifier: ConfigIdentifier,
    ) -> None:
        """Unassign a config from the project; the config stays, and unassigning twice is fine."""
        project = await get_project(connection, project_identifier)
        row = await config_store.get_config(connection, config_identifier)
        await config_store.unassign_config(connection, project.id, row.id)
