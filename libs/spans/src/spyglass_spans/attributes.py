"""Span attributes: from OTLP values to a flat, normalized ``{dotted.key: value}`` mapping.

The steps, in order (the same as Phoenix's ingestion):

1. OTLP ``KeyValue`` pairs become Python values (:func:`decode_attributes`); an empty value is
   dropped, bytes become base64 text;
2. ``gen_ai.*`` attributes (OpenTelemetry GenAI conventions) fill in the OpenInference keys they
   mean, never overwriting one the span has (:mod:`spyglass_spans.gen_ai`);
3. ``llm.token_count.{prompt,completion,total}`` become integers, and the total is filled in
   from prompt + completion when absent;
4. a non-string ``input.value`` / ``output.value`` is serialized as JSON, its mime type set to
   ``application/json``.

Parsing JSON-string attributes (``metadata``...) and nesting the dotted keys happen after, in
:func:`spyglass_spans.unflatten.unflatten`. This module is on the receiver's hot path: the loops
work on the protobuf objects directly and look keys up rather than scanning them.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from spyglass_core.errors import InvalidArgumentError, PayloadTooLargeError
from spyglass_core.storable import MAX_BIGINT
from spyglass_spans.gen_ai import GEN_AI_KEYS, map_gen_ai
from spyglass_spans.nesting import JSON_STRING_SUFFIXES

Attributes = dict[str, Any]
"""Flat span attributes: dotted keys to JSON-compatible values."""

PROMPT_TOKENS = "llm.token_count.prompt"
COMPLETION_TOKENS = "llm.token_count.completion"
TOTAL_TOKENS = "llm.token_count.total"
CACHE_READ_TOKENS = "llm.token_count.prompt_details.cache_read"
CACHE_WRITE_TOKENS = "llm.token_count.prompt_details.cache_write"

_JSON_MIME_TYPE = "application/json"
_VALUE_KEYS = (("input.value", "input.mime_type"), ("output.value", "output.mime_type"))
_VALUE_KEYS_FLAT = frozenset(key for key, _ in _VALUE_KEYS)


def decode_attributes(key_values: Iterable[KeyValue], max_value_bytes: int) -> Attributes:
    """OTLP attributes as a flat ``{key: value}``; a repeated key keeps its last value.

    Raises:
        PayloadTooLargeError: a value is over ``max_value_bytes`` (UTF-8 bytes for text, wire
            bytes for arrays, maps and bytes); the message names the key.
    """
    attributes: Attributes = {}
    # Text of at most a quarter of the limit in characters can't exceed it in UTF-8 bytes, so
    # most values skip the encoding that measures them.
    safe_length = max_value_bytes // 4
    for item in key_values:
        value = item.value
        # Most values are non-empty strings; reading string_value first saves a WhichOneof.
        text = value.string_value
        if text:
            if len(text) > safe_length:
                _check_text(item.key, text, max_value_bytes)
            attributes[item.key] = text
            continue
        which = value.WhichOneof("value")
        if which == "int_value":
            attributes[item.key] = value.int_value
        elif which == "bool_value":
            attributes[item.key] = value.bool_value
        elif which == "double_value":
            attributes[item.key] = value.double_value
        elif which == "string_value":
            attributes[item.key] = ""
        elif which is not None:
            size = value.ByteSize()
            if size > max_value_bytes:
                raise _too_large(item.key, size, max_value_bytes)
            attributes[item.key] = any_value(value)
    return attributes


def _check_text(key: str, text: str, max_value_bytes: int) -> None:
    size = len(text.encode())
    if size > max_value_bytes:
        raise _too_large(key, size, max_value_bytes)


def _too_large(key: str, size: int, max_value_bytes: int) -> PayloadTooLargeError:
    return PayloadTooLargeError(
        f"attribute {key!r} is {size} bytes, over the limit of {max_value_bytes} bytes"
    )


def any_value(value: AnyValue) -> Any:
    """An OTLP ``AnyValue`` as a JSON-compatible Python value; bytes become base64 text."""
    which = value.WhichOneof("value")
    if which == "string_value":
        return value.string_value
    if which == "int_value":
        return value.int_value
    if which == "double_value":
        return value.double_value
    if which == "bool_value":
        return value.bool_value
    if which == "array_value":
        # Arrays are mostly of text; string_value is "" for other items, which any_value reads.
        return [item.string_value or any_value(item) for item in value.array_value.values]
    if which == "kvlist_value":
        return {item.key: any_value(item.value) for item in value.kvlist_value.values}
    if which == "bytes_value":
        return base64.b64encode(value.bytes_value).decode()
    return None


def normalize(attributes: Attributes) -> Attributes:
    """Steps 2-4 of the module docstring, in place on flat attributes; returns them."""
    if not attributes.keys().isdisjoint(GEN_AI_KEYS):
        map_gen_ai(attributes)
    prompt = attributes.get(PROMPT_TOKENS)
    if prompt is not None and type(prompt) is not int:
        prompt = attributes[PROMPT_TOKENS] = token_count(prompt)
    completion = attributes.get(COMPLETION_TOKENS)
    if completion is not None and type(completion) is not int:
        completion = attributes[COMPLETION_TOKENS] = token_count(completion)
    total = attributes.get(TOTAL_TOKENS)
    if total is not None and type(total) is not int:
        total = attributes[TOTAL_TOKENS] = token_count(total)
    if type(total) is not int and (type(prompt) is int or type(completion) is int):
        prompt_count = prompt if type(prompt) is int else 0
        completion_count = completion if type(completion) is int else 0
        total = prompt_count + completion_count
        # Two int64 counts can add up to more than JSON numbers hold; then there is no total.
        if -MAX_BIGINT - 1 <= total <= MAX_BIGINT:
            attributes[TOTAL_TOKENS] = total
    for value_key, mime_type_key in _VALUE_KEYS:
        value = attributes.get(value_key)
        if value is not None and type(value) is not str:
            attributes[value_key] = orjson.dumps(value).decode()
            attributes[mime_type_key] = _JSON_MIME_TYPE
    return attributes


def token_count(value: Any) -> Any:
    """``value`` as an integer count of tokens (``"12"``, ``12.0``), or unchanged if it isn't one.

    Values that are no count (text, booleans, fractions, numbers beyond a ``bigint``) are kept
    as they came, so nothing the sender wrote is lost; they count as absent for the token
    columns and the cost.
    """
    if isinstance(value, float):
        return int(value) if _whole(value) else value
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return value
        return int(number) if _whole(number) else value
    return value


def _whole(number: float) -> bool:
    return math.isfinite(number) and number.is_integer() and abs(number) <= MAX_BIGINT


def flatten(attributes: Mapping[str, Any]) -> Attributes:
    """Flat dotted keys from a mapping that may nest objects and lists of objects.

    For attributes that arrive as JSON (span uploads through the REST API) rather than as OTLP
    key-value pairs. A list of objects becomes indexed keys (``llm.input_messages.0.message.role``);
    other lists stay values, and so do the objects of ``input.value``, ``output.value`` and the
    JSON-carrying attributes (``metadata``...), which are values rather than parts of the tree.

    Raises:
        InvalidArgumentError: a key is not text.
    """
    flat: Attributes = {}
    _flatten_into(flat, "", attributes)
    return flat


def _flatten_into(flat: Attributes, prefix: str, mapping: Mapping[Any, Any]) -> None:
    for key, value in mapping.items():
        if not isinstance(key, str):
            raise InvalidArgumentError(f"attribute keys must be text, not {key!r}")
        path = f"{prefix}{key}"
        if path in _VALUE_KEYS_FLAT or path.endswith(JSON_STRING_SUFFIXES):
            if value is not None:
                flat[path] = value
        elif isinstance(value, Mapping) and value:
            _flatten_into(flat, f"{path}.", value)
        elif isinstance(value, list) and value and all(isinstance(item, Mapping) for item in value):
            for index, item in enumerate(value):
                _flatten_into(flat, f"{path}.{index}.", item)
        elif value is not None:
            flat[path] = value
