"""Evaluation logic shared by the evaluation worker and the query API: results and their
coercion, the built-in evaluators, and LLM-as-judge templates.

No database, no queue, no HTTP server: pure functions and models over values, so that the
worker, the query API (evaluator previews, saving evaluators) and tests all run the same code.
See libs/evals/README.md for the API, its key contracts and pitfalls.
"""

from spyglass_evals.builtin import BUILTIN_EVALUATORS, BuiltinEvaluator, builtin_evaluator
from spyglass_evals.errors import EvaluationError, EvaluatorConfigError, JudgeAnswerError
from spyglass_evals.judges import (
    BUILTIN_JUDGES,
    JUDGE_VARIABLES,
    JudgeTemplate,
    build_judge_request,
    builtin_judge,
    parse_judge_completion,
    validate_judge,
)
from spyglass_evals.results import (
    Direction,
    EvaluationResult,
    coerce_result,
    coerce_results,
)

__all__ = [
    "BUILTIN_EVALUATORS",
    "BUILTIN_JUDGES",
    "JUDGE_VARIABLES",
    "BuiltinEvaluator",
    "Direction",
    "EvaluationError",
    "EvaluationResult",
    "EvaluatorConfigError",
    "JudgeAnswerError",
    "JudgeTemplate",
    "build_judge_request",
    "builtin_evaluator",
    "builtin_judge",
    "coerce_result",
    "coerce_results",
    "parse_judge_completion",
    "validate_judge",
]
