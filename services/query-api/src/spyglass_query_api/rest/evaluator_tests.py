"""``POST /v1/evaluators/test``: run an evaluator once and answer its result, storing nothing.

The evaluation runs through ``spyglass_evals.run_evaluation``, as the evaluation worker runs
it, on inputs given by name or read from a dataset example or a stored span the way the worker
reads a run's example or a span (``spyglass_evals.material``), through the input mapping a rule
or dataset evaluator would apply. So a test and a real run give the same result.

What the answer says:

* **200** with ``result`` when the evaluator gave one, or with ``error`` when the evaluation
  gave none and why (the code raised or exceeded a limit, the judge answered outside its
  choices, an input is missing): the evaluator worked as written, and this is what it does.
* **422** when the definition (or the input mapping) can't be saved, naming the field, the line
  of code or the template variable; or a named evaluator, version, example, project or span
  that does not exist.
* Judges call their provider as the playground does (credentials from the secrets table, then
  the environment; ``SPYGLASS_QUERY_API_PLAYGROUND_TIMEOUT_SECONDS``): no credential is a 400
  naming the secret or variable to set, a rejected key 400, an unknown model 404, the
  provider's 429 a 429 with its ``Retry-After``, its failure 502, no answer in time 504. These
  are the server's set-up or the provider's state, not the evaluator's: they are not results.
* Code runs in the process's sandbox, its wall-clock limit held to the same timeout so the
  answer comes before the gateway gives up; a sandbox that can't run here is a 503.
"""

from __future__ import annotations

import math
import time
from typing import Any, TypeAlias

from litestar import MediaType, Request, Response, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection

from spyglass_core.errors import ConfigurationError, DependencyUnavailableError
from spyglass_db.evaluation_targets import load_spans
from spyglass_evals import (
    CodeDefinition,
    EvaluationError,
    EvaluatorConfigError,
    check_input_mapping,
    map_inputs,
    parse_definition,
    run_evaluation,
)
from spyglass_evals.definitions import EvaluatorDefinition
from spyglass_evals.material import run_material, span_material
from spyglass_llm.chat import ChatRequest, Completion
from spyglass_llm.client import LLMClient
from spyglass_llm.credentials import CredentialResolver
from spyglass_llm.errors import ProviderError
from spyglass_query_api.dependencies import Db, SandboxDependency
from spyglass_query_api.queries import evaluators as queries
from spyglass_query_api.queries.ids import rowid_of
from spyglass_query_api.queries.lookup import find_project
from spyglass_query_api.rest.chat_errors import call_error, provider_error
from spyglass_query_api.rest.errors import UnprocessableParameterError
from spyglass_query_api.rest.evaluator_bodies import TestEvaluatorRequestBody
from spyglass_query_api.rest.evaluators import definition_error, find_evaluator
from spyglass_query_api.settings import PlaygroundSettings
from spyglass_sandbox import SandboxSetupError

Llm: TypeAlias = NamedDependency[LLMClient]
Resolver: TypeAlias = NamedDependency[CredentialResolver]
Playground: TypeAlias = NamedDependency[PlaygroundSettings]


class EvaluatorTestResult(BaseModel):
    score: float | None
    label: str | None
    explanation: str | None
    metadata: dict[str, Any]


class EvaluatorTest(BaseModel):
    """One evaluation's outcome: a result, or the reason there is none."""

    result: EvaluatorTestResult | None
    error: str | None
    """Why the evaluation gave no result (null when it gave one)."""
    tokens: int | None
    """Tokens a judge spent (null for other kinds)."""
    cost: float | None
    """What a judge's call cost in USD, when the model's price is known."""
    printed: str | None
    """What code printed (stdout and stderr, the first 16 KiB)."""
    duration_ms: float
    inputs: dict[str, Any]
    """What the evaluator was given, after the material was read and mapped."""


class EvaluatorTestBody(BaseModel):
    data: EvaluatorTest


class ProviderCallError(Exception):
    """A judge's provider call that failed for reasons of the provider or the server's set-up:
    answered with its status as plain text, as the REST API's other errors are."""

    def __init__(self, status: int, message: str, headers: dict[str, str]) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers


def _provider_call_error(_: Request[Any, Any, Any], error: ProviderCallError) -> Response[str]:
    return Response(
        error.message, status_code=error.status, headers=error.headers, media_type=MediaType.TEXT
    )


# The evaluator and what it evaluates ------------------------------------------------------------


def _body_error(field: str, message: str) -> UnprocessableParameterError:
    return UnprocessableParameterError(field, message, location="body")


async def _definition(
    connection: AsyncConnection, body: TestEvaluatorRequestBody
) -> EvaluatorDefinition:
    """The definition to run: the body's, or a saved evaluator's (latest or named version)."""
    if body.definition is not None:
        raw = body.definition
        if body.kind is not None and "kind" not in raw:
            raw = {"kind": body.kind, **raw}
        try:
            return parse_definition(raw, body.kind)
        except EvaluatorConfigError as error:
            raise definition_error(error, "definition") from None
    evaluator = await find_evaluator(connection, body.evaluator)
    if evaluator is None:
        raise _body_error("evaluator", f"`evaluator`: no evaluator {body.evaluator}")
    stored, kind = evaluator.definition, evaluator.kind
    if body.evaluator_version is not None:
        version = await queries.get_evaluator_version(
            connection, evaluator.id, body.evaluator_version
        )
        if version is None:
            raise _body_error(
                "evaluator_version",
                f"`evaluator_version`: evaluator {evaluator.name} has no version "
                f"{body.evaluator_version} (its latest is {evaluator.version})",
            )
        stored = version.definition
    try:
        return parse_definition(stored, kind)
    except EvaluatorConfigError as error:
        raise _body_error(
            "evaluator", f"`evaluator`: its stored definition is no longer accepted: {error}"
        ) from None


