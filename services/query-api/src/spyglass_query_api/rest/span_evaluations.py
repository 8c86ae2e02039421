"""``GET /v1/projects/{project_identifier}/spans/{span_id}/evaluations``: why a span has, or has
not, a score from each online evaluation rule of its project (``queries/evaluation_decisions.py``
says how each decision is made again and read from the jobs ledger)."""

from __future__ import annotations

from typing import Annotated, TypeAlias

from litestar import Controller, get
from litestar.params import PathParameter
from pydantic import BaseModel

from spyglass_core.errors import NotFoundError
from spyglass_query_api.dependencies import Db
from spyglass_query_api.queries.evaluation_decisions import span_decisions, span_identity
from spyglass_query_api.queries.evaluation_rules import list_project_rules
from spyglass_query_api.queries.lookup import find_span, get_project
from spyglass_query_api.rest.evaluation_rule_shapes import SpanRuleDecision, decision_shape

MAX_RULES = 1000
"""The most rules of a project whose decisions one answer explains (the oldest first)."""

ProjectIdentifier: TypeAlias = Annotated[
    str, PathParameter(description="The project's GlobalID or name.")
]
SpanId: TypeAlias = Annotated[str, PathParameter(description="The span's OTel id or GlobalID.")]


class SpanEvaluations(BaseModel):
    span_id: str
    trace_id: str
    session_id: str | None
    rules: list[SpanRuleDecision]
    """Each rule of the project, oldest first, and what it decided about the span."""


class SpanEvaluationsBody(BaseModel):
    data: SpanEvaluations


class SpanEvaluationController(Controller):
    path = "/v1/projects/{project_identifier:str}/spans/{span_id:str}/evaluations"
    tags = ["evaluation_rules", "spans"]  # noqa: RUF012 (litestar declares it as an instance variable)

    @get(summary="Explain a span's online evaluations")
    async def explain_span_evaluations(
        self, connection: Db, project_identifier: ProjectIdentifier, span_id: SpanId
    ) -> SpanEvaluationsBody:
        """For each online evaluation rule of the project: whether its filter matches the span,
        whether the sampling keeps its trace (or session), the job that scores it (or its trace
        or session) and that job's state and reason; or why there is none."""
        project = await get_project(connection, project_identifier)
        span = await find_span(connection, span_id)
        identity = None
        if span is not None and span.project_rowid == project.id:
            identity = await span_identity(connection, span.span_id, span.trace_rowid)
        if identity is None:
            raise NotFoundError(f"Span {span_id} not found in project {project.name}")
        rules = await list_project_rules(connection, project.id, MAX_RULES)
        decisions = await span_decisions(connection, project.id, identity, rules)
        return SpanEvaluationsBody(
            data=SpanEvaluations(
                span_id=identity.span_id,
                trace_id=identity.trace_id,
                session_id=identity.session_id,
                rules=[decision_shape(decision) for decision in decisions],
            )
        )
