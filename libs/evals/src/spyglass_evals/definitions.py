"""An evaluator's stored definition: what it is, checked once when saved, read the same way
when it runs.

A definition is a JSON object with a ``kind``:

* ``BUILTIN``: ``{"evaluator": "regex", "config": {"pattern": "..."}}``, one of
  :data:`~spyglass_evals.BUILTIN_EVALUATORS` and its configuration;
* ``LLM``: ``{"judge": "correctness"}`` (a built-in judge) or ``{"template": {...}}`` (a
  :class:`~spyglass_evals.JudgeTemplate` of the user's own), with the ``provider``, ``model``
  and ``invocation_parameters`` that answer it;
* ``CODE``: ``{"code": "def evaluate(output, expected): ...", "entry": "evaluate",
  "limits": {...}}``, Python run in the sandbox; its entry function's parameters bind the
  inputs by name.

:func:`parse_definition` is the one gate: the query API calls it before storing a version
(an :class:`~spyglass_evals.EvaluatorConfigError` is a 422 naming the field, the line of code or
the variable), and the worker calls it on what it loads, so saving and running mean the same.
:func:`map_inputs` applies a rule's or dataset evaluator's input mapping to the material the
worker gathered for a target (a span, a trace, a session, an experiment run).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from spyglass_core.storable import NUL
from spyglass_evals.builtin import BuiltinEvaluator, builtin_evaluator
from spyglass_evals.errors import EvaluatorConfigError, type_name
from spyglass_evals.judges import JudgeTemplate, builtin_judge
from spyglass_evals.results import Direction
from spyglass_llm.providers import ModelProvider
from spyglass_sandbox import Limits, check_code

MAX_CODE_CHARACTERS = 100_000
MAX_MODEL_LENGTH = 256
MAX_MAPPING_ENTRIES = 50
MAX_PATH_LENGTH = 512
MAX_PATH_DEPTH = 16
MATERIAL: tuple[str, ...] = (
    "input",
    "output",
    "expected",
    "reference",
    "metadata",
    "context",
    "documents",
    "document",
    "tools",
    "tool_calls",
    "attributes",
)
"""What the worker gathers for a target, and what an input mapping's paths start from."""
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


class EvaluatorKind(StrEnum):
    """How an evaluator runs."""

    BUILTIN = "BUILTIN"
    LLM = "LLM"
    CODE = "CODE"


