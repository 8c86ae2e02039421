"""The writer's Prometheus metrics (served on its health port's ``/metrics``)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

SPANS_WRITTEN = Counter(
    "spyglass_ingest_spans_written_total", "Spans committed to PostgreSQL for the first time."
)
SPANS_DUPLICATE = Counter(
    "spyglass_ingest_spans_duplicate_total",
    "Spans delivered again (redelivery, exporter retry) and found already stored.",
)
SPANS_DEAD_LETTERED = Counter(
    "spyglass_ingest_spans_dead_lettered_total", "Spans in batches moved to the dead-letter stream."
)
BATCHES_DEAD_LETTERED = Counter(
    "spyglass_ingest_batches_dead_lettered_total", "Batch messages moved to the dead-letter stream."
)
WRITE_RETRIES = Counter(
    "spyglass_ingest_write_retries_total", "Writes retried because the database was unavailable."
)
ANNOUNCEMENTS_FAILED = Counter(
    "spyglass_ingest_spans_stored_announcements_failed_total",
    "spans.stored announcements JetStream did not confirm (each is retried before the ack).",
)
WRITE_SECONDS = Histogram(
    "spyglass_ingest_write_seconds",
    "Time to write one fetch of batches in one transaction.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
BATCH_SPANS = Histogram(
    "spyglass_ingest_write_batch_spans",
    "Spans written per transaction.",
    buckets=(1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000),
)
CONSUMER_PENDING = Gauge(
    "spyglass_ingest_consumer_pending_messages",
    "Span batch messages waiting on the SPANS stream for a writer (consumer lag).",
)
