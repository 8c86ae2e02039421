"""Span attributes in the shapes Phoenix answers with.

Spans keep their attributes nested (``{"llm": {"input_messages": [{"message": {"role":
"user"}}]}}``). Phoenix's answers flatten that document in two ways, and so do ours:

- :func:`dotted_attributes` (``GET /v1/projects/{id}/spans`` and ``.../spans/otlpv1``): every
  object, and every list holding an object, is walked to dotted keys with list positions
  (``llm.input_messages.0.message.role``); lists of plain values stay values
  (``embedding.embeddings.0.embedding.vector``), and so does text.
- :func:`semantic_columns` (the ``attributes.*`` columns of ``get_spans_dataframe``): keys are
  the OpenInference conventions, kept whole, so a list-valued attribute is one column holding a
  list of objects whose keys are conventions too (``attributes.llm.input_messages`` ->
  ``[{"message.role": "user", "message.contents": [{"message_content.type": "text", ...}]}]``);
  the attributes that carry JSON (``metadata``, ``llm.prompt_template.variables``,
  ``tool.parameters``, ``document.metadata``) are one object each; an attribute outside the
  conventions is an object under its first segment (``{"custom": {"a": 1}}``).

Both follow Phoenix's ``phoenix.trace.attributes`` (``flatten(..., recurse_on_sequence=True)``,
and ``unflatten`` with the conventions as prefix exclusions, as ``phoenix.trace.dsl.query``
calls them), including its edges: ``None`` and empty objects leave no key, and a list holding
at least one object keeps only its objects.
"""

from __future__ import annotations

from typing import Any

import orjson

SEMANTIC_CONVENTIONS = frozenset(
    {
        "agent.name",
        "annotation.annotator_kind", "annotation.explanation", "annotation.identifier",
        "annotation.label", "annotation.metadata", "annotation.name", "annotation.score",
        "annotations",
        "audio.mime_type", "audio.transcript", "audio.url",
        "completion.text",
        "decision.model_name", "decision.provider", "decision.request.model_name",
        "decision.response.model_name", "decision.system", "decision.token_count.input",
        "decision.token_count.output",
        "document.content", "document.id", "document.metadata", "document.mime_type",
        "document.name", "document.score", "document.url",
        "embedding.embeddings", "embedding.invocation_parameters", "embedding.model_name",
        "embedding.text", "embedding.vector",
        "evaluation.annotator_kind", "evaluation.explanation", "evaluation.identifier",
        "evaluation.label", "evaluation.metadata", "evaluation.name", "evaluation.score",
        "evaluations",
        "graph.node.id", "graph.node.name", "graph.node.parent_id",
        "image.url",
        "input.documents", "input.images", "input.mime_type", "input.value",
        "llm.choices", "llm.cost.completion", "llm.cost.completion_details",
        "llm.cost.completion_details.audio", "llm.cost.completion_details.output",
        "llm.cost.completion_details.reasoning", "llm.cost.prompt", "llm.cost.prompt_details",
        "llm.cost.prompt_details.audio", "llm.cost.prompt_details.cache_input",
        "llm.cost.prompt_details.cache_read", "llm.cost.prompt_details.cache_write",
        "llm.cost.prompt_details.input", "llm.cost.total", "llm.finish_reason",
        "llm.function_call", "llm.input_messages", "llm.invocation_parameters", "llm.model_name",
        "llm.output_messages", "llm.prompt_template.template", "llm.prompt_template.variables",
        "llm.prompt_template.version", "llm.prompts", "llm.provider", "llm.request.model_name",
        "llm.response.model_name", "llm.system", "llm.token_count.completion",
        "llm.token_count.completion_details.audio", "llm.token_count.completion_details.reasoning",
        "llm.token_count.prompt", "llm.token_count.prompt_details",
        "llm.token_count.prompt_details.audio", "llm.token_count.prompt_details.cache_input",
        "llm.token_count.prompt_details.cache_read", "llm.token_count.prompt_details.cache_write",
        "llm.token_count.total", "llm.tools",
        "message.content", "message.contents", "message.function_call_arguments_json",
        "message.function_call_name", "message.name", "message.role", "message.tool_call_id",
        "message.tool_calls",
        "message_content.audio", "message_content.data", "message_content.document",
        "message_content.encrypted_content", "message_content.id", "message_content.image",
        "message_content.signature", "message_content.text", "message_content.type",
        "message_content.video",
        "metadata",
        "openinference.span.kind",
        "output.documents", "output.images", "output.mime_type", "output.value",
        "prompt.id", "prompt.text", "prompt.url", "prompt.vendor",
        "reranker.input_documents", "reranker.model_name", "reranker.output_documents",
        "reranker.query", "reranker.top_k",
        "retrieval.documents",
        "session.annotations", "session.evaluations", "session.id",
        "tag.tags",
        "tool.description", "tool.id", "tool.json_schema", "tool.name", "tool.parameters",
        "tool_call.function.arguments", "tool_call.function.name", "tool_call.id",
        "tool_call.reasoning_signature",
        "trace.annotations", "trace.evaluations",
        "user.id",
        "video.url",
    }
)  # fmt: skip
"""Every attribute key of the OpenInference conventions (openinference-semantic-conventions
0.1.42, what Phoenix reads them from); a unit test holds this to the installed package."""

