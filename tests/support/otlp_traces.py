"""Traces with known contents, sent over OTLP/HTTP the way an instrumented app sends them.

UI and end-to-end tests use these to put something recognisable on the screen: an agent run with
a retriever (documents with scores), an LLM call (system, user, assistant and tool messages, a
tool call with arguments, token counts) and a tool that fails with an exception and its stack
trace. ``wide_trace`` builds a large one (10,000 spans) of plain spans for the trace page's
tests and benchmark. Every id is random, so tests never see each other's traces.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

from tests.support.waiting import assert_eventually

STACK_TRACE = (
    "Traceback (most recent call last):\n"
    '  File "shop/tools.py", line 42, in lookup_order\n'
    "    return orders.fetch(order_id)\n"
    "TimeoutError: order service timed out"
)


def attributes(values: Mapping[str, object]) -> list[KeyValue]:
    """OTLP key-values of plain Python values (str, bool, int, float)."""
    pairs = []
    for key, value in values.items():
        if isinstance(value, bool):
            any_value = AnyValue(bool_value=value)
        elif isinstance(value, int):
            any_value = AnyValue(int_value=value)
        elif isinstance(value, float):
            any_value = AnyValue(double_value=value)
        else:
            any_value = AnyValue(string_value=str(value))
        pairs.append(KeyValue(key=key, value=any_value))
    return pairs


@dataclass
class SentTrace:
    """What was sent, in the form tests look for: hex ids and the texts shown."""

    trace_id: str
    root_span_id: str
    llm_span_id: str
    tool_span_id: str
    question: str
    answer: str
    system_prompt: str
    spans: list[Span] = field(repr=False)


def agent_trace(
    *,
    question: str = "Where is my order 1234?",
    answer: str = "Your order 1234 ships tomorrow.",
    session_id: str | None = None,
    fail_tool: bool = False,
    start_ns: int | None = None,
) -> SentTrace:
    """One agent run: agent (root) -> retrieve, ChatCompletion, lookup_order."""
    start = start_ns if start_ns is not None else time.time_ns()
    trace_id = os.urandom(16)
    root_id, retriever_id, llm_id, tool_id = (os.urandom(8) for _ in range(4))
    system_prompt = "You are a helpful shop assistant."
    common: dict[str, object] = {"session.id": session_id} if session_id else {}

    def span(span_id: bytes, parent: bytes, name: str, offset_ms: int, length_ms: int) -> Span:
        return Span(
            trace_id=trace_id,
            span_id=span_id,
            parent_span_id=parent,
            name=name,
            kind=Span.SPAN_KIND_INTERNAL,
            start_time_unix_nano=start + offset_ms * 1_000_000,
            end_time_unix_nano=start + (offset_ms + length_ms) * 1_000_000,
            status=Status(code=Status.STATUS_CODE_OK),
        )

    root = span(root_id, b"", "agent", 0, 900)
    root.attributes.extend(
        attributes(
            {
                "openinference.span.kind": "AGENT",
                "input.value": question,
                "output.value": answer,
                **common,
            }
        )
    )
    retriever = span(retriever_id, root_id, "retrieve", 10, 80)
    retriever.attributes.extend(
        attributes(
            {
                "openinference.span.kind": "RETRIEVER",
                "input.value": question,
                "retrieval.documents.0.document.id": "doc-shipping",
                "retrieval.documents.0.document.score": 0.92,
                "retrieval.documents.0.document.content": "Orders ship within two days.",
                "retrieval.documents.1.document.id": "doc-returns",
                "retrieval.documents.1.document.score": 0.41,
                "retrieval.documents.1.document.content": "Returns are free for 30 days.",
                **common,
            }
        )
    )
    llm = span(llm_id, root_id, "ChatCompletion", 100, 600)
    llm.attributes.extend(
        attributes(
            {
                "openinference.span.kind": "LLM",
                "llm.model_name": "gpt-4o-mini",
                "llm.provider": "openai",
                "llm.invocation_parameters": '{"temperature": 0.2}',
                "llm.input_messages.0.message.role": "system",
                "llm.input_messages.0.message.content": system_prompt,
                "llm.input_messages.1.message.role": "user",
                "llm.input_messages.1.message.content": question,
                "llm.input_messages.2.message.role": "assistant",
                "llm.input_messages.2.message.tool_calls.0.tool_call.id": "call_1",
                "llm.input_messages.2.message.tool_calls.0.tool_call.function.name": (
                    "lookup_order"
                ),
                "llm.input_messages.2.message.tool_calls.0.tool_call.function.arguments": (
                    '{"order_id": "1234"}'
                ),
                "llm.input_messages.3.message.role": "tool",
                "llm.input_messages.3.message.tool_call_id": "call_1",
                "llm.input_messages.3.message.content": '{"status": "packed"}',
                "llm.output_messages.0.message.role": "assistant",
                "llm.output_messages.0.message.content": answer,
                "llm.token_count.prompt": 120,
                "llm.token_count.completion": 30,
                "llm.token_count.total": 150,
                "input.value": question,
                "output.value": answer,
                **common,
            }
        )
    )
    tool = span(tool_id, root_id, "lookup_order", 720, 150)
    tool.attributes.extend(
        attributes(
            {
                "openinference.span.kind": "TOOL",
                "tool.name": "lookup_order",
                "tool.parameters": '{"order_id": "1234"}',
                "input.value": '{"order_id": "1234"}',
                **common,
            }
        )
    )
    if fail_tool:
        tool.status.CopyFrom(
            Status(code=Status.STATUS_CODE_ERROR, message="order service timed out")
        )
        tool.events.add(
            name="exception",
            time_unix_nano=tool.end_time_unix_nano,
            attributes=attributes(
                {
                    "exception.type": "TimeoutError",
                    "exception.message": "order service timed out",
                    "exception.stacktrace": STACK_TRACE,
                }
            ),
        )
    return SentTrace(
        trace_id=trace_id.hex(),
        root_span_id=root_id.hex(),
        llm_span_id=llm_id.hex(),
        tool_span_id=tool_id.hex(),
        question=question,
        answer=answer,
        system_prompt=system_prompt,
        spans=[root, retriever, llm, tool],
    )


def send_spans(base_url: str, project: str, spans: list[Span]) -> None:
    """POSTs ``spans`` as one OTLP/HTTP protobuf request for ``project``; fails unless accepted."""
    request = ExportTraceServiceRequest(
        resource_spans=[
            ResourceSpans(
                resource=Resource(attributes=attributes({"openinference.project.name": project})),
                scope_spans=[ScopeSpans(spans=spans)],
            )
        ]
    )
    response = httpx.post(
        f"{base_url}/v1/traces",
        content=request.SerializeToString(),
        headers={"Content-Type": "application/x-protobuf"},
        timeout=30.0,
    )
    assert response.status_code == 200, response.text


def wait_for_spans(base_url: str, trace_id: str, count: int, timeout: float = 30.0) -> None:
    """Waits until the query API serves ``count`` spans of the trace (the writer is async)."""

    def stored() -> None:
        response = httpx.post(
            f"{base_url}/graphql",
            json={
                "query": "query($id: ID!) { trace(traceId: $id) { spanCount } }",
                "variables": {"id": trace_id},
            },
            timeout=10.0,
        )
        trace = response.json()["data"]["trace"]
        assert trace is not None and trace["spanCount"] >= count, trace

    assert_eventually(stored, timeout=timeout)


@dataclass
class WideTrace:
    """A large trace of plain spans: its hex id and the spans, root first, in start order."""

    trace_id: str
    spans: list[Span] = field(repr=False)

    @property
    def root_span_id(self) -> str:
        """The root span's hex id (the first row of the trace's tree)."""
        return self.spans[0].span_id.hex()

    @property
    def root_name(self) -> str:
        """The root span's name, which its detail shows as its title."""
        return self.spans[0].name

    @property
    def last_span_id(self) -> str:
        """The hex id of the span that starts last, the tree's last row."""
        return self.spans[-1].span_id.hex()


