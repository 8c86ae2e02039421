"""``/v1/sessions/{id}`` (get, delete), ``POST /v1/sessions/delete``, a project's sessions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import orjson
import pytest

from spyglass_proto.bus.v1.spans_pb2 import DecodedSpan
from spyglass_query_api.queries.ids import global_id

pytestmark = pytest.mark.slow

StoreDecoded = Callable[[str, list[DecodedSpan]], Awaitable[None]]

BASE_NANOS = 1_793_534_400 * 1_000_000_000  # 2026-11-01T12:00:00Z


def turn(trace: str, span_id: str, session: str, start: float, *, tokens: int = 0) -> list[Any]:
    """One trace of a session: a CHAIN root and, with ``tokens``, an LLM child using them."""
    start_nanos = BASE_NANOS + int(start * 1e9)
    root = DecodedSpan(
        trace_id=trace, span_id=span_id, name="turn", span_kind="CHAIN",
        start_time_unix_nano=start_nanos, end_time_unix_nano=start_nanos + 2_000_000_000,
        attributes_json=orjson.dumps({"session": {"id": session}}), events_json=b"[]",
        session_id=session,
    )  # fmt: skip
    spans = [root]
    if tokens:
        child = DecodedSpan(
            trace_id=trace, span_id=span_id[:-1] + "f", parent_span_id=span_id, name="llm",
            span_kind="LLM", start_time_unix_nano=start_nanos + 1,
            end_time_unix_nano=start_nanos + 1_000_000_000, attributes_json=b"{}",
            events_json=b"[]", llm_token_count_prompt=tokens, llm_token_count_completion=1,
        )  # fmt: skip
        spans.append(child)
    return spans


async def seed(store: StoreDecoded) -> None:
    """Project ``chat``: session ``alice`` (two turns, 10 + 1 and 20 + 1 tokens), ``bob`` (one
    turn), ``carol`` (one turn); project ``other``: session ``dave``."""
    await store(
        "chat",
        [
            *turn("a1" * 16, "a100000000000001", "alice", 0, tokens=10),
            *turn("b1" * 16, "b100000000000001", "bob", 5),
            *turn("a2" * 16, "a200000000000001", "alice", 60, tokens=20),
            *turn("c1" * 16, "c100000000000001", "carol", 90),
        ],
    )
    await store("other", turn("d1" * 16, "d100000000000001", "dave", 0))


async def session_ids(api: httpx.AsyncClient, **params: Any) -> list[str]:
    response = await api.get("/v1/projects/chat/sessions", params=params)
    assert response.status_code == 200, response.text
    return [session["session_id"] for session in response.json()["data"]]


async def test_get_a_session_by_session_id_or_global_id(
    api: httpx.AsyncClient, store_decoded_spans: StoreDecoded
) -> None:
    await seed(store_decoded_spans)

    by_name = await api.get("/v1/sessions/alice")
    session = by_name.json()["data"]
    by_global = await api.get(f"/v1/sessions/{session['id']}")
    project = (await api.get("/v1/projects/chat")).json()["data"]

    assert by_name.status_code == 200, by_name.text
    assert by_global.json() == by_name.json()
    assert session["session_id"] == "alice"
    assert session["project_id"] == project["id"]
    assert [trace["trace_id"] for trace in session["traces"]] == ["a1" * 16, "a2" * 16]
    assert session["start_time"].startswith("2026-11-01T12:00:00")
    assert session["end_time"].startswith("2026-11-01T12:01:02")
    assert (session["token_count_prompt"], session["token_count_completion"]) == (30, 2)
    assert session["token_count_total"] == 32


@pytest.mark.parametrize("identifier", ["nobody", global_id("ProjectSession", 424242)])
async def test_unknown_session_is_404_naming_it(
    api: httpx.AsyncClient, store_decoded_spans: StoreDecoded, identifier: str
) -> None:
    await seed(store_decoded_spans)

    got = await api.get(f"/v1/sessions/{identifier}")
    deleted = await api.delete(f"/v1/sessions/{identifier}")

    assert (got.status_code, deleted.status_code) == (404, 404)
    assert identifier in got.text


async def test_list_sessions_in_either_order_with_cursor_pages(
    api: httpx.AsyncClient, store_decoded_spans: StoreDecoded
) -> None:
    await seed(store_decoded_spans)

    ascending = await session_ids(api)
    descending = await session_ids(api, order="desc")
    pages: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {
            "limit": 2,
            "order": "desc",
            **({"cursor": cursor} if cursor else {}),
        }
        body = (await api.get("/v1/projects/chat/sessions", params=params)).json()
        pages += [session["session_id"] for session in body["data"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    first = (await api.get("/v1/projects/chat/sessions", params={"limit": 1})).json()

    assert ascending == ["alice", "bob", "carol"]  # sessions are made in arrival order
    assert descending == ["carol", "bob", "alice"]
    assert pages == descending
    assert first["data"][0]["traces"][1]["trace_id"] == "a2" * 16
    assert first["data"][0]["token_count_total"] == 32


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"cursor": "garbage"}, "cursor"),
        ({"cursor": global_id("Trace", 1)}, "cursor"),
        ({"limit": "0"}, "limit"),
        ({"order": "random"}, "order"),
    ],
)
async def test_bad_list_parameters_are_422(
    api: httpx.AsyncClient, params: dict[str, str], parameter: str
) -> None:
    await api.post("/v1/projects", json={"name": "chat"})

    response = await api.get("/v1/projects/chat/sessions", params=params)

    assert response.status_code == 422, response.text
    assert parameter in str(response.json()["detail"])


async def test_list_of_unknown_project_is_404(api: httpx.AsyncClient) -> None:
    response = await api.get("/v1/projects/nowhere/sessions")

    assert response.status_code == 404
    assert "nowhere" in response.text


async def test_deleting_a_session_deletes_its_traces_and_spans(
    api: httpx.AsyncClient, store_decoded_spans: StoreDecoded
) -> None:
    await seed(store_decoded_spans)

    response = await api.delete("/v1/sessions/alice")
    remaining = (await api.get("/v1/projects/chat/traces")).json()["data"]
    spans = (await api.get("/v1/projects/chat/spans")).json()["data"]

    assert response.status_code == 204
    assert (await api.get("/v1/sessions/alice")).status_code == 404
    assert await session_ids(api) == ["bob", "carol"]
    assert sorted(trace["trace_id"] for trace in remaining) == ["b1" * 16, "c1" * 16]
    assert sorted(span["context"]["trace_id"] for span in spans) == ["b1" * 16, "c1" * 16]


async def test_bulk_delete_by_session_ids_skips_unknown_ones(
    api: httpx.AsyncClient, store_decoded_spans: StoreDecoded
) -> None:
    await seed(store_decoded_spans)

    response = await api.post(
        "/v1/sessions/delete", json={"session_identifiers": ["alice", "carol", "nobody"]}
    )

    assert response.status_code == 204, response.text
    assert await session_ids(api) == ["bob"]
    assert (await api.get("/v1/sessions/dave")).status_code == 200
    spans = (await api.get("/v1/projects/chat/spans")).json()["data"]
    assert [span["context"]["trace_id"] for span in spans] == ["b1" * 16]


async def test_bulk_delete_by_global_ids(
    api: httpx.AsyncClient, store_decoded_spans: StoreDecoded
) -> None:
    await seed(store_decoded_spans)
    sessions = (await api.get("/v1/projects/chat/sessions")).json()["data"]

    response = await api.post(
        "/v1/sessions/delete",
        json={"session_identifiers": [sessions[0]["id"], sessions[1]["id"]]},
    )

    assert response.status_code == 204, response.text
    assert await session_ids(api) == ["carol"]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"session_identifiers": []}, "must not be empty"),
        ({"session_identifiers": ["alice", global_id("ProjectSession", 1)]}, "same type"),
        ({"session_identifiers": "alice"}, "session_identifiers"),
        ({}, "session_identifiers"),
    ],
)
async def test_bad_bulk_deletes_are_422_and_delete_nothing(
    api: httpx.AsyncClient,
    store_decoded_spans: StoreDecoded,
    body: dict[str, Any],
    fragment: str,
) -> None:
    await seed(store_decoded_spans)

    response = await api.post("/v1/sessions/delete", json=body)

    assert response.status_code == 422, response.text
    assert fragment in response.text
    assert await session_ids(api) == ["alice", "bob", "carol"]
