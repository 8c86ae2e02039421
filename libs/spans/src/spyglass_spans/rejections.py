"""Why a span is refused, and the checks of values PostgreSQL could not hold.

The rules themselves (what PostgreSQL can hold) are :mod:`spyglass_core.storable`'s; here they
become reasons a span is left out of a batch (OTLP ``partial_success``, a listed invalid span of
a REST upload), and the helpers that make span data safe to store:

* a NUL in span text is replaced (U+FFFD) wherever it is, keys included; a clean span pays one
  search of its serialized attributes and events for the escape orjson writes for a NUL;
* JSON nested deeper than :data:`~spyglass_core.storable.MAX_JSON_DEPTH` is never stored: text
  that would parse that deep stays text, and a span whose attributes nest that deep otherwise
  (dotted keys, nested values) is refused. An OTLP span pays for the walk only when a key is
  long enough to nest that deep: its nested values can't (see :data:`SAFE_KEY_LENGTH`).
"""

from __future__ import annotations

from typing import Any

import orjson

from spyglass_core.errors import InvalidArgumentError
from spyglass_core.storable import (
    MAX_JSON_DEPTH,
    MAX_NAME_LENGTH,
    MAX_SESSION_ID_LENGTH,
    NUL,
    json_depth_exceeds,
    without_nul,
)

REJECTION_REASONS = {
    "invalid_trace_id": "an invalid trace_id (must be 16 bytes, not all zero)",
    "invalid_span_id": "an invalid span_id (must be 8 bytes, not all zero)",
    "invalid_parent_span_id": "an invalid parent_span_id (must be empty or 8 bytes)",
    "missing_start_time": "no start time",
    "start_time_out_of_range": "a start time out of range (1970 to 2262-04-11, below 2**63 ns)",
    "end_time_out_of_range": "an end time out of range (1970 to 2262-04-11, below 2**63 ns)",
    "end_before_start": "an end time before its start time",
    "too_many_attributes": "more attributes than allowed",
    "session_id_too_long": f"a session.id longer than {MAX_SESSION_ID_LENGTH} characters",
    "attributes_too_deep": f"attributes or events nested deeper than {MAX_JSON_DEPTH} levels",
    "project_name_too_long": (
        f"a project name (resource attribute openinference.project.name) longer than "
        f"{MAX_NAME_LENGTH} characters"
    ),
    "project_name_has_nul": (
        "a project name (resource attribute openinference.project.name) holding a NUL character"
    ),
    "span_too_large": "more bytes than the span bus takes in one message",
}
"""Why a span is rejected (the metric label) and how the message puts it."""

_NUL_ESCAPE = b"\\u0000"
"""How orjson writes a NUL inside a JSON string."""

MAX_OTLP_VALUE_DEPTH = 50
"""Deepest nesting of an OTLP attribute value (arrays, key-value lists): protobuf parses at most
100 message levels, the value starts six down, and each level of JSON takes two or three."""

SAFE_KEY_LENGTH = 2 * (MAX_JSON_DEPTH - MAX_OTLP_VALUE_DEPTH) - 1
"""Keys up to this long have at most ``MAX_JSON_DEPTH - MAX_OTLP_VALUE_DEPTH`` segments, so
OTLP attributes under them can't nest too deep (JSON text is parsed to fit already)."""


class InvalidSpanError(InvalidArgumentError):
    """A span that can never be stored; ``reason`` is a key of ``REJECTION_REASONS``."""

    def __init__(self, reason: str, span_id: str = "") -> None:
        super().__init__(f"span {span_id!r} has {REJECTION_REASONS[reason]}")
        self.reason = reason

    def of_span(self, span_id: str) -> InvalidSpanError:
        """The same refusal, its message naming ``span_id``."""
        return InvalidSpanError(self.reason, span_id)


def project_name_problem(name: str) -> str | None:
    """What makes ``name`` unusable as a project name (None when it is fine).

    The answer completes a sentence about the name: "must be at most 256 characters".
    """
    if len(name) > MAX_NAME_LENGTH:
        return f"must be at most {MAX_NAME_LENGTH} characters"
    if NUL in name:
        return "must not contain a NUL character"
    return None


def storable_json(document: Any, check_depth: bool = True) -> bytes:
    """``document`` as JSON PostgreSQL takes: NULs replaced, at most ``MAX_JSON_DEPTH`` deep.

    ``check_depth=False`` skips the walk that measures nesting, for a document known to be
    shallow enough (orjson still refuses one past 254 levels, which then raises here too).

    Raises:
        InvalidSpanError: ``document`` nests deeper than ``MAX_JSON_DEPTH`` (reason
            ``attributes_too_deep``; no span id: the caller names the span).
        TypeError: ``document`` holds what JSON can't (an integer over 64 bits, say).
    """
    return storable_json_noting_nul(document, check_depth)[0]


def storable_json_noting_nul(document: Any, check_depth: bool = True) -> tuple[bytes, bool]:
    """:func:`storable_json`, and whether a NUL was replaced (text taken from ``document``
    elsewhere then needs the same treatment)."""
    try:
        data = orjson.dumps(document)
    except orjson.JSONEncodeError:
        # orjson gives up at 255 levels; a shallower document failed for another reason.
        if json_depth_exceeds(document):
            raise InvalidSpanError("attributes_too_deep") from None
        raise
    # A document can't nest deeper than it has brackets; counting them is cheaper than walking.
    if (
        check_depth
        and data.count(b"{") + data.count(b"[") > MAX_JSON_DEPTH
        and json_depth_exceeds(document)
    ):
        raise InvalidSpanError("attributes_too_deep")
    # Half of real spans hold no backslash at all: one memchr spares them the longer search.
    if b"\\" in data and _NUL_ESCAPE in data:
        # Also matches an escaped backslash followed by "u0000"; re-serializing is then harmless.
        return orjson.dumps(without_nul_inside(document)), True
    return data, False


def without_nul_inside(value: Any) -> Any:
    """``value`` (parsed JSON) with every NUL in its text and keys replaced by U+FFFD."""
    if type(value) is str:
        return without_nul(value)
    if isinstance(value, dict):
        return {without_nul(key): without_nul_inside(item) for key, item in value.items()}
    if isinstance(value, list):
        return [without_nul_inside(item) for item in value]
    return value


def parses_deeper_than(text: str, limit: int) -> bool:
    """Whether JSON ``text`` may nest deeper than ``limit`` (cheap: length, then brackets)."""
    # Each level takes an opening and a closing bracket.
    return len(text) > 2 * limit and text.count("{") + text.count("[") > limit
