"""What a built-in evaluator is, and how one reads its configuration and its inputs.

A built-in is plain code run in the worker's process (no sandbox, no model call), so it must
be fast and must survive any input: inputs are dataset outputs and span attributes, and may
be None, numbers, dicts nested a thousand levels or megabytes of text.

* **Configuration** is a pydantic model, checked once when the evaluator is saved
  (:meth:`BuiltinEvaluator.parse_config`): a refusal is an
  :class:`~spyglass_evals.errors.EvaluatorConfigError` naming the field (and, for a pattern,
  the position), which the REST edge answers with 422. Work that can be done once (compiling a
  pattern or a JSON Schema) is done there and kept on the configuration.
* **Inputs** are a mapping of names (``output``, ``expected``...) to values. An input the
  evaluator reads and the mapping lacks is an :class:`~spyglass_evals.errors.EvaluationError`;
  None reads as empty text. A value that is not text is read as JSON text (keys sorted, so
  ``{"b": 1, "a": 2}`` equals ``{"a": 2, "b": 1}``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from spyglass_core.storable import NUL
from spyglass_evals.errors import EvaluationError, EvaluatorConfigError, type_name
from spyglass_evals.json_values import json_problem
from spyglass_evals.results import Direction, EvaluationResult

TRUE_FALSE = {"true": 1.0, "false": 0.0}
"""The labels of a pass/fail built-in and their scores (Phoenix's built-ins use these)."""


class EvaluatorConfig(BaseModel):
    """Base of every built-in's configuration: immutable, unknown fields refused, and no NUL
    in any text (the configuration is stored as JSONB, which can't hold one)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, str) and NUL in item:
                raise ValueError(
                    "text in the configuration must not contain NUL characters "
                    "(in a pattern, write \\x00)"
                )
            if isinstance(item, dict):
                stack.extend(item.keys())
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
        return data


ConfigT = TypeVar("ConfigT", bound=EvaluatorConfig)


@dataclass(frozen=True)
class BuiltinEvaluator(Generic[ConfigT]):
    """A built-in evaluator: its name, what it reads, how it is configured, what it gives."""

    name: str
    description: str
    config_model: type[ConfigT]
    inputs: tuple[str, ...]
    """The inputs it reads (``output``, ``expected``)."""
    direction: Direction
    choices: Mapping[str, float] | None
    """The labels it gives and their scores; None when it gives a continuous score."""
    run: Callable[[ConfigT, Mapping[str, Any]], EvaluationResult]

    def parse_config(self, raw: Mapping[str, Any] | None = None) -> ConfigT:
        """The configuration ``raw`` describes (None or ``{}``: every default).

        Raises:
            EvaluatorConfigError: a field is refused; ``field`` names it, ``position`` says
                where a pattern goes wrong.
        """
        try:
            return self.config_model.model_validate(dict(raw or {}))
        except ValidationError as error:
            raise config_error(self.name, error) from None
        except TypeError:
            raise EvaluatorConfigError(
                f"{self.name}: the configuration must be a JSON object, not {type_name(raw)}"
            ) from None

    def evaluate(self, config: ConfigT, inputs: Mapping[str, Any]) -> EvaluationResult:
        """Evaluate ``inputs`` under ``config`` (from :meth:`parse_config`).

        Raises:
            EvaluationError: an input it reads is missing or unusable.
        """
        return self.run(config, inputs)

    def config_schema(self) -> dict[str, Any]:
        """The configuration's JSON Schema (for a form in the UI)."""
        return self.config_model.model_json_schema(by_alias=True)


def config_error(evaluator: str, error: ValidationError) -> EvaluatorConfigError:
    """``error`` as an :class:`EvaluatorConfigError`: every problem named by its field (the
    first three), ``field`` and ``position`` from the first."""
    problems = error.errors(include_url=False)
    messages: list[str] = []
    for problem in problems[:3]:
        field = _field(problem["loc"])
        where = f"config.{field}" if field else "config"
        messages.append(f"{where}: {problem['msg'].removeprefix('Value error, ')}")
    if len(problems) > 3:
        messages.append(f"and {len(problems) - 3} more")
    first = problems[0]
    position = (first.get("ctx") or {}).get("position")
    return EvaluatorConfigError(
        f"{evaluator} " + "; ".join(messages),
        _field(first["loc"]) or None,
        position if isinstance(position, int) else None,
    )


_TYPE_TAGS = frozenset({"bool", "int", "float", "str", "list", "dict", "none"})


def _field(location: tuple[int | str, ...]) -> str:
    """A problem's location as a dotted path, without pydantic's union member tags
    (``schema.dict[str,...]`` is ``schema``)."""
    parts: list[str] = []
    for part in location:
        if isinstance(part, str) and ("[" in part or part in _TYPE_TAGS):
            break
        parts.append(str(part))
    return ".".join(parts)


def input_value(evaluator: str, inputs: Mapping[str, Any], name: str) -> Any:
    """The input ``name``.

    Raises:
        EvaluationError: ``inputs`` lacks it.
    """
    try:
        return inputs[name]
    except KeyError:
        raise EvaluationError(
            f"{evaluator} reads the input {name!r}, which was not given"
        ) from None


def input_text(evaluator: str, inputs: Mapping[str, Any], name: str) -> str:
    """The input ``name`` as text: text as it is, None as "", anything else as JSON text."""
    value = input_value(evaluator, inputs, name)
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        problem = json_problem(value) or "it is beyond what JSON text can hold"
        raise EvaluationError(
            f"{evaluator} can't read the input {name!r} as text: {problem}"
        ) from None


def input_json(evaluator: str, inputs: Mapping[str, Any], name: str) -> Any:
    """The input ``name`` as parsed JSON: text (or bytes) is parsed, None is JSON null, any
    other value is taken as already parsed.

    Raises:
        EvaluationError: the text is not JSON (with the line and column), or the value is
            not JSON (a NaN, a non-text key, nested past 1,024 levels).
    """
    value = input_value(evaluator, inputs, name)
    if isinstance(value, str | bytes):
        return parse_json(evaluator, name, value)
    problem = json_problem(value)
    if problem is not None:
        raise EvaluationError(f"{evaluator}: the input {name!r} is not JSON: {problem}")
    return value


def parse_json(evaluator: str, name: str, text: str | bytes) -> Any:
    """``text`` parsed.

    Raises:
        EvaluationError: not JSON; says where.
    """
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise EvaluationError(f"{evaluator}: the input {name!r} is not JSON: {error}") from None


def pass_fail(
    passed: bool, explanation: str, metadata: dict[str, Any] | None = None
) -> EvaluationResult:
    """A pass/fail result: label ``true`` (score 1) or ``false`` (score 0)."""
    return EvaluationResult(
        score=1.0 if passed else 0.0,
        label="true" if passed else "false",
        explanation=explanation,
        metadata=metadata or {},
    )
