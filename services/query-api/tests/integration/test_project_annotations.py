"""``GET|DELETE /v1/projects/{id}/{span,trace,session}_annotations``: lists, pages, deletes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

StoreSpans = Callable[..., Awaitable[None]]

SPANS = [f"{number:016x}" for number in range(1, 4)]
TRACE = "e" * 32
SESSION = "listed-session"


@pytest.fixture
async def annotated(api: httpx.AsyncClient, store_spans: StoreSpans) -> None:
    """Project ``listed``: three spans, each annotated ``quality`` and ``note``-free ``tone``,
    the trace and the session annotated once; project ``elsewhere`` holds a span of its own."""
    await store_spans(
        "listed", *({"trace": TRACE, "span": span, "session": SESSION} for span in SPANS)
    )
    await store_spans("elsewhere", {"trace": "f" * 32, "span": "f" * 16})
    items = [
        {"span_id": span, "name": name, "annotator_kind": kind, "result": {"score": 0.5}}
        for span in SPANS
        for name, kind in (("quality", "LLM"), ("tone", "HUMAN"))
    ]
    await _post(api, "span_annotations", items)
    await _post(
        api, "trace_annotations", [{"trace_id": TRACE, "name": "t", "annotator_kind": "CODE"}]
    )
    await _post(
        api, "session_annotations", [{"session_id": SESSION, "name": "s", "annotator_kind": "CODE"}]
    )
    note = await api.post("/v1/span_notes", json={"data": {"span_id": SPANS[0], "note": "hm"}})
    assert note.status_code == 200, note.text


async def _post(api: httpx.AsyncClient, path: str, items: list[dict[str, Any]]) -> None:
    response = await api.post(f"/v1/{path}?sync=true", json={"data": items})
    assert response.status_code == 200, response.text


async def _list(api: httpx.AsyncClient, **params: Any) -> httpx.Response:
    return await api.get("/v1/projects/listed/span_annotations", params=params)


async def test_lists_are_newest_first_in_cursor_pages_of_ten_by_default(
    api: httpx.AsyncClient, annotated: None
) -> None:
    first = await _list(api, span_ids=SPANS, limit=4)
    second = await _list(api, span_ids=SPANS, limit=4, cursor=first.json()["next_cursor"])
    default = await _list(api, span_ids=SPANS)

    assert first.status_code == 200, first.text
    ids = [item["id"] for item in first.json()["data"] + second.json()["data"]]
    assert len(ids) == len(set(ids)) == 7  # six annotations and the note
    assert second.json()["next_cursor"] is None
    assert [item["id"] for item in default.json()["data"]] == ids
    assert default.json()["data"][0]["name"] == "note"


async def test_name_and_identifier_filters(api: httpx.AsyncClient, annotated: None) -> None:
    included = await _list(api, span_ids=SPANS, include_annotation_names="tone")
    excluded = await _list(api, span_ids=SPANS[:1], exclude_annotation_names=["note", "tone"])
    notes = await _list(api, span_ids=SPANS[0], include_annotation_names="note")
    note_identifier = notes.json()["data"][0]["identifier"]
    by_identifier = await _list(api, identifier=note_identifier)

    assert {(item["name"], item["annotator_kind"]) for item in included.json()["data"]} == {
        ("tone", "HUMAN")
    }
    assert len(included.json()["data"]) == 3
    assert [item["name"] for item in excluded.json()["data"]] == ["quality"]
    assert note_identifier.startswith("px-span-note:")
    assert [item["name"] for item in by_identifier.json()["data"]] == ["note"]


async def test_trace_and_session_lists(api: httpx.AsyncClient, annotated: None) -> None:
    traces = await api.get("/v1/projects/listed/trace_annotations", params={"trace_ids": TRACE})
    sessions = await api.get(
        "/v1/projects/listed/session_annotations", params={"session_ids": [SESSION, "other"]}
    )

    assert [(item["trace_id"], item["name"]) for item in traces.json()["data"]] == [(TRACE, "t")]
    assert [(i["session_id"], i["name"]) for i in sessions.json()["data"]] == [(SESSION, "s")]
    assert sessions.json()["next_cursor"] is None


async def test_bad_list_requests(api: httpx.AsyncClient, annotated: None) -> None:
    nothing = await _list(api)
    bad_cursor = await _list(api, span_ids=SPANS, cursor="garbage")
    zero = await _list(api, span_ids=SPANS, limit=0)
    not_a_number = await _list(api, span_ids=SPANS, limit="many")
    huge = await _list(api, span_ids=SPANS, limit=10**9)
    too_many = await _list(api, span_ids=[f"{n:016x}" for n in range(1001)])
    unknown_project = await api.get(
        "/v1/projects/nowhere/span_annotations", params={"span_ids": SPANS}
    )
    other_project = await _list(api, span_ids="f" * 16)

    assert nothing.status_code == 422 and "span_ids" in nothing.text
    assert bad_cursor.status_code == 422 and "cursor" in bad_cursor.text
    assert zero.status_code == 422 and "limit" in zero.text
    assert not_a_number.status_code in (400, 422) and "limit" in not_a_number.text
    assert huge.status_code == 200 and len(huge.json()["data"]) == 7
    assert too_many.status_code == 422 and "Too many span_ids" in too_many.text
    assert unknown_project.status_code == 404
    assert "nowhere" in unknown_project.text
    assert other_project.status_code == 404
    assert "None of the supplied span_ids exist in this project" in other_project.text


async def test_delete_needs_a_window_or_delete_all(api: httpx.AsyncClient, annotated: None) -> None:
    path = "/v1/projects/listed/span_annotations"
    unbounded = await api.delete(path, params={"name": "tone"})
    half = await api.delete(path, params={"start_time": "2020-01-01T00:00:00"})
    reversed_window = await api.delete(
        path, params={"start_time": "2030-01-01T00:00:00Z", "end_time": "2020-01-01T00:00:00Z"}
    )
    bad_kind = await api.delete(path, params={"delete_all": "true", "annotator_kind": "ROBOT"})
    empty_name = await api.delete(path, params={"delete_all": "true", "name": ""})

    assert unbounded.status_code == 422 and "delete_all" in unbounded.text
    assert half.status_code == 422
    assert reversed_window.status_code == 422 and "start_time" in reversed_window.text
    assert bad_kind.status_code == 422 and "annotator_kind" in bad_kind.text
    assert empty_name.status_code in (400, 422) and "name" in empty_name.text
    assert len((await _list(api, span_ids=SPANS)).json()["data"]) == 7


async def test_delete_removes_what_matches_in_the_project_only(
    api: httpx.AsyncClient, store_spans: StoreSpans, annotated: None
) -> None:
    await _post(
        api, "span_annotations", [{"span_id": "f" * 16, "name": "tone", "annotator_kind": "HUMAN"}]
    )
    by_name = await api.delete(
        "/v1/projects/listed/span_annotations",
        params={"delete_all": "true", "name": "tone", "annotator_kind": "HUMAN"},
    )
    outside_window = await api.delete(
        "/v1/projects/listed/span_annotations",
        params={"start_time": "2000-01-01T00:00:00", "end_time": "2000-01-02T00:00:00"},
    )
    traces = await api.delete("/v1/projects/listed/trace_annotations?delete_all=true")
    unknown = await api.delete("/v1/projects/nowhere/session_annotations?delete_all=true")

    assert (by_name.status_code, outside_window.status_code, traces.status_code) == (204, 204, 204)
    assert unknown.status_code == 404
    remaining = (await _list(api, span_ids=SPANS)).json()["data"]
    assert sorted({item["name"] for item in remaining}) == ["note", "quality"]
    elsewhere = await api.get(
        "/v1/projects/elsewhere/span_annotations", params={"span_ids": "f" * 16}
    )
    assert [item["name"] for item in elsewhere.json()["data"]] == ["tone"]
    listed_traces = await api.get(
        "/v1/projects/listed/trace_annotations", params={"trace_ids": TRACE}
    )
    assert listed_traces.json()["data"] == []


async def test_annotations_of_a_deleted_project_disappear(
    api: httpx.AsyncClient, store_spans: StoreSpans, annotated: None
) -> None:
    deleted = await api.delete("/v1/projects/listed")
    await store_spans("listed", {"trace": "9" * 32, "span": "9" * 16})

    assert deleted.status_code == 204
    spans = await _list(api, span_ids=[*SPANS, "9" * 16])
    traces = await api.get("/v1/projects/listed/trace_annotations", params={"trace_ids": TRACE})
    sessions = await api.get(
        "/v1/projects/listed/session_annotations", params={"session_ids": SESSION}
    )
    assert spans.status_code == 200 and spans.json()["data"] == []
    assert traces.status_code == 404  # its trace is gone with the project
    assert sessions.status_code == 404
    elsewhere = await api.get(
        "/v1/projects/elsewhere/span_annotations", params={"span_ids": "f" * 16}
    )
    assert elsewhere.status_code == 200
