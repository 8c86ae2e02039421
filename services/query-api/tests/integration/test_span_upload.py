"""``POST /v1/projects/{id}/spans``: spans go through JetStream and a real writer process."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from spyglass_launcher.servers import EmbeddedNats
from spyglass_query_api.queries.ids import global_id
from tests.support.ingest import StartIngest
from tests.support.loop import LoopThread
from tests.support.stack import Stack

pytestmark = pytest.mark.slow

UploadApi = Any  # conftest's UploadApi: ``client``, ``queued_messages()``
OpenUploadApi = Callable[..., Any]

TRACE = "ab" * 16


def upload_span(span_id: str, **overrides: Any) -> dict[str, Any]:
    """A span in Phoenix's Span shape, as ``client.spans.log_spans`` sends it."""
    body: dict[str, Any] = {
        "name": "llm_call",
        "context": {"trace_id": TRACE, "span_id": span_id},
        "span_kind": "LLM",
        "parent_id": None,
        "start_time": "2026-11-01T12:00:00Z",
        "end_time": "2026-11-01T12:00:01.5Z",
        "status_code": "OK",
        "status_message": "",
        "attributes": {
            "llm.model_name": "gpt-4o",
            "llm.token_count.prompt": 100,
            "llm.token_count.completion": 50,
            "metadata": {"tier": "gold"},
        },
        "events": [],
    }
    body.update(overrides)
    return body