def wide_trace(spans: int, *, children_per_step: int = 100, name: str = "large run") -> WideTrace:
    """A root over steps of ``children_per_step`` leaves each, ``spans`` spans in all.

    Each span starts 1 ms after the one before it in the tree (rows in start order are rows in
    tree order), so the tree's last row is the trace's last span; a leaf is named
    ``span <its index>``, so the last one of 10,000 is ``span 9999``. With the defaults 10,000
    spans are the root, 99 steps and 9,900 leaves.
    """
    trace_id = os.urandom(16)
    start = time.time_ns()
    built: list[Span] = []

    def add(parent: bytes, span_name: str, kind: str) -> bytes:
        span_id = os.urandom(8)
        offset = len(built) * 1_000_000
        span = Span(
            trace_id=trace_id,
            span_id=span_id,
            parent_span_id=parent,
            name=span_name,
            kind=Span.SPAN_KIND_INTERNAL,
            start_time_unix_nano=start + offset,
            end_time_unix_nano=start + offset + 500_000,
            status=Status(code=Status.STATUS_CODE_OK),
        )
        span.attributes.extend(attributes({"openinference.span.kind": kind}))
        built.append(span)
        return span_id

    root = add(b"", name, "CHAIN")
    while len(built) < spans:
        parent = add(root, f"step {len(built) // (children_per_step + 1)}", "CHAIN")
        for _ in range(min(children_per_step, spans - len(built))):
            add(parent, f"span {len(built)}", "TOOL")
    built[0].end_time_unix_nano = built[-1].end_time_unix_nano
    return WideTrace(trace_id=trace_id.hex(), spans=built)


def send_wide_trace(
    base_url: str, project: str, trace: WideTrace, *, batch_spans: int = 1_000, timeout: float = 120
) -> None:
    """Sends ``trace`` in requests of ``batch_spans`` spans (as an exporter's batches would) and
    waits until the query API serves all of it."""
    for first in range(0, len(trace.spans), batch_spans):
        send_spans(base_url, project, trace.spans[first : first + batch_spans])
    wait_for_spans(base_url, trace.trace_id, len(trace.spans), timeout=timeout)
