"""OpenTelemetry GenAI conventions (``gen_ai.*``) as the OpenInference attributes they mean.

Instrumentations that follow the OTel GenAI semantic conventions (or OpenLLMetry's older
``gen_ai.prompt.N.*`` keys) describe the same facts as OpenInference under other names. Like
Phoenix, we fill in the OpenInference keys from them so that such spans get a kind, a model, token
counts, a cost and readable messages. A key the span already has is never overwritten, and the
``gen_ai.*`` keys themselves are kept.
"""

from __future__ import annotations

from typing import Any

import orjson

from spyglass_core.storable import MAX_JSON_DEPTH, json_depth_exceeds
from spyglass_spans.rejections import parses_deeper_than

OPERATION = "gen_ai.operation.name"
SPAN_KIND = "openinference.span.kind"
INPUT_MESSAGES = "llm.input_messages"
OUTPUT_MESSAGES = "llm.output_messages"

_OPERATION_KINDS = {
    "chat": "LLM",
    "text_completion": "LLM",
    "generate_content": "LLM",
    "completion": "LLM",  # OpenLLMetry's llm.request.type
    "embeddings": "EMBEDDING",
    "embedding": "EMBEDDING",
    "execute_tool": "TOOL",
    "retrieval": "RETRIEVER",
    "invoke_agent": "AGENT",
    "create_agent": "AGENT",
}

# gen_ai.provider.name (or the older gen_ai.system) -> (llm.provider, llm.system), as
# OpenInference spells them. Unknown names become llm.system as they are.
_PROVIDERS: dict[str, tuple[str | None, str | None]] = {
    "openai": ("openai", "openai"),
    "anthropic": ("anthropic", "anthropic"),
    "cohere": ("cohere", "cohere"),
    "mistral_ai": ("mistralai", "mistralai"),
    "deepseek": ("deepseek", None),
    "groq": ("groq", None),
    "perplexity": ("perplexity", None),
    "x_ai": ("xai", None),
    "xai": ("xai", None),
    "azure.ai.openai": ("azure", "openai"),
    "az.ai.openai": ("azure", "openai"),
    "azure.ai.inference": ("azure", None),
    "az.ai.inference": ("azure", None),
    "aws.bedrock": ("aws", None),
    "gcp.vertex_ai": ("google", "vertexai"),
    "vertex_ai": ("google", "vertexai"),
    "gcp.gen_ai": ("google", None),
    "gcp.gemini": ("google", None),
    "gemini": ("google", None),
}

# gen_ai key -> OpenInference key, each applied when the OpenInference key is absent. For the
# same target the earlier source wins (the newer convention before the older one).
_RENAMES = (
    ("gen_ai.response.model", "llm.model_name"),
    ("gen_ai.request.model", "llm.model_name"),
    ("gen_ai.usage.input_tokens", "llm.token_count.prompt"),
    ("gen_ai.usage.prompt_tokens", "llm.token_count.prompt"),
    ("gen_ai.usage.output_tokens", "llm.token_count.completion"),
    ("gen_ai.usage.completion_tokens", "llm.token_count.completion"),
    ("llm.usage.total_tokens", "llm.token_count.total"),
    ("gen_ai.usage.cache_read.input_tokens", "llm.token_count.prompt_details.cache_read"),
    ("gen_ai.usage.cache_read_input_tokens", "llm.token_count.prompt_details.cache_read"),
    ("gen_ai.usage.cache_creation.input_tokens", "llm.token_count.prompt_details.cache_write"),
    ("gen_ai.usage.cache_creation_input_tokens", "llm.token_count.prompt_details.cache_write"),
    ("gen_ai.usage.reasoning.output_tokens", "llm.token_count.completion_details.reasoning"),
    ("gen_ai.conversation.id", "session.id"),
    ("gen_ai.agent.name", "agent.name"),
    ("gen_ai.tool.name", "tool.name"),
    ("gen_ai.tool.description", "tool.description"),
    ("gen_ai.tool.call.id", "tool.id"),
)

# gen_ai.request.* -> the name in llm.invocation_parameters (OpenAI's spelling).
_PARAMETERS = (
    ("gen_ai.request.temperature", "temperature"),
    ("gen_ai.request.top_p", "top_p"),
    ("gen_ai.request.top_k", "top_k"),
    ("gen_ai.request.max_tokens", "max_tokens"),
    ("gen_ai.request.frequency_penalty", "frequency_penalty"),
    ("gen_ai.request.presence_penalty", "presence_penalty"),
    ("gen_ai.request.seed", "seed"),
    ("gen_ai.request.stop_sequences", "stop"),
    ("gen_ai.request.choice.count", "n"),
    ("gen_ai.request.stream", "stream"),
)

GEN_AI_KEYS = frozenset(
    {source for source, _ in _RENAMES}
    | {source for source, _ in _PARAMETERS}
    | {
        OPERATION,
        "gen_ai.provider.name",
        "gen_ai.system",
        "gen_ai.input.messages",
        "gen_ai.output.messages",
        "gen_ai.system_instructions",
        "gen_ai.tool.call.arguments",
        "gen_ai.tool.call.result",
        "gen_ai.prompt.0.content",
        "gen_ai.completion.0.content",
        "llm.request.type",
    }
)
"""Keys whose presence means a span may carry GenAI conventions worth mapping."""


