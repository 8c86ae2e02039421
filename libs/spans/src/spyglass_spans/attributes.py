"""Span attributes: from OTLP values to the nested OpenInference document that is stored.

The steps, in order, on a flat mapping of dotted keys (``llm.token_count.prompt``):

1. ``gen_ai.*`` (OpenTelemetry GenAI semantic conventions) become the OpenInference keys they
   mean, never overwriting an OpenInference key the span already has;
2. token counts become integers, and the total is filled in from prompt + completion;
3. attributes that carry JSON as a string (``metadata``, ``tool.parameters``...) are parsed;
   a non-string ``input.value`` / ``output.value`` is serialized as JSON;
4. the dotted keys are unflattened into nested objects, numeric segments into lists, which is
   how Phoenix stores attributes and how the span filter language addresses them.
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Iterable
from typing import Any

import orjson
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from spyglass_core.errors import PayloadTooLargeError

Attributes = dict[str, Any]

TOKEN_KEYS = ("llm.token_count.prompt", "llm.token_count.completion", "llm.token_count.total")

_JSON_STRING_KEYS = frozenset({"metadata", "llm.prompt_template.variables", "tool.parameters"})
_JSON_STRING_SUFFIXES = (".document.metadata",)

_OPERATION_KINDS = {
    "chat": "LLM",
    "text_completion": "LLM",
    "generate_content": "LLM",
    "embeddings": "EMBEDDING",
    "execute_tool": "TOOL",
    "invoke_agent": "AGENT",
    "create_agent": "AGENT",
}

# gen_ai.* key -> OpenInference key, applied when the OpenInference key is absent. Earlier
# entries for the same target win.
_GEN_AI_KEYS = (
    ("gen_ai.response.model", "llm.model_name"),
    ("gen_ai.request.model", "llm.model_name"),
    ("gen_ai.provider.name", "llm.provider"),
    ("gen_ai.system", "llm.provider"),
    ("gen_ai.system", "llm.system"),
    ("gen_ai.provider.name", "llm.system"),
    ("gen_ai.usage.input_tokens", "llm.token_count.prompt"),
    ("gen_ai.usage.prompt_tokens", "llm.token_count.prompt"),
    ("gen_ai.usage.output_tokens", "llm.token_count.completion"),
    ("gen_ai.usage.completion_tokens", "llm.token_count.completion"),
    ("gen_ai.usage.cache_read_input_tokens", "llm.token_count.prompt_details.cache_read"),
    ("gen_ai.usage.cache_read.input_tokens", "llm.token_count.prompt_details.cache_read"),
    ("gen_ai.usage.cache_creation_input_tokens", "llm.token_count.prompt_details.cache_write"),
    ("gen_ai.usage.cache_creation.input_tokens", "llm.token_count.prompt_details.cache_write"),
    ("gen_ai.usage.reasoning_tokens", "llm.token_count.completion_details.reasoning"),
    ("gen_ai.tool.name", "tool.name"),
    ("gen_ai.tool.description", "tool.description"),
    ("gen_ai.agent.name", "agent.name"),
    ("gen_ai.conversation.id", "session.id"),
)
_GEN_AI_PARAMETER_PREFIX = "gen_ai.request."
_GEN_AI_PARAMETERS_SKIPPED = frozenset({"gen_ai.request.model"})


def value_of(value: AnyValue) -> Any:
    """An OTLP ``AnyValue`` as a JSON-compatible Python value (bytes become base64)."""
    kind = value.WhichOneof("value")
    if kind == "string_value":
        return value.string_value
    if kind == "int_value":
        return value.int_value
    if kind == "double_value":
        return value.double_value
    if kind == "bool_value":
        return value.bool_value
    if kind == "array_value":
        return [value_of(item) for item in value.array_value.values]
    if kind == "kvlist_value":
        return {item.key: value_of(item.value) for item in value.kvlist_value.values}
    if kind == "bytes_value":
        return base64.b64encode(value.bytes_value).decode()
    return None


def decode_key_values(
    key_values: Iterable[KeyValue], max_value_bytes: int, where: str
) -> Attributes:
    """A flat ``{key: value}`` of OTLP attributes.

    Raises:
        PayloadTooLargeError: a string value is longer than ``max_value_bytes``; names the key.
    """
    attributes: Attributes = {}
    for item in key_values:
        value = value_of(item.value)
        if isinstance(value, str) and len(value) * 4 > max_value_bytes:
            size = len(value.encode())
            if size > max_value_bytes:
                raise PayloadTooLargeError(
                    f"attribute {item.key!r} of {where} is {size} bytes, over the "
                    f"{max_value_bytes}-byte limit"
                )
        attributes[item.key] = value
    return attributes


def normalize(attributes: Attributes) -> Attributes:
    """Steps 1-3 of the module docstring, in place; returns ``attributes``."""
    if any(key.startswith("gen_ai.") for key in attributes):
        _map_gen_ai(attributes)
    prompt = _integer(attributes, "llm.token_count.prompt")
    completion = _integer(attributes, "llm.token_count.completion")
    total = _integer(attributes, "llm.token_count.total")
    if total is None and (prompt is not None or completion is not None):
        attributes["llm.token_count.total"] = (prompt or 0) + (completion or 0)
    for key, value in attributes.items():
        if isinstance(value, str) and value[:1] in ("{", "[") and _carries_json(key):
            with contextlib.suppress(orjson.JSONDecodeError):  # not JSON after all: keep it
                attributes[key] = orjson.loads(value)
    for key in ("input", "output"):
        value = attributes.get(f"{key}.value")
        if value is not None and not isinstance(value, str):
            attributes[f"{key}.value"] = orjson.dumps(value).decode()
            attributes[f"{key}.mime_type"] = "application/json"
    return attributes


def _carries_json(key: str) -> bool:
    return key in _JSON_STRING_KEYS or key.endswith(_JSON_STRING_SUFFIXES)


def _integer(attributes: Attributes, key: str) -> int | None:
    value = attributes.get(key)
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    try:
        number = int(float(value))
    except (TypeError, ValueError):
        del attributes[key]
        return None
    attributes[key] = number
    return number


def _map_gen_ai(attributes: Attributes) -> None:
    for source, target in _GEN_AI_KEYS:
        if target not in attributes and source in attributes:
            attributes[target] = attributes[source]
    if "openinference.span.kind" not in attributes:
        kind = _OPERATION_KINDS.get(str(attributes.get("gen_ai.operation.name", "")))
        if kind:
            attributes["openinference.span.kind"] = kind
    if "llm.invocation_parameters" not in attributes:
        parameters = {
            key.removeprefix(_GEN_AI_PARAMETER_PREFIX): value
            for key, value in attributes.items()
            if key.startswith(_GEN_AI_PARAMETER_PREFIX) and key not in _GEN_AI_PARAMETERS_SKIPPED
        }
        if parameters:
            attributes["llm.invocation_parameters"] = orjson.dumps(parameters).decode()
    if not any(key.startswith("llm.input_messages.") for key in attributes):
        messages = _gen_ai_messages(attributes.get("gen_ai.input.messages"))
        instructions = _gen_ai_text(attributes.get("gen_ai.system_instructions"))
        if instructions:
            messages.insert(0, ("system", instructions))
        _set_messages(attributes, "llm.input_messages", messages)
    if not any(key.startswith("llm.output_messages.") for key in attributes):
        _set_messages(
            attributes,
            "llm.output_messages",
            _gen_ai_messages(attributes.get("gen_ai.output.messages")),
        )


def _gen_ai_messages(raw: Any) -> list[tuple[str, str]]:
    """``(role, text)`` of GenAI-convention messages: a JSON list of ``{role, parts}``."""
    if isinstance(raw, str):
        try:
            raw = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return []
    if not isinstance(raw, list):
        return []
    messages = []
    for message in raw:
        if isinstance(message, dict):
            text = _gen_ai_text(message.get("parts", message.get("content")))
            messages.append((str(message.get("role", "")), text))
    return messages


def _gen_ai_text(parts: Any) -> str:
    if isinstance(parts, str):
        try:
            parts = orjson.loads(parts) if parts[:1] in ("[", "{") else parts
        except orjson.JSONDecodeError:
            return str(parts)
    if isinstance(parts, str):
        return parts
    if isinstance(parts, list):
        return "".join(
            str(part.get("content", "")) if isinstance(part, dict) else str(part) for part in parts
        )
    return ""


def _set_messages(attributes: Attributes, prefix: str, messages: list[tuple[str, str]]) -> None:
    for index, (role, content) in enumerate(messages):
        attributes[f"{prefix}.{index}.message.role"] = role
        attributes[f"{prefix}.{index}.message.content"] = content


def unflatten(attributes: Attributes) -> dict[str, Any]:
    """Nest dotted keys (``a.b.0.c``) into objects; objects keyed ``0..n`` become lists.

    Where a key is both a value and a prefix (``a`` and ``a.b``), the longer key is kept flat
    under the deepest object that exists (``{"a": 1, "a.b": 2}``) rather than lost. The root
    stays an object even if every key is a number.
    """
    root: dict[str, Any] = {}
    # Objects that got a numeric key: (depth, parent, key in parent, object).
    numbered: dict[int, tuple[int, dict[str, Any], str, dict[str, Any]]] = {}
    for key, value in attributes.items():
        if "." not in key:
            if isinstance(root.get(key), dict):
                root[key][""] = value
            else:
                root[key] = value
            continue
        node = root
        segments = key.split(".")
        last = len(segments) - 1
        for position, segment in enumerate(segments):
            if position == last:
                if isinstance(node.get(segment), dict):
                    node[segment][""] = value
                else:
                    node[segment] = value
                break
            child = node.get(segment)
            if child is None:
                child = node[segment] = {}
            elif not isinstance(child, dict):
                node[".".join(segments[position:])] = value
                break
            if segments[position + 1].isdigit() and id(child) not in numbered:
                numbered[id(child)] = (position, node, segment, child)
            node = child
    for _, parent, key, node in sorted(numbered.values(), key=lambda item: -item[0]):
        if all(index.isdigit() for index in node):
            ordered = sorted(node, key=int)
            if [int(index) for index in ordered] == list(range(len(ordered))):
                parent[key] = [node[index] for index in ordered]
    return root
