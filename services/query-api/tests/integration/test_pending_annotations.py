"""Asynchronous annotations whose target isn't stored yet: parked, resolved, or dropped."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from spyglass_core.settings import DbSettings
from spyglass_db import create_engine
from spyglass_query_api.annotations.pending import resolve_pending_annotations
from tests.support.processes import QueryApiProcess
from tests.support.waiting import assert_eventually

StoreSpans = Callable[..., Awaitable[None]]

SPAN = "ab" * 8
TRACE = "cd" * 16


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on this test's database, for the resolver and for looking at the table."""
    engine = create_engine(DbSettings(url=database_url))
    yield engine
    await engine.dispose()


async def _resolve(engine: AsyncEngine) -> Any:
    async with engine.begin() as connection:
        return await resolve_pending_annotations(connection)


async def _pending(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int(
            (
                await connection.execute(text("SELECT count(*) FROM pending_annotations"))
            ).scalar_one()
        )


def _annotation(label: str, **extra: Any) -> dict[str, Any]:
    return {
        "span_id": SPAN,
        "name": "relevance",
        "annotator_kind": "CODE",
        "result": {"label": label},
        **extra,
    }


async def _labels(api: httpx.AsyncClient, project: str = "late") -> list[str]:
    response = await api.get(f"/v1/projects/{project}/span_annotations", params={"span_ids": SPAN})
    assert response.status_code == 200, response.text
    return [item["result"]["label"] for item in response.json()["data"]]


async def test_annotation_for_a_span_not_stored_yet_appears_once_it_is(
    api: httpx.AsyncClient, store_spans: StoreSpans, engine: AsyncEngine
) -> None:
    response = await api.post("/v1/span_annotations", json={"data": [_annotation("good")]})
    assert response.json() == {"data": []}
    trace = await api.post(
        "/v1/trace_annotations",
        json={"data": [{"trace_id": TRACE, "name": "done", "annotator_kind": "HUMAN"}]},
    )
    assert trace.json() == {"data": []}

    first_pass = await _resolve(engine)
    await store_spans("late", {"trace": TRACE, "span": SPAN})
    second_pass = await _resolve(engine)

    assert (first_pass.claimed, first_pass.resolved, first_pass.retrying) == (2, 0, 2)
    assert second_pass.resolved == 0  # not due again yet: retried a pass later
    async with engine.begin() as connection:
        await connection.execute(text("UPDATE pending_annotations SET next_attempt_at = now()"))
    third_pass = await _resolve(engine)
    assert third_pass.resolved == 2
    assert await _labels(api) == ["good"]
    traces = await api.get("/v1/projects/late/trace_annotations", params={"trace_ids": TRACE})
    assert [item["name"] for item in traces.json()["data"]] == ["done"]
    assert await _pending(engine) == 0


async def test_a_newer_write_of_the_same_annotation_is_not_overwritten_by_a_parked_one(
    api: httpx.AsyncClient, store_spans: StoreSpans, engine: AsyncEngine
) -> None:
    await api.post("/v1/span_annotations", json={"data": [_annotation("older")]})
    await store_spans("late", {"trace": TRACE, "span": SPAN})
    newer = await api.post("/v1/span_annotations?sync=true", json={"data": [_annotation("newer")]})
    assert newer.status_code == 200, newer.text

    report = await _resolve(engine)

    assert report.resolved == 1
    assert await _labels(api) == ["newer"]
    assert await _pending(engine) == 0


def _dropped(kind: str, reason: str) -> float:
    value = REGISTRY.get_sample_value(
        "spyglass_annotations_dropped_total", {"kind": kind, "reason": reason}
    )
    return value or 0.0


async def test_annotations_whose_target_never_arrives_are_dropped_after_the_deadline(
    api: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    before = _dropped("span", "deadline_passed")
    await api.post("/v1/span_annotations", json={"data": [_annotation("lost")]})
    async with engine.begin() as connection:
        await connection.execute(
            text("UPDATE pending_annotations SET expires_at = now() - interval '1 second'")
        )

    report = await _resolve(engine)

    assert (report.claimed, report.expired) == (1, 1)
    assert await _pending(engine) == 0
    assert _dropped("span", "deadline_passed") == before + 1


async def test_parked_document_annotation_outside_the_spans_documents_is_dropped(
    api: httpx.AsyncClient, store_spans: StoreSpans, engine: AsyncEngine
) -> None:
    before = _dropped("document", "document_position_out_of_range")
    await api.post(
        "/v1/document_annotations",
        json={
            "data": [_annotation("doc", document_position=0), _annotation("x", document_position=3)]
        },
    )
    await store_spans(
        "late",
        {"trace": TRACE, "span": SPAN, "kind": "RETRIEVER",
         "attributes": {"retrieval": {"documents": [{"document": {"id": "only"}}]}}},
    )  # fmt: skip

    report = await _resolve(engine)

    assert (report.resolved, report.out_of_range) == (1, 1)
    assert _dropped("document", "document_position_out_of_range") == before + 1
    assert await _pending(engine) == 0


async def test_replicas_skip_rows_another_one_holds(
    api: httpx.AsyncClient, store_spans: StoreSpans, engine: AsyncEngine
) -> None:
    await api.post("/v1/span_annotations", json={"data": [_annotation("shared")]})
    await store_spans("late", {"trace": TRACE, "span": SPAN})

    async with engine.connect() as holder:
        transaction = await holder.begin()
        await holder.execute(text("SELECT id FROM pending_annotations FOR UPDATE"))
        while_held = await asyncio.wait_for(_resolve(engine), timeout=10)
        await transaction.commit()
    after = await _resolve(engine)

    assert (while_held.claimed, after.resolved) == (0, 1)
    assert await _labels(api) == ["shared"]


async def test_the_query_api_process_resolves_parked_annotations_in_the_background(
    start_query_api: Callable[[], Awaitable[QueryApiProcess]], store_spans: StoreSpans
) -> None:
    query_api = await start_query_api()
    base, service = query_api.base_url, query_api.service
    async with httpx.AsyncClient(base_url=base) as client:
        response = await client.post("/v1/span_annotations", json={"data": [_annotation("live")]})
        assert response.json() == {"data": []}

        await store_spans("late", {"trace": TRACE, "span": SPAN})

    def appeared() -> None:
        found = httpx.get(
            f"{base}/v1/projects/late/span_annotations", params={"span_ids": SPAN}, timeout=5
        )
        assert found.status_code == 200, found.text
        assert [item["result"]["label"] for item in found.json()["data"]] == ["live"]

    await asyncio.to_thread(assert_eventually, appeared, 30, 0.25, service.output)
    async with httpx.AsyncClient(base_url=base) as client:
        metrics = (await client.get("/metrics")).text
    assert 'spyglass_pending_annotations_resolved_total{kind="span"} 1.0' in metrics
