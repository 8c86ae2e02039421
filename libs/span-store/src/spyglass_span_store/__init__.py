"""The span write path: decoded span batches into PostgreSQL, idempotent under redelivery.

The ingest writer is its production caller; the query API's tests and the benchmarks use it to
store spans exactly as ingestion does. README.md holds the contracts a change must keep.
"""

from spyglass_span_store.store import (
    SPAN_COLUMNS,
    ConcurrentDeleteError,
    ProjectRefusedError,
    WriteResult,
    prepare_connection,
    write_batches,
)

__all__ = [
    "SPAN_COLUMNS",
    "ConcurrentDeleteError",
    "ProjectRefusedError",
    "WriteResult",
    "prepare_connection",
    "write_batches",
]
