"""The built-in evaluators: plain, fast code over an evaluation's inputs.

Use one in two steps: check its configuration once (when the evaluator is saved, and when the
worker loads it), then evaluate as many inputs as needed::

    evaluator = builtin_evaluator("regex")
    config = evaluator.parse_config({"pattern": r"\\border #\\d+", "case_sensitive": False})
    result = evaluator.evaluate(config, {"output": "Your order #1234 shipped"})
    result.score, result.label  # 1.0, "true"

See libs/evals/README.md for each evaluator's configuration, inputs and results.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from spyglass_evals.builtin.base import TRUE_FALSE, BuiltinEvaluator, EvaluatorConfig
from spyglass_evals.builtin.distance import LEVENSHTEIN, WITHIN_TOLERANCE
from spyglass_evals.builtin.pattern import REGEX
from spyglass_evals.builtin.structured import JSON_DISTANCE, JSON_VALID
from spyglass_evals.builtin.text import CONTAINS, EXACT_MATCH, LENGTH_BETWEEN, NOT_EMPTY
from spyglass_evals.errors import EvaluatorConfigError, shown

BUILTIN_EVALUATORS: Mapping[str, BuiltinEvaluator[Any]] = MappingProxyType(
    {
        evaluator.name: evaluator
        for evaluator in (
            EXACT_MATCH,
            CONTAINS,
            REGEX,
            JSON_VALID,
            JSON_DISTANCE,
            LEVENSHTEIN,
            LENGTH_BETWEEN,
            NOT_EMPTY,
            WITHIN_TOLERANCE,
        )
    }
)
"""Every built-in evaluator by name."""


def builtin_evaluator(name: str) -> BuiltinEvaluator[Any]:
    """The built-in evaluator called ``name``.

    Raises:
        EvaluatorConfigError: no built-in has that name (the message lists them).
    """
    evaluator = BUILTIN_EVALUATORS.get(name) if isinstance(name, str) else None
    if evaluator is None:
        known = ", ".join(BUILTIN_EVALUATORS)
        raise EvaluatorConfigError(
            f"no built-in evaluator is called {shown(name)}; the built-ins are: {known}", "name"
        )
    return evaluator


__all__ = [
    "BUILTIN_EVALUATORS",
    "TRUE_FALSE",
    "BuiltinEvaluator",
    "EvaluatorConfig",
    "builtin_evaluator",
]
