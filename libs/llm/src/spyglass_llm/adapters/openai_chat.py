"""OpenAI chat completions through the ``openai`` SDK: OpenAI, Azure OpenAI, and every
OpenAI-compatible provider (DeepSeek, xAI, Ollama, Groq, ... and a custom base URL).

Invocation parameters go into the request body as given (``extra_body``), so the SDK never
refuses a parameter it does not know yet; Phoenix's own ``extra_body`` parameter is merged in.
The ``developer`` role is sent as ``system`` to providers other than OpenAI and Azure, which
may not know it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, cast

import openai
import orjson
from openai.types.chat import ChatCompletionChunk
from openai.types.completion_usage import CompletionUsage

from spyglass_llm.adapters.common import json_text, status_error, without_none
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
    ToolChoiceZeroOrMore,
    Usage,
    finish_reason,
)
from spyglass_llm.credentials import Credentials
from spyglass_llm.errors import (
    MissingCredential,
    ProviderError,
    TransientProviderError,
    provider_message,
)
from spyglass_llm.providers import ModelProvider

_DEVELOPER_ROLE_PROVIDERS = (ModelProvider.OPENAI, ModelProvider.AZURE_OPENAI)


def create_client(credentials: Credentials) -> openai.AsyncOpenAI:
    """An SDK client for ``credentials``, with the SDK's retries off (callers retry).

    Its HTTP goes through aiohttp (the SDK's ``aiohttp`` extra): half the CPU of a call
    through the default HTTPX transport, which a runner spends by the hundred a second.
    """
    if credentials.provider is ModelProvider.AZURE_OPENAI:
        if credentials.endpoint is None:
            raise MissingCredential(
                credentials.provider.value, ("AZURE_OPENAI_ENDPOINT",), "endpoint"
            )
        return openai.AsyncAzureOpenAI(
            azure_endpoint=credentials.endpoint,
            api_version=credentials.api_version,
            api_key=credentials.api_key,
            max_retries=0,
            http_client=openai.DefaultAioHttpClient(),
        )
    return openai.AsyncOpenAI(
        # Ollama and custom servers may take no key; the SDK insists on some string.
        api_key=credentials.api_key or "unused",
        base_url=credentials.base_url,
        max_retries=0,
        http_client=openai.DefaultAioHttpClient(),
    )


def _message(message: ChatMessage, provider: ModelProvider) -> list[dict[str, Any]]:
    role = message.normalized_role
    if role == "developer" and provider not in _DEVELOPER_ROLE_PROVIDERS:
        role = "system"
    if role == "tool":
        results = message.tool_results
        if not results:
            return [{"role": "tool", "tool_call_id": "", "content": message.text}]
        return [
            {
                "role": "tool",
                "tool_call_id": part.tool_call_id,
                "content": json_text(part.tool_result),
            }
            for part in results
        ]
    if role == "assistant" and message.tool_calls:
        return [
            {
                "role": "assistant",
                "content": message.text or None,
                "tool_calls": [
                    {
                        "id": part.tool_call_id,
                        "type": "function",
                        "function": {
                            "name": part.tool_call.name,
                            "arguments": part.tool_call.arguments,
                        },
                    }
                    for part in message.tool_calls
                ],
            }
        ]
    return [{"role": role, "content": message.text}]


def request_body(request: ChatRequest) -> dict[str, Any]:
    """The chat completions body of ``request`` (without ``stream``)."""
    body: dict[str, Any] = dict(request.invocation_parameters)
    extra = body.pop("extra_body", None)
    if isinstance(extra, dict):
        body.update(extra)
    body["model"] = request.model
    body["messages"] = [
        sent for message in request.messages for sent in _message(message, request.provider)
    ]
    if request.tools is not None:
        body["tools"] = [
            tool.raw
            if tool.type == "raw"
            else {
                "type": "function",
                "function": without_none(tool.function.model_dump(exclude_none=True)),
            }
            for tool in request.tools.tools
        ]
        choice = request.tools.tool_choice
        if isinstance(choice, ToolChoiceNone):
            body["tool_choice"] = "none"
        elif isinstance(choice, ToolChoiceZeroOrMore):
            body["tool_choice"] = "auto"
        elif isinstance(choice, ToolChoiceOneOrMore):
            body["tool_choice"] = "required"
        elif isinstance(choice, ToolChoiceFunction):
            body["tool_choice"] = {"type": "function", "function": {"name": choice.function_name}}
        if request.tools.disable_parallel_tool_calls:
            body["parallel_tool_calls"] = False
    if request.response_format is not None:
        definition = request.response_format.json_schema
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": definition.model_dump(by_alias=True, exclude_none=True),
        }
    return body


async def _create(
    client: openai.AsyncOpenAI, request: ChatRequest, timeout: float, *, stream: bool
) -> Any:
    body = request_body(request)
    model = body.pop("model")
    messages = body.pop("messages")
    create = cast(Any, client.chat.completions.create)
    if stream:
        options = body.pop("stream_options", None)
        return await create(
            model=model,
            messages=messages,
            stream=True,
            stream_options={
                **(options if isinstance(options, dict) else {}),
                "include_usage": True,
            },
            extra_body=body,
            timeout=timeout,
        )
    # The body is already the wire format: posted through the SDK's own client (its auth,
    # base URL, Azure deployment path and errors) without ``create``'s walk of the parameters
    # against their typed definitions, and the answer read as bytes rather than built into
    # its models: together about a quarter of a call's CPU, which a runner spends by the
    # hundred a second.
    return await client.post(
        "/chat/completions",
        body={"model": model, "messages": messages, **body},
        cast_to=bytes,
        options={"timeout": timeout},
    )


def _usage(usage: CompletionUsage | None) -> Usage | None:
    if usage is None:
        return None
    details = usage.prompt_tokens_details
    return Usage(
        prompt_tokens=usage.prompt_tokens or 0,
        completion_tokens=usage.completion_tokens or 0,
        cached_tokens=(details.cached_tokens or 0) if details else 0,
        cache_write_tokens=(details.cache_write_tokens or 0) if details else 0,
    )


def _number(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _usage_of(usage: Any) -> Usage | None:
    """Usage from an answer's JSON (``usage``), counts that are not integers read as 0."""
    if not isinstance(usage, dict):
        return None
    details = usage.get("prompt_tokens_details")
    details = details if isinstance(details, dict) else {}
    return Usage(
        prompt_tokens=_number(usage.get("prompt_tokens")),
        completion_tokens=_number(usage.get("completion_tokens")),
        cached_tokens=_number(details.get("cached_tokens")),
        cache_write_tokens=_number(details.get("cache_write_tokens")),
    )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


async def complete(client: openai.AsyncOpenAI, request: ChatRequest, timeout: float) -> Completion:
    """One non-streaming chat completion."""
    raw = await _create(client, request, timeout, stream=False)
    provider = request.provider.value
    try:
        answer = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise TransientProviderError(provider, "the provider's answer is not JSON") from None
    choices = answer.get("choices") if isinstance(answer, dict) else None
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise TransientProviderError(provider, "the provider answered no choices")
    choice = choices[0]
    message = choice.get("message")
    message = message if isinstance(message, dict) else {}
    calls = tuple(
        ToolCall(
            _text(call.get("id")), _text(function.get("name")), _text(function.get("arguments"))
        )
        for call in (message.get("tool_calls") or [])
        if isinstance(call, dict) and isinstance(function := call.get("function"), dict)
    )
    return Completion(
        provider=request.provider,
        model=_text(answer.get("model")) or request.model,
        text=_text(message.get("content")),
        tool_calls=calls,
        finish_reason=finish_reason(choice.get("finish_reason")),
        usage=_usage_of(answer.get("usage")),
    )


async def stream(
    client: openai.AsyncOpenAI, request: ChatRequest, timeout: float
) -> AsyncIterator[ChatChunk]:
    """A streaming chat completion: text and tool call deltas, then one :class:`StreamEnd`."""
    response = await _create(client, request, timeout, stream=True)
    reason: str | None = None
    usage: Usage | None = None
    model: str | None = None
    try:
        async for chunk in response:
            chunk = cast(ChatCompletionChunk, chunk)
            model = chunk.model or model
            if chunk.usage is not None:
                usage = _usage(chunk.usage)
            for choice in chunk.choices[:1]:
                if choice.delta.content:
                    yield TextDelta(choice.delta.content)
                for call in choice.delta.tool_calls or []:
                    function = call.function
                    yield ToolCallDelta(
                        index=call.index,
                        id=call.id,
                        name=function.name if function else None,
                        arguments=(function.arguments or "") if function else "",
                    )
                if choice.finish_reason:
                    reason = finish_reason(choice.finish_reason)
    finally:
        await response.close()
    yield StreamEnd(finish_reason=reason, usage=usage, model=model)


def translate_error(error: Exception, provider: ModelProvider, model: str) -> ProviderError | None:
    """The :mod:`spyglass_llm.errors` error an SDK exception means, or None if not the SDK's."""
    name = provider.value
    if isinstance(error, openai.APITimeoutError):
        return TransientProviderError(name, f"{name} did not answer in time")
    if isinstance(error, openai.APIConnectionError):
        return TransientProviderError(
            name, f"cannot reach {name}: {provider_message(error.message)}"
        )
    if isinstance(error, openai.APIStatusError):
        return status_error(
            name,
            model,
            error.status_code,
            provider_message(error.message),
            error.response.headers,
            getattr(error, "code", None),
        )
    if isinstance(error, openai.APIResponseValidationError | openai.APIError):
        return TransientProviderError(
            name, f"{name} answered something unreadable: {error.message}"
        )
    return None
