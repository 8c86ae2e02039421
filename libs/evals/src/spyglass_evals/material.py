"""What an evaluator is given about its target: a span, a trace, a session or an experiment run.

The worker (and the query API's "test on a span") read the target's stored rows and turn them
into *material* here, named as judges' variables are (:data:`~spyglass_evals.JUDGE_VARIABLES`):

============  ===================================================================================
``input``     a span's ``input.value``; a trace's root span's; a session's conversation (a list
              of ``{"input", "output"}`` turns, oldest first); a run's example input
``output``    a span's ``output.value``; a trace's root span's; a session's last answer; a run's
              output
``expected``  a run's example output (also ``reference``)
``metadata``  a span's ``metadata`` attribute (parsed when it is JSON text); an example's
``context``   a retriever span's documents' contents, joined (also ``documents``)
``tools``     the tools offered to the model (``llm.tools``)
``tool_calls``the tool calls the model made (``llm.output_messages``)
``attributes``a span's attributes as stored (nested), for mappings (``attributes.llm.model_name``)
============  ===================================================================================

Every function takes values as PostgreSQL returned them (JSONB decoded) and never raises on
their shape: a span's attributes can be anything its application sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson


def span_material(attributes: Any) -> dict[str, Any]:
    """The material of one span, from its attributes (nested JSONB, as stored)."""
    tree = attributes if isinstance(attributes, Mapping) else {}
    material: dict[str, Any] = {
        "input": _at(tree, "input", "value"),
        "output": _at(tree, "output", "value"),
        "metadata": _parsed(tree.get("metadata")),
        "attributes": tree,
    }
    documents = _documents(tree)
    if documents:
        material["context"] = material["documents"] = "\n\n".join(documents)
    tools = _at(tree, "llm", "tools")
    if tools is not None:
        material["tools"] = tools
    calls = _tool_calls(tree)
    if calls:
        material["tool_calls"] = calls
    return material


def session_material(turns: Sequence[Any]) -> dict[str, Any]:
    """The material of a session, from its traces' root spans' attributes, oldest first."""
    conversation = []
    for attributes in turns:
        tree = attributes if isinstance(attributes, Mapping) else {}
        conversation.append(
            {"input": _at(tree, "input", "value"), "output": _at(tree, "output", "value")}
        )
    return {
        "input": conversation,
        "output": conversation[-1]["output"] if conversation else None,
        "metadata": None,
    }


def run_material(output: Any, example_input: Any, expected: Any, metadata: Any) -> dict[str, Any]:
    """The material of an experiment run: its output, and its example's input, output (as
    ``expected``) and metadata, as Phoenix's evaluators get them (the example's objects whole:
    map ``expected.answer`` to reach into one). A run output stored as ``{"task_output": ...}``
    (how runs are written) is unwrapped."""
    if isinstance(output, Mapping) and set(output) == {"task_output"}:
        output = output["task_output"]
    return {
        "input": example_input,
        "output": output,
        "expected": expected,
        "reference": expected,
        "metadata": metadata if isinstance(metadata, Mapping) else {},
    }


def _at(tree: Mapping[str, Any], *path: str) -> Any:
    value: Any = tree
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _parsed(value: Any) -> Any:
    """JSON text as the value it holds (metadata is often sent as text); else ``value``."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


def _documents(tree: Mapping[str, Any]) -> list[str]:
    documents = _at(tree, "retrieval", "documents")
    if not isinstance(documents, list):
        return []
    texts = []
    for item in documents:
        content = _at(item, "document", "content") if isinstance(item, Mapping) else None
        if isinstance(content, str):
            texts.append(content)
    return texts


def _tool_calls(tree: Mapping[str, Any]) -> list[dict[str, Any]]:
    messages = _at(tree, "llm", "output_messages")
    if not isinstance(messages, list):
        return []
    calls = []
    for message in messages:
        listed = _at(message, "message", "tool_calls") if isinstance(message, Mapping) else None
        for call in listed if isinstance(listed, list) else []:
            function = _at(call, "tool_call", "function") if isinstance(call, Mapping) else None
            if isinstance(function, Mapping):
                calls.append(
                    {"name": function.get("name"), "arguments": _parsed(function.get("arguments"))}
                )
    return calls
