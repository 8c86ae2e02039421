"""``POST /v1/chat/completions``: OpenAI's chat completions, proxied to the provider the model
names, with the provider's credentials resolved on the server (secrets table, then environment).
What the playground calls, and what the ``openai`` SDK calls when pointed at Spyglass's ``/v1``.

The body is Phoenix's ``CreateChatCompletionRequestBody``; Spyglass's extensions (tools, tool
choice and response format in OpenAI's or Phoenix's shape, ``invocation_parameters``,
``template_format`` + ``template_variables``) are described in :mod:`.chat_bodies`. Tool calls
in the answer come in OpenAI's shape: ``message.tool_calls``, or ``delta.tool_calls`` in a
stream.

Every error is OpenAI's ``{"error": {"message", "type", "param", "code"}}``
(``ChatCompletionErrorResponse``), with the status the contract gives:

====================================================  ======  ==============================
what                                                  status  ``code``
====================================================  ======  ==============================
a body field that can't be used (``param`` names it)  422
a template variable the body lacks (named)            422
an unknown provider, a malformed model, or a model    404     ``model_not_found``
the provider does not know
no credential for the provider (the message names     400     ``missing_credential``
the secret / environment variable to set)
the provider rejected the credential                  400     ``invalid_api_key``
the provider refused the request (its message)        400
``n`` other than 1, a parameter the provider has      400
no equivalent of, AWS (not callable)
the provider answered 429 (``Retry-After`` passed on)  429     ``rate_limit_exceeded``
the provider failed (5xx) or was unreachable          502     ``provider_unavailable``
no answer (or, in a stream, no next chunk) within     504     ``timeout``
``SPYGLASS_QUERY_API_PLAYGROUND_TIMEOUT_SECONDS``
====================================================  ======  ==============================

Provider failures are never our 500: Phoenix forwards a provider's own 5xx, we answer 502, so
that a client tells a provider outage from a Spyglass bug.

**Streams** (``stream: true``) are ``text/event-stream``: ``data: <chat.completion.chunk>``
events, each written the moment the provider's chunk arrives (the route is never compressed:
gzip would hold small chunks back), then ``data: [DONE]``. The first chunk carries the role;
the last one the finish reason, then (with ``stream_options.include_usage``) one with the usage
and no choices. The stream starts only once the provider's first chunk is in, so an error
before it (429, a rejected key, a timeout...) still answers with its status and JSON body; an
error after it is sent as a last ``data: {"error": {...}}`` event, then ``data: [DONE]``.

**Tracing**: every call that reaches the point of resolving credentials is traced as one LLM
span in the playground project (:mod:`.chat_traces`), ``ERROR`` with the message when it
failed; the answer's ``x-spyglass-trace-id`` header names its trace (a stream's too, in its
headers, before the span is complete: it is published before ``[DONE]``).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import anyio
import orjson
import structlog
from litestar import MediaType, Response, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Operation
from litestar.params import JSONBody
from litestar.response import Stream

from spyglass_core.errors import ConfigurationError
from spyglass_llm.chat import (
    ChatChunk,
    ChatRequest,
    Completion,
    StreamEnd,
    TextDelta,
    ToolCallDelta,
    collect_tool_calls,
)
from spyglass_llm.client import LLMClient
from spyglass_llm.credentials import CredentialResolver, Credentials
from spyglass_llm.errors import ProviderError
from spyglass_query_api.compression import SKIP_COMPRESSION
from spyglass_query_api.rest.chat_bodies import (
    ChatBodyError,
    ChatCompletion,
    ChatCompletionErrorResponse,
    CreateChatCompletionRequestBody,
    chat_request,
)
from spyglass_query_api.rest.chat_errors import (
    EXCEPTION_HANDLERS,
    ChatCompletionError,
    call_error,
    provider_error,
)
from spyglass_query_api.rest.chat_guard import refuse_unusable_chat_body
from spyglass_query_api.rest.chat_traces import ChatTrace
from spyglass_query_api.rest.openapi_errors import ERROR_SCHEMA_EXTENSION
from spyglass_query_api.rest.span_upload import SpanUploadDependency
from spyglass_query_api.settings import PlaygroundSettings

log = structlog.get_logger(__name__)

Llm: TypeAlias = NamedDependency[LLMClient]
Resolver: TypeAlias = NamedDependency[CredentialResolver]
Playground: TypeAlias = NamedDependency[PlaygroundSettings]

CLIENT_LEFT = "the client went away before the answer was complete"

DESCRIPTION = (
    "Creates a chat completion using the OpenAI wire format, proxying to the selected provider "
    "with credentials resolved on the server (secret store first, environment second) — callers "
    "never handle provider API keys. Model must be '{provider}:{model_name}' for a built-in "
    "provider (one of anthropic, aws, azure_openai, cerebras, custom, deepseek, fireworks, "
    "google, groq, moonshot, ollama, openai, perplexity, together, xai), e.g. 'openai:gpt-4o' "
    "or 'anthropic:claude-sonnet-4-5'. Set `stream: true` for server-sent events "
    "(`text/event-stream`) of `chat.completion.chunk` payloads terminated by `data: [DONE]`; an "
    'error after the stream started is sent as a last `data: {"error": {...}}` event before '
    "it. The answer's `x-spyglass-trace-id` header names the trace of the call (an LLM span in "
    "the project `playground`).\n\n"
    "**Spyglass extensions**, accepted in addition to the fields above: `tools` and "
    "`tool_choice` in OpenAI's shape or as Phoenix's prompt tools object, `parallel_tool_calls`, "
    "`response_format` (`json_schema`, Phoenix's and OpenAI's shape), `invocation_parameters` "
    "(provider-specific parameters, sent as given), `template_format` (MUSTACHE, F_STRING, NONE) "
    "and `template_variables` (the messages are filled in on the server; a missing variable is "
    "a 422 naming it), `tool_calls` in assistant messages and `tool` messages with "
    "`tool_call_id`. Tool calls in the answer are OpenAI's `message.tool_calls` / "
    "`delta.tool_calls`.\n\n"
    "Errors: 400, 404 and 422 as OpenAI's error object; also 429 (the provider's rate limit, "
    "with its `Retry-After`), 502 (the provider failed or is unreachable) and 504 (it did not "
    "answer in time).\n\n"
    "**Not an AI gateway.** The same server answers the UI and the API; use this endpoint to "
    "try out models, not for production traffic."
)


class ChatCompletionOperation(Operation):
    """The operation's OpenAPI entry: its errors documented as OpenAI's JSON, and its answer
    as JSON or, for ``stream: true``, an event stream."""

    def to_schema(self) -> dict[str, Any]:
        schema = super().to_schema()
        schema[ERROR_SCHEMA_EXTENSION] = ChatCompletionErrorResponse.__name__
        answer = schema.get("responses", {}).get("200", {})
        answer.setdefault("content", {})["text/event-stream"] = {"schema": {"type": "string"}}
        return schema


async def _resolve(resolver: CredentialResolver, trace: ChatTrace) -> Credentials:
    try:
        return await resolver.resolve(trace.request.provider)
    except ProviderError as error:
        failure = provider_error(error)
    except ConfigurationError as error:  # a stored secret no configured key opens
        failure = ChatCompletionError(400, str(error), code="secret_unreadable")
    await trace.finish(error=failure.message)
    failure.headers.update(trace.headers)
    raise failure


async def _complete(
    llm: LLMClient, credentials: Credentials, trace: ChatTrace, timeout: float
) -> Completion:
    request = trace.request
    try:
        completion = await llm.complete(request, credentials, timeout=timeout)
    except ProviderError as error:
        failure = call_error(error, request, timeout, "answer")
    else:
        await trace.finish(completion)
        return completion
    await trace.finish(error=failure.message)
    failure.headers.update(trace.headers)
    raise failure


def _completion_id() -> str:
    return f"chatcmpl-{secrets.token_hex(12)}"


def _usage(completion: Completion) -> dict[str, Any]:
    usage = completion.usage
    prompt = usage.prompt_tokens if usage else 0
    answer = usage.completion_tokens if usage else 0
    body: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": answer,
        "total_tokens": prompt + answer,
    }
    if usage is not None and usage.cached_tokens:
        body["prompt_tokens_details"] = {"cached_tokens": usage.cached_tokens}
    return body


def _tool_calls(completion: Completion) -> list[dict[str, Any]]:
    return [
        {
            "id": call.id,
            "type": "function",
            "function": {"name": call.name, "arguments": call.arguments},
        }
        for call in completion.tool_calls
    ]


def completion_body(completion: Completion, model_id: str) -> dict[str, Any]:
    """The ``ChatCompletion`` answer of ``completion`` (``model`` as the client named it)."""
    message: dict[str, Any] = {"role": "assistant", "content": completion.text}
    if completion.tool_calls:
        message["tool_calls"] = _tool_calls(completion)
    return {
        "id": _completion_id(),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model_id,
        "choices": [
            {"index": 0, "message": message, "finish_reason": completion.finish_reason or "stop"}
        ],
        "usage": _usage(completion),
    }


DONE = b"data: [DONE]\n\n"


def _event(payload: dict[str, Any]) -> bytes:
    return b"data: " + orjson.dumps(payload) + b"\n\n"


@dataclass
class _StreamedAnswer:
    """What a stream sent so far, to write its chunks and, at the end, its span."""

    request: ChatRequest
    model_id: str
    include_usage: bool
    completion_id: str = field(default_factory=_completion_id)
    created: int = field(default_factory=lambda: int(time.time()))
    text: list[str] = field(default_factory=list)
    tool_deltas: list[ToolCallDelta] = field(default_factory=list)
    end: StreamEnd | None = None

    def chunk(self, delta: dict[str, Any], finish_reason: str | None = None) -> bytes:
        return _event(
            {
                "id": self.completion_id,
                "object": "chat.completion.chunk",
                "created": self.created,
                "model": self.model_id,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
            }
        )

    def events(self, chunk: ChatChunk) -> bytes:
        """The SSE events of one chunk of the provider's answer."""
        match chunk:
            case TextDelta(text=text):
                self.text.append(text)
                return self.chunk({"content": text})
            case ToolCallDelta():
                self.tool_deltas.append(chunk)
                call: dict[str, Any] = {"index": chunk.index}
                if chunk.id is not None:
                    call.update(id=chunk.id, type="function")
                function: dict[str, Any] = {"arguments": chunk.arguments}
                if chunk.name is not None:
                    function["name"] = chunk.name
                call["function"] = function
                return self.chunk({"tool_calls": [call]})
            case StreamEnd():
                self.end = chunk
                reason = chunk.finish_reason or ("tool_calls" if self.tool_deltas else "stop")
                events = self.chunk({}, reason)
                if self.include_usage:
                    events += _event(
                        {
                            "id": self.completion_id,
                            "object": "chat.completion.chunk",
                            "created": self.created,
                            "model": self.model_id,
                            "choices": [],
                            "usage": _usage(self.completion()),
                        }
                    )
                return events

    def completion(self) -> Completion:
        """What was answered so far, as a completion."""
        end = self.end
        return Completion(
            provider=self.request.provider,
            model=(end.model if end and end.model else self.request.model),
            text="".join(self.text),
            tool_calls=collect_tool_calls(self.tool_deltas),
            finish_reason=end.finish_reason if end else None,
            usage=end.usage if end else None,
            cost=end.cost if end else None,
        )


