"""Google Gemini (the Gemini API, ``generateContent``) through the ``google-genai`` SDK.

System and developer messages become ``system_instruction``; assistant messages are ``model``
turns; a tool result becomes a ``function_response`` part naming the function of the call it
answers. Invocation parameters (``temperature``, ``max_output_tokens``, ``stop_sequences``,
``thinking_config``...) are fields of ``GenerateContentConfig``; one it does not know is refused
as a :class:`~spyglass_llm.errors.ProviderRequestError`. The SDK is given an ``httpx2`` client of
ours, so it never switches to aiohttp and its connections are pooled per credential; its
retries are off.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, cast

import httpx2
import pydantic
from google import genai
from google.genai import errors as genai_errors
from google.genai import types as genai_types

from spyglass_llm.adapters.common import json_text, parse_arguments, status_error
from spyglass_llm.chat import (
    ChatChunk,
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
    ProviderError,
    ProviderRequestError,
    TransientProviderError,
    provider_message,
)
from spyglass_llm.providers import ModelProvider


class GoogleClient:
    """A ``genai.Client`` and the HTTP client it was given (closed together)."""

    def __init__(self, credentials: Credentials) -> None:
        self.http = httpx2.AsyncClient(
            limits=httpx2.Limits(max_connections=1000, max_keepalive_connections=100)
        )
        options = genai_types.HttpOptions(
            base_url=credentials.base_url,
            httpx_async_client=self.http,
        )
        self.client = genai.Client(api_key=credentials.api_key, http_options=options)

    async def aclose(self) -> None:
        """Close the SDK client and its HTTP connections."""
        await self.client.aio.aclose()
        await self.http.aclose()
        self.client.close()


def create_client(credentials: Credentials) -> GoogleClient:
    """An SDK client for ``credentials``."""
    return GoogleClient(credentials)


def _tool_result_response(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {"result": value}


def request_arguments(
    request: ChatRequest, timeout: float
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The ``contents`` and ``config`` of ``request``."""
    provider = request.provider.value
    config: dict[str, Any] = dict(request.invocation_parameters)
    system: list[str] = []
    contents: list[dict[str, Any]] = []
    names_by_call: dict[str, str] = {}
    for message in request.messages:
        role = message.normalized_role
        if role in ("system", "developer"):
            system.append(message.text)
            continue
        parts: list[dict[str, Any]] = []
        if isinstance(message.content, str):
            parts.append({"text": message.content})
        else:
            for part in message.content:
                if part.type == "text":
                    parts.append({"text": part.text})
                elif part.type == "tool_call":
                    names_by_call[part.tool_call_id] = part.tool_call.name
                    parts.append(
                        {
                            "function_call": {
                                "id": part.tool_call_id or None,
                                "name": part.tool_call.name,
                                "args": parse_arguments(provider, part.tool_call.arguments),
                            }
                        }
                    )
                else:
                    parts.append(
                        {
                            "function_response": {
                                "id": part.tool_call_id or None,
                                "name": names_by_call.get(part.tool_call_id, part.tool_call_id),
                                "response": _tool_result_response(part.tool_result),
                            }
                        }
                    )
        contents.append({"role": "model" if role == "assistant" else "user", "parts": parts})
    if system:
        config["system_instruction"] = "\n\n".join(system)
    if request.tools is not None:
        declarations = [
            {
                "name": tool.function.name,
                **({"description": tool.function.description} if tool.function.description else {}),
                **(
                    {"parameters_json_schema": tool.function.parameters}
                    if tool.function.parameters
                    else {}
                ),
            }
            for tool in request.tools.tools
            if tool.type == "function"
        ]
        tools: list[Any] = [tool.raw for tool in request.tools.tools if tool.type == "raw"]
        if declarations:
            tools.append({"function_declarations": declarations})
        config["tools"] = tools
        choice = request.tools.tool_choice
        mode: dict[str, Any] | None = None
        if isinstance(choice, ToolChoiceNone):
            mode = {"mode": "NONE"}
        elif isinstance(choice, ToolChoiceZeroOrMore):
            mode = {"mode": "AUTO"}
        elif isinstance(choice, ToolChoiceOneOrMore):
            mode = {"mode": "ANY"}
        elif isinstance(choice, ToolChoiceFunction):
            mode = {"mode": "ANY", "allowed_function_names": [choice.function_name]}
        if mode is not None:
            config["tool_config"] = {"function_calling_config": mode}
        config.setdefault("automatic_function_calling", {"disable": True})
    if request.response_format is not None:
        config["response_mime_type"] = "application/json"
        schema = request.response_format.json_schema.schema_
        if schema:
            config["response_json_schema"] = schema
    config["http_options"] = {"timeout": max(1, int(timeout * 1000))}
    return contents, config