def map_gen_ai(attributes: dict[str, Any]) -> None:
    """Fill in OpenInference keys from the GenAI ones in flat ``attributes``, in place."""
    kind = attributes.get(SPAN_KIND)
    if kind is None:
        kind = _infer_kind(attributes)
        if kind is not None:
            attributes[SPAN_KIND] = kind
    provider_name = attributes.get("gen_ai.provider.name") or attributes.get("gen_ai.system")
    if isinstance(provider_name, str) and provider_name:
        provider, system = _PROVIDERS.get(provider_name.lower(), (None, provider_name))
        if provider is not None:
            attributes.setdefault("llm.provider", provider)
        if system is not None:
            attributes.setdefault("llm.system", system)
    is_embedding = str(kind).upper() == "EMBEDDING"
    for source, target in _RENAMES:
        if source in attributes and target not in attributes:
            if is_embedding and target == "llm.model_name":
                target = "embedding.model_name"
            attributes.setdefault(target, attributes[source])
    parameters = {name: attributes[key] for key, name in _PARAMETERS if key in attributes}
    if parameters:
        target = "embedding.invocation_parameters" if is_embedding else "llm.invocation_parameters"
        attributes.setdefault(target, orjson.dumps(parameters).decode())
    _map_tool_call(attributes)
    _map_messages(attributes)


def _infer_kind(attributes: dict[str, Any]) -> str | None:
    operation = attributes.get(OPERATION) or attributes.get("llm.request.type")
    if isinstance(operation, str):
        return _OPERATION_KINDS.get(operation.lower())
    if "gen_ai.tool.name" in attributes or "gen_ai.tool.call.id" in attributes:
        return "TOOL"
    if (
        "gen_ai.input.messages" in attributes
        or "gen_ai.output.messages" in attributes
        or "gen_ai.request.model" in attributes
    ):
        return "LLM"
    return None


def _map_tool_call(attributes: dict[str, Any]) -> None:
    arguments = attributes.get("gen_ai.tool.call.arguments")
    if arguments is not None and "tool.parameters" not in attributes:
        attributes["tool.parameters"] = _as_text(arguments)
    result = attributes.get("gen_ai.tool.call.result")
    if result is not None and "output.value" not in attributes:
        attributes["output.value"] = _as_text(result)


def _map_messages(attributes: dict[str, Any]) -> None:
    if f"{INPUT_MESSAGES}.0.message.role" not in attributes:
        index = 0
        instructions = _parts_of(attributes.get("gen_ai.system_instructions"))
        if instructions:
            index = _set_message(attributes, INPUT_MESSAGES, 0, {"role": "system"}, instructions)
        for message in _messages_of(attributes.get("gen_ai.input.messages")):
            index = _set_message(attributes, INPUT_MESSAGES, index, message)
        if index == 0:
            _map_indexed_messages(attributes, "gen_ai.prompt", INPUT_MESSAGES)
    if f"{OUTPUT_MESSAGES}.0.message.role" not in attributes:
        index = 0
        for message in _messages_of(attributes.get("gen_ai.output.messages")):
            index = _set_message(attributes, OUTPUT_MESSAGES, index, message)
        if index == 0:
            _map_indexed_messages(attributes, "gen_ai.completion", OUTPUT_MESSAGES)


def _map_indexed_messages(attributes: dict[str, Any], source: str, target: str) -> None:
    """OpenLLMetry's ``gen_ai.prompt.N.role`` / ``.content`` keys."""
    index = 0
    while f"{source}.{index}.content" in attributes or f"{source}.{index}.role" in attributes:
        for field in ("role", "content"):
            value = attributes.get(f"{source}.{index}.{field}")
            if value is not None:
                attributes[f"{target}.{index}.message.{field}"] = value
        index += 1


def _messages_of(raw: Any) -> list[dict[str, Any]]:
    """GenAI-convention messages: a JSON list of ``{role, parts}`` (or a list of such)."""
    if isinstance(raw, str):
        raw = _loads(raw)
    if not isinstance(raw, list):
        return []
    messages = []
    for message in raw:
        if isinstance(message, str):
            message = _loads(message)
        if isinstance(message, dict):
            messages.append(message)
    return messages


def _parts_of(raw: Any) -> list[Any]:
    if isinstance(raw, str):
        parsed = _loads(raw)
        return parsed if isinstance(parsed, list) else [{"type": "text", "content": raw}]
    return raw if isinstance(raw, list) else []


def _set_message(
    attributes: dict[str, Any],
    prefix: str,
    index: int,
    message: dict[str, Any],
    parts: list[Any] | None = None,
) -> int:
    """Write one message as OpenInference keys at ``prefix.index``; returns the next index."""
    base = f"{prefix}.{index}.message"
    attributes[f"{base}.role"] = str(message.get("role") or "")
    if message.get("name"):
        attributes[f"{base}.name"] = str(message["name"])
    if parts is None:
        content = message.get("parts", message.get("content"))
        parts = content if isinstance(content, list) else [content]
    texts: list[str] = []
    calls = 0
    for part in parts:
        if isinstance(part, str):
            texts.append(part)
            continue
        if not isinstance(part, dict):
            continue
        kind = part.get("type")
        if kind == "tool_call":
            call = f"{base}.tool_calls.{calls}.tool_call"
            attributes[f"{call}.id"] = str(part.get("id") or "")
            attributes[f"{call}.function.name"] = str(part.get("name") or "")
            attributes[f"{call}.function.arguments"] = _as_text(part.get("arguments") or {})
            calls += 1
        elif kind == "tool_call_response":
            attributes[f"{base}.tool_call_id"] = str(part.get("id") or "")
            texts.append(_as_text(part.get("response")))
        elif "content" in part:
            texts.append(_as_text(part["content"]))
    if texts:
        attributes[f"{base}.content"] = "".join(texts)
    return index + 1


def _loads(text: str) -> Any:
    """``text`` parsed as JSON; None when it isn't JSON or nests deeper than storable JSON."""
    try:
        parsed = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    if parses_deeper_than(text, MAX_JSON_DEPTH) and json_depth_exceeds(parsed):
        return None
    return parsed


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else orjson.dumps(value).decode()
