"""What PostgreSQL can hold: the rules every value from outside is checked against first.

Every entry point (the OTLP receiver, the REST span upload, REST parameters and bodies, GraphQL
arguments) decides what to do with a value PostgreSQL would refuse before PostgreSQL sees it,
with these rules, so that bad input is a clear 4xx (or one span in ``partial_success``) and never
a 500 or a dead-lettered batch:

* **NUL characters.** ``text`` and ``jsonb`` refuse U+0000. In span data (names, attributes,
  events, status messages) a NUL is *made safe*: replaced by U+FFFD, so the span is stored and
  the rest of its text kept. In names and parameters that identify something (project and
  annotation names, filters, labels) a NUL is refused: there it can only be a mistake, and a
  name that silently changed would not find its row again.
* **Indexed text.** A B-tree entry must fit in a third of a page (2,704 bytes); names and ids that
  are unique keys are limited in characters so that even four-byte characters fit.
* **Integers.** Row ids and counts are PostgreSQL ``bigint`` / ``integer``; a row id outside
  ``bigint`` names no row, a count outside ``integer`` is not stored as a count.
* **Times.** OTLP times are nanoseconds in an int64: from 1970 to 2262-04-11. A time outside
  that range is refused.
* **Nesting.** JSON nested deeper than :data:`MAX_JSON_DEPTH` is refused where it is a value the
  sender built (REST bodies), and kept as text where it arrived as text (JSON-string attributes).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, TypeAlias

NUL = "\x00"
REPLACEMENT_CHARACTER = "\ufffd"

MAX_NAME_LENGTH = 256
"""Characters of a project, annotation or annotation config name, or an annotation identifier."""

MAX_SESSION_ID_LENGTH = 512
"""Characters of a ``session.id`` (a unique key of ``project_sessions``)."""

MAX_JSON_DEPTH = 100
"""Deepest nesting of objects and arrays stored as JSON (protobuf's own recursion limit)."""

MAX_BIGINT = 2**63 - 1
"""Largest PostgreSQL ``bigint``: row ids, OTLP nanosecond times."""

MIN_BIGINT = -(2**63)
"""Smallest PostgreSQL ``bigint``."""

MAX_INTEGER = 2**31 - 1
"""Largest PostgreSQL ``integer``: token counts and their cumulative sums saturate here."""

MIN_TIME = datetime(1970, 1, 1, tzinfo=UTC)
"""Earliest time a span may have (OTLP counts nanoseconds from here)."""

MAX_TIME = datetime(2262, 4, 11, 23, 47, 16, 854775, tzinfo=UTC)
"""Latest time a span may have: 2**63 - 1 nanoseconds after :data:`MIN_TIME`."""


def has_nul(text: str) -> bool:
    """Whether ``text`` holds a NUL character, which PostgreSQL text and JSONB refuse."""
    return NUL in text


def without_nul(text: str) -> str:
    """``text`` with every NUL replaced by U+FFFD (the same string when it has none)."""
    return text.replace(NUL, REPLACEMENT_CHARACTER) if NUL in text else text


def json_depth_exceeds(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``value`` (parsed JSON) nests objects and arrays deeper than ``limit`` levels.

    Iterative, so that a hostile value can't exhaust the stack while it is measured.
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


JsonPath: TypeAlias = "tuple[JsonPath, str] | None"
"""Where an item of a JSON value is: ``(parent's path, key or list index as text)``; None is
the value itself. Linked rather than a tuple of keys, so that walking a value 100,000 levels
deep costs 100,000 steps, not 5 billion copied keys; :func:`json_path_keys` spells one out."""


def json_path_keys(path: JsonPath) -> tuple[str, ...]:
    """The keys (and list indexes as text) from the value's root down to ``path``."""
    keys: list[str] = []
    while path is not None:
        path, key = path
        keys.append(key)
    return tuple(reversed(keys))


def walk_json(value: Any) -> Iterator[tuple[JsonPath, Any, int]]:
    """Every item of parsed JSON ``value`` with its path (:data:`JsonPath`) and its depth (0
    for ``value`` itself), parents before children.

    Iterative, so that a hostile value can't exhaust the stack while it is walked, and linear
    in its size whatever its depth.
    """
    stack: list[tuple[JsonPath, Any, int]] = [(None, value, 0)]
    while stack:
        path, item, depth = stack.pop()
        yield path, item, depth
        if isinstance(item, dict):
            stack.extend(((path, str(key)), child, depth + 1) for key, child in item.items())
        elif isinstance(item, list):
            stack.extend(((path, str(index)), child, depth + 1) for index, child in enumerate(item))