def _nested(depth: int) -> dict[str, Any]:
    """Attributes nesting objects ``depth`` levels deep."""
    document: dict[str, Any] = {"leaf": 1}
    for _ in range(depth - 1):
        document = {"a": document}
    return document


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 20.0) -> Any:
    """``await check()`` until it returns without an AssertionError, within ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return await check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


async def test_uploaded_spans_are_stored_by_the_writer(
    upload_api: UploadApi, start_ingest: StartIngest
) -> None:
    start_ingest(writer=True)
    api = upload_api.client
    spans = [
        upload_span("1000000000000001", span_kind="chain", name="root",
                    attributes={"input": {"value": "hello"}, "session.id": "chat-7"}),
        upload_span("1000000000000002", parent_id="1000000000000001",
                    events=[{"name": "exception", "timestamp": "2026-11-01T12:00:01Z",
                             "attributes": {"exception.message": "boom"}}],
                    status_code="ERROR", status_message="boom"),
    ]  # fmt: skip

    response = await api.post("/v1/projects/uploads/spans", json={"data": spans})
    created = await api.get("/v1/projects/uploads")

    async def stored() -> list[dict[str, Any]]:
        found = (await api.get("/v1/projects/uploads/spans")).json()["data"]
        assert len(found) == 2
        return list(found)

    found = {span["context"]["span_id"]: span for span in await eventually(stored)}
    root, llm = found["1000000000000001"], found["1000000000000002"]
    trace = (await api.get("/v1/projects/uploads/traces")).json()["data"][0]
    assert response.status_code == 202, response.text
    assert response.json() == {"total_received": 2, "total_queued": 2}
    assert created.status_code == 200  # the project exists as soon as the upload is accepted
    assert root["span_kind"] == "CHAIN"
    assert root["attributes"]["input.value"] == "hello"
    assert llm["parent_id"] == "1000000000000001"
    assert (llm["status_code"], llm["status_message"]) == ("ERROR", "boom")
    assert llm["attributes"]["llm.token_count.total"] == 150
    assert llm["attributes"]["metadata.tier"] == "gold"
    assert llm["events"][0]["attributes"] == {"exception.message": "boom"}
    assert (trace["trace_id"], trace["token_count_total"]) == (TRACE, 150)
    assert (await api.get("/v1/sessions/chat-7")).status_code == 200


async def test_nested_attributes_and_a_project_global_id(
    upload_api: UploadApi, start_ingest: StartIngest
) -> None:
    start_ingest(writer=True)
    api = upload_api.client
    project = (await api.post("/v1/projects", json={"name": "nested"})).json()["data"]
    nested = {"llm": {"model_name": "gpt-4o", "token_count": {"prompt": 3, "completion": 4}}}

    response = await api.post(
        f"/v1/projects/{project['id']}/spans",
        json={"data": [upload_span("2000000000000001", attributes=nested)]},
    )

    async def stored() -> dict[str, Any]:
        found = (await api.get("/v1/projects/nested/spans")).json()["data"]
        assert len(found) == 1
        return dict(found[0])

    span = await eventually(stored)
    assert response.status_code == 202, response.text
    assert span["attributes"]["llm.token_count.total"] == 7


async def test_nul_in_uploaded_span_text_is_stored_made_safe(
    upload_api: UploadApi, start_ingest: StartIngest
) -> None:
    start_ingest(writer=True)
    api = upload_api.client
    span = upload_span(
        "2100000000000001",
        name="na\x00me",
        status_message="bo\x00om",
        attributes={"user.id": "u\x00ser", "tag\x00": "v", "metadata": {"note": "a\x00b"}},
        events=[{"name": "log\x00", "timestamp": "2026-11-01T12:00:00Z",
                 "attributes": {"body": "x\x00"}}],
    )  # fmt: skip

    response = await api.post("/v1/projects/nul/spans", json={"data": [span]})

    async def stored() -> dict[str, Any]:
        found = (await api.get("/v1/projects/nul/spans")).json()["data"]
        assert len(found) == 1
        return dict(found[0])

    assert response.status_code == 202, response.text
    found = await eventually(stored)
    assert (found["name"], found["status_message"]) == ("na\ufffdme", "bo\ufffdom")
    assert found["attributes"]["user.id"] == "u\ufffdser"
    assert found["attributes"]["tag\ufffd"] == "v"
    assert found["attributes"]["metadata.note"] == "a\ufffdb"
    assert found["events"][0]["name"] == "log\ufffd"
    assert found["events"][0]["attributes"] == {"body": "x\ufffd"}


async def test_attributes_nested_past_the_json_parser_are_a_client_error(
    upload_api: UploadApi,
) -> None:
    body = '{"data": [' + orjson.dumps(upload_span("3100000000000001")).decode()[:-1]
    body += ', "attributes": ' + '{"a": ' * 3000 + "1" + "}" * 3000 + "}]}"

    response = await upload_api.client.post(
        "/v1/projects/deep/spans", content=body, headers={"content-type": "application/json"}
    )

    assert 400 <= response.status_code < 500, response.text
    assert await upload_api.queued_messages() == 0


@pytest.mark.parametrize(
    ("span", "reason"),
    [
        (upload_span("xyz"), "span_id must be 16 hex digits"),
        (upload_span("0000000000000000"), "span_id must be 16 hex digits"),
        (upload_span("3000000000000001",
                     context={"trace_id": "abc", "span_id": "3000000000000001"}),
         "trace_id must be 32 hex digits"),
        (upload_span("3000000000000001", parent_id="nope"), "parent_id"),
        (upload_span("3000000000000001", start_time="2026-11-01T12:00:00"), "timezone-aware"),
        (upload_span("3000000000000001", end_time="2026-11-01T11:00:00Z"), "before start_time"),
        (upload_span("3000000000000001", start_time="0001-01-01T00:00:00Z"),
         "start_time must be between 1970-01-01 and 2262-04-11"),
        (upload_span("3000000000000001", end_time="9999-12-31T00:00:00Z"),
         "end_time must be between 1970-01-01 and 2262-04-11"),
        (upload_span("3000000000000001", attributes={"session.id": "s" * 10_000}),
         "has a session.id longer than 512 characters"),
        (upload_span("3000000000000001", attributes=_nested(150)),
         "has attributes or events nested deeper than 100 levels"),
        (upload_span("3000000000000001", events=[{"name": "deep", "timestamp":
                     "2026-11-01T12:00:00Z", "attributes": _nested(120)}]),
         "has attributes or events nested deeper than 100 levels"),
        (upload_span("3000000000000001", attributes={"n": 2**70}), "attributes can't be stored"),
    ],
    ids=["span-id", "zero-span-id", "trace-id", "parent-id", "naive-time", "end-before-start",
         "year-1", "year-9999", "long-session", "deep-attributes", "deep-event", "huge-int"],
)  # fmt: skip
async def test_one_invalid_span_rejects_the_whole_request(
    upload_api: UploadApi, span: dict[str, Any], reason: str
) -> None:
    api = upload_api.client
    good = upload_span("4000000000000001")

    response = await api.post("/v1/projects/strict/spans", json={"data": [good, span]})

    assert response.status_code == 400, response.text
    detail = orjson.loads(response.text)
    assert detail["total_received"] == 2 and detail["total_queued"] == 0
    assert detail["total_invalid"] == 1
    assert reason in detail["invalid_spans"][0]["error"]
    assert detail["invalid_spans"][0]["span_id"] == span["context"]["span_id"]
    assert await upload_api.queued_messages() == 0
    assert (await api.get("/v1/projects/strict")).status_code == 404


async def test_duplicates_in_the_body_or_already_stored_are_rejected(
    upload_api: UploadApi, store_spans: Callable[..., Awaitable[None]]
) -> None:
    await store_spans("dupes", {"trace": TRACE, "span": "5000000000000001"})
    api = upload_api.client

    response = await api.post(
        "/v1/projects/dupes/spans",
        json={"data": [upload_span("5000000000000001"), upload_span("5000000000000002"),
                       upload_span("5000000000000002")]},
    )  # fmt: skip

    assert response.status_code == 400, response.text
    detail = orjson.loads(response.text)
    assert detail["total_duplicates"] == 2
    assert [d["span_id"] for d in detail["duplicate_spans"]] == [
        "5000000000000001",
        "5000000000000002",
    ]
    assert await upload_api.queued_messages() == 0


@pytest.mark.parametrize(
    "body",
    [
        {"data": [{"name": "no context"}]},
        {"data": "spans"},
        {"spans": []},
        {"data": [upload_span("6000000000000001", start_time="soon")]},
    ],
)
async def test_malformed_bodies_are_422(upload_api: UploadApi, body: dict[str, Any]) -> None:
    response = await upload_api.client.post("/v1/projects/p/spans", json=body)

    assert response.status_code == 422, response.text
    assert response.json()["detail"]


async def test_unknown_project_global_id_is_404(upload_api: UploadApi) -> None:
    identifier = global_id("Project", 9999)

    response = await upload_api.client.post(
        f"/v1/projects/{identifier}/spans", json={"data": [upload_span("7000000000000001")]}
    )

    assert response.status_code == 404
    assert identifier in response.text


async def test_nats_down_is_503_with_retry_after(
    database_url: str,
    server_home: Path,
    background_loop: LoopThread,
    nats_namespace: str,
    open_upload_api: OpenUploadApi,
) -> None:
    nats = EmbeddedNats(server_home / "nats")
    background_loop.run(nats.start())
    try:
        async with open_upload_api(database_url, nats.url, nats_namespace) as upload:
            background_loop.run(nats.stop())
            response = await upload.client.post(
                "/v1/projects/p/spans", json={"data": [upload_span("8000000000000001")]}
            )
    finally:
        background_loop.run(nats.stop())

    assert response.status_code == 503, response.text
    assert int(response.headers["Retry-After"]) >= 1
    assert "span bus" in response.text


async def test_a_full_bus_is_429_with_retry_after(
    database_url: str, stack: Stack, nats_namespace: str, open_upload_api: OpenUploadApi
) -> None:
    big = {"input.value": "x" * (600 * 1024)}
    async with open_upload_api(
        database_url, stack.nats_url, nats_namespace, spans_max_bytes=1 << 20
    ) as upload:
        first = await upload.client.post(
            "/v1/projects/p/spans",
            json={"data": [upload_span("9000000000000001", attributes=big)]},
        )
        second = await upload.client.post(
            "/v1/projects/p/spans",
            json={"data": [upload_span("9000000000000002", attributes=big)]},
        )

    assert first.status_code == 202, first.text
    assert second.status_code == 429, second.text
    assert int(second.headers["Retry-After"]) >= 1
    assert "full" in second.text
