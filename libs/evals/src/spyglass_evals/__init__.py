"""Evaluation logic shared by the evaluation worker and the query API: results and their
coercion, the built-in evaluators, and LLM-as-judge templates.

No database, no queue, no HTTP server: pure functions and models over values, so that the
worker, the query API (evaluator previews, saving evaluators) and tests all run the same code.
See libs/evals/README.md for the API, its key contracts and pitfalls.
"""

from spyglass_evals.builtin import BUILTIN_EVALUATORS, BuiltinEvaluator, builtin_evaluator
from spyglass_evals.definitions import (
    BuiltinDefinition,
    CodeDefinition,
    CodeLimits,
    EvaluatorDefinition,
    EvaluatorKind,
    EvaluatorProfile,
    JudgeDefinition,
    check_input_mapping,
    map_inputs,
    parse_definition,
    profile,
)
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
from spyglass_evals.running import Evaluated, JudgeCall, run_evaluation

__all__ = [
    "BUILTIN_EVALUATORS",
    "BUILTIN_JUDGES",
    "JUDGE_VARIABLES",
    "BuiltinDefinition",
    "BuiltinEvaluator",
    "CodeDefinition",
    "CodeLimits",
    "Direction",
    "Evaluated",
    "EvaluationError",
    "EvaluationResult",
    "EvaluatorConfigError",
    "EvaluatorDefinition",
    "EvaluatorKind",
    "EvaluatorProfile",
    "JudgeAnswerError",
    "JudgeCall",
    "JudgeDefinition",
    "JudgeTemplate",
    "build_judge_request",
    "builtin_evaluator",
    "builtin_judge",
    "check_input_mapping",
    "coerce_result",
    "coerce_results",
    "map_inputs",
    "parse_definition",
    "parse_judge_completion",
    "profile",
    "run_evaluation",
    "validate_judge",
]
