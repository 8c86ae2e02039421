"""The ``regex`` built-in: whether the output matches a regular expression.

Patterns are Python's syntax, compiled by the ``regex`` package (a superset of ``re``) once,
when the evaluator is saved; a bad one is refused with the position where it goes wrong.
Python's own ``re`` can backtrack for hours on a pattern like ``(a+)+$``; ``regex`` takes a
timeout, so one user's pattern can cost a worker at most :data:`MATCH_TIMEOUT_SECONDS` per
evaluation, after which the evaluation fails and says why.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import regex  # type: ignore[import-untyped]  # no stubs installed; used through Any
from pydantic import Field, PrivateAttr, field_validator
from pydantic_core import PydanticCustomError

from spyglass_evals.builtin.base import (
    TRUE_FALSE,
    BuiltinEvaluator,
    EvaluatorConfig,
    input_text,
    pass_fail,
)
from spyglass_evals.errors import EvaluationError
from spyglass_evals.results import Direction, EvaluationResult

MAX_PATTERN_LENGTH = 10_000
MATCH_TIMEOUT_SECONDS = 0.25
"""The longest one match may take before the evaluation fails."""
SHOWN_MATCH_CHARACTERS = 200
"""The most characters of the matched text kept in the result's metadata."""


class RegexConfig(EvaluatorConfig):
    """The pattern ``regex`` looks for, and how."""

    pattern: str = Field(
        min_length=1,
        max_length=MAX_PATTERN_LENGTH,
        description="A regular expression (Python syntax)",
    )
    full_match: bool = Field(
        False, description="True: the whole output must match; false: a match anywhere"
    )
    case_sensitive: bool = Field(True, description="Whether case matters")
    _compiled: Any = PrivateAttr(default=None)

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str) -> str:
        try:
            regex.compile(pattern, regex.VERSION0)
        except regex.error as error:
            raise PydanticCustomError(
                "invalid_pattern",
                "invalid regular expression at position {position}: {reason}",
                {"position": error.pos if error.pos is not None else 0, "reason": error.msg},
            ) from None
        except (OverflowError, RecursionError, ValueError) as error:
            # A repeat count past the engine's limit, or nesting deeper than it compiles.
            raise PydanticCustomError(
                "invalid_pattern",
                "the regular expression is too large: {reason}",
                {"reason": str(error)[:200]},
            ) from None
        return pattern

    def model_post_init(self, context: Any, /) -> None:
        """Compile once, at save time and when the worker loads the evaluator."""
        flags = regex.VERSION0 | (0 if self.case_sensitive else regex.IGNORECASE)
        self._compiled = regex.compile(self.pattern, flags)


def match_regex(config: RegexConfig, inputs: Mapping[str, Any]) -> EvaluationResult:
    """Whether ``output`` matches (anywhere, or as a whole with ``full_match``)."""
    output = input_text("regex", inputs, "output")
    compiled = config._compiled
    try:
        if config.full_match:
            match = compiled.fullmatch(output, timeout=MATCH_TIMEOUT_SECONDS)
        else:
            match = compiled.search(output, timeout=MATCH_TIMEOUT_SECONDS)
    except TimeoutError:
        raise EvaluationError(
            f"regex: matching took longer than {MATCH_TIMEOUT_SECONDS:g}s on an output of "
            f"{len(output):,} characters (the pattern backtracks too much; simplify it, e.g. "
            "avoid nested repeats like (a+)+)"
        ) from None
    if match is None:
        how = "as a whole" if config.full_match else "anywhere"
        return pass_fail(False, f"the output does not match the pattern {how}")
    if config.full_match:
        return pass_fail(True, "the whole output matches the pattern")
    start, end = match.span()
    return pass_fail(
        True,
        f"the pattern matches characters {start:,} to {end:,} of the output",
        {"match": match.group(0)[:SHOWN_MATCH_CHARACTERS]},
    )


REGEX = BuiltinEvaluator(
    name="regex",
    description="Whether the output matches a regular expression (anywhere, or as a whole)",
    config_model=RegexConfig,
    inputs=("output",),
    direction=Direction.MAXIMIZE,
    choices=TRUE_FALSE,
    run=match_regex,
)
