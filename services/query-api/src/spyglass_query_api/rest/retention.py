"""``/v1/retention_policies`` and ``/v1/projects/{id}/retention``: how long projects keep traces.

Phoenix sets retention policies through GraphQL only; these REST endpoints are ours, in the shape
of the rest of ``/v1`` (``{"data": ...}``, GlobalIDs, 422 naming the field at fault). A policy's
rule keeps at most ``max_days`` days and/or the ``max_count`` newest traces of each project that
follows it (a trace goes when either limit says so; neither: keep everything); it is applied on
its five-field cron schedule (UTC). The default policy can be edited but not deleted (403).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, TypeAlias

from litestar import Controller, delete, get, patch, post, put
from litestar.params import JSONBody, PathParameter
from litestar.status_codes import HTTP_200_OK
from pydantic import BaseModel, Field, field_validator

from spyglass_core.errors import NotFoundError
from spyglass_db.retention import RetentionRule, cron_error
from spyglass_query_api.dependencies import Db
from spyglass_query_api.queries import retention as store
from spyglass_query_api.queries.ids import global_id, rowid_of
from spyglass_query_api.queries.lookup import get_project
from spyglass_query_api.queries.retention import POLICY_TYPE_NAME, DataVolume, PolicyRow
from spyglass_query_api.rest.errors import UnprocessableParameterError
from spyglass_query_api.rest.fields import Name

PolicyId: TypeAlias = Annotated[str, PathParameter(description="The retention policy's GlobalID")]
ProjectIdentifier: TypeAlias = Annotated[
    str, PathParameter(description="The project identifier: either project ID or project name.")
]

MAX_DAYS = 36_500
"""A hundred years: more is a mistake, and would overflow the date arithmetic."""


class RetentionRuleData(BaseModel):
    """Keep at most ``max_days`` days and/or the ``max_count`` newest traces (null: no limit)."""

    max_days: int | None = Field(
        default=None, gt=0, le=MAX_DAYS, description="Days of traces kept (by start time)."
    )
    max_count: int | None = Field(
        default=None, gt=0, le=2**62, description="How many of the newest traces are kept."
    )


def _checked_cron(value: str | None) -> str | None:
    if value is not None and (reason := cron_error(value)):
        raise ValueError(reason)
    return value


class CreateRetentionPolicyData(BaseModel):
    name: Name
    cron_expression: str = Field(
        description="When the policy is applied: a five-field cron schedule, in UTC "
        "(`0 0 * * 0`: Sundays at midnight)."
    )
    rule: RetentionRuleData

    _cron = field_validator("cron_expression")(_checked_cron)


class PatchRetentionPolicyData(BaseModel):
    """The fields to change; those left out stay as they are."""

    name: Name | None = None
    cron_expression: str | None = None
    rule: RetentionRuleData | None = None

    _cron = field_validator("cron_expression")(_checked_cron)


class RetentionPolicy(BaseModel):
    id: str
    name: str
    cron_expression: str
    rule: RetentionRuleData
    is_default: bool = Field(description="The policy of projects that have none of their own.")
    last_run_at: datetime | None
    next_run_at: datetime


class RetentionPolicyBody(BaseModel):
    data: RetentionPolicy


class RetentionPoliciesBody(BaseModel):
    data: list[RetentionPolicy]


class DataVolumeData(BaseModel):
    trace_count: int
    span_count: int
    oldest_start_time: datetime | None
    newest_start_time: datetime | None
    approximate_bytes: int = Field(description="Approximate size of the spans on disk.")


class ProjectRetention(BaseModel):
    policy: RetentionPolicy
    volume: DataVolumeData


class ProjectRetentionBody(BaseModel):
    data: ProjectRetention


class SetProjectRetentionPolicyData(BaseModel):
    policy_id: str | None = Field(
        description="The GlobalID of the policy the project follows; null: the default policy."
    )


def policy_response(row: PolicyRow) -> RetentionPolicy:
    return RetentionPolicy(
        id=global_id(POLICY_TYPE_NAME, row.id),
        name=row.name,
        cron_expression=row.cron_expression,
        rule=RetentionRuleData(max_days=row.max_days, max_count=row.max_count),
        is_default=row.is_default,
        last_run_at=row.last_run_at,
        next_run_at=row.next_run_at,
    )


def _volume(volume: DataVolume) -> DataVolumeData:
    return DataVolumeData(
        trace_count=volume.trace_count,
        span_count=volume.span_count,
        oldest_start_time=volume.oldest_start_time,
        newest_start_time=volume.newest_start_time,
        approximate_bytes=volume.approximate_bytes,
    )


def _rowid(policy_id: str) -> int:
    rowid = rowid_of(policy_id, POLICY_TYPE_NAME)
    if rowid is None:
        raise NotFoundError(f"Retention policy not found: {policy_id}")
    return rowid


def _rule(data: RetentionRuleData) -> RetentionRule:
    return RetentionRule(max_days=data.max_days, max_count=data.max_count)


class RetentionController(Controller):
    path = "/v1"
    tags = ["retention"]  # noqa: RUF012 (litestar declares it as an instance variable)

    @get("/retention_policies", summary="List trace retention policies")
    async def list_retention_policies(self, connection: Db) -> RetentionPoliciesBody:
        """Every policy, the default first."""
        rows = await store.list_policies(connection)
        return RetentionPoliciesBody(data=[policy_response(row) for row in rows])

    @post("/retention_policies", summary="Create a trace retention policy", status_code=HTTP_200_OK)
    async def create_retention_policy(
        self, connection: Db, data: JSONBody[CreateRetentionPolicyData]
    ) -> RetentionPolicyBody:
        """A new policy; 409 if its name is taken."""
        row = await store.create_policy(
            connection, data.name, data.cron_expression, _rule(data.rule)
        )
        return RetentionPolicyBody(data=policy_response(row))

    @get("/retention_policies/{policy_id:str}", summary="Get a trace retention policy")
    async def get_retention_policy(
        self, connection: Db, policy_id: PolicyId
    ) -> RetentionPolicyBody:
        """The policy a GlobalID names."""
        row = await store.get_policy(connection, _rowid(policy_id))
        return RetentionPolicyBody(data=policy_response(row))

    @patch("/retention_policies/{policy_id:str}", summary="Change a trace retention policy")
    async def patch_retention_policy(
        self, connection: Db, policy_id: PolicyId, data: JSONBody[PatchRetentionPolicyData]
    ) -> RetentionPolicyBody:
        """Change the fields given; the rule, if given, is replaced whole."""
        row = await store.update_policy(
            connection,
            _rowid(policy_id),
            name=data.name,
            cron_expression=data.cron_expression,
            rule=_rule(data.rule) if data.rule is not None else None,
        )
        return RetentionPolicyBody(data=policy_response(row))

    @delete(
        "/retention_policies/{policy_id:str}",
        summary="Delete a trace retention policy",
        status_code=HTTP_200_OK,
    )
    async def delete_retention_policy(
        self, connection: Db, policy_id: PolicyId
    ) -> RetentionPolicyBody:
        """Delete a policy (its projects follow the default one); answer what it was. The
        default policy can't be deleted (403)."""
        row = await store.delete_policy(connection, _rowid(policy_id))
        return RetentionPolicyBody(data=policy_response(row))

    @get(
        "/projects/{project_identifier:str}/retention",
        summary="The retention policy a project follows, and how much it stores",
    )
    async def get_project_retention(
        self, connection: Db, project_identifier: ProjectIdentifier
    ) -> ProjectRetentionBody:
        """The project's policy (its own or the default) and its data volume."""
        project = await get_project(connection, project_identifier)
        policy = await store.get_project_policy(connection, project.id)
        volume = await store.get_data_volume(connection, project.id)
        return ProjectRetentionBody(
            data=ProjectRetention(policy=policy_response(policy), volume=_volume(volume))
        )

    @put(
        "/projects/{project_identifier:str}/retention_policy",
        summary="Choose the retention policy a project follows",
    )
    async def set_project_retention_policy(
        self,
        connection: Db,
        project_identifier: ProjectIdentifier,
        data: JSONBody[SetProjectRetentionPolicyData],
    ) -> RetentionPolicyBody:
        """Make the project follow a policy (null: the default); answer the policy."""
        project = await get_project(connection, project_identifier)
        policy_rowid = None
        if data.policy_id is not None:
            policy_rowid = rowid_of(data.policy_id, POLICY_TYPE_NAME)
            if policy_rowid is None:
                raise UnprocessableParameterError(
                    "policy_id",
                    f"`policy_id` is not a retention policy's GlobalID: {data.policy_id}",
                    location="body",
                )
        row = await store.set_project_policy(connection, project.id, policy_rowid)
        return RetentionPolicyBody(data=policy_response(row))
