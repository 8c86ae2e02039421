"""Each playground chat completion traced: one OpenInference LLM span in the playground project.

The span takes the span upload's path (:mod:`spyglass_query_api.rest.span_upload`): it is made a
``DecodedSpan`` by the same :func:`~spyglass_query_api.rest.span_upload.decoded_span` (so it is
normalized and priced as an uploaded or OTLP span is), published to the span bus with the same
publisher, and the ingest writer stores it, creating the project if it is new. Its trace id is
chosen before the call, so the answer's ``x-spyglass-trace-id`` header can name it even for a
stream, whose headers leave before the span ends.

A span that can't be published (the bus full or unreachable, a span larger than a bus message)
never fails the completion: it is logged (``playground_span_lost``, with the reason) and
counted in ``spyglass_playground_spans_lost_total``.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from prometheus_client import Counter

from spyglass_core.errors import (
    DependencyUnavailableError,
    InvalidArgumentError,
    OverloadedError,
    PayloadTooLargeError,
)
from spyglass_core.logging import get_logger
from spyglass_llm.chat import ChatMessage, ChatRequest, Completion
from spyglass_llm.providers import ModelProvider
from spyglass_proto.bus.v1.spans_pb2 import DecodedSpanBatch
from spyglass_query_api.rest.span_upload import (
    SpanUpload,
    UploadSpan,
    UploadSpanContext,
    UploadSpanEvent,
    decoded_span,
)
from spyglass_spans import new_batch_id

log = get_logger(__name__)

TRACE_HEADER = "x-spyglass-trace-id"
"""The answer's header naming the trace of the call (absent when tracing is not set up)."""

SPAN_NAME = "ChatCompletion"
"""The span's name, as Phoenix's playground names its spans."""

SPANS_LOST = Counter(
    "spyglass_playground_spans_lost_total",
    "Playground chat completion spans that could not be published to the span bus.",
    ["reason"],
)

_OPENINFERENCE_PROVIDERS = {ModelProvider.AZURE_OPENAI: "azure"}
"""OpenInference's ``llm.provider`` values where they differ from our lower-case names."""


def _json(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def _message_attributes(prefix: str, message: ChatMessage) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        f"{prefix}.message.role": message.normalized_role,
        f"{prefix}.message.content": message.text,
    }
    for index, call in enumerate(message.tool_calls):
        call_prefix = f"{prefix}.message.tool_calls.{index}.tool_call"
        attributes[f"{call_prefix}.id"] = call.tool_call_id
        attributes[f"{call_prefix}.function.name"] = call.tool_call.name
        attributes[f"{call_prefix}.function.arguments"] = call.tool_call.arguments
    results = message.tool_results
    if results:
        attributes[f"{prefix}.message.tool_call_id"] = results[0].tool_call_id
        if not message.text:
            texts = [
                r.tool_result if isinstance(r.tool_result, str) else _json(r.tool_result)
                for r in results
            ]
            attributes[f"{prefix}.message.content"] = "\n".join(texts)
    return attributes


def _tool_schemas(request: ChatRequest) -> list[str]:
    if request.tools is None:
        return []
    return [
        _json(tool.raw if tool.type == "raw" else tool.model_dump(mode="json", exclude_none=True))
        for tool in request.tools.tools
    ]


def request_attributes(request: ChatRequest) -> dict[str, Any]:
    """OpenInference attributes of the call ``request`` makes."""
    attributes: dict[str, Any] = {
        "llm.provider": _OPENINFERENCE_PROVIDERS.get(
            request.provider, request.provider.value.lower()
        ),
        "llm.model_name": request.model,
        "llm.invocation_parameters": _json(request.invocation_parameters),
    }
    for index, message in enumerate(request.messages):
        attributes.update(_message_attributes(f"llm.input_messages.{index}", message))
    for index, schema in enumerate(_tool_schemas(request)):
        attributes[f"llm.tools.{index}.tool.json_schema"] = schema
    return attributes


