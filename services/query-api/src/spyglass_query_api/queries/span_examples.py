"""A span's input, output and metadata as a dataset example, by Phoenix's rules
(``addSpansToDataset``); pure functions of the stored span (nested OpenInference attributes).

* **input**: an LLM span's ``llm.input_messages`` as ``{"messages": [...]}`` (else its
  ``input.value``), with its prompt template variables lifted to the top and its tools'
  JSON schemas as ``tools``; any other span's ``input.value``: the object itself when the mime
  type is JSON and it decodes to one, ``{"input": <value>}`` otherwise.
* **output**: an LLM span's ``llm.output_messages`` (consecutive assistant messages merged into
  one, as the OpenAI Responses instrumentation splits them), a retriever's documents as
  ``{"documents": [...]}``, else ``output.value`` as for the input (``{"output": ...}``).
* **metadata**: the span's ``metadata`` attribute, with ``span_kind`` and its annotations by
  name (``annotations``: ``{name: [{label, score, explanation, ...}]}``).

A message is ``{role, content?, name?, tool_calls?}``: role defaults to ``assistant``; content
is ``message.content``, else the text parts of ``message.contents`` joined by blank lines;
function and tool calls become ``tool_calls: [{function: {name, arguments}}]`` with arguments
decoded from JSON where they decode.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson

JSON_MIME_TYPE = "application/json"


def attribute(attributes: Any, dotted: str) -> Any:
    """The value at a dotted OpenInference key (``llm.input_messages``) of nested attributes."""
    value = attributes
    for key in dotted.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _decoded(value: Any) -> Any:
    """``value`` decoded from JSON text (an object as it is); None if it does not decode."""
    if isinstance(value, dict):
        return value
    if not isinstance(value, str):
        return None
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        return None


def _io_value(value: Any, mime_type: Any, kind: str) -> dict[str, Any]:
    if mime_type == JSON_MIME_TYPE and (decoded := _decoded(value)) is not None:
        return decoded if isinstance(decoded, dict) else {kind: decoded}
    return {kind: value} if isinstance(value, str) else {}


def _sequence(value: Any) -> Sequence[Any]:
    return value if isinstance(value, list) else ()


def _tool_call(name: Any, arguments: Any) -> dict[str, Any]:
    decoded = _decoded(arguments)
    return {
        "function": {"name": name or "", "arguments": arguments if decoded is None else decoded}
    }


def _content(message: Mapping[str, Any]) -> Any:
    content = attribute(message, "message.content")
    if content is not None:
        return content
    texts = [
        text
        for part in _sequence(attribute(message, "message.contents"))
        if isinstance(text := attribute(part, "message_content.text"), str)
    ]
    return "\n\n".join(texts) if texts else None


def message(value: Any) -> dict[str, Any]:
    """One OpenInference message (``{"message": {...}}``) as a dataset example's message."""
    tool_calls = []
    function_name = attribute(value, "message.function_call_name")
    function_arguments = attribute(value, "message.function_call_arguments_json")
    if function_name is not None or function_arguments is not None:
        tool_calls.append(_tool_call(function_name, function_arguments))
    for call in _sequence(attribute(value, "message.tool_calls")):
        name = attribute(call, "tool_call.function.name")
        arguments = attribute(call, "tool_call.function.arguments")
        if name is not None or arguments is not None:
            tool_calls.append(_tool_call(name, arguments))
    result: dict[str, Any] = {"role": attribute(value, "message.role") or "assistant"}
    if (content := _content(value)) is not None:
        result["content"] = content
    if (name := attribute(value, "message.name")) is not None:
        result["name"] = name
    if tool_calls:
        result["tool_calls"] = tool_calls
    return result


def _merged_assistant_turns(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each run of consecutive assistant messages as one turn holding the run's first content
    and all its tool calls (no name, as Phoenix rebuilds it)."""
    merged: list[dict[str, Any]] = []
    for item in messages:
        if item["role"] != "assistant":
            merged.append(item)
            continue
        if merged and merged[-1]["role"] == "assistant":
            turn = merged[-1]
        else:
            turn = {"role": "assistant"}
            merged.append(turn)
        if "content" not in turn and "content" in item:
            turn["content"] = item["content"]
        if item.get("tool_calls"):
            turn["tool_calls"] = [*turn.get("tool_calls", []), *item["tool_calls"]]
    return merged


def example_input(span_kind: str, attributes: Mapping[str, Any]) -> dict[str, Any]:
    """The example input a span gives."""
    value = attribute(attributes, "input.value")
    mime_type = attribute(attributes, "input.mime_type")
    if span_kind != "LLM":
        return _io_value(value, mime_type, "input")
    messages = [message(item) for item in _sequence(attribute(attributes, "llm.input_messages"))]
    result = {"messages": messages} if messages else _io_value(value, mime_type, "input")
    variables = _decoded(attribute(attributes, "llm.prompt_template.variables"))
    if isinstance(variables, dict) and variables:
        result.update(variables)
    schemas = [
        schema
        for tool in _sequence(attribute(attributes, "llm.tools"))
        if (schema := attribute(tool, "tool.json_schema"))
    ]
    if schemas:
        result["tools"] = [_decoded(schema) for schema in schemas]
    return result


def example_output(span_kind: str, attributes: Mapping[str, Any]) -> dict[str, Any]:
    """The example output a span gives."""
    value = attribute(attributes, "output.value")
    mime_type = attribute(attributes, "output.mime_type")
    if span_kind == "LLM":
        raw = [message(item) for item in _sequence(attribute(attributes, "llm.output_messages"))]
        if raw:
            return {"messages": _merged_assistant_turns(raw)}
    elif span_kind == "RETRIEVER":
        documents = attribute(attributes, "retrieval.documents")
        if isinstance(documents, list) and all(
            isinstance(item, dict) and item.get("document") for item in documents
        ):
            return {"documents": [item["document"] for item in documents]}
    return _io_value(value, mime_type, "output")


def example_metadata(
    span_kind: str, attributes: Mapping[str, Any], annotations: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The example metadata a span gives; ``annotations`` are its annotations (each with
    ``name``, ``label``, ``score``, ``explanation``, ``metadata``, ``annotator_kind``), in
    name order."""
    by_name: dict[str, list[dict[str, Any]]] = {}
    for annotation in annotations:
        by_name.setdefault(annotation["name"], []).append(
            {
                "label": annotation["label"],
                "score": annotation["score"],
                "explanation": annotation["explanation"],
                "metadata": annotation["metadata"],
                "annotator_kind": annotation["annotator_kind"],
                "user_id": None,
                "username": None,
                "email": None,
            }
        )
    metadata = attribute(attributes, "metadata")
    return {
        **(metadata if isinstance(metadata, dict) else {}),
        "span_kind": span_kind,
        "annotations": by_name,
    }
