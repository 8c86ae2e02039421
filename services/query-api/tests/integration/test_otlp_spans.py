"""``GET /v1/projects/{id}/spans/otlpv1``: the span search, as OTLP/JSON-shaped spans."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.slow

Store = Callable[..., Awaitable[None]]

TRACE = "e" * 32


async def seed(store_spans: Store) -> None:
    await store_spans(
        "otlp",
        {"trace": TRACE, "span": "e000000000000001", "name": "agent", "kind": "AGENT",
         "attributes": {"metadata": {"tier": "gold"}, "llm": {"token_count": {"total": 42}},
                        "tag": {"tags": ["a", "b"]}, "score": 0.5, "cached": True},
         "events": [{"name": "exception", "timestamp": "2026-11-01T12:00:00.250000+00:00",
                     "attributes": {"exception.message": "boom"}}]},
        {"trace": TRACE, "span": "e000000000000002", "parent": "e000000000000001",
         "name": "tool", "kind": "TOOL", "start": 1, "error": True},
    )  # fmt: skip


async def otlp(api: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await api.get("/v1/projects/otlp/spans/otlpv1", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_spans_in_otlp_json_shape(api: httpx.AsyncClient, store_spans: Store) -> None:
    await seed(store_spans)

    body = await otlp(api, parent_id="null")
    span = body["data"][0]
    attributes = {item["key"]: item["value"] for item in span["attributes"]}

    assert body["next_cursor"] is None and len(body["data"]) == 1
    assert (span["trace_id"], span["span_id"], span["parent_span_id"]) == (
        TRACE,
        "e000000000000001",
        None,
    )
    assert span["start_time_unix_nano"] == 1_793_534_400 * 10**9
    assert span["end_time_unix_nano"] == 1_793_534_400 * 10**9 + 500_000_000
    assert span["status"]["code"] == 1
    assert attributes["llm.token_count.total"]["int_value"] == 42
    assert attributes["score"]["double_value"] == 0.5
    assert attributes["cached"]["bool_value"] is True
    assert attributes["metadata.tier"]["string_value"] == "gold"  # dotted, as Phoenix does
    assert [v["string_value"] for v in attributes["tag.tags"]["array_value"]["values"]] == [
        "a",
        "b",
    ]
    event = span["events"][0]
    assert event["name"] == "exception"
    assert event["time_unix_nano"] == 1_793_534_400 * 10**9 + 250_000_000
    assert event["attributes"] == [{"key": "exception.message", "value": {
        "array_value": None, "bool_value": None, "bytes_value": None, "double_value": None,
        "int_value": None, "kvlist_value": None, "string_value": "boom"}}]  # fmt: skip


async def test_the_span_searchs_filters_and_pages(
    api: httpx.AsyncClient, store_spans: Store
) -> None:
    await seed(store_spans)

    errors = await otlp(api, status_code="ERROR")
    first = await otlp(api, limit=1)
    second = await otlp(api, limit=1, cursor=first["next_cursor"])

    assert [s["span_id"] for s in errors["data"]] == ["e000000000000002"]
    assert errors["data"][0]["status"]["code"] == 2
    assert [s["span_id"] for s in first["data"] + second["data"]] == [
        "e000000000000002",
        "e000000000000001",
    ]
    assert second["next_cursor"] is None


@pytest.mark.parametrize(
    ("params", "status", "fragment"),
    [
        ({"cursor": "nope"}, 422, "cursor"),
        ({"limit": "0"}, 422, "limit"),
        ({"attribute": "no-colon"}, 422, "attribute"),
        ({"start_time": "2026-11-02T00:00:00Z", "end_time": "2026-11-01T00:00:00Z"}, 422,
         "start_time"),
    ],
)  # fmt: skip
async def test_bad_parameters(
    api: httpx.AsyncClient, store_spans: Store, params: dict[str, str], status: int, fragment: str
) -> None:
    await seed(store_spans)

    response = await api.get("/v1/projects/otlp/spans/otlpv1", params=params)

    assert response.status_code == status, response.text
    assert fragment in response.text


async def test_unknown_project_is_404(api: httpx.AsyncClient) -> None:
    response = await api.get("/v1/projects/nowhere/spans/otlpv1")

    assert response.status_code == 404
    assert "nowhere" in response.text
