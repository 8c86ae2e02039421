"""Each run's trace: an OpenInference LLM span in the experiment's project, sent over
OTLP/HTTP to the ingest receiver before the run that links to it is written.

Spans are not exported by an SDK batch processor (which sends when it likes, and loses what
it holds when the process dies): ended spans wait in a list, and :class:`RunSink` sends them
in one request every few tens of milliseconds, then writes the runs whose spans that request
carried. A run is never written before its span was accepted, unless the receiver stays
unreachable through every try (then the run is written anyway, its loss counted and logged:
a run matters more than its trace).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SpanExportResult
from opentelemetry.trace import Tracer
from prometheus_client import Counter

from spyglass_core.logging import get_logger

log = get_logger(__name__)

SPANS_LOST = Counter(
    "spyglass_experiment_spans_lost_total",
    "Run spans the ingest receiver never accepted (their runs were written without a trace).",
)
EXPORT_TRIES = 3
FLUSH_SECONDS = 0.05
"""How long finished runs wait for others to share their span export and their write."""


class _Collect(SpanProcessor):
    def __init__(self, finished: list[ReadableSpan]) -> None:
        self._finished = finished

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        pass

    def on_end(self, span: ReadableSpan) -> None:
        self._finished.append(span)


class RunTracing:
    """Tracers per project, and the export of the spans they ended."""

    def __init__(self, ingest_url: str) -> None:
        self._exporter = OTLPSpanExporter(endpoint=f"{ingest_url}/v1/traces", timeout=10)
        self._tracers: dict[str, Tracer] = {}
        self._finished: list[ReadableSpan] = []

    def tracer(self, project_name: str) -> Tracer:
        """The tracer whose spans go to ``project_name``."""
        tracer = self._tracers.get(project_name)
        if tracer is None:
            provider = TracerProvider(
                resource=Resource.create(
                    {
                        "openinference.project.name": project_name,
                        "service.name": "spyglass-experiment-runner",
                    }
                )
            )
            provider.add_span_processor(_Collect(self._finished))
            tracer = provider.get_tracer("spyglass.experiment_runner")
            self._tracers[project_name] = tracer
        return tracer

    async def export_finished(self) -> None:
        """Send every span ended so far; retried, then counted as lost."""
        spans, self._finished[:] = list(self._finished), []
        if not spans:
            return
        for attempt in range(1, EXPORT_TRIES + 1):
            try:
                result = await asyncio.to_thread(self._exporter.export, spans)
            except Exception as error:  # the exporter raises on some transport errors
                log.warning("run_spans_export_failed", attempt=attempt, error=repr(error))
            else:
                if result is SpanExportResult.SUCCESS:
                    return
                log.warning("run_spans_export_failed", attempt=attempt, spans=len(spans))
            await asyncio.sleep(0.5 * attempt)
        SPANS_LOST.inc(len(spans))
        log.error("run_spans_lost", count=len(spans))

    def close(self) -> None:
        self._exporter.shutdown()  # type: ignore[no-untyped-call]


class RunSink:
    """Writes runs after their spans are exported, many at once."""

    def __init__(self, tracing: RunTracing) -> None:
        self._tracing = tracing
        self._waiting: list[tuple[Callable[[], Awaitable[Any]], asyncio.Future[Any]]] = []
        self._drain: asyncio.Task[None] | None = None

    async def write(self, write: Callable[[], Awaitable[Any]]) -> Any:
        """Run ``write`` once the spans ended before it are exported; what it returns."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting.append((write, future))
        if self._drain is None or self._drain.done():
            self._drain = asyncio.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        while self._waiting:
            await asyncio.sleep(FLUSH_SECONDS)
            batch, self._waiting = self._waiting, []
            try:
                await self._tracing.export_finished()
            except Exception as error:  # never leave a writer waiting
                log.exception("run_spans_export_crashed", error=repr(error))
            results = await asyncio.gather(*(write() for write, _ in batch), return_exceptions=True)
            for (_, future), result in zip(batch, results, strict=True):
                if future.done():
                    continue
                if isinstance(result, BaseException):
                    future.set_exception(result)
                else:
                    future.set_result(result)
