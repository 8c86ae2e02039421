"""Online evaluation rules (Spyglass's own REST): a project's rules, a dry run of a filter,
reading, changing, pausing, resuming and deleting a rule, and its jobs (the audit trail).

Every rule answer carries its live figures (``evaluation_rule_figures``); creating or changing
a rule also answers the dry run of its filter, target and rate over the project's last hour,
computed with the dispatcher's own compile and sampling functions. A filter that is not in the
filter language is a 422 at ``filter`` with the language's line, column and reason; a sampling
rate outside [0, 1] (or not a number) a 422 at ``sampling_rate``.

A change to what a rule does (anything but its name and spend caps) raises its ``version``: the
worker drops jobs of the old version instead of running them. Pausing keeps the version (the
worker parks the rule's jobs); resuming clears the reason and makes the parked jobs due now.
Rules are named by GlobalID (``EvaluationRule:N``); anything else names no rule (404).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated, Any, TypeAlias

from litestar import Controller, Request, delete, get, patch, post
from litestar.params import FromQuery, JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection

from spyglass_core.errors import ConflictError, NotFoundError
from spyglass_db.evaluation_jobs import unpark_rule_jobs
from spyglass_db.evaluation_rules import rule_condition
from spyglass_db.filters import FilterExpressionError
from spyglass_db.models.evaluations import JOB_STATES
from spyglass_query_api.access import requester_id
from spyglass_query_api.dependencies import Db
from spyglass_query_api.queries import evaluation_rule_figures as figures
from spyglass_query_api.queries import evaluation_rules as queries
from spyglass_query_api.queries.evaluation_rule_figures import DryRun
from spyglass_query_api.queries.evaluation_rules import RuleRow, RuleSettings
from spyglass_query_api.queries.ids import global_id, rowid_of
from spyglass_query_api.queries.lookup import get_project
from spyglass_query_api.rest.errors import UnprocessableParameterError
from spyglass_query_api.rest.evaluation_rule_bodies import (
    CreateEvaluationRuleRequestBody,
    DryRunRequestBody,
    PatchEvaluationRuleRequestBody,
    PauseRuleRequestBody,
)
from spyglass_query_api.rest.evaluation_rule_shapes import (
    DryRunFigures,
    EvaluationJob,
    EvaluationRule,
    dry_run_shape,
    job_shape,
    rule_shape,
)
from spyglass_query_api.rest.evaluators import attachable_evaluator, checked_mapping
from spyglass_query_api.rest.pagination import page_of, page_request

ProjectIdentifier: TypeAlias = Annotated[
    str, PathParameter(description="The project's GlobalID or name.")
]
RuleId: TypeAlias = Annotated[str, PathParameter(description="The rule's GlobalID.")]
Limit: TypeAlias = Annotated[
    int, QueryParameter(gt=0, description="The max number of items to return at a time.")
]

DEFAULT_PAGE = 100
MAX_PAGE = 1000
PAUSED_BY_USER = "paused by a user"

WHAT_IT_DOES = frozenset(RuleSettings.__dataclass_fields__) - {
    "name",
    "max_tokens_per_day",
    "max_cost_per_day",
}
"""The settings whose change makes a new version of the rule."""


class EvaluationRuleBody(BaseModel):
    data: EvaluationRule


class EvaluationRulesPage(BaseModel):
    data: list[EvaluationRule]
    next_cursor: str | None


class ResumedRule(EvaluationRule):
    resumed_jobs: int
    """Jobs the pause had parked, due now."""


class ResumedRuleBody(BaseModel):
    data: ResumedRule


class DryRunBody(BaseModel):
    data: DryRunFigures


class EvaluationJobsPage(BaseModel):
    data: list[EvaluationJob]
    next_cursor: str | None


def _checked_filter(expression: str) -> str:
    """``expression`` once the filter language accepts it.

    Raises:
        UnprocessableParameterError: it does not: the language's position and reason.
    """
    try:
        rule_condition(0, expression)
    except FilterExpressionError as error:
        raise UnprocessableParameterError("filter", str(error), location="body") from None
    return expression


async def _dry_run(
    connection: AsyncConnection, project_id: int, expression: str, target: str, rate: float
) -> DryRun:
    try:
        return await figures.dry_run(connection, project_id, expression, target, rate)
    except FilterExpressionError as error:
        raise UnprocessableParameterError("filter", str(error), location="body") from None


async def _shaped(
    connection: AsyncConnection, row: RuleRow, dry_run: DryRun | None = None
) -> EvaluationRule:
    counted = await figures.rule_figures(connection, [row.id])
    return rule_shape(row, counted[row.id], dry_run)


async def _existing_rule(
    connection: AsyncConnection, rule_id: str, *, for_update: bool = False
) -> RuleRow:
    """The rule ``rule_id`` names.

    Raises:
        NotFoundError: not a rule's GlobalID, or no such rule.
    """
    rowid = rowid_of(rule_id, "EvaluationRule")
    row = (
        None if rowid is None else await queries.get_rule(connection, rowid, for_update=for_update)
    )
    if row is None:
        raise NotFoundError(f"Evaluation rule {rule_id} not found")
    return row


async def _changed_settings(
    connection: AsyncConnection, rule: RuleRow, data: PatchEvaluationRuleRequestBody
) -> RuleSettings:
    """The rule's settings with the body's changes, each checked."""
    given = data.model_fields_set
    changes: dict[str, Any] = {field: getattr(data, field) for field in given}
    if "filter" in given:
        _checked_filter(data.filter)
    if "input_mapping" in given:
        changes["input_mapping"] = checked_mapping(data.input_mapping)
    if "evaluator" in given or "evaluator_version" in given:
        version = data.evaluator_version if "evaluator_version" in given else rule.evaluator_version
        reference = (
            data.evaluator if "evaluator" in given else global_id("Evaluator", rule.evaluator_id)
        )
        evaluator = await attachable_evaluator(connection, reference, version)
        changes.pop("evaluator", None)
        changes.update(evaluator_id=evaluator.id, evaluator_version=version)
    return replace(rule.settings(), **changes)


class EvaluationRuleController(Controller):
    path = "/v1"
    tags = ["evaluation_rules"]  # noqa: RUF012 (litestar declares it as an instance variable)

    @get("/projects/{project_identifier:str}/evaluation_rules", summary="List a project's rules")
    async def list_evaluation_rules(
        self,
        connection: Db,
        project_identifier: ProjectIdentifier,
        cursor: FromQuery[str | None] = None,
        limit: Limit = DEFAULT_PAGE,
    ) -> EvaluationRulesPage:
        """The project's online evaluation rules, newest first, with their figures."""
        page = page_request(cursor, limit, "EvaluationRule", default=DEFAULT_PAGE, maximum=MAX_PAGE)
        project = await get_project(connection, project_identifier)
        rows = await queries.list_rules(connection, project.id, page.start, page.fetch)
        cut = page_of(rows, page, "EvaluationRule")
        counted = await figures.rule_figures(connection, [row.id for row in cut.rows])
        return EvaluationRulesPage(
            data=[rule_shape(row, counted[row.id]) for row in cut.rows],
            next_cursor=cut.next_cursor,
        )

    @post(
        "/projects/{project_identifier:str}/evaluation_rules",
        summary="Create an evaluation rule",
        status_code=HTTP_201_CREATED,
    )
    async def create_evaluation_rule(
        self,
        connection: Db,
        project_identifier: ProjectIdentifier,
        data: JSONBody[CreateEvaluationRuleRequestBody],
        request: Request[Any, Any, Any],
    ) -> EvaluationRuleBody:
        """Create an active rule (version 1); answered with the dry run of its filter. A name
        the project's rules have already is 409."""
        project = await get_project(connection, project_identifier)
        _checked_filter(data.filter)
        mapping = checked_mapping(data.input_mapping)
        evaluator = await attachable_evaluator(connection, data.evaluator, data.evaluator_version)
        settings = RuleSettings(
            name=data.name,
            annotation_name=data.annotation_name or data.name,
            evaluator_id=evaluator.id,
            evaluator_version=data.evaluator_version,
            filter=data.filter,
            target=data.target,
            sampling_rate=data.sampling_rate,
            delay_seconds=data.delay_seconds,
            quiet_seconds=data.quiet_seconds,
            input_mapping=mapping,
            max_tokens_per_day=data.max_tokens_per_day,
            max_cost_per_day=data.max_cost_per_day,
        )
        row = await queries.create_rule(connection, project.id, settings)
        if row is None:
            raise ConflictError(
                f"Project {project.name} already has an evaluation rule named {data.name}"
            )
        await queries.set_rule_requester(connection, row.id, requester_id(request))
        dry_run = await _dry_run(connection, project.id, row.filter, row.target, row.sampling_rate)
        return EvaluationRuleBody(data=await _shaped(connection, row, dry_run))

    @post(
        "/projects/{project_identifier:str}/evaluation_rules/dry_run",
        summary="Dry-run a rule's filter",
        status_code=HTTP_200_OK,
    )
    async def dry_run_evaluation_rule(
        self,
        connection: Db,
        project_identifier: ProjectIdentifier,
        data: JSONBody[DryRunRequestBody],
    ) -> DryRunBody:
        """How many of the project's spans of the last hour the filter matches, and how many
        of those the target and sampling rate keep, as the dispatcher would decide."""
        project = await get_project(connection, project_identifier)
        dry_run = await _dry_run(
            connection, project.id, data.filter, data.target, data.sampling_rate
        )
        return DryRunBody(data=dry_run_shape(dry_run))

    @get("/evaluation_rules/{rule_id:str}", summary="Get an evaluation rule")
    async def get_evaluation_rule(self, connection: Db, rule_id: RuleId) -> EvaluationRuleBody:
        """The rule with its figures."""
        return EvaluationRuleBody(
            data=await _shaped(connection, await _existing_rule(connection, rule_id))
        )

    @patch("/evaluation_rules/{rule_id:str}", summary="Change an evaluation rule")
    async def update_evaluation_rule(
        self,
        connection: Db,
        rule_id: RuleId,
        data: JSONBody[PatchEvaluationRuleRequestBody],
        request: Request[Any, Any, Any],
    ) -> EvaluationRuleBody:
        """Change the fields given; a change to what the rule does makes a new version (the
        old version's jobs not yet run are dropped). Answered with the dry run."""
        rule = await _existing_rule(connection, rule_id, for_update=True)
        settings = await _changed_settings(connection, rule, data)
        current = rule.settings()
        bump = any(getattr(settings, name) != getattr(current, name) for name in WHAT_IT_DOES)
        row = await queries.update_rule(connection, rule.id, settings, bump=bump)
        if row is None:
            raise ConflictError(
                f"Project {rule.project_name} already has an evaluation rule named {settings.name}"
            )
        await queries.set_rule_requester(connection, row.id, requester_id(request))
        dry_run = await _dry_run(
            connection, row.project_id, row.filter, row.target, row.sampling_rate
        )
        return EvaluationRuleBody(data=await _shaped(connection, row, dry_run))

    @delete(
        "/evaluation_rules/{rule_id:str}",
        summary="Delete an evaluation rule",
        status_code=HTTP_204_NO_CONTENT,
    )
    async def delete_evaluation_rule(self, connection: Db, rule_id: RuleId) -> None:
        """Delete the rule with its jobs and counts (the scores it wrote stay)."""
        rule = await _existing_rule(connection, rule_id)
        if not await queries.delete_rule(connection, rule.id):
            raise NotFoundError(f"Evaluation rule {rule_id} not found")

    @post(
        "/evaluation_rules/{rule_id:str}/pause",
        summary="Pause an evaluation rule",
        status_code=HTTP_200_OK,
    )
    async def pause_evaluation_rule(
        self, connection: Db, rule_id: RuleId, data: JSONBody[PauseRuleRequestBody | None] = None
    ) -> EvaluationRuleBody:
        """Stop deciding and running the rule's evaluations until it is resumed; its jobs wait,
        parked with ``reason`` (default: the reason it is paused already, else "paused by a
        user")."""
        rule = await _existing_rule(connection, rule_id, for_update=True)
        kept = rule.status_reason if rule.status == "PAUSED" else None
        reason = (data.reason if data is not None else None) or kept or PAUSED_BY_USER
        await queries.pause_rule(connection, rule.id, reason)
        return EvaluationRuleBody(
            data=await _shaped(connection, await _existing_rule(connection, rule_id))
        )

    @post(
        "/evaluation_rules/{rule_id:str}/resume",
        summary="Resume an evaluation rule",
        status_code=HTTP_200_OK,
    )
    async def resume_evaluation_rule(
        self, connection: Db, rule_id: RuleId, request: Request[Any, Any, Any]
    ) -> ResumedRuleBody:
        """Make the rule active again (its pause reason cleared) and the jobs its pause parked
        due now."""
        rule = await _existing_rule(connection, rule_id, for_update=True)
        await queries.resume_rule(connection, rule.id)
        await queries.set_rule_requester(connection, rule.id, requester_id(request))
        resumed = await unpark_rule_jobs(connection, rule.id, datetime.now(UTC))
        shaped = await _shaped(connection, await _existing_rule(connection, rule_id))
        return ResumedRuleBody(data=ResumedRule(**shaped.model_dump(), resumed_jobs=resumed))

    @get("/evaluation_rules/{rule_id:str}/jobs", summary="List an evaluation rule's jobs")
    async def list_evaluation_rule_jobs(
        self,
        connection: Db,
        rule_id: RuleId,
        job_state: Annotated[
            str | None,
            QueryParameter(name="state", description="Only jobs in this state.", enum=JOB_STATES),
        ] = None,
        cursor: FromQuery[str | None] = None,
        limit: Limit = DEFAULT_PAGE,
    ) -> EvaluationJobsPage:
        """The rule's jobs (in ``state``, if given), newest first, of every version: what it
        decided to score, where each evaluation is, and why it failed or was dropped."""
        page = page_request(cursor, limit, "EvaluationJob", default=DEFAULT_PAGE, maximum=MAX_PAGE)
        if job_state is not None and job_state not in JOB_STATES:
            raise UnprocessableParameterError(
                "state", f"`state` must be one of {', '.join(JOB_STATES)}, got {job_state[:40]!r}"
            )
        rule = await _existing_rule(connection, rule_id)
        rows = await figures.list_rule_jobs(connection, rule.id, job_state, page.start, page.fetch)
        cut = page_of(rows, page, "EvaluationJob")
        return EvaluationJobsPage(
            data=[job_shape(row) for row in cut.rows], next_cursor=cut.next_cursor
        )
