"""The receiver's Prometheus metrics (served on the OTLP/HTTP port's ``/metrics``)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

SPANS_RECEIVED = Counter(
    "spyglass_ingest_spans_received_total",
    "Spans in export requests that decoded, by transport.",
    ["transport"],
)
SPANS_REJECTED = Counter(
    "spyglass_ingest_spans_rejected_total",
    "Spans refused by the receiver (reported in OTLP partial_success), by reason.",
    ["reason"],
)
SPANS_PUBLISHED = Counter(
    "spyglass_ingest_spans_published_total",
    "Spans JetStream acknowledged, i.e. that the receiver answered success for.",
)
BATCH_MESSAGES_PUBLISHED = Counter(
    "spyglass_ingest_batch_messages_published_total",
    "DecodedSpanBatch messages stored on the SPANS stream.",
)
REQUESTS_REFUSED = Counter(
    "spyglass_ingest_requests_refused_total",
    "Export requests answered with an error, by transport and reason.",
    ["transport", "reason"],
)
REQUEST_BYTES = Histogram(
    "spyglass_ingest_request_bytes",
    "Size of export requests after decompression.",
    buckets=(1e3, 1e4, 1e5, 5e5, 1e6, 4e6, 16e6, 64e6),
)
EXPORT_SECONDS = Histogram(
    "spyglass_ingest_export_seconds",
    "Time from a decoded request to JetStream's acknowledgement of all of its spans.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
)