class _Definition(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class BuiltinDefinition(_Definition):
    """A built-in evaluator and its configuration (checked by the built-in's own model)."""

    kind: Literal["BUILTIN"] = "BUILTIN"
    evaluator: str = Field(min_length=1, max_length=64)
    config: dict[str, Any] = Field(default_factory=dict)

    @cached_property
    def builtin(self) -> BuiltinEvaluator[Any]:
        """The built-in this definition names."""
        return builtin_evaluator(self.evaluator)

    @cached_property
    def parsed_config(self) -> Any:
        """The configuration, parsed (a pattern compiled, a schema prepared)."""
        return self.builtin.parse_config(self.config)


class JudgeDefinition(_Definition):
    """An LLM judge (built-in by name, or the user's own template) and the model that answers."""

    kind: Literal["LLM"] = "LLM"
    judge: str | None = Field(default=None, min_length=1, max_length=64)
    template: JudgeTemplate | None = None
    provider: ModelProvider
    model: str = Field(min_length=1, max_length=MAX_MODEL_LENGTH)
    invocation_parameters: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_judge(self) -> JudgeDefinition:
        if (self.judge is None) == (self.template is None):
            raise ValueError("give either judge (a built-in judge's name) or template, not both")
        return self

    @cached_property
    def resolved(self) -> JudgeTemplate:
        """The template that judges: the built-in's or the user's."""
        return self.template if self.template is not None else builtin_judge(str(self.judge))


class CodeLimits(_Definition):
    """What one evaluation of user code may use (the sandbox stops it past any of them)."""

    cpu_seconds: float = Field(default=2.0, gt=0, le=30, allow_inf_nan=False)
    memory_mb: int = Field(default=256, ge=64, le=2048)
    wall_seconds: float = Field(default=10.0, gt=0, le=120, allow_inf_nan=False)

    def sandbox_limits(self) -> Limits:
        """The sandbox's form of these limits."""
        return Limits(
            cpu_seconds=self.cpu_seconds,
            memory_mb=self.memory_mb,
            wall_seconds=self.wall_seconds,
        )


class CodeDefinition(_Definition):
    """User Python, run in the sandbox: ``entry``'s parameters take the inputs by name."""

    kind: Literal["CODE"] = "CODE"
    code: str = Field(min_length=1, max_length=MAX_CODE_CHARACTERS)
    entry: str = Field(default="evaluate", pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
    limits: CodeLimits = Field(default_factory=CodeLimits)


EvaluatorDefinition = Annotated[
    BuiltinDefinition | JudgeDefinition | CodeDefinition, Field(discriminator="kind")
]


class _Envelope(BaseModel):
    definition: EvaluatorDefinition


@dataclass(frozen=True)
class EvaluatorProfile:
    """What an evaluator reads and gives, for forms and for the worker's input check."""

    inputs: tuple[str, ...] | None
    """The inputs it reads (None: any, as code binds whatever its parameters name)."""
    choices: Mapping[str, float | None] | None
    direction: Direction


def parse_definition(raw: Any, kind: EvaluatorKind | str | None = None) -> EvaluatorDefinition:
    """The definition ``raw`` describes, checked through and through.

    ``kind``, when given (the evaluator's), must match the definition's.

    Raises:
        EvaluatorConfigError: anything refused; ``field`` is the dotted path under the
            definition (``config.pattern``, ``template``, ``code``), the message names the
            line and column of code that does not compile, or the unknown variable.
    """
    if not isinstance(raw, Mapping):
        raise EvaluatorConfigError(
            f"an evaluator's definition must be a JSON object, not {type_name(raw)}"
        )
    if kind is not None and raw.get("kind") != str(kind):
        raise EvaluatorConfigError(
            f"the definition's kind must be {kind}, the evaluator's kind", field="kind"
        )
    _refuse_nul(raw)
    try:
        definition = _Envelope.model_validate({"definition": raw}).definition
    except ValidationError as error:
        raise _config_error(error) from None
    if isinstance(definition, BuiltinDefinition):
        _check_builtin(definition)
    elif isinstance(definition, JudgeDefinition):
        _check_judge(definition)
    else:
        problems = check_code(definition.code, definition.entry)
        if problems:
            raise EvaluatorConfigError(
                "the code can't be saved: " + "; ".join(str(problem) for problem in problems),
                field="code",
            )
    return definition


def profile(definition: EvaluatorDefinition) -> EvaluatorProfile:
    """What ``definition`` reads and gives."""
    if isinstance(definition, BuiltinDefinition):
        builtin = definition.builtin
        return EvaluatorProfile(builtin.inputs, builtin.choices, builtin.direction)
    if isinstance(definition, JudgeDefinition):
        judge = definition.resolved
        return EvaluatorProfile(tuple(judge.variables), judge.choices, judge.direction)
    return EvaluatorProfile(None, None, Direction.MAXIMIZE)


def _check_builtin(definition: BuiltinDefinition) -> None:
    try:
        definition.builtin  # noqa: B018 -- resolving is the check
    except EvaluatorConfigError as error:
        raise EvaluatorConfigError(str(error), field="evaluator") from None
    try:
        definition.parsed_config  # noqa: B018 -- parsing is the check
    except EvaluatorConfigError as error:
        field = f"config.{error.field}" if error.field else "config"
        raise EvaluatorConfigError(str(error), field=field, position=error.position) from None


def _check_judge(definition: JudgeDefinition) -> None:
    if definition.judge is not None:
        try:
            definition.resolved  # noqa: B018 -- resolving is the check
        except EvaluatorConfigError as error:
            raise EvaluatorConfigError(str(error), field="judge") from None


def _refuse_nul(raw: Mapping[str, Any]) -> None:
    """NUL anywhere in the definition is refused (JSONB can't store it), with its field."""
    stack: list[tuple[str, Any]] = [("", raw)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if NUL in value:
                raise EvaluatorConfigError(
                    f"{path or 'the definition'} must not contain NUL characters",
                    field=path or None,
                )
        elif isinstance(value, Mapping):
            for key, item in value.items():
                name = str(key)
                if NUL in name:
                    raise EvaluatorConfigError(
                        "keys of the definition must not contain NUL characters",
                        field=path or None,
                    )
                stack.append((f"{path}.{name}" if path else name, item))
        elif isinstance(value, list):
            stack.extend((f"{path}.{index}", item) for index, item in enumerate(value))


def _config_error(error: ValidationError) -> EvaluatorConfigError:
    problem = error.errors(include_url=False)[0]
    location = [str(part) for part in problem["loc"]]
    if location and location[0] == "definition":
        location = location[1:]
    # The discriminated union puts the kind's tag in the path ("definition.LLM.model").
    if location and location[0] in EvaluatorKind.__members__:
        location = location[1:]
    field = ".".join(location) or None
    message = str(problem["msg"]).removeprefix("Value error, ")
    if problem["type"] == "union_tag_invalid" or problem["type"] == "union_tag_not_found":
        field = "kind"
        message = "must be one of BUILTIN, LLM, CODE"
    return EvaluatorConfigError(f"{field}: {message}" if field else message, field=field)


def check_input_mapping(raw: Any) -> dict[str, str]:
    """An input mapping, checked: evaluator input name -> path into the target's material.

    A path is a material name (:data:`MATERIAL`) optionally followed by dotted keys:
    ``output``, ``metadata.user_id``, ``attributes.llm.model_name`` (span attributes are stored
    nested, so their OpenInference names are paths too).

    Raises:
        EvaluatorConfigError: not a mapping of names to paths; ``field`` names the entry.
    """
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise EvaluatorConfigError(
            f"input_mapping must be a JSON object, not {type_name(raw)}", field="input_mapping"
        )
    if len(raw) > MAX_MAPPING_ENTRIES:
        raise EvaluatorConfigError(
            f"input_mapping has {len(raw)} entries; at most {MAX_MAPPING_ENTRIES}",
            field="input_mapping",
        )
    mapping: dict[str, str] = {}
    for name, path in raw.items():
        if not isinstance(name, str) or not _IDENTIFIER.fullmatch(name):
            raise EvaluatorConfigError(
                "input_mapping's keys must be identifiers (letters, digits, _; at most 64)",
                field="input_mapping",
            )
        where = f"input_mapping.{name}"
        if not isinstance(path, str) or not path or len(path) > MAX_PATH_LENGTH or NUL in path:
            raise EvaluatorConfigError(
                f"{where} must be a path of 1 to {MAX_PATH_LENGTH} characters without NUL",
                field=where,
            )
        head, _, rest = path.partition(".")
        if head not in MATERIAL:
            raise EvaluatorConfigError(
                f"{where}: a path starts with one of {', '.join(MATERIAL)}, not {head[:60]!r}",
                field=where,
            )
        if rest.count(".") >= MAX_PATH_DEPTH and head != "attributes":
            raise EvaluatorConfigError(f"{where}: at most {MAX_PATH_DEPTH} keys deep", field=where)
        mapping[name] = path
    return mapping


def map_inputs(material: Mapping[str, Any], mapping: Mapping[str, str]) -> dict[str, Any]:
    """The inputs an evaluator gets: the material as it is, with each mapped input replaced by
    the value at its path (None when the path leads nowhere)."""
    inputs = {name: value for name, value in material.items() if name != "attributes"}
    for name, path in mapping.items():
        head, _, rest = path.partition(".")
        value = material.get(head)
        if rest:
            for key in rest.split("."):
                if isinstance(value, Mapping):
                    value = value.get(key)
                elif isinstance(value, list) and key.isdigit() and int(key) < len(value):
                    value = value[int(key)]
                else:
                    value = None
                    break
        inputs[name] = value
    return inputs


__all__ = [
    "BuiltinDefinition",
    "CodeDefinition",
    "CodeLimits",
    "EvaluatorDefinition",
    "EvaluatorKind",
    "EvaluatorProfile",
    "JudgeDefinition",
    "check_input_mapping",
    "map_inputs",
    "parse_definition",
    "profile",
]