def completion_attributes(completion: Completion) -> dict[str, Any]:
    """OpenInference attributes of the answer (output message, output value, token counts)."""
    prefix = "llm.output_messages.0.message"
    attributes: dict[str, Any] = {
        f"{prefix}.role": "assistant",
        f"{prefix}.content": completion.text,
    }
    for index, call in enumerate(completion.tool_calls):
        call_prefix = f"{prefix}.tool_calls.{index}.tool_call"
        attributes[f"{call_prefix}.id"] = call.id
        attributes[f"{call_prefix}.function.name"] = call.name
        attributes[f"{call_prefix}.function.arguments"] = call.arguments
    if completion.tool_calls:
        attributes["output.value"] = _json(
            {
                "content": completion.text,
                "tool_calls": [
                    {"id": call.id, "function": {"name": call.name, "arguments": call.arguments}}
                    for call in completion.tool_calls
                ],
            }
        )
        attributes["output.mime_type"] = "application/json"
    else:
        attributes["output.value"] = completion.text
        attributes["output.mime_type"] = "text/plain"
    usage = completion.usage
    if usage is not None:
        attributes["llm.token_count.prompt"] = usage.prompt_tokens
        attributes["llm.token_count.completion"] = usage.completion_tokens
        attributes["llm.token_count.total"] = usage.total_tokens
        if usage.cached_tokens:
            attributes["llm.token_count.prompt_details.cache_read"] = usage.cached_tokens
        if usage.cache_write_tokens:
            attributes["llm.token_count.prompt_details.cache_write"] = usage.cache_write_tokens
    return attributes


def _new_id(hex_digits: int) -> str:
    while True:
        identifier = secrets.token_hex(hex_digits // 2)
        if int(identifier, 16):
            return identifier


def _moment(unix_nano: int) -> datetime:
    return datetime.fromtimestamp(unix_nano / 1e9, UTC)


@dataclass
class ChatTrace:
    """The span of one chat completion, from the call's start until :meth:`finish`.

    Args:
        upload: the span bus; None (an app built without one) traces nothing.
        project_name: the project the span goes to.
        request: the call.
        input_value: the request body as received (the span's ``input.value``).
        template_variables: the variables the messages were filled in with, if they were.
    """

    upload: SpanUpload | None
    project_name: str
    request: ChatRequest
    input_value: dict[str, Any]
    template_variables: dict[str, Any] | None = None
    trace_id: str = field(default_factory=lambda: _new_id(32))
    span_id: str = field(default_factory=lambda: _new_id(16))
    started_unix_nano: int = field(default_factory=time.time_ns)
    finished: bool = False

    @property
    def headers(self) -> dict[str, str]:
        """The answer's header naming the trace, when the call is traced."""
        return {} if self.upload is None else {TRACE_HEADER: self.trace_id}

    def _span(self, completion: Completion | None, error: str | None) -> UploadSpan:
        ended = max(time.time_ns(), self.started_unix_nano)
        attributes = request_attributes(self.request)
        attributes["input.value"] = _json(self.input_value)
        attributes["input.mime_type"] = "application/json"
        if self.template_variables is not None:
            attributes["llm.prompt_template.variables"] = _json(self.template_variables)
        if completion is not None:
            attributes.update(completion_attributes(completion))
        events = []
        if error is not None:
            events.append(
                UploadSpanEvent(
                    name="exception",
                    timestamp=_moment(ended),
                    attributes={"exception.message": error},
                )
            )
        return UploadSpan(
            name=SPAN_NAME,
            context=UploadSpanContext(trace_id=self.trace_id, span_id=self.span_id),
            span_kind="LLM",
            start_time=_moment(self.started_unix_nano),
            end_time=_moment(ended),
            status_code="OK" if error is None else "ERROR",
            status_message=error or "",
            attributes=attributes,
            events=events,
        )

    async def finish(self, completion: Completion | None = None, error: str | None = None) -> None:
        """End the span (status ERROR with ``error`` when given) and publish it; once only.

        Never raises for the bus: a span that can't be published is logged and counted.
        """
        if self.finished or self.upload is None:
            return
        self.finished = True
        upload = self.upload
        try:
            span = decoded_span(
                self._span(completion, error), upload.prices, upload.publisher.max_span_bytes
            )
            await upload.publisher.publish(
                DecodedSpanBatch(
                    batch_id=new_batch_id(),
                    project_name=self.project_name,
                    received_at_unix_nano=time.time_ns(),
                    spans=[span],
                )
            )
        except (InvalidArgumentError, PayloadTooLargeError) as problem:
            self._lost("unstorable", problem)
        except OverloadedError as problem:
            self._lost("bus_full", problem)
        except DependencyUnavailableError as problem:
            self._lost("bus_unavailable", problem)

    def _lost(self, reason: str, problem: Exception) -> None:
        SPANS_LOST.labels(reason=reason).inc()
        log.warning(
            "playground_span_lost",
            reason=reason,
            trace_id=self.trace_id,
            project=self.project_name,
            error=str(problem)[:300],
        )
