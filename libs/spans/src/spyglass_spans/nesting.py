"""Nesting flat dotted attribute keys into the JSON document Phoenix stores.

``{"llm.input_messages.0.message.role": "user", "llm.model_name": "gpt-4o"}`` becomes
``{"llm": {"input_messages": [{"message": {"role": "user"}}], "model_name": "gpt-4o"}}``. The
rules, which are Phoenix's:

- a key splits at every ``.``; ``None`` values are left out;
- an object becomes a list when every key it has is a number followed by more of the path
  (``messages.0.role``), in the order of the numbers; numbers that are the end of a path
  (``tags.0``) stay object keys, and so does anything at the top level;
- when one key is a value and also the start of longer keys (``a`` and ``a.b``), the value keeps
  its place and the longer keys stay dotted beside it (``{"a": 1, "a.b": 2}``), whatever order
  they came in;
- attributes that carry JSON as text (``metadata``, ``llm.prompt_template.variables``,
  ``tool.parameters``, ``*.document.metadata``: any key ending in one of these) are parsed, and
  left out when they parse to an empty or false value; text that is not JSON is kept as it is,
  and so is text that would make the document nest deeper than ``MAX_JSON_DEPTH`` levels.

This is the general algorithm; :func:`spyglass_spans.unflatten.unflatten` replays its result for
key sequences it has seen before. It is still on the receiver's hot path (for new key sequences),
so keys' split points are cached across spans, and each object is found by its dotted path rather
than walked to segment by segment.
"""

from __future__ import annotations

from typing import Any

import orjson

from spyglass_core.storable import MAX_JSON_DEPTH, json_depth_exceeds
from spyglass_spans.rejections import parses_deeper_than

JSON_STRING_SUFFIXES = (
    "metadata",
    "llm.prompt_template.variables",
    "tool.parameters",
)
"""Attributes whose text is parsed as JSON (matched at the end of the key, as Phoenix does)."""

_KEY_PARTS_LIMIT = 1 << 16
# key or path -> (path of its parent object, last segment, the key carries JSON, the last
# segment is a number). Attribute keys repeat across spans (they come from a handful of
# instrumentations), so this stays small; it is emptied when a sender invents keys without end.
_key_parts: dict[str, tuple[str, str, bool, bool]] = {}

_INDEXES = [str(index) for index in range(64)]


class _Numbered:
    """An object that got numbered objects (``a.0.b`` makes ``a`` one): a candidate for a list."""

    __slots__ = ("count", "node")

    def __init__(self, node: dict[str, Any]) -> None:
        self.node = node
        self.count = 1
        """How many numbered objects were put in it; -1 once it can't be a list."""


def key_parts(key: str) -> tuple[str, str, bool, bool]:
    """``key``'s parent path, last segment, whether it carries JSON, whether its end is a number."""
    parts = _key_parts.get(key)
    return _split(key) if parts is None else parts


def _split(key: str) -> tuple[str, str, bool, bool]:
    parent, _, leaf = key.rpartition(".")
    parts = (parent, leaf, key.endswith(JSON_STRING_SUFFIXES), leaf.isdigit())
    if len(_key_parts) >= _KEY_PARTS_LIMIT:
        _key_parts.clear()
    _key_parts[key] = parts
    return parts


def nest(attributes: dict[str, Any]) -> dict[str, Any]:
    """The nested document of flat ``attributes`` (see the module docstring for the rules)."""
    root: dict[str, Any] = {}
    # Every object created for a path, by its dotted path; "" is the root.
    objects: dict[str, dict[str, Any]] = {"": root}
    # Candidates for lists, by path.
    indexed: dict[str, _Numbered] = {}
    parts_of = _key_parts.get
    for key, value in attributes.items():
        parts = parts_of(key)
        if parts is None:
            parts = _split(key)
        parent, leaf, carries_json, _ = parts
        if carries_json and type(value) is str:
            value = parse_json(value, json_depth_limit(key))
        if value is None:
            continue
        target = objects.get(parent)
        if target is None:
            target, leaf = _open(objects, indexed, parent, leaf)
        if target.setdefault(leaf, value) is not value:
            _collide(objects, indexed, target, parent, leaf, value)
    if indexed:
        _make_lists(objects, indexed)
    return root


