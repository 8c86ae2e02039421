"""LLM-as-judge classification: templates, the built-in library, requests and verdicts.

::

    judge = builtin_judge("correctness")  # or JudgeTemplate(name=..., messages=..., choices=...)
    request = build_judge_request(
        judge, {"input": question, "output": answer}, "OPENAI", "gpt-4o-mini", {"temperature": 0}
    )
    completion = await llm.complete(request, credentials, timeout=60)
    result = parse_judge_completion(judge, completion)  # label "correct", score 1.0

See libs/evals/README.md for the library and the variables a template may use.
"""

from __future__ import annotations

from spyglass_evals.judges.calls import (
    VERDICT_TOOL,
    build_judge_request,
    judge_variables,
    parse_judge_completion,
    verdict_parameters,
)
from spyglass_evals.judges.library import BUILTIN_JUDGES, builtin_judge
from spyglass_evals.judges.template import (
    JUDGE_VARIABLES,
    VARIABLE_ALIASES,
    JudgeTemplate,
    choice_pairs,
    validate_judge,
)

__all__ = [
    "BUILTIN_JUDGES",
    "JUDGE_VARIABLES",
    "VARIABLE_ALIASES",
    "VERDICT_TOOL",
    "JudgeTemplate",
    "build_judge_request",
    "builtin_judge",
    "choice_pairs",
    "judge_variables",
    "parse_judge_completion",
    "validate_judge",
    "verdict_parameters",
]
