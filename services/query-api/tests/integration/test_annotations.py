"""``POST /v1/{span,trace,session,document}_annotations``: upserts, sync and async, bad bodies."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

StoreSpans = Callable[..., Awaitable[None]]

SPAN = "a1" * 8
TRACE = "b2" * 16
SESSION = "session-annotated"


@pytest.fixture
async def stored(store_spans: StoreSpans) -> None:
    """One trace in project ``annotated``: a root with a session, and a retriever with 2 docs."""
    await store_spans(
        "annotated",
        {"trace": TRACE, "span": SPAN, "session": SESSION},
        {
            "trace": TRACE,
            "span": "c3" * 8,
            "parent": SPAN,
            "kind": "RETRIEVER",
            "attributes": {"retrieval": {"documents": [{"document": {"id": "1"}}, {}]}},
        },
    )


def _decoded(global_id: str) -> str:
    return base64.b64decode(global_id).decode()


async def _post(
    api: httpx.AsyncClient, path: str, *items: dict[str, Any], sync: bool = True
) -> httpx.Response:
    return await api.post(f"/v1/{path}", params={"sync": str(sync).lower()}, json={"data": items})


async def _span_annotations(api: httpx.AsyncClient, *span_ids: str) -> list[dict[str, Any]]:
    response = await api.get(
        "/v1/projects/annotated/span_annotations", params={"span_ids": list(span_ids)}
    )
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


def _annotation(target: str, value: str, **extra: Any) -> dict[str, Any]:
    return {
        target: value,
        "name": "correctness",
        "annotator_kind": "LLM",
        "result": {"label": "correct", "score": 1.0, "explanation": "matches"},
        "metadata": {"model": "judge-1"},
        **extra,
    }


async def test_sync_span_annotation_is_stored_and_answers_its_global_id(
    api: httpx.AsyncClient, stored: None
) -> None:
    response = await _post(api, "span_annotations", _annotation("span_id", SPAN))

    assert response.status_code == 200, response.text
    [inserted] = response.json()["data"]
    assert _decoded(inserted["id"]).startswith("SpanAnnotation:")
    [annotation] = await _span_annotations(api, SPAN)
    assert annotation["id"] == inserted["id"]
    assert annotation["span_id"] == SPAN
    assert annotation["result"] == {"label": "correct", "score": 1.0, "explanation": "matches"}
    assert annotation["metadata"] == {"model": "judge-1"}
    assert (annotation["annotator_kind"], annotation["source"]) == ("LLM", "API")
    assert (annotation["identifier"], annotation["user_id"]) == ("", None)


async def test_same_name_and_identifier_replace_the_annotation(
    api: httpx.AsyncClient, stored: None
) -> None:
    first = await _post(api, "span_annotations", _annotation("span_id", SPAN))
    second = await _post(
        api,
        "span_annotations",
        _annotation("span_id", SPAN, result={"label": "wrong", "score": 0.0}),
    )
    other = await _post(api, "span_annotations", _annotation("span_id", SPAN, identifier="run-2"))

    assert second.json()["data"] == first.json()["data"]
    assert other.json()["data"] != first.json()["data"]
    annotations = await _span_annotations(api, SPAN)
    assert {(a["identifier"], a["result"]["label"]) for a in annotations} == {
        ("", "wrong"),
        ("run-2", "correct"),
    }


async def test_last_of_repeated_annotations_in_one_request_wins(
    api: httpx.AsyncClient, stored: None
) -> None:
    response = await _post(
        api,
        "span_annotations",
        _annotation("span_id", SPAN, result={"label": "first"}),
        _annotation("span_id", SPAN, result={"label": "last"}),
    )

    assert response.status_code == 200, response.text
    ids = [item["id"] for item in response.json()["data"]]
    assert len(ids) == 2 and ids[0] == ids[1]
    [annotation] = await _span_annotations(api, SPAN)
    assert annotation["result"]["label"] == "last"


async def test_trace_and_session_annotations_are_stored_by_their_client_ids(
    api: httpx.AsyncClient, stored: None
) -> None:
    trace = await _post(api, "trace_annotations", _annotation("trace_id", TRACE))
    session = await _post(api, "session_annotations", _annotation("session_id", SESSION))

    assert _decoded(trace.json()["data"][0]["id"]).startswith("TraceAnnotation:")
    assert _decoded(session.json()["data"][0]["id"]).startswith("ProjectSessionAnnotation:")
    traces = await api.get("/v1/projects/annotated/trace_annotations", params={"trace_ids": TRACE})
    sessions = await api.get(
        "/v1/projects/annotated/session_annotations", params={"session_ids": SESSION}
    )
    assert [item["trace_id"] for item in traces.json()["data"]] == [TRACE]
    assert [item["session_id"] for item in sessions.json()["data"]] == [SESSION]


async def test_document_annotations_need_a_position_the_span_has(
    api: httpx.AsyncClient, stored: None
) -> None:
    inside = await _post(
        api, "document_annotations", _annotation("span_id", "c3" * 8, document_position=1)
    )
    outside = await _post(
        api, "document_annotations", _annotation("span_id", "c3" * 8, document_position=2)
    )
    negative = await _post(
        api, "document_annotations", _annotation("span_id", "c3" * 8, document_position=-1)
    )
    with_identifier = await _post(
        api,
        "document_annotations",
        _annotation("span_id", "c3" * 8, document_position=0, identifier="x"),
    )

    assert inside.status_code == 200, inside.text
    assert _decoded(inside.json()["data"][0]["id"]).startswith("DocumentAnnotation:")
    assert outside.status_code == 400
    assert "Document position 2 is out of bounds" in outside.text
    assert negative.status_code == 422
    assert "document_position" in negative.text
    assert with_identifier.status_code == 422
    assert "Non-empty identifier 'x' is not supported" in with_identifier.text


async def test_sync_write_to_a_missing_target_is_404_and_writes_nothing(
    api: httpx.AsyncClient, stored: None
) -> None:
    response = await _post(
        api,
        "span_annotations",
        _annotation("span_id", SPAN),
        _annotation("span_id", "deadbeefdeadbeef"),
    )
    trace = await _post(api, "trace_annotations", _annotation("trace_id", "f" * 32))
    session = await _post(api, "session_annotations", _annotation("session_id", "nobody"))

    assert response.status_code == 404
    assert response.text == "Spans with IDs deadbeefdeadbeef do not exist."
    assert (trace.status_code, session.status_code) == (404, 404)
    assert f"Traces with IDs {'f' * 32} do not exist." == trace.text
    assert await _span_annotations(api, SPAN) == []


@pytest.mark.parametrize(
    ("path", "target", "reserved_for"),
    [
        ("span_annotations", "span_id", "/v1/span_notes"),
        ("trace_annotations", "trace_id", "/v1/trace_notes"),
        ("session_annotations", "session_id", "/v1/session_notes"),
    ],
)
async def test_the_name_note_is_refused(
    api: httpx.AsyncClient, stored: None, path: str, target: str, reserved_for: str
) -> None:
    response = await _post(api, path, _annotation(target, SPAN, name="note"), sync=False)

    assert response.status_code == 400
    assert "The name 'note' is reserved" in response.text
    assert reserved_for in response.text


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"annotator_kind": "ROBOT"}, "annotator_kind"),
        ({"name": ""}, "name"),
        ({"span_id": None}, "span_id"),
        ({"result": {"score": "high"}}, "score"),
        ({"metadata": ["not", "an", "object"]}, "metadata"),
    ],
)
async def test_bad_bodies_are_422_naming_the_field(
    api: httpx.AsyncClient, stored: None, change: dict[str, Any], field: str
) -> None:
    response = await _post(api, "span_annotations", {**_annotation("span_id", SPAN), **change})

    assert response.status_code == 422, response.text
    assert field in response.text


async def test_garbage_bodies_are_refused(api: httpx.AsyncClient) -> None:
    not_json = await api.post(
        "/v1/span_annotations", content=b"{nope", headers={"content-type": "application/json"}
    )
    no_data = await api.post("/v1/span_annotations", json={"items": []})
    bad_sync = await api.post("/v1/span_annotations?sync=perhaps", json={"data": []})

    assert not_json.status_code in (400, 422)
    assert no_data.status_code == 422 and "data" in no_data.text
    assert bad_sync.status_code in (400, 422) and "sync" in bad_sync.text


async def test_annotations_without_a_result_are_accepted_as_phoenix_does(
    api: httpx.AsyncClient, stored: None
) -> None:
    """Phoenix's server takes ``result: null`` (its client insists on a result, not the API)."""
    response = await _post(api, "span_annotations", _annotation("span_id", SPAN, result=None))

    assert response.status_code == 200, response.text
    [annotation] = await _span_annotations(api, SPAN)
    assert annotation["result"] == {"label": None, "score": None, "explanation": None}


async def test_async_write_answers_empty_and_stores_what_exists(
    api: httpx.AsyncClient, stored: None
) -> None:
    response = await _post(api, "span_annotations", _annotation("span_id", SPAN), sync=False)

    assert response.status_code == 200
    assert response.json() == {"data": []}
    assert [a["name"] for a in await _span_annotations(api, SPAN)] == ["correctness"]


async def test_empty_request_stores_nothing(api: httpx.AsyncClient) -> None:
    response = await _post(api, "trace_annotations")

    assert (response.status_code, response.json()) == (200, {"data": []})
