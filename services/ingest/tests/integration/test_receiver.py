"""The OTLP receiver with real exporters: what users' SDKs and collectors send arrives.

Stock OpenTelemetry exporters (gRPC, HTTP), OTLP/JSON, compression, project selection, partial
success for bad spans, clear errors for bad requests, and back-pressure when the bus is full.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterator

import grpc
import httpx
import pytest
from google.rpc import status_pb2
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpExporter
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource as ResourceMessage
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter

from tests.support.ingest import IngestPlane, StartIngest
from tests.support.waiting import assert_eventually

pytestmark = pytest.mark.slow

PROTOBUF = {"content-type": "application/x-protobuf"}
NOW = 1_790_000_000_000_000_000


def _trace(exporter: SpanExporter, project: str | None = None) -> None:
    """An agent root with an LLM child, sent through ``exporter``."""
    attributes = {"openinference.project.name": project} if project else {}
    provider = TracerProvider(resource=Resource.create(attributes))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("tests")
    llm_attributes = {
        "openinference.span.kind": "LLM",
        "llm.model_name": "gpt-4o-mini",
        "llm.token_count.prompt": 12,
        "llm.token_count.completion": 3,
    }
    with (
        tracer.start_as_current_span("agent", attributes={"openinference.span.kind": "AGENT"}),
        tracer.start_as_current_span("llm", attributes=llm_attributes),
    ):
        pass
    provider.shutdown()


def _stored(plane: IngestPlane, count: int) -> list[dict[str, object]]:
    def check() -> list[dict[str, object]]:
        spans = plane.spans()
        assert len(spans) == count, spans
        return spans

    return assert_eventually(check, timeout=30, interval=0.25)


def test_stock_grpc_exporter(start_ingest: StartIngest) -> None:
    plane = start_ingest()

    _trace(GrpcExporter(endpoint=plane.grpc_target, insecure=True), project="grpc-app")

    spans = _stored(plane, 2)
    by_name = {span["name"]: span for span in spans}
    assert {span["project"] for span in spans} == {"grpc-app"}
    assert by_name["llm"]["parent_id"] == by_name["agent"]["span_id"]
    assert by_name["llm"]["span_kind"] == "LLM"
    assert by_name["agent"]["span_kind"] == "AGENT"
    # 12 prompt and 3 completion tokens of gpt-4o-mini at its list price.
    assert by_name["llm"]["llm_cost_total"] == pytest.approx((12 * 0.15 + 3 * 0.6) / 1e6)
    assert by_name["agent"]["llm_cost_total"] is None


def test_stock_http_exporter_and_the_project_header(start_ingest: StartIngest) -> None:
    plane = start_ingest()
    exporter = HttpExporter(
        endpoint=f"{plane.http_url}/v1/traces", headers={"x-project-name": "from-header"}
    )

    _trace(exporter, project="from-resource")  # the header wins

    assert {span["project"] for span in _stored(plane, 2)} == {"from-header"}


def test_spans_naming_no_project_go_to_default(start_ingest: StartIngest) -> None:
    plane = start_ingest()

    _trace(HttpExporter(endpoint=f"{plane.http_url}/v1/traces"))

    assert {span["project"] for span in _stored(plane, 2)} == {"default"}


def _request(*spans: Span, project: str = "raw") -> ExportTraceServiceRequest:
    resource = ResourceMessage(
        attributes=[
            KeyValue(key="openinference.project.name", value=AnyValue(string_value=project))
        ]
    )
    return ExportTraceServiceRequest(
        resource_spans=[ResourceSpans(resource=resource, scope_spans=[ScopeSpans(spans=spans)])]
    )


def _span(span_id: bytes, trace_id: bytes = b"\x01" * 16, start: int = NOW, end: int = NOW + 5):
    return Span(
        trace_id=trace_id,
        span_id=span_id,
        name="step",
        start_time_unix_nano=start,
        end_time_unix_nano=end,
    )


def test_otlp_json_with_hex_ids(start_ingest: StartIngest) -> None:
    plane = start_ingest()
    body = {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [
                        {"key": "openinference.project.name", "value": {"stringValue": "json"}}
                    ]
                },
                "scopeSpans": [
                    {
                        "spans": [
                            {
                                "traceId": "5b8efff798038103d269b633813fc60c",
                                "spanId": "eee19b7ec3c1b174",
                                "name": "from-json",
                                "kind": 1,
                                "startTimeUnixNano": str(NOW),
                                "endTimeUnixNano": str(NOW + 1000),
                                "attributes": [
                                    {"key": "input.value", "value": {"stringValue": "hello"}}
                                ],
                            }
                        ]
                    }
                ],
            }
        ]
    }

    response = httpx.post(
        f"{plane.http_url}/v1/traces",
        content=gzip.compress(json.dumps(body).encode()),
        headers={"content-type": "application/json", "content-encoding": "gzip"},
    )

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    (span,) = _stored(plane, 1)
    assert span["span_id"] == "eee19b7ec3c1b174"
    assert span["project"] == "json"
    assert json.loads(str(span["attributes"]))["input"]["value"] == "hello"


def test_deflate_encoded_protobuf(start_ingest: StartIngest) -> None:
    plane = start_ingest()
    body = zlib.compress(_request(_span(b"\x02" * 8)).SerializeToString())

    response = httpx.post(
        f"{plane.http_url}/v1/traces",
        content=body,
        headers={**PROTOBUF, "content-encoding": "deflate"},
    )

    assert response.status_code == 200, response.text
    assert _stored(plane, 1)[0]["span_id"] == "02" * 8


def test_bad_spans_are_rejected_in_partial_success_and_the_rest_stored(
    start_ingest: StartIngest,
) -> None:
    plane = start_ingest()
    request = _request(
        _span(b"\x03" * 8),
        _span(b"\x04" * 4),  # a span id of the wrong length
        _span(b"\x05" * 8, start=NOW + 10, end=NOW),  # ends before it starts
        _span(b"\x06" * 8, trace_id=b""),  # no trace id
    )

    response = httpx.post(
        f"{plane.http_url}/v1/traces", content=request.SerializeToString(), headers=PROTOBUF
    )

    assert response.status_code == 200, response.text
    answer = ExportTraceServiceResponse.FromString(response.content)
    assert answer.partial_success.rejected_spans == 3
    assert answer.partial_success.error_message
    assert [span["span_id"] for span in _stored(plane, 1)] == ["03" * 8]


def _status(response: httpx.Response) -> str:
    return status_pb2.Status.FromString(response.content).message


@pytest.mark.parametrize(
    ("body", "headers", "status", "fragment"),
    [
        (b"\x0a\xff\xff\xff\x0f", PROTOBUF, 400, "protobuf"),
        (b"{not json", {"content-type": "application/json"}, 400, "JSON"),
        (b"\x00", {"content-type": "text/plain"}, 415, "content type"),
        (b"\x00", {**PROTOBUF, "content-encoding": "br"}, 415, "encoding"),
        (b"not gzip", {**PROTOBUF, "content-encoding": "gzip"}, 400, "gzip"),
    ],
    ids=["bad-protobuf", "bad-json", "content-type", "encoding", "bad-gzip"],
)
def test_malformed_requests_get_a_clear_error(
    start_ingest: StartIngest, body: bytes, headers: dict[str, str], status: int, fragment: str
) -> None:
    plane = start_ingest(writer=False)

    response = httpx.post(f"{plane.http_url}/v1/traces", content=body, headers=headers)

    assert response.status_code == status
    message = (
        json.loads(response.text)["message"]
        if headers["content-type"] == "application/json"
        else _status(response)
    )
    assert fragment in message
    # ...and the receiver goes on serving.
    good = httpx.post(
        f"{plane.http_url}/v1/traces",
        content=_request(_span(b"\x07" * 8)).SerializeToString(),
        headers=PROTOBUF,
    )
    assert good.status_code == 200


@pytest.fixture
def grpc_channel(start_ingest: StartIngest) -> Iterator[tuple[IngestPlane, grpc.Channel]]:
    plane = start_ingest(SPYGLASS_RECEIVER_MAX_REQUEST_BYTES="65536")
    channel = grpc.insecure_channel(plane.grpc_target)
    yield plane, channel
    channel.close()


def test_grpc_malformed_and_oversized_requests(
    grpc_channel: tuple[IngestPlane, grpc.Channel],
) -> None:
    plane, channel = grpc_channel
    raw_export = channel.unary_unary(
        "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
        request_serializer=lambda body: body,
        response_deserializer=ExportTraceServiceResponse.FromString,
    )
    stub = trace_service_pb2_grpc.TraceServiceStub(channel)
    big = _span(b"\x08" * 8)
    big.attributes.append(KeyValue(key="input.value", value=AnyValue(string_value="x" * 100_000)))

    with pytest.raises(grpc.RpcError) as malformed:
        raw_export(b"\x0a\xff\xff\xff\x0f", timeout=10)
    with pytest.raises(grpc.RpcError) as oversized:
        stub.Export(_request(big), timeout=10)

    assert malformed.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "protobuf" in (malformed.value.details() or "")
    assert oversized.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    stub.Export(_request(_span(b"\x09" * 8)), timeout=10)  # still serving
    assert [span["span_id"] for span in _stored(plane, 1)] == ["09" * 8]


def test_oversized_http_request_and_attribute(start_ingest: StartIngest) -> None:
    plane = start_ingest(
        writer=False,
        SPYGLASS_RECEIVER_MAX_REQUEST_BYTES="65536",
        SPYGLASS_RECEIVER_MAX_ATTRIBUTE_VALUE_BYTES="2048",
    )
    huge = _span(b"\x0a" * 8)
    huge.attributes.append(KeyValue(key="input.value", value=AnyValue(string_value="y" * 70_000)))
    wide = _span(b"\x0b" * 8)
    wide.attributes.append(KeyValue(key="output.value", value=AnyValue(string_value="z" * 4000)))

    too_big = httpx.post(
        f"{plane.http_url}/v1/traces",
        content=gzip.compress(_request(huge).SerializeToString()),  # small on the wire
        headers={**PROTOBUF, "content-encoding": "gzip"},
    )
    too_wide = httpx.post(
        f"{plane.http_url}/v1/traces", content=_request(wide).SerializeToString(), headers=PROTOBUF
    )

    assert too_big.status_code == 413
    assert "65536 bytes" in _status(too_big)
    assert too_wide.status_code == 413
    assert "output.value" in _status(too_wide)


def test_full_bus_pushes_back_with_retry_after(start_ingest: StartIngest) -> None:
    # No writer drains the stream, and it holds only 1 MiB.
    plane = start_ingest(writer=False, SPYGLASS_NATS_SPANS_MAX_BYTES=str(1 << 20))
    stub = trace_service_pb2_grpc.TraceServiceStub(grpc.insecure_channel(plane.grpc_target))

    def chunk(number: int) -> ExportTraceServiceRequest:
        spans = []
        for index in range(20):
            span = _span((number * 100 + index + 1).to_bytes(8, "big"))
            span.attributes.append(
                KeyValue(key="input.value", value=AnyValue(string_value="p" * 5000))
            )
            spans.append(span)
        return _request(*spans)

    statuses = []
    for number in range(30):
        response = httpx.post(
            f"{plane.http_url}/v1/traces",
            content=chunk(number).SerializeToString(),
            headers=PROTOBUF,
        )
        statuses.append(response.status_code)
        if response.status_code != 200:
            break

    assert statuses[0] == 200
    assert statuses[-1] == 429, statuses
    assert int(response.headers["retry-after"]) >= 1
    assert "full" in _status(response)
    with pytest.raises(grpc.RpcError) as refused:
        stub.Export(chunk(99), timeout=10)
    assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