JSON_STRING_ATTRIBUTES = (
    "document.metadata",
    "llm.prompt_template.variables",
    "metadata",
    "tool.parameters",
)
"""Attributes whose value is a JSON object (matched at the end of a key, as Phoenix does)."""

_PARTITION_CACHE_LIMIT = 1 << 16
# key -> (its first part, the rest): keys repeat across spans, so this stays small; it is
# emptied when attributes invent keys without end.
_partitions: dict[str, tuple[str, str]] = {}

_LAYOUTS_LIMIT = 4096
# The columns' shape by key sequence: spans of one instrumentation share their keys, so a frame
# of them builds the shape once and fills it per span (about ten times faster). Emptied when
# full, like the partitions.
_layouts: dict[tuple[str, ...], dict[str, Any]] = {}


def dotted_attributes(attributes: dict[str, Any]) -> dict[str, Any]:
    """Flat dotted keys, walking objects and lists that hold objects (Phoenix's REST shape)."""
    flat: dict[str, Any] = {}
    _walk_object(flat, "", attributes)
    return flat


def dotted_object(value: dict[str, Any]) -> dict[str, Any]:
    """Flat dotted keys, walking objects only: lists stay values (an exploded list's items)."""
    flat: dict[str, Any] = {}
    _walk_object(flat, "", value, lists=False)
    return flat


def _walk_object(
    flat: dict[str, Any], prefix: str, mapping: dict[str, Any], *, lists: bool = True
) -> None:
    # A loop over the items, recursing only into containers: a frame of 1,000 spans spends its
    # time here.
    for key, value in mapping.items():
        path = f"{prefix}{key}"
        kind = type(value)
        if kind is dict:
            _walk_object(flat, f"{path}.", value, lists=lists)
        elif kind is list and lists and dict in map(type, value):
            for index, item in enumerate(value):
                if type(item) is dict:
                    _walk_object(flat, f"{path}.{index}.", item)
        elif value is not None:
            flat[path] = value


def semantic_columns(attributes: dict[str, Any]) -> dict[str, Any]:
    """The attributes as ``get_spans_dataframe`` columns them (see the module docstring)."""
    pairs = _json_string_pairs(attributes)
    keys = tuple(key for key, _ in pairs)
    layout = _layouts.get(keys)
    if layout is None:
        if len(_layouts) >= _LAYOUTS_LIMIT:
            _layouts.clear()
        layout = _layouts[keys] = _layout(keys)
    filled: dict[str, Any] = _fill(layout, [value for _, value in pairs])
    return filled


def _layout(keys: tuple[str, ...]) -> dict[str, Any]:
    """The columns of attributes with these dotted keys, each value a ``_Slot`` naming its
    key's position: the shape depends on the keys alone (``None`` values are left out before)."""
    root = _Node()
    for position, dotted in enumerate(keys):
        node, key = root, dotted
        while True:
            part, rest = _partition(key)
            if part.isdigit() and part.isascii():
                node = node.index(int(part)) if rest else node.branch(int(part))
            else:
                node = node.branch(part)
            if not rest:
                break
            key = rest
        node.set_value(_Slot(position))
    return dict(root.items(""))