def _config(
    request: ChatRequest, timeout: float
) -> tuple[list[dict[str, Any]], genai_types.GenerateContentConfig]:
    contents, config = request_arguments(request, timeout)
    try:
        return contents, genai_types.GenerateContentConfig(**config)
    except pydantic.ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
            for problem in error.errors()[:5]
        )
        raise ProviderRequestError(
            request.provider.value, f"invalid invocation parameters for GOOGLE: {problems}"
        ) from None


def _usage(metadata: genai_types.GenerateContentResponseUsageMetadata | None) -> Usage | None:
    if metadata is None:
        return None
    return Usage(
        prompt_tokens=metadata.prompt_token_count or 0,
        completion_tokens=(metadata.candidates_token_count or 0)
        + (metadata.thoughts_token_count or 0),
        cached_tokens=metadata.cached_content_token_count or 0,
    )


def _reason(raw: Any, has_calls: bool) -> str | None:
    if raw is None:
        return None
    reason = finish_reason(getattr(raw, "value", None) or str(raw))
    return "tool_calls" if has_calls and reason == "stop" else reason


async def complete(client: GoogleClient, request: ChatRequest, timeout: float) -> Completion:
    """One ``generateContent`` call."""
    contents, config = _config(request, timeout)
    response = await client.client.aio.models.generate_content(
        model=request.model, contents=cast(Any, contents), config=config
    )
    texts: list[str] = []
    calls: list[ToolCall] = []
    raw_reason: Any = None
    if response.candidates:
        candidate = response.candidates[0]
        raw_reason = candidate.finish_reason
        for part in (candidate.content.parts if candidate.content else None) or []:
            if part.text and not part.thought:
                texts.append(part.text)
            if part.function_call is not None:
                calls.append(
                    ToolCall(
                        part.function_call.id or f"call_{len(calls)}",
                        part.function_call.name or "",
                        json_text(part.function_call.args or {}),
                    )
                )
    return Completion(
        provider=request.provider,
        model=response.model_version or request.model,
        text="".join(texts),
        tool_calls=tuple(calls),
        finish_reason=_reason(raw_reason, bool(calls)),
        usage=_usage(response.usage_metadata),
    )


async def stream(
    client: GoogleClient, request: ChatRequest, timeout: float
) -> AsyncIterator[ChatChunk]:
    """A ``streamGenerateContent`` call: text and tool call deltas, then one :class:`StreamEnd`."""
    contents, config = _config(request, timeout)
    chunks = await client.client.aio.models.generate_content_stream(
        model=request.model, contents=cast(Any, contents), config=config
    )
    usage: Usage | None = None
    raw_reason: Any = None
    model: str | None = None
    calls = 0
    async for chunk in chunks:
        model = chunk.model_version or model
        usage = _usage(chunk.usage_metadata) or usage
        if not chunk.candidates:
            continue
        candidate = chunk.candidates[0]
        raw_reason = candidate.finish_reason or raw_reason
        for part in (candidate.content.parts if candidate.content else None) or []:
            if part.text and not part.thought:
                yield TextDelta(part.text)
            if part.function_call is not None:
                yield ToolCallDelta(
                    index=calls,
                    id=part.function_call.id or f"call_{calls}",
                    name=part.function_call.name or "",
                    arguments=json_text(part.function_call.args or {}),
                )
                calls += 1
    yield StreamEnd(finish_reason=_reason(raw_reason, calls > 0), usage=usage, model=model)


def _retry_delay(details: Any) -> dict[str, str]:
    """Google's ``RetryInfo.retryDelay`` (``"7s"``) as a Retry-After header."""
    error = details.get("error") if isinstance(details, dict) else None
    for detail in (error or {}).get("details") or [] if isinstance(error, dict) else []:
        delay = detail.get("retryDelay") if isinstance(detail, dict) else None
        if isinstance(delay, str) and delay.endswith("s"):
            return {"retry-after": delay[:-1]}
    return {}


def translate_error(error: Exception, provider: ModelProvider, model: str) -> ProviderError | None:
    """The :mod:`spyglass_llm.errors` error an SDK exception means, or None if not the SDK's."""
    name = provider.value
    if isinstance(error, genai_errors.APIError):
        headers: Any = getattr(error.response, "headers", None) or {}
        if error.code == 429 and not any(
            headers.get(key) for key in ("retry-after", "retry-after-ms")
        ):
            headers = _retry_delay(error.details)
        message = provider_message(str(error.message or error.status or ""))
        return status_error(name, model, int(error.code or 500), message, headers, error.status)
    if isinstance(error, httpx2.TimeoutException):
        return TransientProviderError(name, f"{name} did not answer in time")
    if isinstance(error, httpx2.TransportError):
        return TransientProviderError(name, f"cannot reach {name}: {type(error).__name__}")
    return None
