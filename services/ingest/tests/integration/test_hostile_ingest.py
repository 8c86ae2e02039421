"""The catalogue of hostile ingest inputs: each gets its exact answer, and harms nothing else.

Every value PostgreSQL can't hold is decided at the receiver, the same on OTLP/HTTP and
OTLP/gRPC: made safe and stored (NULs), or that one span refused in ``partial_success`` with the
reason (a ``session.id`` too long, a time past 2**63 ns, attributes nested too deep, a resource
project name too long, a span larger than a bus message); a request-wide problem (the
``x-project-name`` header) refuses the request. Limits mean what they say (a 20 MB body is
accepted by an idle receiver), every 5xx is logged, and the writer isolates a span PostgreSQL
refuses rather than dead-lettering its whole batch, and retries a write whose project vanished.
The REST upload's share of the catalogue is in the query API's ``test_span_upload.py``.
"""

from __future__ import annotations

import gzip
import json
import os
from typing import Any, TypeVar

import asyncpg
import grpc
import httpx
import pytest
from google.rpc import status_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from spyglass_bus import BusNames, ensure_streams
from spyglass_core.settings import NatsSettings
from spyglass_ingest.writer.consumer import DEAD_LETTER_REASON_HEADER
from spyglass_launcher.servers import EmbeddedNats
from spyglass_proto.bus.v1.spans_pb2 import DecodedSpan, DecodedSpanBatch
from tests.support.database import fetch
from tests.support.ingest import IngestPlane, StartIngest, with_nats
from tests.support.loop import LoopThread
from tests.support.waiting import assert_eventually

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

T = TypeVar("T")
PROTOBUF = {"content-type": "application/x-protobuf"}
NOW = 1_790_000_000_000_000_000
FFFD = "\ufffd"
GOOD_SPANS = 1000


def _text(key: str, value: str) -> KeyValue:
    return KeyValue(key=key, value=AnyValue(string_value=value))


def _span(number: int, *attributes: KeyValue, trace: int = 1, **fields: Any) -> Span:
    defaults: dict[str, Any] = {
        "trace_id": trace.to_bytes(16, "big"),
        "span_id": number.to_bytes(8, "big"),
        "name": f"step {number}",
        "start_time_unix_nano": NOW + number,
        "end_time_unix_nano": NOW + number + 1000,
    }
    return Span(**{**defaults, **fields}, attributes=list(attributes))


def _resource_spans(project: str, spans: list[Span]) -> ResourceSpans:
    return ResourceSpans(
        resource=Resource(attributes=[_text("openinference.project.name", project)]),
        scope_spans=[ScopeSpans(spans=spans)],
    )


def _hostile_request() -> ExportTraceServiceRequest:
    """1,000 good spans and one of each hostile kind, in one request."""
    good = [_span(number) for number in range(1, GOOD_SPANS + 1)]
    hostile = [
        _span(  # stored, NULs replaced
            5001,
            _text("user.id", "u\x00ser"),
            _text("metadata", '{"note": "a\\u0000b"}'),
            name="na\x00me",
        ),
        _span(5002, _text("session.id", "s" * 10_000)),  # refused
        _span(5003, start_time_unix_nano=2**63, end_time_unix_nano=2**63 + 1),  # refused
        _span(5004, _text("metadata", "[" * 600 + "]" * 600)),  # stored, metadata kept as text
        _span(5005, _text(".".join(["k"] * 150), "v")),  # refused: nests 150 deep
        _span(  # stored; a prompt count beyond integer is no count
            5006,
            _text("openinference.span.kind", "LLM"),
            KeyValue(key="llm.token_count.prompt", value=AnyValue(int_value=2**40)),
            KeyValue(key="llm.token_count.completion", value=AnyValue(int_value=7)),
        ),
    ]
    return ExportTraceServiceRequest(
        resource_spans=[
            _resource_spans("hostile", good + hostile),
            _resource_spans("p" * 300, [_span(6001, trace=2)]),  # refused: name too long
        ]
    )


HOSTILE_REJECTION = (
    "4 spans rejected: "
    "1 with a start time out of range (1970 to 2262-04-11, below 2**63 ns); "
    "1 with a session.id longer than 512 characters; "
    "1 with attributes or events nested deeper than 100 levels; "
    "1 with a project name (resource attribute openinference.project.name) longer than 256 "
    "characters"
)


