"""``ProjectTraceRetentionPolicy``, a project's policy and data volume, and the mutations that
set them (Phoenix's names: ``createProjectTraceRetentionPolicy``, ``patch...``, ``delete...``).

Arguments are checked before anything is written, so a refused mutation changes nothing; each
refusal names its argument (``input.maxDays``) in ``extensions.argument``.
"""

from __future__ import annotations

from typing import Any

from ariadne import MutationType, ObjectType, QueryType

from spyglass_db.retention import RetentionRule, cron_error
from spyglass_query_api.graphql.context import Info, request_context
from spyglass_query_api.graphql.errors import ArgumentError
from spyglass_query_api.queries import retention as store
from spyglass_query_api.queries.ids import global_id, rowid_of
from spyglass_query_api.queries.lookup import find_project
from spyglass_query_api.queries.projects import ProjectNode, get_project_nodes
from spyglass_query_api.queries.retention import POLICY_TYPE_NAME, DataVolume, PolicyRow

retention_policy = ObjectType("ProjectTraceRetentionPolicy")
project_retention = ObjectType("Project")
retention_query = QueryType()
retention_mutation = MutationType()

MAX_DAYS = 36_500


@retention_policy.field("id")
def resolve_policy_id(row: PolicyRow, _: Any) -> str:
    return global_id(POLICY_TYPE_NAME, row.id)


@retention_policy.field("projectCount")
async def resolve_project_count(row: PolicyRow, info: Info) -> int:
    return await request_context(info).read(store.count_policy_projects, row.id)


@retention_query.field("projectTraceRetentionPolicies")
async def resolve_policies(_: Any, info: Info) -> list[PolicyRow]:
    return await request_context(info).read(store.list_policies)


@project_retention.field("traceRetentionPolicy")
async def resolve_project_policy(node: ProjectNode, info: Info) -> PolicyRow:
    return await request_context(info).read(store.get_project_policy, node.id)


@project_retention.field("usesDefaultRetentionPolicy")
async def resolve_uses_default(node: ProjectNode, info: Info) -> bool:
    policy = await request_context(info).read(store.get_project_policy, node.id)
    return policy.is_default


@project_retention.field("dataVolume")
async def resolve_data_volume(node: ProjectNode, info: Info) -> DataVolume:
    return await request_context(info).read(store.get_data_volume, node.id)


_ARGUMENT_NAMES = {"max_days": "maxDays", "max_count": "maxCount"}


def _limit(values: dict[str, Any], field: str, maximum: int) -> int | None:
    value = values.get(field)
    if value is not None and not 1 <= value <= maximum:
        name = _ARGUMENT_NAMES[field]
        raise ArgumentError(
            f"input.{name}", f"`{name}` must be between 1 and {maximum}, got {value}"
        )
    return value if isinstance(value, int) else None


def _name(values: dict[str, Any]) -> str | None:
    name = values.get("name")
    if name is not None and not name.strip():
        raise ArgumentError("input.name", "`name` must not be empty")
    return name if isinstance(name, str) else None


def _cron(values: dict[str, Any]) -> str | None:
    expression = values.get("cron_expression")
    if expression is not None and (reason := cron_error(expression)):
        raise ArgumentError("input.cronExpression", f"`cronExpression` is {reason}")
    return expression if isinstance(expression, str) else None


def _policy_rowid(value: str, argument: str) -> int:
    rowid = rowid_of(value, POLICY_TYPE_NAME)
    if rowid is None:
        raise ArgumentError(argument, f"`{argument}` is not a retention policy's id: {value}")
    return rowid


@retention_mutation.field("createProjectTraceRetentionPolicy")
async def resolve_create_policy(_: Any, info: Info, input: dict[str, Any]) -> PolicyRow:
    """A new policy, optionally followed by the projects in ``addProjects`` at once."""
    name, expression = _name(input), _cron(input)
    rule = RetentionRule(_limit(input, "max_days", MAX_DAYS), _limit(input, "max_count", 2**31 - 1))
    assert name is not None and expression is not None  # required by the schema
    context = request_context(info)
    projects = []
    for project_id in input.get("add_projects") or []:
        rowid = rowid_of(project_id, "Project")
        if rowid is None:
            raise ArgumentError("input.addProjects", f"Not a project's id: {project_id}")
        projects.append(rowid)
    policy = await context.read(store.create_policy, name, expression, rule)
    for rowid in projects:
        await context.read(store.set_project_policy, rowid, policy.id)
    return policy


@retention_mutation.field("patchProjectTraceRetentionPolicy")
async def resolve_patch_policy(_: Any, info: Info, input: dict[str, Any]) -> PolicyRow:
    """Change the given fields; ``maxDays`` / ``maxCount`` given as null remove that limit."""
    rowid = _policy_rowid(input["id"], "input.id")
    name, expression = _name(input), _cron(input)
    days = _limit(input, "max_days", MAX_DAYS)
    count = _limit(input, "max_count", 2**31 - 1)
    context = request_context(info)
    rule = None
    if "max_days" in input or "max_count" in input:
        current = await context.read(store.get_policy, rowid)
        rule = RetentionRule(
            days if "max_days" in input else current.max_days,
            count if "max_count" in input else current.max_count,
        )
    return await context.read(
        store.update_policy, rowid, name=name, cron_expression=expression, rule=rule
    )


@retention_mutation.field("deleteProjectTraceRetentionPolicy")
async def resolve_delete_policy(_: Any, info: Info, id: str) -> str:
    await request_context(info).read(store.delete_policy, _policy_rowid(id, "id"))
    return id


@retention_mutation.field("setProjectTraceRetentionPolicy")
async def resolve_set_project_policy(
    _: Any, info: Info, project_id: str, policy_id: str | None = None
) -> ProjectNode:
    context = request_context(info)
    project_rowid = rowid_of(project_id, "Project")
    project = None if project_rowid is None else await context.read(find_project, project_id)
    if project is None:
        raise ArgumentError("projectId", f"No project has the id {project_id}")
    policy_rowid = None if policy_id is None else _policy_rowid(policy_id, "policyId")
    await context.read(store.set_project_policy, project.id, policy_rowid)
    nodes = await context.read(get_project_nodes, [project.id])
    return nodes[project.id]
