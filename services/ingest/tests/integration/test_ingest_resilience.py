"""Nothing acknowledged is lost when the receiver is killed or NATS restarts under load.

A real OpenTelemetry exporter sends spans one small batch at a time; it retries on
``UNAVAILABLE`` as exporters do. Every batch it was told succeeded must end up in PostgreSQL
exactly once, whatever was killed or restarted while it ran.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Sequence

import httpx
import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

from spyglass_launcher.servers import EmbeddedNats
from tests.support.ingest import IngestPlane, StartIngest
from tests.support.loop import LoopThread
from tests.support.waiting import assert_eventually

pytestmark = pytest.mark.slow


class RecordingExporter(SpanExporter):
    """Wraps an exporter and remembers the span ids of every export it reported a success for."""

    def __init__(self, inner: SpanExporter) -> None:
        self.inner = inner
        self.acknowledged: set[str] = set()
        self.failed = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        result = self.inner.export(spans)
        if result == SpanExportResult.SUCCESS:
            self.acknowledged.update(f"{span.context.span_id:016x}" for span in spans)
        else:
            self.failed += len(spans)
        return result

    def shutdown(self) -> None:
        self.inner.shutdown()


class Load:
    """Sends traces from a thread until stopped."""

    def __init__(self, plane: IngestPlane) -> None:
        self.exporter = RecordingExporter(
            OTLPSpanExporter(endpoint=plane.grpc_target, insecure=True, timeout=30)
        )
        self.provider = TracerProvider(
            resource=Resource.create({"openinference.project.name": "load"})
        )
        self.provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.sent = 0

    def _run(self) -> None:
        tracer = self.provider.get_tracer("load")
        while not self._stop.is_set():
            with (
                tracer.start_as_current_span("root"),
                tracer.start_as_current_span("child", attributes={"input.value": "x" * 500}),
            ):
                pass
            self.sent += 2

    def __enter__(self) -> Load:
        self._thread.start()
        return self

    def wait_for(self, acknowledged: int) -> None:
        def enough() -> None:
            assert len(self.exporter.acknowledged) >= acknowledged

        assert_eventually(enough, timeout=60)

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=60)
        self.provider.shutdown()


def _one_span_request() -> bytes:
    span = Span(
        trace_id=b"\x0c" * 16,
        span_id=b"\x0d" * 8,
        name="while-nats-is-down",
        start_time_unix_nano=1_790_000_000_000_000_000,
        end_time_unix_nano=1_790_000_000_000_000_001,
    )
    request = ExportTraceServiceRequest(
        resource_spans=[ResourceSpans(scope_spans=[ScopeSpans(spans=[span])])]
    )
    return request.SerializeToString()


def _everything_acknowledged_stored_once(plane: IngestPlane, load: Load) -> Callable[[], None]:
    def check() -> None:
        stored = [span["span_id"] for span in plane.spans()]
        assert len(stored) == len(set(stored)), "a span was stored twice"
        missing = load.exporter.acknowledged - set(stored)
        assert not missing, f"{len(missing)} acknowledged spans are missing"

    return check


def test_sigkilled_receiver_loses_no_acknowledged_span(start_ingest: StartIngest) -> None:
    plane = start_ingest()

    with Load(plane) as load:
        load.wait_for(200)
        plane.processes["receiver"].stop(signal.SIGKILL)
        plane.start_receiver("receiver-restarted")  # same ports: the exporter's retries land
        acknowledged_before = len(load.exporter.acknowledged)
        load.wait_for(acknowledged_before + 200)

    assert_eventually(_everything_acknowledged_stored_once(plane, load), timeout=60)


def test_nats_restart_loses_no_acknowledged_span(
    start_ingest: StartIngest, own_nats: EmbeddedNats, background_loop: LoopThread
) -> None:
    plane = start_ingest(nats_url=own_nats.url)

    with Load(plane) as load:
        load.wait_for(200)
        background_loop.run(own_nats.stop())
        refused = httpx.post(
            f"{plane.http_url}/v1/traces",
            content=_one_span_request(),
            headers={"content-type": "application/x-protobuf"},
        )
        background_loop.run(own_nats.start())
        acknowledged_before = len(load.exporter.acknowledged)
        load.wait_for(acknowledged_before + 200)

    assert refused.status_code == 503
    assert refused.headers["retry-after"]
    assert_eventually(_everything_acknowledged_stored_once(plane, load), timeout=60)
