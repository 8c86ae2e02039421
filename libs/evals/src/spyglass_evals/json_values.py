"""Checking values that must be storable JSON: result metadata, evaluator inputs.

Every walk here is iterative, so a hostile value (a list nested 100,000 levels deep) costs
time linear in its size and never the stack.
"""

from __future__ import annotations

import math
from typing import Any

import orjson

from spyglass_core.storable import MAX_JSON_DEPTH, NUL, REPLACEMENT_CHARACTER
from spyglass_evals.errors import EvaluationError, type_name

MAX_METADATA_BYTES = 65_536
"""The most bytes a result's metadata may take as JSON."""

MIN_JSON_INTEGER = -(2**63)
MAX_JSON_INTEGER = 2**64 - 1
"""The integers JSON here can carry (what orjson writes: 64 bits, signed or not)."""

MAX_INPUT_DEPTH = 1024
"""The deepest nesting of an evaluator's JSON input (orjson parses no deeper; deeper values
could exhaust the native stack of the JSON Schema validator)."""

Path = tuple["Path", str] | None
"""Where an item sits: ``(parent's path, key or index)``; None is the value itself."""


def path_text(root: str, path: Path) -> str:
    """``root.key[3].other`` for a :data:`Path` under ``root``."""
    keys: list[str] = []
    while path is not None:
        path, key = path
        keys.append(key)
    text = root
    for key in reversed(keys):
        text += f"[{key}]" if key.isdigit() else f".{key}"
    return text


def checked_metadata(value: Any, root: str = "metadata") -> dict[str, Any]:
    """``value`` as metadata a result can store: a fresh JSON object.

    NUL characters in strings and keys become U+FFFD (metadata is free text, as span
    attributes are); tuples become lists.

    Raises:
        EvaluationError: ``value`` is not a dict of JSON (names the first bad item's path),
            nests deeper than :data:`~spyglass_core.storable.MAX_JSON_DEPTH`, or takes more
            than :data:`MAX_METADATA_BYTES` as JSON.
    """
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise EvaluationError(f"{root} must be a JSON object (a dict), not {type_name(value)}")
    if not value:
        return {}
    has_nul = _check_json(value, root)
    try:
        dumped = orjson.dumps(value)
    except TypeError as error:  # pragma: no cover - _check_json refuses what orjson can't write
        raise EvaluationError(f"{root} can't be written as JSON ({error})") from None
    if len(dumped) > MAX_METADATA_BYTES:
        raise EvaluationError(
            f"{root} takes {len(dumped):,} bytes as JSON; at most {MAX_METADATA_BYTES:,} are kept"
        )
    copy: dict[str, Any] = orjson.loads(dumped)
    return _without_nul(copy) if has_nul else copy


def _check_json(value: Any, root: str) -> bool:
    """Refuse what isn't JSON a database can hold; whether a NUL was seen (to replace)."""
    has_nul = False
    stack: list[tuple[Any, int, Path]] = [(value, 0, None)]
    while stack:
        item, depth, path = stack.pop()
        if isinstance(item, str):
            has_nul = has_nul or NUL in item
        elif isinstance(item, dict):
            if depth >= MAX_JSON_DEPTH:
                raise EvaluationError(f"{root} nests deeper than {MAX_JSON_DEPTH} levels")
            for key, child in item.items():
                if not isinstance(key, str):
                    raise EvaluationError(
                        f"{path_text(root, path)} has a key that is not text ({type_name(key)})"
                    )
                has_nul = has_nul or NUL in key
                stack.append((child, depth + 1, (path, key)))
        elif isinstance(item, list | tuple):
            if depth >= MAX_JSON_DEPTH:
                raise EvaluationError(f"{root} nests deeper than {MAX_JSON_DEPTH} levels")
            stack.extend((child, depth + 1, (path, str(index))) for index, child in enumerate(item))
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if not MIN_JSON_INTEGER <= item <= MAX_JSON_INTEGER:
                raise EvaluationError(f"{path_text(root, path)} is an integer beyond 64 bits")
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise EvaluationError(f"{path_text(root, path)} is {item}, which JSON can't hold")
        else:
            raise EvaluationError(
                f"{path_text(root, path)} is of type {type_name(item)}, which is not JSON"
            )
    return has_nul


def _without_nul(value: dict[str, Any]) -> dict[str, Any]:
    """``value`` (a fresh copy, ours to change) with NUL in strings and keys replaced."""
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key in list(item):
                child = item.pop(key)
                if isinstance(child, str):
                    child = child.replace(NUL, REPLACEMENT_CHARACTER)
                item[key.replace(NUL, REPLACEMENT_CHARACTER)] = child
                stack.append(child)
        elif isinstance(item, list):
            for index, child in enumerate(item):
                if isinstance(child, str):
                    item[index] = child.replace(NUL, REPLACEMENT_CHARACTER)
                else:
                    stack.append(child)
    return value


def json_problem(value: Any) -> str | None:
    """Why ``value`` (an already parsed input) is not JSON, or None when it is.

    Lenient where storage is not involved: any depth up to :data:`MAX_INPUT_DEPTH`, integers
    of any size.
    """
    stack: list[tuple[Any, int, Path]] = [(value, 0, None)]
    while stack:
        item, depth, path = stack.pop()
        if isinstance(item, dict):
            if depth >= MAX_INPUT_DEPTH:
                return f"it nests deeper than {MAX_INPUT_DEPTH} levels"
            for key, child in item.items():
                if not isinstance(key, str):
                    return f"{path_text('$', path)} has a key that is not text ({type_name(key)})"
                stack.append((child, depth + 1, (path, key)))
        elif isinstance(item, list | tuple):
            if depth >= MAX_INPUT_DEPTH:
                return f"it nests deeper than {MAX_INPUT_DEPTH} levels"
            stack.extend((child, depth + 1, (path, str(index))) for index, child in enumerate(item))
        elif isinstance(item, float):
            if not math.isfinite(item):
                return f"{path_text('$', path)} is {item}, which JSON can't hold"
        elif not isinstance(item, str | int | bool) and item is not None:
            return f"{path_text('$', path)} is of type {type_name(item)}, which is not JSON"
    return None
