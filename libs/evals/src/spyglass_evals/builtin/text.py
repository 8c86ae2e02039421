"""Built-ins over text: ``exact_match``, ``contains``, ``length_between``, ``not_empty``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import Field, PrivateAttr, field_validator, model_validator

from spyglass_evals.builtin.base import (
    TRUE_FALSE,
    BuiltinEvaluator,
    EvaluatorConfig,
    input_text,
    input_value,
    pass_fail,
)
from spyglass_evals.results import Direction, EvaluationResult

MAX_WORDS = 100
MAX_WORD_LENGTH = 1_000


class ExactMatchConfig(EvaluatorConfig):
    """How ``exact_match`` compares."""

    case_sensitive: bool = Field(True, description="Whether case matters ('A' != 'a')")
    strip_whitespace: bool = Field(
        False, description="Ignore whitespace at the start and end of both texts"
    )


def _normalized(text: str, config: ExactMatchConfig) -> str:
    if config.strip_whitespace:
        text = text.strip()
    return text if config.case_sensitive else text.casefold()


def exact_match(config: ExactMatchConfig, inputs: Mapping[str, Any]) -> EvaluationResult:
    """Whether ``output`` equals ``expected`` (as text)."""
    output = _normalized(input_text("exact_match", inputs, "output"), config)
    expected = _normalized(input_text("exact_match", inputs, "expected"), config)
    if output == expected:
        return pass_fail(True, "the output matches the expected text")
    return pass_fail(
        False,
        f"the output ({len(output):,} characters) differs from the expected text "
        f"({len(expected):,} characters)",
    )


Word = Annotated[str, Field(min_length=1, max_length=MAX_WORD_LENGTH)]


class ContainsConfig(EvaluatorConfig):
    """What ``contains`` looks for."""

    words: list[Word] = Field(
        min_length=1,
        max_length=MAX_WORDS,
        description="The words (or phrases) to look for; a comma-separated text is split",
    )
    require_all: bool = Field(False, description="True: every word must appear; false: any one")
    case_sensitive: bool = Field(False, description="Whether case matters")

    @field_validator("words", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        """Phoenix's ``contains`` takes one comma-separated text; so does this."""
        if isinstance(value, str):
            return [word.strip() for word in value.split(",") if word.strip()]
        return value

    _needles: tuple[str, ...] = PrivateAttr(default=())

    @field_validator("words")
    @classmethod
    def _no_blank_word(cls, words: list[str]) -> list[str]:
        if any(not word.strip() for word in words):
            raise ValueError("a word must not be blank (every text contains the empty string)")
        return words

    def model_post_init(self, context: Any, /) -> None:
        """Fold the words' case once, not at every evaluation."""
        folded = self.words if self.case_sensitive else [word.casefold() for word in self.words]
        self._needles = tuple(folded)


def contains(config: ContainsConfig, inputs: Mapping[str, Any]) -> EvaluationResult:
    """Whether ``output`` contains any (or all) of the configured words, as substrings."""
    output = input_text("contains", inputs, "output")
    if not config.case_sensitive:
        output = output.casefold()
    found = [
        word for word, needle in zip(config.words, config._needles, strict=True) if needle in output
    ]
    passed = len(found) == len(config.words) if config.require_all else bool(found)
    missing = len(config.words) - len(found)
    explanation = f"found {len(found)} of {len(config.words)} words"
    if found:
        explanation += ": " + ", ".join(repr(word[:40]) for word in found[:5])
    if config.require_all and missing:
        explanation += f"; {missing} missing"
    return pass_fail(passed, explanation, {"found": [word[:100] for word in found]})


class LengthBetweenConfig(EvaluatorConfig):
    """The bounds ``length_between`` checks (inclusive; either may be left out)."""

    min_length: int | None = Field(None, ge=0, description="The fewest characters (or words)")
    max_length: int | None = Field(None, ge=0, description="The most characters (or words)")
    unit: Literal["characters", "words"] = Field(
        "characters", description="Count characters, or words (runs of non-whitespace)"
    )

    @model_validator(mode="after")
    def _bounds(self) -> LengthBetweenConfig:
        if self.min_length is None and self.max_length is None:
            raise ValueError("give min_length, max_length or both")
        if (
            self.min_length is not None
            and self.max_length is not None
            and self.min_length > self.max_length
        ):
            raise ValueError(
                f"min_length ({self.min_length}) is more than max_length ({self.max_length})"
            )
        return self


def length_between(config: LengthBetweenConfig, inputs: Mapping[str, Any]) -> EvaluationResult:
    """Whether the length of ``output`` is within the bounds."""
    output = input_text("length_between", inputs, "output")
    length = len(output) if config.unit == "characters" else len(output.split())
    low = config.min_length if config.min_length is not None else 0
    high = config.max_length
    passed = length >= low and (high is None or length <= high)
    bounds = f"at least {low}" if high is None else f"between {low} and {high}"
    verb = "is" if passed else "is not"
    return pass_fail(
        passed,
        f"the output has {length:,} {config.unit}, which {verb} {bounds}",
        {"length": length},
    )


class NotEmptyConfig(EvaluatorConfig):
    """``not_empty`` takes no options."""


def not_empty(config: NotEmptyConfig, inputs: Mapping[str, Any]) -> EvaluationResult:
    """Whether ``output`` has content: not None, not blank text, not an empty list or object."""
    value = input_value("not_empty", inputs, "output")
    if isinstance(value, str):
        empty = not value.strip()
    else:
        empty = value is None or (isinstance(value, list | dict | tuple) and not value)
    return pass_fail(not empty, "the output is empty" if empty else "the output has content")


EXACT_MATCH = BuiltinEvaluator(
    name="exact_match",
    description="Whether the output equals the expected output, as text",
    config_model=ExactMatchConfig,
    inputs=("output", "expected"),
    direction=Direction.MAXIMIZE,
    choices=TRUE_FALSE,
    run=exact_match,
)
CONTAINS = BuiltinEvaluator(
    name="contains",
    description="Whether the output contains any (or all) of a list of words",
    config_model=ContainsConfig,
    inputs=("output",),
    direction=Direction.MAXIMIZE,
    choices=TRUE_FALSE,
    run=contains,
)
LENGTH_BETWEEN = BuiltinEvaluator(
    name="length_between",
    description="Whether the output's length, in characters or words, is within bounds",
    config_model=LengthBetweenConfig,
    inputs=("output",),
    direction=Direction.MAXIMIZE,
    choices=TRUE_FALSE,
    run=length_between,
)
NOT_EMPTY = BuiltinEvaluator(
    name="not_empty",
    description="Whether there is an output: not missing, blank, or an empty list or object",
    config_model=NotEmptyConfig,
    inputs=("output",),
    direction=Direction.MAXIMIZE,
    choices=TRUE_FALSE,
    run=not_empty,
)