def json_depth_limit(key: str) -> int:
    """How deep the JSON carried by ``key``'s text may nest in the stored document.

    Its value sits below one object or list per segment of the key (the root included), and
    the whole document nests at most ``MAX_JSON_DEPTH`` levels.
    """
    return MAX_JSON_DEPTH - 1 - key.count(".")


def parse_json(text: str, depth_limit: int = MAX_JSON_DEPTH - 1) -> Any:
    """``text`` parsed as JSON; None when that is empty or false.

    ``text`` itself when it isn't JSON, or when it nests deeper than ``depth_limit`` levels
    (deeper than PostgreSQL's and our JSON libraries' limits allow in the stored document).
    """
    try:
        parsed = orjson.loads(text)
    except orjson.JSONDecodeError:
        return text
    if parses_deeper_than(text, depth_limit) and json_depth_exceeds(parsed, depth_limit):
        return text
    return parsed if parsed else None


def _open(
    objects: dict[str, dict[str, Any]],
    indexed: dict[str, _Numbered],
    path: str,
    leaf: str,
) -> tuple[dict[str, Any], str]:
    """The object at ``path``, created with any missing ancestors, and the key to set in it.

    Where a value already sits on the way (``a`` is 1 and the key is ``a.b.c``), the key goes
    dotted beside that value instead: the object holding ``a`` and the key ``a.b.c``.
    """
    missing = []
    missing_path = path
    while True:
        parts = _key_parts.get(missing_path) or _split(missing_path)
        missing.append((missing_path, parts))
        parent = objects.get(parts[0])
        if parent is not None:
            break
        missing_path = parts[0]
    for child_path, (parent_path, segment, _, is_index) in reversed(missing):
        if segment in parent:  # a value, not an object of ours
            dotted = path[len(parent_path) + 1 :] if parent_path else path
            return parent, f"{dotted}.{leaf}"
        child = parent[segment] = {}
        objects[child_path] = child
        if is_index and parent_path:
            numbered = indexed.get(parent_path)
            if numbered is None:
                indexed[parent_path] = _Numbered(parent)
            else:
                numbered.count += 1
        parent = child
    return parent, leaf


def _collide(
    objects: dict[str, dict[str, Any]],
    indexed: dict[str, _Numbered],
    target: dict[str, Any],
    parent: str,
    leaf: str,
    value: Any,
) -> None:
    """``leaf`` of ``target`` is taken: by an object of longer keys, which move beside it."""
    existing = target[leaf]
    path = f"{parent}.{leaf}" if parent else leaf
    target[leaf] = value
    moved = objects.get(path)
    if moved is not None and moved is existing:
        for sub_key, sub_value in _flat_items(objects, path, moved):
            target[f"{leaf}.{sub_key}"] = sub_value
        for stale in [other for other in objects if other == path or other.startswith(path + ".")]:
            del objects[stale]
        numbered = indexed.get(parent)
        if numbered is not None:
            numbered.count = -1  # it holds a value now: no list


def _flat_items(
    objects: dict[str, dict[str, Any]], path: str, node: dict[str, Any]
) -> list[tuple[str, Any]]:
    items: list[tuple[str, Any]] = []
    for key, value in node.items():
        child_path = f"{path}.{key}"
        child = objects.get(child_path)
        if child is not None and child is value:
            items.extend(
                (f"{key}.{sub_key}", sub)
                for sub_key, sub in _flat_items(objects, child_path, child)
            )
        else:
            items.append((key, value))
    return items


def _make_lists(objects: dict[str, dict[str, Any]], indexed: dict[str, _Numbered]) -> None:
    # Newest first: an object is registered after its parent, so inner lists are made before
    # the lists that hold them take their elements.
    for path, numbered in reversed(indexed.items()):
        node = numbered.node
        # Every key is a numbered object of ours exactly when there are as many keys as those.
        if len(node) != numbered.count:
            continue
        parent_path, _, name = path.rpartition(".")
        parent = objects.get(parent_path)
        if parent is None or parent.get(name) is not node:
            continue  # replaced by a value in a collision
        keys = list(node)
        if keys == _INDEXES[: len(keys)]:
            parent[name] = list(node.values())
        else:
            parent[name] = [node[key] for key in sorted(keys, key=int)]