def _fill(layout: Any, values: list[Any]) -> Any:
    kind = type(layout)
    if kind is _Slot:
        return values[layout.position]
    if kind is dict:
        return {key: _fill(item, values) for key, item in layout.items()}
    return [_fill(item, values) for item in layout]


class _Slot:
    """Stands for the value of the key at ``position`` in a layout."""

    __slots__ = ("position",)

    def __init__(self, position: int) -> None:
        self.position = position


def _json_string_pairs(attributes: dict[str, Any]) -> list[tuple[str, Any]]:
    """Dotted pairs as Phoenix's frame starts from: walked like :func:`dotted_attributes`, but
    the JSON-carrying attributes stay whole (an object, or their text parsed as JSON)."""
    pairs: list[tuple[str, Any]] = []
    _collect_pairs(pairs, "", attributes)
    return pairs


def _collect_pairs(pairs: list[tuple[str, Any]], prefix: str, mapping: dict[str, Any]) -> None:
    for key, value in mapping.items():
        path = f"{prefix}{key}"
        kind = type(value)
        if kind is dict:
            if path.endswith(JSON_STRING_ATTRIBUTES):
                pairs.append((path, value))
            else:
                _collect_pairs(pairs, f"{path}.", value)
        elif kind is list and dict in map(type, value):
            for index, item in enumerate(value):
                if type(item) is dict:
                    _collect_pairs(pairs, f"{path}.{index}.", item)
        elif kind is str and path.endswith(JSON_STRING_ATTRIBUTES):
            try:
                parsed = orjson.loads(value)
            except orjson.JSONDecodeError:
                pairs.append((path, value))
            else:
                if parsed is not None:
                    pairs.append((path, parsed))
        elif value is not None:
            pairs.append((path, value))


def _partition(key: str) -> tuple[str, str]:
    """``key`` split after its longest leading convention, else at its first dot; the first
    part without surrounding spaces (Phoenix strips them)."""
    found = _partitions.get(key)
    if found is not None:
        return found
    end = len(key)
    while end > 0:
        if key[:end] in SEMANTIC_CONVENTIONS:
            found = (key[:end].strip(), key[end + 1 :])
            break
        end = key.rfind(".", 0, end)
    if found is None:
        part, _, rest = key.partition(".")
        found = (part.strip(), rest)
    if len(_partitions) >= _PARTITION_CACHE_LIMIT:
        _partitions.clear()
    _partitions[key] = found
    return found


class _Node:
    """A node of Phoenix's attribute trie: a value, list positions, or object keys.

    A number followed by more of the key is a list position, unless the node holds a value or
    already has that number as a key; a node given a value turns its positions into keys.
    """

    __slots__ = ("branches", "children", "indices", "value")

    def __init__(self) -> None:
        self.value: Any = None
        self.indices: dict[str | int, None] = {}
        self.branches: dict[str | int, None] = {}
        self.children: dict[str | int, _Node] = {}

    def child(self, name: str | int) -> _Node:
        node = self.children.get(name)
        if node is None:
            node = self.children[name] = _Node()
        return node

    def index(self, position: int) -> _Node:
        if self.value is not None:
            self.branches[position] = None
        elif position not in self.branches:
            self.indices[position] = None
        return self.child(position)

    def branch(self, name: str | int) -> _Node:
        self.indices.pop(name, None)
        self.branches[name] = None
        return self.child(name)

    def set_value(self, value: Any) -> None:
        self.value = value
        self.branches.update(self.indices)
        self.indices.clear()

    def items(self, prefix: str) -> list[tuple[str, Any]]:
        """(key, value) pairs of this node at ``prefix`` ("" for an object's own keys)."""
        found: list[tuple[str, Any]] = []
        if self.value is not None:
            found.append((prefix, self.value))
        elif prefix and self.indices:
            positions = sorted(int(position) for position in self.indices)
            items = [dict(self.children[position].items("")) for position in positions]
            found.append((prefix, items))
        elif self.indices:
            for position in self.indices:
                found.extend(self.children[position].items(str(position)))
        elif prefix:
            return [(prefix, dict(self.items("")))]
        for name in self.branches:
            found.extend(self.children[name].items(f"{prefix}.{name}" if prefix else str(name)))
        return found
