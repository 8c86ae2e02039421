"""Running one evaluation of a stored definition on one target's inputs.

The evaluation worker (online rules, dataset evaluators) and the query API ("test on an
example" before saving) run evaluators through :func:`run_evaluation`, so a test and a real
run give the same result. What it needs from its caller is how to call a model (the worker's
goes through the shared rate limit, its retries and its rule's circuit breaker; the query API's
through its own client) and a sandbox for code.

What it raises says who acts:

* :class:`~spyglass_evals.EvaluationError`: this evaluation gives no result (an input is
  missing, the code raised or went over a limit, the judge answered outside its choices): the
  reason is the job's or the test's answer. ``retryable`` is set on a judge's unusable answer.
* whatever ``call_judge`` raises (``spyglass_llm.errors``): the caller's policy.
* ``spyglass_sandbox.SandboxUnavailableError``: the sandbox is down, retry later.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from spyglass_evals.definitions import (
    BuiltinDefinition,
    CodeDefinition,
    EvaluatorDefinition,
    JudgeDefinition,
)
from spyglass_evals.errors import EvaluationError
from spyglass_evals.judges import build_judge_request, parse_judge_completion
from spyglass_evals.results import EvaluationResult, coerce_result
from spyglass_llm.chat import ChatRequest, Completion
from spyglass_llm.templates import MissingVariablesError
from spyglass_sandbox import Sandbox

JudgeCall = Callable[[ChatRequest], Awaitable[Completion]]


@dataclass(frozen=True)
class Evaluated:
    """One evaluation's result, and what it spent when a model judged."""

    result: EvaluationResult
    tokens: int | None = None
    cost: float | None = None
    printed: str | None = None
    """What user code printed (a test shows it; a job keeps none)."""


async def run_evaluation(
    definition: EvaluatorDefinition,
    inputs: Mapping[str, Any],
    *,
    call_judge: JudgeCall | None = None,
    sandbox: Sandbox | None = None,
) -> Evaluated:
    """Evaluate ``inputs`` (JSON values by name) with ``definition``.

    Raises:
        EvaluationError: no result, with the reason (see the module docstring).
        ValueError: an LLM definition without ``call_judge`` or a code one without ``sandbox``.
    """
    if isinstance(definition, BuiltinDefinition):
        return Evaluated(definition.builtin.evaluate(definition.parsed_config, inputs))
    if isinstance(definition, JudgeDefinition):
        if call_judge is None:
            raise ValueError("an LLM judge needs call_judge")
        return await _judge(definition, inputs, call_judge)
    if sandbox is None:
        raise ValueError("a code evaluator needs a sandbox")
    return await _code(definition, inputs, sandbox)


async def _judge(
    definition: JudgeDefinition, inputs: Mapping[str, Any], call_judge: JudgeCall
) -> Evaluated:
    judge = definition.resolved
    try:
        request = build_judge_request(
            judge,
            {name: value for name, value in inputs.items() if value is not None},
            definition.provider,
            definition.model,
            definition.invocation_parameters,
        )
    except MissingVariablesError as error:
        raise EvaluationError(
            f"the judge {judge.name} needs {', '.join(error.missing)}, which the target does "
            "not have (map them with the input mapping)"
        ) from None
    completion = await call_judge(request)
    usage = completion.usage
    return Evaluated(
        parse_judge_completion(judge, completion),
        tokens=usage.prompt_tokens + usage.completion_tokens if usage is not None else None,
        cost=completion.cost.total if completion.cost is not None else None,
    )


async def _code(
    definition: CodeDefinition, inputs: Mapping[str, Any], sandbox: Sandbox
) -> Evaluated:
    outcome = await sandbox.run(
        definition.code,
        entry=definition.entry,
        arguments=dict(inputs),
        limits=definition.limits.sandbox_limits(),
    )
    if not outcome.ok:
        raise EvaluationError(f"the code {outcome.reason}")
    return Evaluated(coerce_result(outcome.value), printed=outcome.printed or None)
