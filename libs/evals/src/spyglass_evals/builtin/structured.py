"""Built-ins over JSON: ``json_valid`` (optionally against a JSON Schema) and
``json_distance`` (how many values differ).

An input that is text is parsed as JSON; any other value (a dataset example's output is often
already a dict) is taken as parsed. A JSON Schema is compiled once, at save time, by
``jsonschema_rs``; it may only refer to itself: a ``$ref`` to another document is refused
then, never fetched, so a schema can't make the worker send requests.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jsonschema_rs
import orjson
from pydantic import Field, JsonValue, PrivateAttr, field_validator
from pydantic_core import PydanticCustomError

from spyglass_core.storable import MAX_JSON_DEPTH, json_depth_exceeds
from spyglass_evals.builtin.base import (
    TRUE_FALSE,
    BuiltinEvaluator,
    EvaluatorConfig,
    input_json,
    input_value,
    pass_fail,
)
from spyglass_evals.json_values import json_problem
from spyglass_evals.results import Direction, EvaluationResult

SHOWN_MESSAGE_CHARACTERS = 300
"""The most characters of a schema error kept in an explanation (they quote the value)."""
SHOWN_DIFFERENCES = 10
"""The most differing paths ``json_distance`` lists in its metadata."""
SHOWN_PATH_CHARACTERS = 200


def _refuse_retrieval(uri: str) -> Any:
    raise ValueError(f"{uri[:100]} is outside the schema; only references within it are allowed")


def _pointer(parts: list[str | int]) -> str:
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def _cut(text: str, limit: int = SHOWN_MESSAGE_CHARACTERS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def compile_schema(schema: dict[str, Any] | bool) -> Any:
    """A validator for ``schema``.

    Raises:
        ValueError: not a JSON Schema, or it refers outside itself (the message says where).
    """
    try:
        return jsonschema_rs.validator_for(schema, retriever=_refuse_retrieval)
    except jsonschema_rs.ValidationError as error:
        where = _pointer(error.instance_path) or "its root"
        message = error.message.split("\n", 1)[0]
        raise ValueError(f"not a valid JSON Schema (at {where}): {_cut(message)}") from None
    except (ValueError, jsonschema_rs.ReferencingError) as error:
        raise ValueError(f"not a usable JSON Schema: {_cut(str(error).splitlines()[0])}") from None


class JsonValidConfig(EvaluatorConfig):
    """An optional JSON Schema the output must also follow."""

    schema_: dict[str, JsonValue] | bool | None = Field(
        None, alias="schema", description="A JSON Schema (draft 4 to 2020-12); none: any JSON"
    )
    _validator: Any = PrivateAttr(default=None)

    model_config = EvaluatorConfig.model_config | {"populate_by_name": True}

    @field_validator("schema_", mode="before")
    @classmethod
    def _object_or_boolean(cls, schema: Any) -> Any:
        if schema is not None and not isinstance(schema, dict | bool):
            raise ValueError("a JSON Schema is a JSON object or a boolean")
        return schema

    @field_validator("schema_")
    @classmethod
    def _compiles(cls, schema: dict[str, Any] | bool | None) -> dict[str, Any] | bool | None:
        if schema is None or isinstance(schema, bool):
            return schema
        if json_depth_exceeds(schema):
            raise ValueError(f"the schema nests deeper than {MAX_JSON_DEPTH} levels")
        try:
            compile_schema(schema)
        except ValueError as error:
            raise PydanticCustomError("invalid_schema", str(error)) from None
        return schema

    def model_post_init(self, context: Any, /) -> None:
        """Compile once, at save time and when the worker loads the evaluator."""
        if self.schema_ is not None:
            self._validator = compile_schema(self.schema_)


def json_valid(config: JsonValidConfig, inputs: Mapping[str, Any]) -> EvaluationResult:
    """Whether ``output`` is JSON (and follows the schema, when one is configured)."""
    value = input_value("json_valid", inputs, "output")
    if value is None:
        return pass_fail(False, "there is no output")
    if isinstance(value, str | bytes):
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError as error:
            return pass_fail(False, f"the output is not JSON: {_cut(str(error))}")
    else:
        problem = json_problem(value)
        if problem is not None:
            return pass_fail(False, f"the output is not JSON: {problem}")
    if config._validator is None:
        return pass_fail(True, "the output is JSON")
    failure = next(config._validator.iter_errors(value), None)
    if failure is None:
        return pass_fail(True, "the output is JSON and follows the schema")
    where = _pointer(failure.instance_path) or "its root"
    return pass_fail(
        False,
        f"the output does not follow the schema at {where}: {_cut(failure.message)}",
        {"path": _cut(_pointer(failure.instance_path), SHOWN_PATH_CHARACTERS)},
    )


class JsonDistanceConfig(EvaluatorConfig):
    """``json_distance`` takes no options."""


Pointer = tuple["Pointer", str] | None

_ABSENT: Any = object()
"""Stands for a key or list item one side lacks."""


def _pointer_text(path: Pointer) -> str:
    keys: list[str] = []
    while path is not None:
        path, key = path
        keys.append(key)
    return _cut(_pointer(list(reversed(keys))), SHOWN_PATH_CHARACTERS)


def _same_leaf(left: Any, right: Any) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, int | float) and isinstance(right, int | float):
        return bool(left == right)
    return type(left) is type(right) and bool(left == right)


def json_differences(expected: Any, actual: Any) -> tuple[int, list[str]]:
    """How many values differ between two parsed JSON values, and where (the first
    :data:`SHOWN_DIFFERENCES`, as JSON Pointers).

    Each differing leaf counts one; so does each key or list item present on one side only,
    and each value whose kind differs (an object against a list, text against a number).
    Numbers compare by value (``1`` equals ``1.0``); key order never matters. Iterative: any
    depth costs no stack.
    """
    count = 0
    paths: list[str] = []

    def differ(path: Pointer, times: int = 1) -> None:
        nonlocal count
        count += times
        if len(paths) < SHOWN_DIFFERENCES:
            paths.append(_pointer_text(path))

    stack: list[tuple[Any, Any, Pointer]] = [(expected, actual, None)]
    while stack:
        left, right, path = stack.pop()
        if left is _ABSENT or right is _ABSENT:
            differ(path)
        elif isinstance(left, dict) and isinstance(right, dict):
            keys = [*left, *(key for key in right if key not in left)]
            stack.extend(
                (left.get(key, _ABSENT), right.get(key, _ABSENT), (path, str(key)))
                for key in reversed(keys)
            )
        elif isinstance(left, list | tuple) and isinstance(right, list | tuple):
            stack.extend(
                (
                    left[index] if index < len(left) else _ABSENT,
                    right[index] if index < len(right) else _ABSENT,
                    (path, str(index)),
                )
                for index in range(max(len(left), len(right)) - 1, -1, -1)
            )
        elif not _same_leaf(left, right):
            differ(path)
    return count, paths


def json_distance(config: JsonDistanceConfig, inputs: Mapping[str, Any]) -> EvaluationResult:
    """How many values of ``output`` differ from ``expected``: score the count (0: equal),
    label ``equal`` or ``different``."""
    expected = input_json("json_distance", inputs, "expected")
    output = input_json("json_distance", inputs, "output")
    count, paths = json_differences(expected, output)
    if count == 0:
        return EvaluationResult(
            score=0.0, label="equal", explanation="the output equals the expected JSON"
        )
    shown = ", ".join(path or "the root" for path in paths[:3])
    more = ", …" if count > 3 else ""
    noun = "value differs" if count == 1 else "values differ"
    return EvaluationResult(
        score=float(count),
        label="different",
        explanation=f"{count:,} {noun}: {shown}{more}",
        metadata={"differences": paths},
    )


JSON_VALID = BuiltinEvaluator(
    name="json_valid",
    description="Whether the output is JSON, and follows a JSON Schema when one is given",
    config_model=JsonValidConfig,
    inputs=("output",),
    direction=Direction.MAXIMIZE,
    choices=TRUE_FALSE,
    run=json_valid,
)
JSON_DISTANCE = BuiltinEvaluator(
    name="json_distance",
    description="How many values differ between the output and the expected JSON (0: equal)",
    config_model=JsonDistanceConfig,
    inputs=("output", "expected"),
    direction=Direction.MINIMIZE,
    choices=None,
    run=json_distance,
)
