"""Benchmark: how many spans a second one core turns from OTLP bytes into bus messages.

Not a test. It measures what the receiver does per request on its hot path: parse the
``ExportTraceServiceRequest``, ``decode_export_request``, and serialize the resulting batches.
The spans are agent runs as OpenInference instrumentations write them (an agent root, a retriever
with three documents, an LLM call with messages and token counts, a tool call), about 2.4 KB each
on the wire with 15-32 attributes (21 on average).

    .venv/bin/python libs/spans/bench_decode.py [--requests 40] [--spans-per-request 1000]
    .venv/bin/python libs/spans/bench_decode.py --profile     # cProfile of the decoding only
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import statistics
import time

import orjson
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

from spyglass_spans import DecodeLimits, ModelPriceTable, decode_export_request

WORDS = (
    "the", "refund", "policy", "covers", "orders", "shipped", "within", "thirty", "days",
    "of", "purchase", "when", "asked", "customer", "support", "agent", "a", "to",
)  # fmt: skip


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def _any_value(value: object) -> AnyValue:
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    if isinstance(value, list):
        return AnyValue(array_value=ArrayValue(values=[_any_value(item) for item in value]))
    return AnyValue(string_value=str(value))


def _attributes(values: dict[str, object]) -> list[KeyValue]:
    return [KeyValue(key=key, value=_any_value(value)) for key, value in values.items()]


def agent_trace(rng: random.Random, start_ns: int) -> list[Span]:
    """The four spans of one agent run."""
    trace_id = rng.randbytes(16)
    root_id, retriever_id, llm_id, tool_id = (rng.randbytes(8) for _ in range(4))
    question = _text(rng, 40)
    answer = _text(rng, 60)
    common: dict[str, object] = {
        "session.id": f"session-{rng.randrange(1000)}",
        "user.id": f"user-{rng.randrange(100)}",
        "metadata": orjson.dumps({"tier": rng.choice(["gold", "free"]), "region": "eu"}).decode(),
        "tag.tags": ["prod", "support"],
    }

    def span(
        span_id: bytes, parent: bytes, name: str, offset_ms: int, values: dict[str, object]
    ) -> Span:
        return Span(
            trace_id=trace_id,
            span_id=span_id,
            parent_span_id=parent,
            name=name,
            kind=Span.SPAN_KIND_INTERNAL,
            start_time_unix_nano=start_ns + offset_ms * 1_000_000,
            end_time_unix_nano=start_ns + (offset_ms + 200) * 1_000_000,
            attributes=_attributes({**values, **common}),
            status=Status(code=Status.STATUS_CODE_OK),
        )

    prompt_tokens, completion_tokens = rng.randrange(200, 2000), rng.randrange(20, 400)
    documents: dict[str, object] = {}
    for index in range(3):
        prefix = f"retrieval.documents.{index}.document"
        documents[f"{prefix}.id"] = f"doc-{rng.randrange(10**6)}"
        documents[f"{prefix}.score"] = rng.random()
        documents[f"{prefix}.content"] = _text(rng, 55)
        documents[f"{prefix}.metadata"] = orjson.dumps(
            {"source": f"kb/{rng.randrange(500)}.md", "chunk": index}
        ).decode()
    return [
        span(
            root_id,
            b"",
            "support-agent",
            0,
            {
                "openinference.span.kind": "AGENT",
                "input.value": question,
                "input.mime_type": "text/plain",
                "output.value": answer,
                "output.mime_type": "text/plain",
                "agent.name": "support-bot",
                "graph.node.id": "agent",
                "graph.node.name": "support-agent",
                "llm.prompt_template.template": "Answer {question} politely",
                "llm.prompt_template.variables": orjson.dumps({"question": question}).decode(),
                "llm.prompt_template.version": "v3",
                "notes": _text(rng, 150),
            },
        ),
        span(
            retriever_id,
            root_id,
            "retrieve",
            10,
            {
                "openinference.span.kind": "RETRIEVER",
                "input.value": question,
                "input.mime_type": "text/plain",
                "embedding.model_name": "text-embedding-3-small",
                "retrieval.top_k": 3,
                **documents,
            },
        ),
        span(
            llm_id,
            root_id,
            "ChatCompletion",
            50,
            {
                "openinference.span.kind": "LLM",
                "llm.model_name": "gpt-4o-mini-2024-07-18",
                "llm.provider": "openai",
                "llm.system": "openai",
                "llm.invocation_parameters": '{"temperature": 0.2, "max_tokens": 512}',
                "llm.input_messages.0.message.role": "system",
                "llm.input_messages.0.message.content": _text(rng, 60),
                "llm.input_messages.1.message.role": "user",
                "llm.input_messages.1.message.content": question,
                "llm.input_messages.2.message.role": "tool",
                "llm.input_messages.2.message.tool_call_id": "call_0",
                "llm.input_messages.2.message.content": '{"status": "shipped"}',
                "llm.output_messages.0.message.role": "assistant",
                "llm.output_messages.0.message.content": answer,
                "llm.output_messages.0.message.tool_calls.0.tool_call.id": "call_1",
                "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": "lookup",
                "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": (
                    '{"order_id": "A-1234"}'
                ),
                "llm.tools.0.tool.json_schema": '{"type": "function", "name": "lookup"}',
                "llm.token_count.prompt": prompt_tokens,
                "llm.token_count.completion": completion_tokens,
                "llm.token_count.total": prompt_tokens + completion_tokens,
                "llm.token_count.prompt_details.cache_read": rng.randrange(0, 200),
                "llm.token_count.prompt_details.audio": 0,
                "llm.token_count.completion_details.reasoning": 0,
                "input.value": question,
                "input.mime_type": "text/plain",
                "output.value": answer,
                "output.mime_type": "text/plain",
            },
        ),
        span(
            tool_id,
            root_id,
            "lookup_order",
            260,
            {
                "openinference.span.kind": "TOOL",
                "tool.name": "lookup_order",
                "tool.description": "Looks an order up by its id",
                "tool.parameters": '{"order_id": {"type": "string"}}',
                "tool.id": "call_1",
                "tool_call.function.name": "lookup_order",
                "tool_call.function.arguments": '{"order_id": "A-1234"}',
                "input.value": '{"order_id": "A-1234"}',
                "input.mime_type": "application/json",
                "output.value": _text(rng, 180),
                "output.mime_type": "text/plain",
            },
        ),
    ]


def build_requests(count: int, spans_per_request: int, seed: int = 7) -> list[bytes]:
    """``count`` serialized export requests of ``spans_per_request`` spans each."""
    rng = random.Random(seed)  # noqa: S311 (reproducible test data, not secrets)
    resource = Resource(
        attributes=_attributes(
            {"openinference.project.name": "bench", "service.name": "support-bot"}
        )
    )
    start_ns = time.time_ns() - 3600 * 10**9
    requests = []
    for number in range(count):
        spans: list[Span] = []
        while len(spans) < spans_per_request:
            spans.extend(agent_trace(rng, start_ns + (number * 10_000 + len(spans)) * 10**6))
        request = ExportTraceServiceRequest(
            resource_spans=[
                ResourceSpans(
                    resource=resource, scope_spans=[ScopeSpans(spans=spans[:spans_per_request])]
                )
            ]
        )
        requests.append(request.SerializeToString())
    return requests


def handle(payload: bytes, prices: ModelPriceTable, limits: DecodeLimits) -> int:
    """What the receiver does with one request body; returns the bytes it would publish."""
    request = ExportTraceServiceRequest.FromString(payload)
    result = decode_export_request(
        request, None, prices=prices, limits=limits, received_at_unix_nano=time.time_ns()
    )
    return sum(len(batch.SerializeToString()) for batch in result.batches)


def main() -> None:
    """Run the benchmark and print spans per second."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--spans-per-request", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    arguments = parser.parse_args()

    requests = build_requests(arguments.requests, arguments.spans_per_request)
    spans = arguments.requests * arguments.spans_per_request
    wire_bytes = sum(len(payload) for payload in requests)
    prices = ModelPriceTable.load()
    limits = DecodeLimits()
    sample = ExportTraceServiceRequest.FromString(requests[0]).resource_spans[0].scope_spans[0]
    attribute_counts = [len(span.attributes) for span in sample.spans]
    print(
        f"{spans} spans in {len(requests)} requests, {wire_bytes / spans:.0f} bytes a span, "
        f"{min(attribute_counts)}-{max(attribute_counts)} attributes "
        f"({sum(attribute_counts) / len(attribute_counts):.0f} on average)"
    )

    if arguments.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for payload in requests:
            handle(payload, prices, limits)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        return

    published = 0
    rates = []
    for _ in range(arguments.rounds):
        started = time.perf_counter()
        for payload in requests:
            published = handle(payload, prices, limits)
        rates.append(spans / (time.perf_counter() - started))
    print(f"published {published / arguments.spans_per_request:.0f} bytes a span")
    print(
        f"parse + decode + serialize: {statistics.median(rates):,.0f} spans/s "
        f"(median of {arguments.rounds} rounds; best {max(rates):,.0f})"
    )


if __name__ == "__main__":
    main()
