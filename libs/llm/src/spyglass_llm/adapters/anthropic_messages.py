"""Anthropic messages through the ``anthropic`` SDK.

System and developer messages become the ``system`` parameter; tool messages become user
messages of ``tool_result`` blocks; a JSON-schema response format becomes
``output_config.format``. ``max_tokens``, which Anthropic requires, defaults to
:data:`DEFAULT_MAX_TOKENS`. Anthropic counts cached prompt tokens apart from ``input_tokens``;
:class:`~spyglass_llm.chat.Usage` adds them back, so prompt tokens include them as for other
providers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, cast

import anthropic

from spyglass_llm.adapters.common import json_text, parse_arguments, status_error
from spyglass_llm.chat import (
    ChatChunk,
    ChatMessage,
    ChatRequest,
    Completion,
    StreamEnd,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    ToolChoiceFunction,
    ToolChoiceNone,
    ToolChoiceOneOrMore,
    Usage,
    finish_reason,
)
from spyglass_llm.credentials import Credentials
from spyglass_llm.errors import ProviderError, TransientProviderError, provider_message
from spyglass_llm.providers import ModelProvider

DEFAULT_MAX_TOKENS = 4096
"""``max_tokens`` when the invocation parameters give none (Anthropic requires one)."""


def create_client(credentials: Credentials) -> anthropic.AsyncAnthropic:
    """An SDK client for ``credentials``, with the SDK's retries off (callers retry), its HTTP
    through aiohttp (the SDK's ``aiohttp`` extra; see :mod:`.openai_chat`)."""
    return anthropic.AsyncAnthropic(
        api_key=credentials.api_key,
        base_url=credentials.base_url,
        max_retries=0,
        http_client=anthropic.DefaultAioHttpClient(),
    )


def _blocks(message: ChatMessage, provider: str) -> list[dict[str, Any]]:
    if isinstance(message.content, str):
        return [{"type": "text", "text": message.content}]
    blocks: list[dict[str, Any]] = []
    for part in message.content:
        if part.type == "text":
            blocks.append({"type": "text", "text": part.text})
        elif part.type == "tool_call":
            blocks.append(
                {
                    "type": "tool_use",
                    "id": part.tool_call_id,
                    "name": part.tool_call.name,
                    "input": parse_arguments(provider, part.tool_call.arguments),
                }
            )
        else:
            blocks.append(
                {
                    "type": "tool_result",
                    "tool_use_id": part.tool_call_id,
                    "content": json_text(part.tool_result),
                }
            )
    return blocks


def request_body(request: ChatRequest) -> dict[str, Any]:
    """The messages body of ``request`` (without ``stream``)."""
    provider = request.provider.value
    body: dict[str, Any] = dict(request.invocation_parameters)
    body.setdefault("max_tokens", DEFAULT_MAX_TOKENS)
    system: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    for message in request.messages:
        role = message.normalized_role
        if role in ("system", "developer"):
            system.extend(
                {"type": "text", "text": block["text"]}
                for block in _blocks(message, provider)
                if block["type"] == "text"
            )
            continue
        messages.append(
            {
                "role": "assistant" if role == "assistant" else "user",
                "content": _blocks(message, provider),
            }
        )
    body["model"] = request.model
    body["messages"] = messages
    if system:
        body["system"] = system
    if request.tools is not None:
        body["tools"] = [
            tool.raw
            if tool.type == "raw"
            else {
                "name": tool.function.name,
                **({"description": tool.function.description} if tool.function.description else {}),
                "input_schema": tool.function.parameters or {"type": "object", "properties": {}},
            }
            for tool in request.tools.tools
        ]
        choice = request.tools.tool_choice
        tool_choice: dict[str, Any] = {"type": "auto"}
        if isinstance(choice, ToolChoiceNone):
            tool_choice = {"type": "none"}
        elif isinstance(choice, ToolChoiceOneOrMore):
            tool_choice = {"type": "any"}
        elif isinstance(choice, ToolChoiceFunction):
            tool_choice = {"type": "tool", "name": choice.function_name}
        if request.tools.disable_parallel_tool_calls and tool_choice["type"] != "none":
            tool_choice["disable_parallel_tool_use"] = True
        if choice is not None or len(tool_choice) > 1:
            body["tool_choice"] = tool_choice
    if request.response_format is not None:
        output_config = body.get("output_config")
        body["output_config"] = {
            **(output_config if isinstance(output_config, dict) else {}),
            "format": {
                "type": "json_schema",
                "schema": request.response_format.json_schema.schema_ or {"type": "object"},
            },
        }
    return body


async def _create(
    client: anthropic.AsyncAnthropic, request: ChatRequest, timeout: float, *, stream: bool
) -> Any:
    body = request_body(request)
    model = body.pop("model")
    messages = body.pop("messages")
    max_tokens = body.pop("max_tokens")
    create = cast(Any, client.messages.create)
    if stream:
        return await create(
            model=model,
            messages=messages,
            max_tokens=max_tokens,
            stream=True,
            extra_body=body,
            timeout=timeout,
        )
    return await create(
        model=model, messages=messages, max_tokens=max_tokens, extra_body=body, timeout=timeout
    )


def _usage(usage: Any, output_tokens: int | None = None) -> Usage:
    read = getattr(usage, "cache_read_input_tokens", None) or 0
    written = getattr(usage, "cache_creation_input_tokens", None) or 0
    return Usage(
        prompt_tokens=(getattr(usage, "input_tokens", None) or 0) + read + written,
        completion_tokens=output_tokens
        if output_tokens is not None
        else getattr(usage, "output_tokens", None) or 0,
        cached_tokens=read,
        cache_write_tokens=written,
    )


async def complete(
    client: anthropic.AsyncAnthropic, request: ChatRequest, timeout: float
) -> Completion:
    """One non-streaming message."""
    response = await _create(client, request, timeout, stream=False)
    texts: list[str] = []
    calls: list[ToolCall] = []
    for block in response.content:
        if block.type == "text":
            texts.append(block.text)
        elif block.type == "tool_use":
            calls.append(ToolCall(block.id, block.name, json_text(block.input)))
    return Completion(
        provider=request.provider,
        model=response.model or request.model,
        text="".join(texts),
        tool_calls=tuple(calls),
        finish_reason=finish_reason(response.stop_reason),
        usage=_usage(response.usage),
    )


async def stream(
    client: anthropic.AsyncAnthropic, request: ChatRequest, timeout: float
) -> AsyncIterator[ChatChunk]:
    """A streaming message: text and tool call deltas, then one :class:`StreamEnd`."""
    response = await _create(client, request, timeout, stream=True)
    reason: str | None = None
    start_usage: Any = None
    output_tokens: int | None = None
    model: str | None = None
    tool_index: dict[int, int] = {}
    try:
        async for event in response:
            kind = event.type
            if kind == "message_start":
                start_usage = event.message.usage
                model = event.message.model
            elif kind == "content_block_start":
                block = event.content_block
                if block.type == "tool_use":
                    index = tool_index.setdefault(event.index, len(tool_index))
                    yield ToolCallDelta(index=index, id=block.id, name=block.name)
                elif block.type == "text" and block.text:
                    yield TextDelta(block.text)
            elif kind == "content_block_delta":
                delta = event.delta
                if delta.type == "text_delta" and delta.text:
                    yield TextDelta(delta.text)
                elif delta.type == "input_json_delta" and event.index in tool_index:
                    yield ToolCallDelta(index=tool_index[event.index], arguments=delta.partial_json)
            elif kind == "message_delta":
                reason = finish_reason(event.delta.stop_reason) or reason
                output_tokens = getattr(event.usage, "output_tokens", None)
    finally:
        await response.close()
    usage = None if start_usage is None else _usage(start_usage, output_tokens)
    yield StreamEnd(finish_reason=reason, usage=usage, model=model)


def translate_error(error: Exception, provider: ModelProvider, model: str) -> ProviderError | None:
    """The :mod:`spyglass_llm.errors` error an SDK exception means, or None if not the SDK's."""
    name = provider.value
    if isinstance(error, anthropic.APITimeoutError):
        return TransientProviderError(name, f"{name} did not answer in time")
    if isinstance(error, anthropic.APIConnectionError):
        return TransientProviderError(
            name, f"cannot reach {name}: {provider_message(error.message)}"
        )
    if isinstance(error, anthropic.APIStatusError):
        return status_error(
            name, model, error.status_code, provider_message(error.message), error.response.headers
        )
    if isinstance(error, anthropic.APIError):
        # An error event inside a stream, or an answer the SDK could not read.
        return TransientProviderError(name, f"{name} failed: {provider_message(error.message)}")
    return None
