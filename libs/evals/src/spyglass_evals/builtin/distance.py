"""Built-ins that measure how far the output is from the expected one: ``levenshtein``
(text edits, with ``rapidfuzz``) and ``within_tolerance`` (numbers)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from pydantic import Field
from rapidfuzz.distance import Levenshtein

from spyglass_evals.builtin.base import (
    TRUE_FALSE,
    BuiltinEvaluator,
    EvaluatorConfig,
    input_text,
    input_value,
    pass_fail,
)
from spyglass_evals.errors import EvaluationError, shown
from spyglass_evals.results import Direction, EvaluationResult

MAX_LEVENSHTEIN_LENGTH = 100_000
"""The longest text ``levenshtein`` compares (time grows with the product of the lengths)."""


class LevenshteinConfig(EvaluatorConfig):
    """How ``levenshtein`` compares."""

    case_sensitive: bool = Field(True, description="Whether case matters")


def levenshtein(config: LevenshteinConfig, inputs: Mapping[str, Any]) -> EvaluationResult:
    """The edit distance between ``output`` and ``expected`` (in metadata) and a similarity
    from 0 to 1 as the score: ``1 - distance / length of the longer text`` (1: equal)."""
    output = input_text("levenshtein", inputs, "output")
    expected = input_text("levenshtein", inputs, "expected")
    for name, text in (("output", output), ("expected", expected)):
        if len(text) > MAX_LEVENSHTEIN_LENGTH:
            raise EvaluationError(
                f"levenshtein: the {name} has {len(text):,} characters; at most "
                f"{MAX_LEVENSHTEIN_LENGTH:,} are compared"
            )
    if not config.case_sensitive:
        output, expected = output.casefold(), expected.casefold()
    distance = Levenshtein.distance(output, expected)
    longest = max(len(output), len(expected))
    similarity = 1.0 - distance / longest if longest else 1.0
    return EvaluationResult(
        score=similarity,
        explanation=f"{distance:,} edits apart (similarity {similarity:.3f})",
        metadata={"distance": distance},
    )


class WithinToleranceConfig(EvaluatorConfig):
    """How close is close enough: ``|output - expected| <= max(absolute_tolerance,
    relative_tolerance * max(|output|, |expected|))`` (``math.isclose``)."""

    absolute_tolerance: float = Field(
        0.0, ge=0, allow_inf_nan=False, description="The largest difference allowed"
    )
    relative_tolerance: float = Field(
        0.0,
        ge=0,
        allow_inf_nan=False,
        description="The largest difference allowed, as a fraction of the larger magnitude",
    )


def _number(value: Any) -> float | None:
    """``value`` as a finite number (text is parsed), or None when it is not one."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        if len(value) > 1_000:
            return None
        try:
            number = float(value.strip())
        except ValueError:
            return None
    elif isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def within_tolerance(config: WithinToleranceConfig, inputs: Mapping[str, Any]) -> EvaluationResult:
    """Whether the number ``output`` is within tolerance of the number ``expected``; an output
    that is not a finite number fails."""
    raw_expected = input_value("within_tolerance", inputs, "expected")
    expected = _number(raw_expected)
    if expected is None:
        raise EvaluationError(
            f"within_tolerance: the expected value {shown(raw_expected)} is not a finite number"
        )
    output = _number(input_value("within_tolerance", inputs, "output"))
    if output is None:
        return pass_fail(False, "the output is not a finite number")
    difference = abs(output - expected)
    if math.isinf(difference):
        return pass_fail(False, "the output and the expected value are too far apart to compare")
    passed = math.isclose(
        output,
        expected,
        rel_tol=config.relative_tolerance,
        abs_tol=config.absolute_tolerance,
    )
    verb = "within" if passed else "outside"
    return pass_fail(
        passed,
        f"the output {output:g} is {difference:g} from {expected:g}, {verb} tolerance",
        {"difference": difference},
    )


LEVENSHTEIN = BuiltinEvaluator(
    name="levenshtein",
    description="How similar the output is to the expected text, by edit distance (1: equal)",
    config_model=LevenshteinConfig,
    inputs=("output", "expected"),
    direction=Direction.MAXIMIZE,
    choices=None,
    run=levenshtein,
)
WITHIN_TOLERANCE = BuiltinEvaluator(
    name="within_tolerance",
    description="Whether the output is a number within a tolerance of the expected number",
    config_model=WithinToleranceConfig,
    inputs=("output", "expected"),
    direction=Direction.MAXIMIZE,
    choices=TRUE_FALSE,
    run=within_tolerance,
)