async def _next_chunk(
    chunks: AsyncIterator[ChatChunk], request: ChatRequest, timeout: float, waiting_for: str
) -> ChatChunk | None:
    """The provider's next chunk (None after the last).

    Raises:
        ChatCompletionError: the provider failed, or sent nothing within ``timeout`` (the
            library's bound on the wait for each chunk of the provider's, whether or not it
            carries text).
    """
    try:
        return await anext(chunks)
    except StopAsyncIteration:
        return None
    except ProviderError as error:
        raise call_error(error, request, timeout, waiting_for) from None


async def _stream(
    llm: LLMClient,
    credentials: Credentials,
    trace: ChatTrace,
    body: CreateChatCompletionRequestBody,
    timeout: float,
) -> Stream:
    """The streamed answer, once the provider's first chunk is in (an error before is raised)."""
    request = trace.request
    chunks = llm.stream(request, credentials, timeout=timeout)
    answer = _StreamedAnswer(request, body.model, body.include_usage)
    try:
        first = await _next_chunk(chunks, request, timeout, "start answering")
    except ChatCompletionError as failure:
        await trace.finish(error=failure.message)
        failure.headers.update(trace.headers)
        raise
    headers = {**trace.headers, "Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return Stream(
        _events(chunks, first, answer, trace, timeout),
        media_type="text/event-stream",
        headers=headers,
    )


