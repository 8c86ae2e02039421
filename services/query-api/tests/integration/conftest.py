"""The query API in-process over HTTP (httpx's ASGI transport), on a real database of its own.

The app runs on the test's event loop, so the engine it uses is the one the fixture disposes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
from nats.aio.client import Client as NatsClient

from spyglass_bus import BusNames, ensure_streams
from spyglass_bus import connect as connect_nats
from spyglass_bus.publisher import SpanBatchPublisher
from spyglass_core.settings import DbSettings, NatsSettings
from spyglass_db import create_engine, create_session_maker
from spyglass_launcher.ports import free_port
from spyglass_proto.bus.v1.spans_pb2 import DecodedSpan, DecodedSpanBatch, StatusCode
from spyglass_query_api.app import QueryApiResources, create_app, statement_pool
from spyglass_query_api.rest.span_upload import SpanUpload
from spyglass_query_api.settings import QueryApiSettings
from spyglass_span_store import prepare_connection, write_batches
from spyglass_spans import ModelPriceTable
from tests.support.processes import QueryApiProcess, SpawnService, service_environment, wait_healthy
from tests.support.stack import Stack

BASE_TIME = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
BASE_NANOS = int(BASE_TIME.timestamp()) * 1_000_000_000


@pytest.fixture
async def api(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of a query API serving this test's own database."""
    settings = QueryApiSettings(db=DbSettings(url=database_url))
    engine = create_engine(settings.db)
    statements = statement_pool(settings)
    app = create_app(
        settings, QueryApiResources(engine, create_session_maker(engine), statements=statements)
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        yield client
    # The transport runs no lifespan: close what the app would at shutdown.
    for close in app.on_shutdown:
        await close()
    await statements.close()
    await engine.dispose()


StartQueryApi = Callable[..., Awaitable[QueryApiProcess]]


@pytest.fixture
def start_query_api(
    spawn_service: SpawnService, stack: Stack, database_url: str, nats_namespace: str
) -> StartQueryApi:
    """Starts a query API process on this test's database (with more settings, as variables);
    answers it once healthy."""

    async def start(**settings: str) -> QueryApiProcess:
        port = free_port()
        service = spawn_service(
            "query-api",
            ("spyglass_query_api",),
            service_environment(
                SPYGLASS_DB_URL=database_url,
                SPYGLASS_NATS_URL=stack.nats_url,
                SPYGLASS_NATS_NAMESPACE=nats_namespace,
                SPYGLASS_QUERY_API_PORT=str(port),
                **settings,
            ),
        )
        base_url = f"http://127.0.0.1:{port}"
        # A deadline, not a timing: a busy machine takes a while to import the service (its
        # output is shown if it exits).
        await asyncio.to_thread(wait_healthy, service, f"{base_url}/healthz", 120.0)
        return QueryApiProcess(base_url, service)

    return start


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


class GraphqlClient:
    """Posts GraphQL queries to the in-process query API; ``statements`` lists the SQL it ran."""

    def __init__(self, client: httpx.AsyncClient, statements: list[str]) -> None:
        self.client = client
        self.statements = statements

    async def query(self, document: str, **variables: Any) -> dict[str, Any]:
        """The response body of one query (answered 200: data and/or errors)."""
        response = await self.client.post(
            "/graphql", json={"query": document, "variables": variables}
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture
async def graphql_api(database_url: str) -> AsyncIterator[GraphqlClient]:
    """A GraphQL client of a query API serving this test's own database."""
    from sqlalchemy import event

    settings = QueryApiSettings(db=DbSettings(url=database_url))
    engine = create_engine(settings.db)
    statements: list[str] = []

    def count(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    app = create_app(settings, QueryApiResources(engine, create_session_maker(engine)))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        yield GraphqlClient(client, statements)
    # The transport runs no lifespan: close what the app made (its statement pool, which a
    # REST write opens; its LLM client; its job producer).
    for close in app.on_shutdown:
        await close()
    await engine.dispose()


@pytest.fixture
def store_decoded_spans(database_url: str) -> Callable[..., Awaitable[None]]:
    """Store ``DecodedSpan`` messages as the ingest writer does: ``await store(project, spans)``."""

    async def store(project: str, spans: list[DecodedSpan]) -> None:
        connection = await asyncpg.connect(database_url)
        try:
            await prepare_connection(connection)
            await write_batches(
                connection, [DecodedSpanBatch(batch_id="seed", project_name=project, spans=spans)]
            )
        finally:
            await connection.close()

    return store


def decoded_span(
    trace: str,
    span: str,
    *,
    parent: str = "",
    name: str = "span",
    kind: str = "CHAIN",
    start: float = 0.0,
    duration: float = 0.5,
    error: bool = False,
    prompt: int | None = None,
    completion: int | None = None,
    cost: float | None = None,
    attributes: dict[str, Any] | None = None,
    session: str = "",
) -> DecodedSpan:
    """A span as the receiver decodes it (tokens and cost only when given)."""
    start_nanos = BASE_NANOS + int(start * 1e9)
    message = DecodedSpan(
        trace_id=trace,
        span_id=span,
        parent_span_id=parent,
        name=name,
        span_kind=kind,
        start_time_unix_nano=start_nanos,
        end_time_unix_nano=start_nanos + int(duration * 1e9),
        status_code=StatusCode.STATUS_CODE_ERROR if error else StatusCode.STATUS_CODE_OK,
        attributes_json=orjson.dumps(attributes or {}),
        events_json=orjson.dumps([]),
        session_id=session,
    )
    if prompt is not None:
        message.llm_token_count_prompt = prompt
    if completion is not None:
        message.llm_token_count_completion = completion
    if cost is not None:
        message.cost_total_usd = cost
    return message


@pytest.fixture
async def support_project(store_decoded_spans: Callable[..., Awaitable[None]]) -> str:
    """A project ``support`` (and one span in ``other``); returns the project's name.

    Trace ``a…`` (t=0 s, 3 s long): an AGENT root, an LLM child (100 + 20 tokens, $0.5) and a
    failing RETRIEVER child with two documents. Trace ``b…`` (t=60 s): one LLM root (10 + 5
    tokens, $0.1); it and trace ``c…`` (t=120 s) make session ``chat-1``.
    """
    store = store_decoded_spans
    await store(
        "support",
        [
            decoded_span(
                "a" * 32, "a000000000000001", name="agent", kind="AGENT", duration=3.0,
                attributes={"input": {"value": "where is my refund?" * 30},
                            "output": {"value": "on its way", "mime_type": "text/plain"},
                            "metadata": {"tier": "gold"}},
            ),
            decoded_span(
                "a" * 32, "a000000000000002", parent="a000000000000001", name="llm",
                kind="LLM", start=0.5, duration=1.0, prompt=100, completion=20, cost=0.5,
                attributes={"llm": {"model_name": "gpt-4o"}},
            ),
            decoded_span(
                "a" * 32, "a000000000000003", parent="a000000000000001", name="lookup",
                kind="RETRIEVER", start=1.5, error=True,
                attributes={"retrieval": {"documents": [
                    {"document": {"id": "doc-1", "content": "refund policy", "score": 0.9}},
                    {"document": {"id": "doc-2", "content": "shipping", "score": 0.4}},
                ]}},
            ),
            decoded_span(
                "b" * 32, "b000000000000001", name="chat", kind="LLM", start=60, duration=2.0,
                prompt=10, completion=5, cost=0.1, session="chat-1",
                attributes={"input": {"value": "hello"}, "output": {"value": "hi there"}},
            ),
            decoded_span(
                "c" * 32, "c000000000000001", name="chat", kind="LLM", start=120, duration=1.0,
                session="chat-1",
                attributes={"input": {"value": "bye"}, "output": {"value": "goodbye"}},
            ),
        ],
    )  # fmt: skip
    await store("other", [decoded_span("d" * 32, "d000000000000001")])
    return "support"


@dataclass
class UploadApi:
    """A query API that publishes span uploads to this test's NATS namespace."""

    client: httpx.AsyncClient
    nats: NatsClient
    names: BusNames

    async def queued_messages(self) -> int:
        """Messages waiting in the SPANS stream (published, not yet written)."""
        info = await self.nats.jetstream().stream_info(self.names.spans_stream)
        return info.state.messages


@asynccontextmanager
async def upload_api_on(
    database_url: str, nats_url: str, namespace: str, spans_max_bytes: int = 1 << 30
) -> AsyncIterator[UploadApi]:
    """A query API on ``database_url`` whose span uploads go to NATS at ``nats_url``."""
    nats_settings = NatsSettings(url=nats_url, namespace=namespace, spans_max_bytes=spans_max_bytes)
    settings = QueryApiSettings(db=DbSettings(url=database_url), nats=nats_settings)
    nats = await connect_nats(nats_settings, "query-api-test")
    names = BusNames(namespace)
    await ensure_streams(nats.jetstream(), names, spans_max_bytes)
    upload = SpanUpload(SpanBatchPublisher(nats, names, timeout_seconds=3), ModelPriceTable.load())
    engine = create_engine(settings.db)
    app = create_app(settings, QueryApiResources(engine, create_session_maker(engine), upload))
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            yield UploadApi(client, nats, names)
    finally:
        await nats.close()
        await engine.dispose()


@pytest.fixture
async def upload_api(
    database_url: str, stack: Stack, nats_namespace: str
) -> AsyncIterator[UploadApi]:
    """A query API on this test's database that publishes span uploads to its NATS namespace."""
    async with upload_api_on(database_url, stack.nats_url, nats_namespace) as upload:
        yield upload


@pytest.fixture
def open_upload_api() -> Callable[..., Any]:
    """``async with open_upload_api(database_url, nats_url, namespace[, spans_max_bytes])``:
    an upload-capable query API on servers the test chose (its own NATS, say)."""
    return upload_api_on


@pytest.fixture
def span_message() -> Callable[..., DecodedSpan]:
    """``decoded_span`` (above), for tests that build their own spans."""
    return decoded_span
