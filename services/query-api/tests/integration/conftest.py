"""The query API in-process over HTTP (httpx's ASGI transport), on a real database of its own.

The app runs on the test's event loop, so the engine it uses is the one the fixture disposes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import orjson
import pytest

from spyglass_core.settings import DbSettings
from spyglass_db import create_engine, create_session_maker
from spyglass_ingest.writer.store import prepare_connection, write_batches
from spyglass_proto.bus.v1.spans_pb2 import DecodedSpan, DecodedSpanBatch, StatusCode
from spyglass_query_api.app import QueryApiResources, create_app
from spyglass_query_api.settings import QueryApiSettings

BASE_TIME = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
BASE_NANOS = int(BASE_TIME.timestamp()) * 1_000_000_000


@pytest.fixture
async def api(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of a query API serving this test's own database."""
    settings = QueryApiSettings(db=DbSettings(url=database_url))
    engine = create_engine(settings.db)
    app = create_app(settings, QueryApiResources(engine, create_session_maker(engine)))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://query-api") as client:
        yield client
    await engine.dispose()


SpanSpec = dict[str, Any]


@pytest.fixture
def store_spans(database_url: str) -> Callable[..., Awaitable[None]]:
    """Store spans the way the ingest writer does: ``await store_spans(project, spec, ...)``.

    A spec names ``trace``, ``span``, and optionally ``parent``, ``name``, ``kind``, ``start``
    (seconds after a fixed instant), ``error``, ``attributes`` (nested) and ``session``.
    """

    async def store(project: str, *specs: SpanSpec) -> None:
        spans = []
        for spec in specs:
            start = BASE_NANOS + int(spec.get("start", 0) * 1e9)
            spans.append(
                DecodedSpan(
                    trace_id=spec["trace"],
                    span_id=spec["span"],
                    parent_span_id=spec.get("parent", ""),
                    name=spec.get("name", "span"),
                    span_kind=spec.get("kind", "CHAIN"),
                    start_time_unix_nano=start,
                    end_time_unix_nano=start + 500_000_000,
                    status_code=(
                        StatusCode.STATUS_CODE_ERROR
                        if spec.get("error")
                        else StatusCode.STATUS_CODE_OK
                    ),
                    attributes_json=orjson.dumps(spec.get("attributes", {})),
                    events_json=orjson.dumps(spec.get("events", [])),
                    session_id=spec.get("session", ""),
                )
            )
        connection = await asyncpg.connect(database_url)
        try:
            await prepare_connection(connection)
            await write_batches(
                connection, [DecodedSpanBatch(batch_id="seed", project_name=project, spans=spans)]
            )
        finally:
            await connection.close()

    return store
