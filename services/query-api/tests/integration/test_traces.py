"""``GET /v1/projects/{id}/traces``, ``DELETE /v1/traces/{id}`` and ``POST /v1/traces/transfer``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import orjson
import pytest

from spyglass_proto.bus.v1.spans_pb2 import DecodedSpan, StatusCode
from spyglass_query_api.queries.ids import global_id

pytestmark = pytest.mark.slow

StoreDecoded = Callable[[str, list[DecodedSpan]], Awaitable[None]]

BASE_NANOS = 1_793_534_400 * 1_000_000_000  # 2026-11-01T12:00:00Z


def span(
    trace: str,
    span_id: str,
    *,
    parent: str = "",
    start: float = 0.0,
    duration: float = 0.5,
    kind: str = "CHAIN",
    error: bool = False,
    prompt: int | None = None,
    completion: int | None = None,
    session: str = "",
) -> DecodedSpan:
    """A span as the receiver decodes it, ``start`` seconds after a fixed instant."""
    start_nanos = BASE_NANOS + int(start * 1e9)
    message = DecodedSpan(
        trace_id=trace,
        span_id=span_id,
        parent_span_id=parent,
        name=f"{kind.lower()}-{span_id[-2:]}",
        span_kind=kind,
        start_time_unix_nano=start_nanos,
        end_time_unix_nano=start_nanos + int(duration * 1e9),
        status_code=StatusCode.STATUS_CODE_ERROR if error else StatusCode.STATUS_CODE_OK,
        attributes_json=orjson.dumps({"session": {"id": session}} if session else {}),
        events_json=b"[]",
        session_id=session,
    )
    if prompt is not None:
        message.llm_token_count_prompt = prompt
        message.llm_token_count_completion = completion or 0
    return message


T1, T2, T3, T4, T5 = ("1" * 32, "2" * 32, "3" * 32, "4" * 32, "5" * 32)


async def seed(store: StoreDecoded) -> None:
    """Project ``shop``: five traces (latencies 3, 1, 5, 0.2 and 1 s), sessions ``s-1`` (T1, T2)
    and ``s-2`` (T3); tokens in T1 (10 + 5, in a child) and T3 (7 + 3); an error in T2.
    Project ``other``: one trace."""
    await store(
        "shop",
        [
            span(T1, "1000000000000001", duration=3, session="s-1"),
            span(T1, "1000000000000002", parent="1000000000000001", start=1, duration=1,
                 kind="LLM", prompt=10, completion=5, session="s-1"),
            span(T2, "2000000000000001", start=10, duration=1, session="s-1"),
            span(T2, "2000000000000002", parent="2000000000000001", start=10.5, duration=0.1,
                 error=True),
            span(T3, "3000000000000001", start=20, duration=5, kind="LLM", prompt=7,
                 completion=3, session="s-2"),
            span(T4, "4000000000000001", start=30, duration=0.2),
            span(T5, "5000000000000001", start=40, duration=1),
        ],
    )  # fmt: skip
    await store("other", [span("9" * 32, "9000000000000001", start=5)])


async def traces(api: httpx.AsyncClient, project: str = "shop", **params: Any) -> dict[str, Any]:
    response = await api.get(f"/v1/projects/{project}/traces", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def trace_ids(api: httpx.AsyncClient, project: str = "shop", **params: Any) -> list[str]:
    return [trace["trace_id"] for trace in (await traces(api, project, **params))["data"]]


async def all_pages(api: httpx.AsyncClient, **params: Any) -> list[str]:
    """Every trace id, following ``next_cursor`` one trace at a time."""
    seen: list[str] = []
    cursor = None
    while True:
        body = await traces(api, limit=1, **params, **({"cursor": cursor} if cursor else {}))
        seen += [trace["trace_id"] for trace in body["data"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return seen
        assert len(seen) < 20, "pages never end"


async def test_traces_in_phoenix_shape_with_token_counts(
    api: httpx.AsyncClient, store_decoded_spans: StoreDecoded
) -> None:
    await seed(store_decoded_spans)

    body = await traces(api)
    first = body["data"][-1]
    project = (await api.get("/v1/projects/shop")).json()["data"]

    assert [trace["trace_id"] for trace in body["data"]] == [T5, T4, T3, T2, T1]
    assert body["next_cursor"] is None
    assert first["project_id"] == project["id"]
    assert first["start_time"].startswith("2026-11-01T12:00:00")
    assert first["end_time"].startswith("2026-11-01T12:00:03")
    assert (first["token_count_prompt"], first["token_count_completion"]) == (10, 5)
    assert first["token_count_total"] == 15
    assert body["data"][2]["token_count_total"] == 10
    assert body["data"][0]["token_count_total"] == 0
    assert first["spans"] is None


async def test_include_spans_lists_each_traces_spans(
    api: httpx.AsyncClient, store_decoded_spans: StoreDecoded
) -> None:
    await seed(store_decoded_spans)

    body = await traces(api, include_spans="true", end_time="2026-11-01T12:00:05Z")
    spans = body["data"][0]["spans"]

    assert [trace["trace_id"] for trace in body["data"]] == [T1]
    assert [(s["span_id"], s["parent_id"]) for s in spans] == [
        ("1000000000000001", None),
        ("1000000000000002", "1000000000000001"),
    ]
    assert spans[1]["span_kind"] == "LLM" and spans[1]["status_code"] == "OK"
    assert set(spans[0]) == {
        "id", "span_id", "parent_id", "name", "span_kind", "status_code", "start_time", "end_time",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("sort", "order", "expected"),
    [
        ("start_time", "desc", [T5, T4, T3, T2, T1]),
        ("start_time", "asc", [T1, T2, T3, T4, T5]),
        ("latency_ms", "desc", [T3, T1, T5, T2, T4]),
        ("latency_ms", "asc", [T4, T2, T5, T1, T3]),
    ],
)
async def test_sorts_and_cursor_pages_agree(
    api: httpx.AsyncClient,
    store_decoded_spans: StoreDecoded,
    sort: str,
    order: str,
    expected: list[str],
) -> None:
    await seed(store_decoded_spans)

    whole = await trace_ids(api, sort=sort, order=order)
    paged = await all_pages(api, sort=sort, order=order)

    # T2 and T5 last 1 s each: the tie is broken by row id, in the order's direction.
    assert whole == expected
    assert paged == expected


async def test_time_range_sessions_errors_and_latency_filters(
    api: httpx.AsyncClient, store_decoded_spans: StoreDecoded
) -> None:
    await seed(store_decoded_spans)
    session = (await api.get("/v1/sessions/s-2")).json()["data"]

    in_range = await trace_ids(
        api, start_time="2026-11-01T12:00:10Z", end_time="2026-11-01T12:00:30Z"
    )
    by_name = await trace_ids(api, session_identifier="s-1")
    by_both = await trace_ids(api, session_identifier=["s-1", session["id"]])
    unknown = await trace_ids(api, session_identifier="no-such-session")
    failed = await trace_ids(api, error="true")
    clean = await trace_ids(api, error="false")
    slow = await trace_ids(api, min_latency_ms=1000, max_latency_ms=3000)

    assert in_range == [T3, T2]  # start inclusive, end exclusive
    assert by_name == [T2, T1]
    assert by_both == [T3, T2, T1]
    assert unknown == []
    assert failed == [T2]
    assert clean == [T5, T4, T3, T1]
    assert slow == [T5, T2, T1]


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": global_id("Span", 1)}, "cursor"),
        ({"cursor": global_id("Trace", 999_999)}, "cursor"),
        ({"limit": "0"}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"start_time": "2026-11-02T00:00:00Z", "end_time": "2026-11-01T00:00:00Z"}, "start_time"),
        ({"start_time": "yesterday"}, "start_time"),
        ({"sort": "name"}, "sort"),
        ({"order": "sideways"}, "order"),
        ({"min_latency_ms": "-1"}, "min_latency_ms"),
        ({"min_latency_ms": "10", "max_latency_ms": "5"}, "min_latency_ms"),
    ],
)
async def test_bad_parameters_are_422_naming_them(
    api: httpx.AsyncClient,
    store_decoded_spans: StoreDecoded,
    params: dict[str, str],
    parameter: str,
) -> None:
    await seed(store_decoded_spans)

    response = await api.get("/v1/projects/shop/traces", params=params)

    assert response.status_code == 422, response.text
    assert parameter in str(response.json()["detail"])


async def test_unknown_project_is_404(api: httpx.AsyncClient) -> None:
    response = await api.get("/v1/projects/nowhere/traces")

    assert response.status_code == 404
    assert "nowhere" in response.text


async def test_an_oversized_limit_is_capped_at_1000(
    api: httpx.AsyncClient, store_decoded_spans: StoreDecoded
) -> None:
    await store_decoded_spans(
        "big", [span(f"{n:032x}", f"{n:016x}", start=n / 100) for n in range(1, 1006)]
    )

    body = await traces(api, "big", limit=5000)
    rest = await traces(api, "big", limit=1000, cursor=body["next_cursor"])

    assert len(body["data"]) == 1000
    assert len(rest["data"]) == 5 and rest["next_cursor"] is None


async def test_delete_trace_by_otel_id_or_global_id_with_its_spans(
    api: httpx.AsyncClient, store_decoded_spans: StoreDecoded
) -> None:
    await seed(store_decoded_spans)
    t3_id = next(t["id"] for t in (await traces(api))["data"] if t["trace_id"] == T3)

    by_otel = await api.delete(f"/v1/traces/{T1}")
    by_global = await api.delete(f"/v1/traces/{t3_id}")
    again = await api.delete(f"/v1/traces/{T1}")
    unknown = await api.delete("/v1/traces/not-a-trace")
    spans = (await api.get("/v1/projects/shop/spans", params={"trace_id": [T1, T3]})).json()

    assert (by_otel.status_code, by_global.status_code) == (204, 204)
    assert (again.status_code, unknown.status_code) == (404, 404)
    assert "not-a-trace" in unknown.text
    assert await trace_ids(api) == [T5, T4, T2]
    assert spans["data"] == []


async def test_transfer_moves_traces_spans_and_whole_sessions(
    api: httpx.AsyncClient, store_decoded_spans: StoreDecoded
) -> None:
    await seed(store_decoded_spans)
    archive = (await api.post("/v1/projects", json={"name": "archive"})).json()["data"]

    first = await api.post(
        "/v1/traces/transfer",
        json={"trace_identifiers": [T1, T3], "destination_project_identifier": "archive"},
    )
    split = (await api.get("/v1/sessions/s-1")).json()["data"]
    moved_along = (await api.get("/v1/sessions/s-2")).json()["data"]
    t2 = next(t for t in (await traces(api))["data"] if t["trace_id"] == T2)
    second = await api.post(
        "/v1/traces/transfer",
        json={"trace_identifiers": [t2["id"]], "destination_project_identifier": archive["id"]},
    )
    rejoined = (await api.get("/v1/sessions/s-1")).json()["data"]
    spans = (await api.get("/v1/projects/archive/spans")).json()["data"]

    assert first.status_code == 200, first.text
    assert first.json() == {
        "data": {"transferred_trace_count": 2, "destination_project_id": archive["id"]}
    }
    assert split["project_id"] != archive["id"]  # T2 of s-1 was still in shop
    assert moved_along["project_id"] == archive["id"]
    assert second.status_code == 200, second.text
    assert rejoined["project_id"] == archive["id"]
    assert await trace_ids(api) == [T5, T4]
    assert await trace_ids(api, "archive") == [T3, T2, T1]
    assert sorted({s["context"]["trace_id"] for s in spans}) == [T1, T2, T3]
    assert len(spans) == 5


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ({"trace_identifiers": ["f" * 32], "destination_project_identifier": "shop"}, 404,
         "f" * 32),
        ({"trace_identifiers": [T1], "destination_project_identifier": "nowhere"}, 404, "nowhere"),
        ({"trace_identifiers": [T1, "9" * 32], "destination_project_identifier": "shop"}, 422,
         "multiple projects"),
        ({"trace_identifiers": [], "destination_project_identifier": "shop"}, 422,
         "trace_identifiers"),
        ({"destination_project_identifier": "shop"}, 422, "trace_identifiers"),
    ],
)  # fmt: skip
async def test_bad_transfers_change_nothing(
    api: httpx.AsyncClient,
    store_decoded_spans: StoreDecoded,
    body: dict[str, Any],
    status: int,
    fragment: str,
) -> None:
    await seed(store_decoded_spans)

    response = await api.post("/v1/traces/transfer", json=body)

    assert response.status_code == status, response.text
    assert fragment in response.text
    assert await trace_ids(api) == [T5, T4, T3, T2, T1]
    assert await trace_ids(api, "other") == ["9" * 32]


async def test_a_deleted_projects_traces_and_sessions_are_gone(
    api: httpx.AsyncClient, store_decoded_spans: StoreDecoded
) -> None:
    await seed(store_decoded_spans)

    deleted = await api.delete("/v1/projects/shop")
    await api.post("/v1/projects", json={"name": "shop"})

    assert deleted.status_code == 204
    assert await trace_ids(api) == []
    assert (await api.get("/v1/projects/shop/sessions")).json()["data"] == []
    assert (await api.get("/v1/sessions/s-1")).status_code == 404
    assert (await api.delete(f"/v1/traces/{T1}")).status_code == 404
    assert await trace_ids(api, "other") == ["9" * 32]