async def _events(
    chunks: AsyncIterator[ChatChunk],
    first: ChatChunk | None,
    answer: _StreamedAnswer,
    trace: ChatTrace,
    timeout: float,
) -> AsyncIterator[bytes]:
    """The SSE events: each provider chunk as it comes, the span published, then ``[DONE]``."""
    try:
        events = answer.chunk({"role": "assistant", "content": ""})
        chunk = first
        while chunk is not None:
            events += answer.events(chunk)
            yield events
            chunk = await _next_chunk(chunks, answer.request, timeout, "send its next chunk")
            events = b""
        if events:
            yield events
        with anyio.CancelScope(shield=True):
            await trace.finish(answer.completion())
        yield DONE
    except ChatCompletionError as failure:
        log.info("chat_stream_failed", status=failure.status, error=failure.message)
        with anyio.CancelScope(shield=True):
            await trace.finish(answer.completion(), error=failure.message)
        yield _event(failure.body())
        yield DONE
    finally:
        # Shielded: a client that went away cancels this generator, and the provider's
        # connection must still be closed and the span still published.
        with anyio.CancelScope(shield=True):
            closer = getattr(chunks, "aclose", None)
            if closer is not None:
                await closer()
            await trace.finish(answer.completion(), error=CLIENT_LEFT)