def _export_http(plane: IngestPlane, request: ExportTraceServiceRequest) -> httpx.Response:
    return httpx.post(
        f"{plane.http_url}/v1/traces",
        content=request.SerializeToString(),
        headers=PROTOBUF,
        timeout=120,
    )


def _export(plane: IngestPlane, transport: str, request: ExportTraceServiceRequest) -> Any:
    """The ``partial_success`` of exporting ``request`` over ``transport`` (which succeeds)."""
    if transport == "http":
        response = _export_http(plane, request)
        assert response.status_code == 200, response.content
        return ExportTraceServiceResponse.FromString(response.content).partial_success
    with grpc.insecure_channel(plane.grpc_target) as channel:
        answer = trace_service_pb2_grpc.TraceServiceStub(channel).Export(request, timeout=120)
    return answer.partial_success


@pytest.mark.parametrize("transport", ["http", "grpc"])
def test_one_bad_span_never_takes_good_ones_with_it(
    start_ingest: StartIngest, transport: str
) -> None:
    plane = start_ingest()

    partial = _export(plane, transport, _hostile_request())

    assert (partial.rejected_spans, partial.error_message) == (4, HOSTILE_REJECTION)

    def stored() -> dict[str, Any]:
        rows = fetch(
            plane.database_url,
            "SELECT s.span_id, s.name, s.attributes::text AS attributes, "
            "s.llm_token_count_prompt AS prompt, s.llm_token_count_completion AS completion, "
            "p.name AS project FROM spans s JOIN projects p ON p.id = s.project_rowid",
        )
        assert len(rows) == GOOD_SPANS + 3
        return {row["span_id"]: row for row in rows}

    rows = assert_eventually(stored, timeout=90, interval=0.5)
    assert {row["project"] for row in rows.values()} == {"hostile"}
    nul = rows[(5001).to_bytes(8, "big").hex()]
    assert nul["name"] == f"na{FFFD}me"
    attributes = json.loads(nul["attributes"])
    assert attributes["user"]["id"] == f"u{FFFD}ser"
    assert attributes["metadata"] == {"note": f"a{FFFD}b"}
    deep = json.loads(rows[(5004).to_bytes(8, "big").hex()]["attributes"])
    assert deep["metadata"] == "[" * 600 + "]" * 600
    tokens = rows[(5006).to_bytes(8, "big").hex()]
    assert (tokens["prompt"], tokens["completion"]) == (0, 7)
    assert json.loads(tokens["attributes"])["llm"]["token_count"]["prompt"] == 2**40
    # The refused session.id (10,000 characters, too long for its unique index) left no row.
    (sessions,) = fetch(plane.database_url, "SELECT count(*) FROM project_sessions")
    assert sessions[0] == 0


def test_request_wide_refusals_and_limits(start_ingest: StartIngest) -> None:
    plane = start_ingest(writer=False)

    long_header = httpx.post(
        f"{plane.http_url}/v1/traces",
        content=ExportTraceServiceRequest().SerializeToString(),
        headers={**PROTOBUF, "x-project-name": "p" * 10_000},
    )
    with (
        grpc.insecure_channel(plane.grpc_target) as channel,
        pytest.raises(grpc.RpcError) as long_metadata,
    ):
        trace_service_pb2_grpc.TraceServiceStub(channel).Export(
            ExportTraceServiceRequest(), metadata=[("x-project-name", "p" * 300)], timeout=60
        )

    assert long_header.status_code == 400
    assert status_pb2.Status.FromString(long_header.content).message == (
        "the `x-project-name` header must be at most 256 characters"
    )
    assert long_metadata.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert long_metadata.value.details() == (
        "the `x-project-name` metadata must be at most 256 characters"
    )

    # Nesting past protobuf's recursion limit, and text that is not UTF-8, are malformed bodies.
    deep_body = _deeply_nested_request(200)
    deep_http = httpx.post(f"{plane.http_url}/v1/traces", content=deep_body, headers=PROTOBUF)
    with (
        grpc.insecure_channel(plane.grpc_target) as channel,
        pytest.raises(grpc.RpcError) as deep_grpc,
    ):
        channel.unary_unary(
            "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
            request_serializer=lambda body: body,
            response_deserializer=ExportTraceServiceResponse.FromString,
        )(deep_body, timeout=60)
    not_utf8 = httpx.post(
        f"{plane.http_url}/v1/traces",
        content=b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"name": "\xff"}]}]}]}',
        headers={"content-type": "application/json"},
    )

    assert deep_http.status_code == 400
    assert status_pb2.Status.FromString(deep_http.content).message.startswith(
        "the body is not a valid protobuf ExportTraceServiceRequest"
    )
    assert deep_grpc.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert not_utf8.status_code == 400
    assert json.loads(not_utf8.text)["message"].startswith("the body is not valid JSON")

    # 20 MB of spans, gzipped to a few KB: over 16 MiB, so it used to get 429 forever.
    big = ExportTraceServiceRequest(
        resource_spans=[
            _resource_spans(
                "big", [_span(n, _text("input.value", "x" * 10_000)) for n in range(1, 2001)]
            )
        ]
    )
    body = big.SerializeToString()
    assert len(body) > 20_000_000
    compressed = gzip.compress(body)
    accepted = httpx.post(
        f"{plane.http_url}/v1/traces",
        content=compressed,
        headers={**PROTOBUF, "content-encoding": "gzip"},
        timeout=120,
    )
    assert accepted.status_code == 200, status_pb2.Status.FromString(accepted.content).message
    assert not ExportTraceServiceResponse.FromString(accepted.content).HasField("partial_success")

    # A span of 10 MB is more than one NATS message holds (8 MB): that span only is refused.
    megabyte = "y" * 1_000_000
    huge = _span(9001, *[_text(f"part.{index}", megabyte) for index in range(10)])
    request = ExportTraceServiceRequest(
        resource_spans=[_resource_spans("big", [_span(9002), huge])]
    )
    for transport in ("http", "grpc"):
        partial = _export(plane, transport, request)
        assert (partial.rejected_spans, partial.error_message) == (
            1,
            "1 span rejected: 1 with more bytes than the span bus takes in one message",
        )


