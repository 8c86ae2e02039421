"""``GET /v1/projects/{id}/spans`` with Phoenix's filters, and ``DELETE /v1/spans/{id}``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.slow

Store = Callable[..., Awaitable[None]]

TRACE_A = "a" * 32
TRACE_B = "b" * 32


async def _seed(store_spans: Store) -> None:
    await store_spans(
        "agents",
        {"trace": TRACE_A, "span": "a000000000000001", "name": "agent", "kind": "AGENT",
         "attributes": {"metadata": {"tier": "gold"}, "openinference": {"span": {"kind": "AGENT"}},
                        "input": {"value": "where is my refund"}}},
        {"trace": TRACE_A, "span": "a000000000000002", "parent": "a000000000000001",
         "name": "llm", "kind": "LLM", "start": 1, "error": True,
         "attributes": {"llm": {"model_name": "gpt-4o", "input_messages": [
             {"message": {"role": "user", "content": "hi"}}]}}},
        {"trace": TRACE_B, "span": "b000000000000001", "name": "agent", "kind": "AGENT",
         "start": 2, "attributes": {"metadata": {"tier": "free"}}},
    )  # fmt: skip
    await store_spans("other", {"trace": "c" * 32, "span": "c000000000000001"})


async def _span_ids(api: httpx.AsyncClient, **params: Any) -> list[str]:
    response = await api.get("/v1/projects/agents/spans", params=params)
    assert response.status_code == 200, response.text
    return [span["context"]["span_id"] for span in response.json()["data"]]


async def test_spans_in_phoenix_shape(api: httpx.AsyncClient, store_spans: Store) -> None:
    await _seed(store_spans)

    body = (
        await api.get("/v1/projects/agents/spans", params={"span_id": "a000000000000002"})
    ).json()
    span = body["data"][0]

    assert body["next_cursor"] is None
    assert span["context"] == {"trace_id": TRACE_A, "span_id": "a000000000000002"}
    assert span["parent_id"] == "a000000000000001"
    assert (span["name"], span["span_kind"], span["status_code"]) == ("llm", "LLM", "ERROR")
    assert span["attributes"] == {
        "llm.model_name": "gpt-4o",
        "llm.input_messages.0.message.role": "user",
        "llm.input_messages.0.message.content": "hi",
    }
    assert span["start_time"].startswith("2026-11-01T12:00:01")


async def test_filters(api: httpx.AsyncClient, store_spans: Store) -> None:
    await _seed(store_spans)

    assert await _span_ids(api) == ["b000000000000001", "a000000000000002", "a000000000000001"]
    assert await _span_ids(api, parent_id="null") == ["b000000000000001", "a000000000000001"]
    assert await _span_ids(api, trace_id=TRACE_A, span_kind=["LLM", "TOOL"]) == ["a000000000000002"]
    assert await _span_ids(api, status_code="ERROR") == ["a000000000000002"]
    assert await _span_ids(api, name="agent", attribute='metadata.tier:"gold"') == [
        "a000000000000001"
    ]
    assert await _span_ids(api, attribute='llm.model_name:"gpt-4o"') == ["a000000000000002"]
    assert await _span_ids(api, attribute="input.value:where is my refund") == ["a000000000000001"]
    assert await _span_ids(
        api, start_time="2026-11-01T12:00:01Z", end_time="2026-11-01T12:00:02Z"
    ) == ["a000000000000002"]


async def test_kind_attribute_is_left_out(api: httpx.AsyncClient, store_spans: Store) -> None:
    await _seed(store_spans)

    body = (
        await api.get("/v1/projects/agents/spans", params={"span_id": "a000000000000001"})
    ).json()

    assert body["data"][0]["attributes"] == {
        "metadata.tier": "gold",
        "input.value": "where is my refund",
    }


async def test_pages(api: httpx.AsyncClient, store_spans: Store) -> None:
    await _seed(store_spans)

    first = (await api.get("/v1/projects/agents/spans", params={"limit": 2})).json()
    second = (
        await api.get(
            "/v1/projects/agents/spans", params={"limit": 2, "cursor": first["next_cursor"]}
        )
    ).json()

    assert len(first["data"]) == 2
    assert [span["context"]["span_id"] for span in second["data"]] == ["a000000000000001"]
    assert second["next_cursor"] is None


async def _every_page(api: httpx.AsyncClient, project: str, limit: int) -> list[str]:
    """Span ids of every page, following ``next_cursor`` as arize-phoenix-client does."""
    span_ids: list[str] = []
    params: dict[str, Any] = {"limit": limit}
    while True:
        response = await api.get(f"/v1/projects/{project}/spans", params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        span_ids += [span["context"]["span_id"] for span in body["data"]]
        if not body["next_cursor"]:
            return span_ids
        params["cursor"] = body["next_cursor"]


async def test_300_spans_come_in_three_pages_of_100(
    api: httpx.AsyncClient, store_spans: Store
) -> None:
    await store_spans(
        "three-hundred",
        *({"trace": f"{number // 10:032x}", "span": f"{number + 1:016x}", "start": number * 0.01}
          for number in range(300)),
    )  # fmt: skip

    span_ids = await _every_page(api, "three-hundred", limit=100)

    assert span_ids == [f"{number + 1:016x}" for number in reversed(range(300))]


async def test_a_trace_of_130_spans_whose_root_came_last_comes_whole(
    api: httpx.AsyncClient, store_spans: Store
) -> None:
    root = {"trace": TRACE_A, "span": f"{1:016x}", "name": "root"}
    children = [
        {
            "trace": TRACE_A,
            "span": f"{number:016x}",
            "parent": root["span"],
            "start": number * 0.001,
        }
        for number in range(2, 131)
    ]
    await store_spans("one-trace", *children)
    await store_spans("one-trace", root)

    span_ids = await _every_page(api, "one-trace", limit=100)

    assert len(span_ids) == len(set(span_ids)) == 130
    assert span_ids[-1] == root["span"]  # it started first


async def test_pages_keep_the_time_range(api: httpx.AsyncClient, store_spans: Store) -> None:
    await store_spans(
        "ranged",
        *(
            {"trace": TRACE_A, "span": f"{number + 1:016x}", "start": number}
            for number in range(10)
        ),
    )
    pages: list[list[str]] = []
    params: dict[str, Any] = {
        "limit": 2, "start_time": "2026-11-01T12:00:02Z", "end_time": "2026-11-01T12:00:07Z",
    }  # fmt: skip

    while True:
        body = (await api.get("/v1/projects/ranged/spans", params=params)).json()
        pages.append([span["context"]["span_id"] for span in body["data"]])
        if not body["next_cursor"]:
            break
        params["cursor"] = body["next_cursor"]

    assert pages == [[f"{7:016x}", f"{6:016x}"], [f"{5:016x}", f"{4:016x}"], [f"{3:016x}"]]


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"attribute": "no-colon"}, "attribute"),
        ({"cursor": "UHJvamVjdDox"}, "cursor"),  # a Project id, not a Span id
        ({"start_time": "yesterday"}, "start_time"),
        ({"limit": -1}, "limit"),
        ({"start_time": "2026-11-02T00:00:00Z", "end_time": "2026-11-01T00:00:00Z"}, "start_time"),
    ],
)
async def test_bad_parameters_are_422_naming_them(
    api: httpx.AsyncClient, store_spans: Store, params: dict[str, Any], parameter: str
) -> None:
    await _seed(store_spans)

    response = await api.get("/v1/projects/agents/spans", params=params)

    assert response.status_code == 422
    assert parameter in response.text


async def test_sql_in_filters_is_only_data(api: httpx.AsyncClient, store_spans: Store) -> None:
    await _seed(store_spans)

    injected = await _span_ids(
        api, name="x' OR '1'='1", attribute="metadata.tier:'); DROP TABLE spans; --"
    )
    still_there = await _span_ids(api)

    assert injected == []
    assert len(still_there) == 3


async def test_unknown_project_is_404(api: httpx.AsyncClient) -> None:
    response = await api.get("/v1/projects/nope/spans")

    assert response.status_code == 404
    assert "nope" in response.text


async def test_delete_span_by_otel_id_or_global_id(
    api: httpx.AsyncClient, store_spans: Store
) -> None:
    await _seed(store_spans)
    global_id = (
        await api.get("/v1/projects/agents/spans", params={"span_id": "b000000000000001"})
    ).json()["data"][0]["id"]

    by_otel_id = await api.delete("/v1/spans/a000000000000002")
    by_global_id = await api.delete(f"/v1/spans/{global_id}")
    missing = await api.delete("/v1/spans/a000000000000002")

    assert (by_otel_id.status_code, by_global_id.status_code) == (204, 204)
    assert missing.status_code == 404
    assert await _span_ids(api) == ["a000000000000001"]


async def test_deleted_project_spans_disappear(api: httpx.AsyncClient, store_spans: Store) -> None:
    await _seed(store_spans)

    await api.delete("/v1/projects/agents")
    recreated = await api.post("/v1/projects", json={"name": "agents"})

    assert recreated.status_code == 200
    assert await _span_ids(api) == []