_ERROR = ChatCompletionErrorResponse


def _answer(model: type, description: str) -> ResponseSpec:
    return ResponseSpec(model, description=description, generate_examples=False)


@post(
    "/v1/chat/completions",
    operation_id="createChatCompletion",
    summary="OpenAI-compatible chat completions",
    description=DESCRIPTION,
    tags=["chat_completions"],
    status_code=200,
    operation_class=ChatCompletionOperation,
    opt={SKIP_COMPRESSION: True},
    before_request=refuse_unusable_chat_body,
    exception_handlers=EXCEPTION_HANDLERS,
    responses={
        200: _answer(
            ChatCompletion,
            description="The completion (or, with `stream: true`, "
            "a `text/event-stream` of `chat.completion.chunk` events)",
        ),
        400: _answer(
            _ERROR,
            description="A request the provider or Spyglass can't carry "
            "out (no credential, a rejected key, a parameter the provider refused)",
        ),
        404: _answer(_ERROR, "An unknown provider or model"),
        422: _answer(
            _ERROR,
            description="A field that can't be used, or a missing "
            "template variable (`param` names it)",
        ),
        429: _answer(_ERROR, "The provider's rate limit; retry after `Retry-After`"),
        502: _answer(_ERROR, "The provider failed or can't be reached"),
        504: _answer(_ERROR, "The provider did not answer in time"),
    },
)
async def create_chat_completion(
    llm: Llm,
    credentials: Resolver,
    playground: Playground,
    span_upload: SpanUploadDependency,
    data: JSONBody[CreateChatCompletionRequestBody],
) -> Response[Any]:
    """A completion from the provider the model names; streamed with ``stream: true``."""
    try:
        request = chat_request(data)
    except ChatBodyError as error:
        raise ChatCompletionError(
            error.status, error.message, code=error.code, param=error.param
        ) from None
    trace = ChatTrace(
        span_upload,
        playground.project_name,
        request,
        data.model_dump(mode="json", exclude_none=True),
        data.template_variables,
    )
    resolved = await _resolve(credentials, trace)
    timeout = playground.timeout_seconds
    if data.stream:
        return await _stream(llm, resolved, trace, data, timeout)
    completion = await _complete(llm, resolved, trace, timeout)
    return Response(
        completion_body(completion, data.model), headers=trace.headers, media_type=MediaType.JSON
    )