def _deeply_nested_request(depth: int) -> bytes:
    """An export request whose one attribute nests ``depth`` arrays, as raw protobuf.

    Written by hand: protobuf itself refuses to build a message that deep.
    """

    def varint(number: int) -> bytes:
        out = bytearray()
        while number > 0x7F:
            out.append(number & 0x7F | 0x80)
            number >>= 7
        return bytes([*out, number])

    def field(number: int, payload: bytes) -> bytes:
        return varint(number << 3 | 2) + varint(len(payload)) + payload

    value = field(1, b"x")  # AnyValue.string_value
    for _ in range(depth):
        value = field(5, field(1, value))  # AnyValue.array_value, ArrayValue.values
    span = (
        field(1, b"\x01" * 16) + field(2, b"\x02" * 8) + field(9, field(1, b"k") + field(2, value))
    )
    return field(1, field(2, field(2, span)))  # resource_spans, scope_spans, spans


def test_every_5xx_is_logged_and_grpc_never_answers_unknown(
    start_ingest: StartIngest, own_nats: EmbeddedNats, background_loop: LoopThread
) -> None:
    plane = start_ingest(writer=False, nats_url=own_nats.url)
    background_loop.run(own_nats.stop())
    request = ExportTraceServiceRequest(resource_spans=[_resource_spans("p", [_span(1)])])

    response = _export_http(plane, request)
    with (
        grpc.insecure_channel(plane.grpc_target) as channel,
        pytest.raises(grpc.RpcError) as refused,
    ):
        trace_service_pb2_grpc.TraceServiceStub(channel).Export(request, timeout=60)

    assert response.status_code == 503
    assert "span bus" in status_pb2.Status.FromString(response.content).message
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE

    def logged() -> None:
        events = [
            json.loads(line)
            for line in plane.processes["receiver"].output().splitlines()
            if '"export_failed"' in line
        ]
        assert {(event["transport"], event["status"]) for event in events} == {
            ("http", 503),
            ("grpc", 503),
        }

    assert_eventually(logged, timeout=20)


# --- the writer --------------------------------------------------------------------------------


def _decoded(number: int, **fields: Any) -> DecodedSpan:
    span_id = f"{number:016x}"
    return DecodedSpan(
        **{
            "trace_id": "c" * 32,
            "span_id": span_id,
            "name": f"span {number}",
            "span_kind": "CHAIN",
            "start_time_unix_nano": NOW + number,
            "end_time_unix_nano": NOW + number + 10,
            "attributes_json": b"{}",
            "events_json": b"[]",
            **fields,
        }
    )