async def _material(connection: AsyncConnection, body: TestEvaluatorRequestBody) -> dict[str, Any]:
    """What the evaluator reads before the mapping: the example's or span's, then ``inputs``."""
    material: dict[str, Any] = {}
    if body.dataset_example_id is not None:
        rowid = rowid_of(body.dataset_example_id, "DatasetExample")
        example = None if rowid is None else await queries.get_example_content(connection, rowid)
        if example is None:
            raise _body_error(
                "dataset_example_id",
                f"`dataset_example_id`: no dataset example {body.dataset_example_id}",
            )
        material = run_material(None, example.input, example.output, example.metadata)
    elif body.project is not None and body.span_id is not None:
        project = await find_project(connection, body.project)
        if project is None:
            raise _body_error("project", f"`project`: no project {body.project}")
        spans = await load_spans(connection, project.id, [body.span_id])
        if body.span_id not in spans:
            raise _body_error(
                "span_id", f"`span_id`: project {project.name} has no span {body.span_id}"
            )
        material = span_material(spans[body.span_id])
    material.update(body.inputs or {})
    return material


def _inputs(material: dict[str, Any], raw_mapping: dict[str, Any] | None) -> dict[str, Any]:
    try:
        mapping = check_input_mapping(raw_mapping)
    except EvaluatorConfigError as error:
        raise _body_error(error.field or "input_mapping", f"`input_mapping`: {error}") from None
    return map_inputs(material, mapping)


def _bounded(definition: EvaluatorDefinition, seconds: float) -> EvaluatorDefinition:
    """A code definition whose wall-clock limit is at most ``seconds``."""
    if not isinstance(definition, CodeDefinition) or definition.limits.wall_seconds <= seconds:
        return definition
    limits = definition.limits.model_copy(update={"wall_seconds": seconds})
    return definition.model_copy(update={"limits": limits})


# The endpoint -----------------------------------------------------------------------------------


def _text_answer(description: str) -> ResponseSpec:
    return ResponseSpec(
        str, description=description, media_type=MediaType.TEXT, generate_examples=False
    )


@post(
    "/v1/evaluators/test",
    summary="Test an evaluator",
    tags=["evaluators"],
    status_code=200,
    exception_handlers={ProviderCallError: _provider_call_error},
    responses={
        502: _text_answer("A judge's provider failed or can't be reached"),
        504: _text_answer("A judge's provider did not answer in time"),
    },
)
async def test_evaluator(
    connection: Db,
    llm: Llm,
    credentials: Resolver,
    playground: Playground,
    sandbox: SandboxDependency,
    data: JSONBody[TestEvaluatorRequestBody],
) -> EvaluatorTestBody:
    """Run a definition, or a saved evaluator, once on inputs, a dataset example or a stored
    span, and answer the result (or why there is none). Nothing is stored."""
    definition = await _definition(connection, data)
    inputs = _inputs(await _material(connection, data), data.input_mapping)
    timeout = playground.timeout_seconds
    requests: list[ChatRequest] = []

    async def call_judge(request: ChatRequest) -> Completion:
        requests.append(request)
        try:
            resolved = await credentials.resolve(request.provider)
        except ConfigurationError as error:  # a stored secret no configured key opens
            raise ProviderCallError(400, str(error), {}) from None
        return await llm.complete(request, resolved, timeout=timeout)

    started = time.perf_counter()
    error: str | None = None
    evaluated = None
    try:
        evaluated = await run_evaluation(
            _bounded(definition, timeout),
            inputs,
            call_judge=call_judge,
            sandbox=sandbox.get(),
        )
    except EvaluationError as failure:
        error = str(failure)
    except ProviderError as failure:
        answer = (
            call_error(failure, requests[-1], timeout, "answer")
            if requests
            else provider_error(failure)
        )
        raise ProviderCallError(answer.status, answer.message, answer.headers) from None
    except SandboxSetupError as failure:
        raise DependencyUnavailableError(
            f"code evaluators can't run on this server: {failure}"
        ) from None
    duration_ms = (time.perf_counter() - started) * 1000
    result = None
    if evaluated is not None:
        outcome = evaluated.result
        result = EvaluatorTestResult(
            score=outcome.score,
            label=outcome.label,
            explanation=outcome.explanation,
            metadata=outcome.metadata,
        )
    return EvaluatorTestBody(
        data=EvaluatorTest(
            result=result,
            error=error,
            tokens=evaluated.tokens if evaluated else None,
            cost=evaluated.cost if evaluated and _finite(evaluated.cost) else None,
            printed=evaluated.printed if evaluated else None,
            duration_ms=round(duration_ms, 3),
            inputs=inputs,
        )
    )


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)
