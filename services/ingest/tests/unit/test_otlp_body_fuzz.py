"""Hypothesis against the OTLP/HTTP bodies the receiver parses: whatever bytes or JSON arrive,
parsing and decoding either give spans or refuse with a client error (400/413), never crash.

Random bytes rarely parse as protobuf, so valid requests are also mutated (bytes flipped,
cut, repeated); JSON documents are built in OTLP's shape with any values in any field.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from spyglass_core.errors import InvalidArgumentError, PayloadTooLargeError
from spyglass_ingest.receiver.otlp_http import _parse_json, _parse_protobuf
from spyglass_spans import DecodeLimits, ModelPriceTable, decode_export_request

PRICES = ModelPriceTable.load()
LIMITS = DecodeLimits(max_attribute_value_bytes=64 * 1024, max_span_bytes=256 * 1024)
CLIENT_ERRORS = (InvalidArgumentError, PayloadTooLargeError)


def _valid() -> bytes:
    span = Span(
        trace_id=bytes(range(16)),
        span_id=bytes(range(8)),
        name="llm",
        start_time_unix_nano=1_700_000_000_000_000_000,
        end_time_unix_nano=1_700_000_001_000_000_000,
        attributes=[
            KeyValue(key="openinference.span.kind", value=AnyValue(string_value="LLM")),
            KeyValue(key="llm.token_count.prompt", value=AnyValue(int_value=12)),
        ],
    )
    resource = Resource(
        attributes=[KeyValue(key="openinference.project.name", value=AnyValue(string_value="shop"))]
    )
    request = ExportTraceServiceRequest(
        resource_spans=[ResourceSpans(resource=resource, scope_spans=[ScopeSpans(spans=[span])])]
    )
    return request.SerializeToString()


VALID = _valid()


def _decodes_or_refuses(parse: Any, body: bytes) -> None:
    try:
        request = parse(body)
        decode_export_request(
            request,
            None,
            prices=PRICES,
            limits=LIMITS,
            received_at_unix_nano=1_700_000_000_000_000_000,
        )
    except CLIENT_ERRORS:
        pass


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    body = bytearray(VALID)
    for _ in range(draw(st.integers(1, 8))):
        position = draw(st.integers(0, len(body) - 1))
        operation = draw(st.sampled_from(["flip", "cut", "repeat", "insert"]))
        if operation == "flip":
            body[position] = draw(st.integers(0, 255))
        elif operation == "cut":
            del body[position : position + draw(st.integers(1, 16))]
        elif operation == "repeat":
            body[position:position] = body[position : position + draw(st.integers(1, 32))]
        else:
            body[position:position] = draw(st.binary(max_size=16))
        if not body:
            break
    return bytes(body)


SETTINGS = settings(
    max_examples=300, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)


@SETTINGS
@given(body=st.binary(max_size=512) | mutated())
def test_any_protobuf_body_decodes_or_is_refused(body: bytes) -> None:
    _decodes_or_refuses(_parse_protobuf, body)


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
FIELDS = st.sampled_from(
    [
        "traceId",
        "spanId",
        "parentSpanId",
        "name",
        "kind",
        "startTimeUnixNano",
        "endTimeUnixNano",
        "attributes",
        "events",
        "links",
        "status",
    ]
)


@st.composite
def otlp_json(draw: st.DrawFn) -> bytes:
    span = draw(st.dictionaries(FIELDS, JSON_VALUES, max_size=6))
    attribute = {"key": draw(st.text(max_size=20)), "value": draw(JSON_VALUES)}
    document = {
        "resourceSpans": [
            {
                "resource": {"attributes": draw(st.sampled_from([[], [attribute], attribute]))},
                "scopeSpans": [{"spans": [span]}],
            }
        ]
    }
    if draw(st.booleans()):
        document = draw(JSON_VALUES)  # not even OTLP's shape
    return json.dumps(document).encode()  # integers past 64 bits too


@SETTINGS
@given(body=otlp_json() | st.binary(max_size=256))
def test_any_json_body_decodes_or_is_refused(body: bytes) -> None:
    _decodes_or_refuses(_parse_json, body)


def test_deeply_nested_json_is_refused_not_a_crash() -> None:
    # Written by hand: orjson itself won't serialize 600 levels.
    value = '{"kvlistValue": {"values": [{"key": "k", "value": ' * 600
    value += '"leaf"' + "}]}}" * 600
    ids = f'"traceId": "{"00" * 16}", "spanId": "{"00" * 8}"'
    body = (
        '{"resourceSpans": [{"scopeSpans": [{"spans": [{' + ids + ', "name": "deep", '
        '"attributes": [{"key": "a", "value": ' + value + "}]}]}]}]}"
    )
    _decodes_or_refuses(_parse_json, body.encode())