def _publish_raw(plane: IngestPlane, batch: DecodedSpanBatch) -> None:
    """Put ``batch`` on the SPANS stream as it is: no normalization on the way."""
    names = BusNames(plane.environment["SPYGLASS_NATS_NAMESPACE"])

    async def publish(client: Any) -> None:
        await ensure_streams(client.jetstream(), names, NatsSettings().spans_max_bytes)
        await client.jetstream().publish(names.spans_subject, batch.SerializeToString())

    with_nats(plane.environment["SPYGLASS_NATS_URL"], publish)


def _dead_letters(plane: IngestPlane) -> list[tuple[DecodedSpanBatch, str]]:
    names = BusNames(plane.environment["SPYGLASS_NATS_NAMESPACE"])

    async def read(client: Any) -> list[tuple[DecodedSpanBatch, str]]:
        info = await client.jetstream().stream_info(names.dead_letter_stream)
        letters = []
        for sequence in range(1, info.state.last_seq + 1):
            message = await client.jetstream().get_msg(names.dead_letter_stream, sequence)
            letters.append(
                (
                    DecodedSpanBatch.FromString(message.data),
                    (message.headers or {})[DEAD_LETTER_REASON_HEADER],
                )
            )
        return letters

    return with_nats(plane.environment["SPYGLASS_NATS_URL"], read)


def test_the_writer_stores_the_rest_of_a_batch_and_dead_letters_only_refused_spans(
    start_ingest: StartIngest,
) -> None:
    plane = start_ingest()
    # Spans that skipped normalization: PostgreSQL refuses a NUL in text and a session id too
    # large for its unique index.
    spans = [_decoded(number) for number in range(1, 9)]
    spans.insert(3, _decoded(100, name="bad\x00name"))
    # Random text: a repetitive one would compress to fit the index.
    spans.insert(6, _decoded(101, session_id=os.urandom(10_000).hex()))
    batch = DecodedSpanBatch(batch_id="bisect", project_name="mixed", spans=spans)

    _publish_raw(plane, batch)

    def stored() -> set[str]:
        rows = fetch(plane.database_url, "SELECT span_id FROM spans")
        assert len(rows) == 8
        return {row["span_id"] for row in rows}

    assert assert_eventually(stored, timeout=60, interval=0.5) == {
        f"{number:016x}" for number in range(1, 9)
    }
    ((letter, reason),) = assert_eventually(lambda: _nonempty(_dead_letters(plane)), timeout=30)
    assert letter.batch_id == "bisect.refused"
    assert letter.project_name == "mixed"
    assert sorted(span.span_id for span in letter.spans) == [f"{100:016x}", f"{101:016x}"]
    assert f"span {100:016x}: PostgreSQL refused the span: " in reason
    assert f"span {101:016x}: PostgreSQL refused the span: " in reason


def _nonempty(items: list[T]) -> list[T]:
    assert items
    return items


def test_a_project_deleted_during_the_write_is_written_again(
    start_ingest: StartIngest, background_loop: LoopThread
) -> None:
    plane = start_ingest()
    url = plane.database_url
    holder: asyncpg.Connection = background_loop.run(asyncpg.connect(url))
    try:
        # New sessions are inserted after the project is committed: hold their table so that
        # the project can be deleted in between.
        background_loop.run(
            holder.execute("BEGIN; LOCK TABLE project_sessions IN SHARE ROW EXCLUSIVE MODE")
        )
        batch = DecodedSpanBatch(
            batch_id="doomed",
            project_name="doomed",
            spans=[_decoded(number, session_id="chat") for number in range(1, 4)],
        )
        _publish_raw(plane, batch)

        def writer_waits_on_sessions() -> None:
            rows = fetch(
                url,
                "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND query LIKE '%INSERT INTO project_sessions%'",
            )
            assert rows

        assert_eventually(writer_waits_on_sessions, timeout=60, interval=0.2)
        (project,) = fetch(url, "SELECT id FROM projects WHERE name = 'doomed'")
        background_loop.run(holder.execute("DELETE FROM projects WHERE name = 'doomed'; COMMIT"))
    finally:
        background_loop.run(holder.close())

    def stored() -> None:
        rows = fetch(
            url,
            "SELECT count(*) AS spans, min(p.id) AS project FROM spans s "
            "JOIN projects p ON p.id = s.project_rowid WHERE p.name = 'doomed'",
        )
        assert rows[0]["spans"] == 3
        assert rows[0]["project"] != project["id"]  # created again

    assert_eventually(stored, timeout=60, interval=0.5)
    assert _dead_letters(plane) == []
    assert '"span_write_retrying"' in plane.processes["writer"].output()
