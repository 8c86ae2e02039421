"""``Trace.outline``: a trace's spans as compact rows, batched by a DataLoader.

The outline is one ``JSON`` value (a leaf to graphql-core, which serializes it without visiting
its parts); ``queries/trace_outlines.py`` reads it, PostgreSQL building the rows.
"""

from __future__ import annotations

from collections.abc import Sequence

from spyglass_query_api.graphql.context import RequestContext
from spyglass_query_api.graphql.dataloader import DataLoader
from spyglass_query_api.queries.trace_outlines import (
    MAX_OUTLINE_SPANS,
    OUTLINE_COLUMNS,
    TraceOutline,
    get_trace_outlines,
)

__all__ = ["OUTLINE_COLUMNS", "TraceOutline", "fetch_trace_outlines", "trace_outlines"]


async def fetch_trace_outlines(
    context: RequestContext, keys: Sequence[int], most: int = MAX_OUTLINE_SPANS
) -> dict[int, TraceOutline]:
    """The outline of each trace in ``keys`` with at most ``most`` rows (one statement)."""
    return await context.read(get_trace_outlines, keys, most)


def trace_outlines(
    context: RequestContext, most: int = MAX_OUTLINE_SPANS
) -> DataLoader[int, TraceOutline | None]:
    """Trace outlines by trace rowid, with at most ``most`` rows each."""
    name = f"trace_outlines_{most}"
    if name not in context.loaders:
        context.loaders[name] = DataLoader(
            lambda keys: fetch_trace_outlines(context, keys, most), lambda: None
        )
    loader: DataLoader[int, TraceOutline | None] = context.loaders[name]
    return loader
