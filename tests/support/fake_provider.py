"""A fake LLM provider: enough of OpenAI's, Azure's, Anthropic's and Google's wire APIs for their
official SDKs, answering deterministically, scriptable and observable at run time.

Run it as ``python -m tests.support.fake_provider --port N`` (the benchmarks do), or through the
``fake_provider`` fixture (:mod:`tests.support.fake_provider_fixtures`), which starts it as a
process and resets its script before each test.

Wire APIs (any path prefix is accepted before these, so a base URL may or may not end in /v1):

* OpenAI chat completions: ``POST .../chat/completions``, JSON or SSE (``stream: true``; a last
  usage chunk when ``stream_options.include_usage``); Azure's
  ``POST /openai/deployments/{deployment}/chat/completions?api-version=...`` (the deployment is
  the model). Key: ``Authorization: Bearer``, or Azure's ``api-key``.
* Anthropic messages: ``POST .../v1/messages``, JSON or its SSE event stream. Key:
  ``x-api-key`` or ``Authorization: Bearer``.
* Google: ``POST /{version}/models/{model}:generateContent`` and
  ``:streamGenerateContent?alt=sse``. Key: ``x-goog-api-key`` or ``?key=``.

Answers: the reply is the last user message's text (or the script's ``reply``), prompt tokens
are the words of every message, completion tokens the reply's words; a stream sends one chunk
per word. When the request offers tools and the script says ``call_tools`` (or the last user
message contains ``[call tools]``), the answer calls the first tool with
``{"input": <last user text>}``, or with the script's ``tool_arguments``.

Script (``POST /_control``, JSON; fields left out keep their value, ``{"reset": true}`` first
restores every default and clears the counters):

=======================  =======================================================================
``latency_ms``           wait before answering (before the first chunk of a stream)
``inter_token_ms``       wait between stream chunks
``rate_limit_fraction``  that share of calls answer 429, spread evenly (0.5: every second call)
``retry_after``          the 429's ``Retry-After`` seconds (None: no header)
``retry_after_ms``       the 429's ``retry-after-ms`` (None: no header)
``error_fraction``       that share of calls answer 500
``hang``                 never answer (until the client goes away; counted as status ``0``)
``cut_after_chunks``     drop the connection after that many chunks of a stream
``rejected_keys``        keys answered 401
``unknown_models``       models answered 404
``reply``                a fixed reply instead of the echo
``call_tools``           call the first tool offered
``tool_arguments``       a JSON object the tool call passes instead of ``{"input": ...}``
=======================  =======================================================================

Observation (``GET /_calls``): ``calls`` (requests received), ``by_model`` and ``by_key`` (count of
answers by status), ``last_requests`` (the last 50: path, api, model, key, body, received_at),
``first_chunks`` (the last 1,000 streams: model, received_at and first_chunk_at, both
``time.time()``). ``GET /healthz`` answers 200.

Light by design: one raw ASGI callable on uvicorn (httptools, uvloop), orjson, no thread per
request.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote

import orjson

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

MAX_BODY_BYTES = 16 * 1024 * 1024
LAST_REQUESTS = 50
FIRST_CHUNKS = 1000


@dataclass
class Script:
    """How the fake answers; see the module docstring."""

    latency_ms: float = 0.0
    inter_token_ms: float = 0.0
    rate_limit_fraction: float = 0.0
    retry_after: float | None = 1.0
    retry_after_ms: float | None = None
    error_fraction: float = 0.0
    hang: bool = False
    cut_after_chunks: int | None = None
    rejected_keys: list[str] = field(default_factory=list)
    unknown_models: list[str] = field(default_factory=list)
    reply: str | None = None
    call_tools: bool = False
    tool_arguments: dict[str, Any] | None = None


@dataclass
class Observations:
    """What the fake saw and answered."""

    calls: int = 0
    by_model: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    by_key: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    last_requests: deque[dict[str, Any]] = field(
        default_factory=lambda: deque(maxlen=LAST_REQUESTS)
    )
    first_chunks: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=FIRST_CHUNKS))
    rate_limited: int = 0
    errored: int = 0

    def answered(self, model: str, key: str, status: int) -> None:
        """Count one answer."""
        for table, name in ((self.by_model, model), (self.by_key, key)):
            counts = table[name]
            counts[str(status)] = counts.get(str(status), 0) + 1

    def as_json(self) -> dict[str, Any]:
        """The observations as ``GET /_calls`` answers them."""
        return {
            "calls": self.calls,
            "by_model": dict(self.by_model),
            "by_key": dict(self.by_key),
            "last_requests": list(self.last_requests),
            "first_chunks": list(self.first_chunks),
        }


def _check(script: Script) -> None:
    """Refuse a script the fake could not follow (it would fail mid-answer otherwise)."""
    for name in ("latency_ms", "inter_token_ms"):
        value = getattr(script, name)
        if not isinstance(value, int | float) or not 0 <= value <= 3_600_000:
            raise ValueError(f"{name} must be a number of milliseconds")
    for name in ("rate_limit_fraction", "error_fraction"):
        value = getattr(script, name)
        if not isinstance(value, int | float) or not 0 <= value <= 1:
            raise ValueError(f"{name} must be between 0 and 1")
    for name in ("retry_after", "retry_after_ms", "cut_after_chunks"):
        value = getattr(script, name)
        if value is not None and (not isinstance(value, int | float) or value < 0):
            raise ValueError(f"{name} must be a number >= 0, or null")
    for name in ("rejected_keys", "unknown_models"):
        value = getattr(script, name)
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ValueError(f"{name} must be a list of strings")
    for name in ("hang", "call_tools"):
        if not isinstance(getattr(script, name), bool):
            raise ValueError(f"{name} must be true or false")
    if script.reply is not None and not isinstance(script.reply, str):
        raise ValueError("reply must be a string or null")
    if script.tool_arguments is not None and not isinstance(script.tool_arguments, dict):
        raise ValueError("tool_arguments must be a JSON object or null")


def _evenly(count: int, fraction: float) -> bool:
    """Whether call number ``count`` (1-based) is one of an even ``fraction`` of calls."""
    if fraction <= 0:
        return False
    return math.floor(count * fraction) > math.floor((count - 1) * fraction)


@dataclass
class Call:
    """One provider request as the fake reads it, whatever its wire API."""

    api: str  # openai | anthropic | google
    model: str
    key: str
    stream: bool
    body: dict[str, Any]
    include_usage: bool = False
    texts: list[str] = field(default_factory=list)
    last_user_text: str = ""
    tool_name: str | None = None
    tool_arguments: dict[str, Any] | None = None

    @property
    def prompt_tokens(self) -> int:
        return sum(len(text.split()) for text in self.texts)


def _content_texts(content: Any) -> list[str]:
    if isinstance(content, str):
        return [content]
    texts: list[str] = []
    if isinstance(content, list):
        for part in content:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                texts.append(part["text"])
    return texts


def _read_openai(call: Call) -> None:
    body = call.body
    call.stream = bool(body.get("stream"))
    options = body.get("stream_options")
    call.include_usage = isinstance(options, dict) and bool(options.get("include_usage"))
    for message in body.get("messages") or []:
        texts = _content_texts(message.get("content"))
        call.texts.extend(texts)
        if message.get("role") == "user":
            call.last_user_text = "".join(texts)
    tools = body.get("tools") or []
    if tools and isinstance(tools[0], dict):
        call.tool_name = (tools[0].get("function") or {}).get("name")


def _read_anthropic(call: Call) -> None:
    body = call.body
    call.stream = bool(body.get("stream"))
    call.include_usage = True
    call.texts.extend(_content_texts(body.get("system")))
    for message in body.get("messages") or []:
        texts = _content_texts(message.get("content"))
        call.texts.extend(texts)
        if message.get("role") == "user" and texts:
            call.last_user_text = "".join(texts)
    tools = body.get("tools") or []
    if tools and isinstance(tools[0], dict):
        call.tool_name = tools[0].get("name")


def _read_google(call: Call) -> None:
    body = call.body
    call.include_usage = True
    system = body.get("systemInstruction") or body.get("system_instruction")
    if isinstance(system, dict):
        call.texts.extend(_content_texts(system.get("parts")))
    for content in body.get("contents") or []:
        texts = _content_texts(content.get("parts"))
        call.texts.extend(texts)
        if content.get("role", "user") == "user" and texts:
            call.last_user_text = "".join(texts)
    for tool in body.get("tools") or []:
        declarations = tool.get("functionDeclarations") or tool.get("function_declarations")
        if declarations:
            call.tool_name = declarations[0].get("name")
            break


class FakeProvider:
    """The ASGI application."""

    def __init__(self) -> None:
        self.script = Script()
        self.observations = Observations()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        method: str = scope["method"]
        if path == "/healthz":
            await _json(send, 200, {"status": "ok"})
            return
        if path == "/_calls" and method == "GET":
            await _json(send, 200, self.observations.as_json())
            return
        body = await _body(receive)
        if body is None:
            await _json(send, 413, {"error": {"message": "body too large"}})
            return
        if path == "/_control" and method == "POST":
            await self._control(send, body)
            return
        if method != "POST":
            await _json(send, 404, {"error": {"message": f"no route {method} {path}"}})
            return
        call = _call(scope, path, body)
        if call is None:
            await _json(send, 404, {"error": {"message": f"no route POST {path}"}})
            return
        await self._answer(call, scope, receive, send)

    async def _control(self, send: Send, body: bytes) -> None:
        try:
            changes = orjson.loads(body or b"{}")
            if not isinstance(changes, dict):
                raise ValueError("the script is a JSON object")
            if changes.pop("reset", False):
                self.script = Script()
                self.observations = Observations()
            unknown = set(changes) - set(Script.__dataclass_fields__)
            if unknown:
                raise ValueError(f"unknown script fields {sorted(unknown)}")
            script = Script(**{**self.script.__dict__, **changes})
            _check(script)
            self.script = script
        except (ValueError, TypeError, orjson.JSONDecodeError) as error:
            await _json(send, 422, {"error": str(error)})
            return
        await _json(send, 200, self.script.__dict__)

    async def _answer(self, call: Call, scope: Scope, receive: Receive, send: Send) -> None:
        observations = self.observations
        script = self.script
        observations.calls += 1
        count = observations.calls
        received_at = time.time()
        observations.last_requests.append(
            {
                "path": scope["path"],
                "query": scope["query_string"].decode(),
                "api": call.api,
                "model": call.model,
                "key": call.key,
                "stream": call.stream,
                "body": call.body,
                "received_at": received_at,
            }
        )
        if script.hang:
            while (await receive())["type"] != "http.disconnect":
                pass
            observations.answered(call.model, call.key, 0)
            return
        if script.latency_ms > 0:
            await asyncio.sleep(script.latency_ms / 1000)
        status = 200
        if call.key in script.rejected_keys:
            status = 401
        elif call.model in script.unknown_models:
            status = 404
        elif _evenly(count, script.rate_limit_fraction):
            status = 429
        elif _evenly(count, script.error_fraction):
            status = 500
        observations.answered(call.model, call.key, status)
        if status != 200:
            await self._error(call, status, send)
            return
        reply = script.reply if script.reply is not None else call.last_user_text
        tool = (
            call.tool_name if (script.call_tools or "[call tools]" in call.last_user_text) else None
        )
        call.tool_arguments = script.tool_arguments
        if call.stream:
            await _STREAMERS[call.api](self, call, reply, tool, send, received_at)
        else:
            await _json(send, 200, _ANSWERS[call.api](call, reply, tool))

    async def _error(self, call: Call, status: int, send: Send) -> None:
        script = self.script
        headers: list[tuple[bytes, bytes]] = []
        if status == 429:
            if script.retry_after is not None:
                headers.append((b"retry-after", f"{script.retry_after:g}".encode()))
            if script.retry_after_ms is not None:
                headers.append((b"retry-after-ms", f"{script.retry_after_ms:g}".encode()))
        message = {
            401: "Incorrect API key provided",
            404: f"The model `{call.model}` does not exist",
            429: "Rate limit reached for requests",
            500: "The server had an error while processing your request",
        }[status]
        if call.api == "anthropic":
            kind = {401: "authentication_error", 404: "not_found_error", 429: "rate_limit_error"}
            body: dict[str, Any] = {
                "type": "error",
                "error": {"type": kind.get(status, "api_error"), "message": message},
            }
        elif call.api == "google":
            state = {401: "UNAUTHENTICATED", 404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED"}
            body = {
                "error": {
                    "code": status,
                    "message": message,
                    "status": state.get(status, "INTERNAL"),
                }
            }
        else:
            code = {401: "invalid_api_key", 404: "model_not_found", 429: "rate_limit_exceeded"}
            body = {"error": {"message": message, "type": "error", "code": code.get(status)}}
        await _json(send, status, body, headers)


def _call(scope: Scope, path: str, body: bytes) -> Call | None:
    headers = {
        name.decode().lower(): value.decode(errors="replace") for name, value in scope["headers"]
    }
    query = parse_qs(scope["query_string"].decode())
    try:
        document = orjson.loads(body) if body else {}
    except orjson.JSONDecodeError:
        document = {}
    if not isinstance(document, dict):
        document = {}
    bearer = headers.get("authorization", "").removeprefix("Bearer ")
    if path.endswith("/chat/completions"):
        key = headers.get("api-key") or bearer
        model = str(document.get("model") or "")
        parts = path.split("/")
        if "deployments" in parts:
            model = unquote(parts[parts.index("deployments") + 1])
        call = Call("openai", model, key, False, document)
        _read_openai(call)
        return call
    if path.endswith("/messages"):
        call = Call(
            "anthropic",
            str(document.get("model") or ""),
            headers.get("x-api-key") or bearer,
            False,
            document,
        )
        _read_anthropic(call)
        return call
    if ":generateContent" in path or ":streamGenerateContent" in path:
        model_part, _, method = path.rpartition("/models/")[2].partition(":")
        key = headers.get("x-goog-api-key") or (query.get("key") or [""])[0] or bearer
        call = Call("google", unquote(model_part), key, method == "streamGenerateContent", document)
        _read_google(call)
        return call
    return None


def _words(reply: str) -> list[str]:
    """The reply cut in stream chunks: each word with the space after it."""
    words = reply.split(" ")
    return [word + " " for word in words[:-1]] + [words[-1]] if reply else []


def _completion_tokens(reply: str) -> int:
    return len(reply.split())


def _tool_input(call: Call) -> dict[str, Any]:
    if call.tool_arguments is not None:
        return call.tool_arguments
    return {"input": call.last_user_text}


def _tool_arguments(call: Call) -> str:
    return orjson.dumps(_tool_input(call)).decode()


def _openai_answer(call: Call, reply: str, tool: str | None) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": None if tool else reply}
    if tool:
        message["tool_calls"] = [
            {
                "id": "call_fake_0",
                "type": "function",
                "function": {"name": tool, "arguments": _tool_arguments(call)},
            }
        ]
    completion = 0 if tool else _completion_tokens(reply)
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": call.model,
        "choices": [
            {"index": 0, "message": message, "finish_reason": "tool_calls" if tool else "stop"}
        ],
        "usage": {
            "prompt_tokens": call.prompt_tokens,
            "completion_tokens": completion,
            "total_tokens": call.prompt_tokens + completion,
            "prompt_tokens_details": {"cached_tokens": 0},
        },
    }


def _anthropic_answer(call: Call, reply: str, tool: str | None) -> dict[str, Any]:
    content: list[dict[str, Any]] = (
        [
            {
                "type": "tool_use",
                "id": "toolu_fake_0",
                "name": tool,
                "input": _tool_input(call),
            }
        ]
        if tool
        else [{"type": "text", "text": reply}]
    )
    return {
        "id": f"msg_{uuid.uuid4().hex[:12]}",
        "type": "message",
        "role": "assistant",
        "model": call.model,
        "content": content,
        "stop_reason": "tool_use" if tool else "end_turn",
        "stop_sequence": None,
        "usage": {
            "input_tokens": call.prompt_tokens,
            "output_tokens": 0 if tool else _completion_tokens(reply),
        },
    }


def _google_answer(call: Call, reply: str, tool: str | None) -> dict[str, Any]:
    part: dict[str, Any] = (
        {"functionCall": {"name": tool, "args": _tool_input(call)}} if tool else {"text": reply}
    )
    completion = 0 if tool else _completion_tokens(reply)
    return {
        "candidates": [
            {"content": {"role": "model", "parts": [part]}, "finishReason": "STOP", "index": 0}
        ],
        "usageMetadata": {
            "promptTokenCount": call.prompt_tokens,
            "candidatesTokenCount": completion,
            "totalTokenCount": call.prompt_tokens + completion,
        },
        "modelVersion": call.model,
    }


_ANSWERS: dict[str, Callable[[Call, str, str | None], dict[str, Any]]] = {
    "openai": _openai_answer,
    "anthropic": _anthropic_answer,
    "google": _google_answer,
}


class _Stream:
    """Sends one SSE response, noting when its first chunk went out."""

    def __init__(self, fake: FakeProvider, call: Call, send: Send, received_at: float) -> None:
        self.fake = fake
        self.call = call
        self.send = send
        self.received_at = received_at
        self.started = False
        self.sent = 0

    async def event(self, data: dict[str, Any] | str, event: str | None = None) -> None:
        cut = self.fake.script.cut_after_chunks
        if cut is not None and self.sent >= cut:
            # uvicorn closes the connection of an app that fails mid-response: the client sees
            # the stream cut short, as when a provider's connection drops.
            raise ConnectionAbortedError("stream cut by the script")
        if not self.started:
            self.started = True
            await self.send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"content-type", b"text/event-stream"),
                        (b"cache-control", b"no-cache"),
                    ],
                }
            )
        elif self.fake.script.inter_token_ms > 0:
            await asyncio.sleep(self.fake.script.inter_token_ms / 1000)
        payload = data if isinstance(data, str) else orjson.dumps(data).decode()
        prefix = f"event: {event}\n" if event else ""
        await self.send(
            {
                "type": "http.response.body",
                "body": f"{prefix}data: {payload}\n\n".encode(),
                "more_body": True,
            }
        )
        self.sent += 1
        if self.sent == 1:
            self.fake.observations.first_chunks.append(
                {
                    "model": self.call.model,
                    "received_at": self.received_at,
                    "first_chunk_at": time.time(),
                }
            )

    async def end(self) -> None:
        await self.send({"type": "http.response.body", "body": b"", "more_body": False})


async def _openai_stream(
    fake: FakeProvider, call: Call, reply: str, tool: str | None, send: Send, received_at: float
) -> None:
    stream = _Stream(fake, call, send, received_at)
    base = {
        "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": call.model,
    }

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    await stream.event(chunk({"role": "assistant", "content": ""}))
    if tool:
        arguments = _tool_arguments(call)
        middle = len(arguments) // 2
        await stream.event(
            chunk(
                {
                    "tool_calls": [
                        {
                            "index": 0,
                            "id": "call_fake_0",
                            "type": "function",
                            "function": {"name": tool, "arguments": arguments[:middle]},
                        }
                    ]
                }
            )
        )
        await stream.event(
            chunk({"tool_calls": [{"index": 0, "function": {"arguments": arguments[middle:]}}]})
        )
    else:
        for word in _words(reply):
            await stream.event(chunk({"content": word}))
    await stream.event(chunk({}, "tool_calls" if tool else "stop"))
    if call.include_usage:
        completion = 0 if tool else _completion_tokens(reply)
        await stream.event(
            {
                **base,
                "choices": [],
                "usage": {
                    "prompt_tokens": call.prompt_tokens,
                    "completion_tokens": completion,
                    "total_tokens": call.prompt_tokens + completion,
                },
            }
        )
    await stream.event("[DONE]")
    await stream.end()


async def _anthropic_stream(
    fake: FakeProvider, call: Call, reply: str, tool: str | None, send: Send, received_at: float
) -> None:
    stream = _Stream(fake, call, send, received_at)
    message = _anthropic_answer(call, "", None)
    message["content"] = []
    message["stop_reason"] = None
    message["usage"] = {"input_tokens": call.prompt_tokens, "output_tokens": 1}
    await stream.event({"type": "message_start", "message": message}, "message_start")
    if tool:
        await stream.event(
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {
                    "type": "tool_use",
                    "id": "toolu_fake_0",
                    "name": tool,
                    "input": {},
                },
            },
            "content_block_start",
        )
        arguments = _tool_arguments(call)
        middle = len(arguments) // 2
        for piece in (arguments[:middle], arguments[middle:]):
            await stream.event(
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "input_json_delta", "partial_json": piece},
                },
                "content_block_delta",
            )
    else:
        await stream.event(
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
            "content_block_start",
        )
        for word in _words(reply):
            await stream.event(
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": word},
                },
                "content_block_delta",
            )
    await stream.event({"type": "content_block_stop", "index": 0}, "content_block_stop")
    await stream.event(
        {
            "type": "message_delta",
            "delta": {"stop_reason": "tool_use" if tool else "end_turn", "stop_sequence": None},
            "usage": {"output_tokens": 0 if tool else _completion_tokens(reply)},
        },
        "message_delta",
    )
    await stream.event({"type": "message_stop"}, "message_stop")
    await stream.end()


async def _google_stream(
    fake: FakeProvider, call: Call, reply: str, tool: str | None, send: Send, received_at: float
) -> None:
    stream = _Stream(fake, call, send, received_at)
    if tool:
        await stream.event(_google_answer(call, reply, tool))
        await stream.end()
        return
    words = _words(reply) or [""]
    for index, word in enumerate(words):
        chunk: dict[str, Any] = {
            "candidates": [{"content": {"role": "model", "parts": [{"text": word}]}, "index": 0}],
            "modelVersion": call.model,
        }
        if index == len(words) - 1:
            chunk = _google_answer(call, reply, None)
            chunk["candidates"][0]["content"]["parts"] = [{"text": word}]
        await stream.event(chunk)
    await stream.end()


_STREAMERS = {"openai": _openai_stream, "anthropic": _anthropic_stream, "google": _google_stream}


async def _body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


async def _json(
    send: Send, status: int, document: Any, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = orjson.dumps(document)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def main(argv: list[str] | None = None) -> None:
    """Serve the fake provider until interrupted."""
    import uvicorn

    parser = argparse.ArgumentParser(
        prog="python -m tests.support.fake_provider", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    arguments = parser.parse_args(argv)
    uvicorn.run(
        FakeProvider(),
        host=arguments.host,
        port=arguments.port,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
        lifespan="on",
        timeout_keep_alive=30,
        backlog=4096,
    )


if __name__ == "__main__":
    main()
