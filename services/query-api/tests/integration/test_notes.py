"""``POST /v1/{span,trace,session}_notes``: notes are HUMAN annotations named ``note``."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

StoreSpans = Callable[..., Awaitable[None]]

SPAN = "1a" * 8
TRACE = "2b" * 16
SESSION = "noted-session"


@pytest.fixture
async def stored(store_spans: StoreSpans) -> None:
    """One span of project ``noted``, in a trace and a session."""
    await store_spans("noted", {"trace": TRACE, "span": SPAN, "session": SESSION})


async def _notes(api: httpx.AsyncClient, kind: str, target: str) -> list[dict[str, Any]]:
    response = await api.get(
        f"/v1/projects/noted/{kind}_annotations",
        params={f"{kind}_ids": target, "include_annotation_names": "note"},
    )
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


async def test_each_span_note_is_a_new_human_annotation(
    api: httpx.AsyncClient, stored: None
) -> None:
    first = await api.post("/v1/span_notes", json={"data": {"span_id": SPAN, "note": " hi "}})
    second = await api.post("/v1/span_notes", json={"data": {"span_id": SPAN, "note": "again"}})

    assert first.status_code == 200, first.text
    assert base64.b64decode(first.json()["data"]["id"]).decode().startswith("SpanAnnotation:")
    assert first.json()["data"]["id"] != second.json()["data"]["id"]
    notes = await _notes(api, "span", SPAN)
    assert sorted(note["result"]["explanation"] for note in notes) == ["again", "hi"]
    for note in notes:
        assert (note["name"], note["annotator_kind"], note["source"]) == ("note", "HUMAN", "API")
        assert note["identifier"].startswith("px-span-note:")
        assert (note["result"]["label"], note["result"]["score"]) == (None, None)


async def test_a_note_with_an_identifier_is_upserted(api: httpx.AsyncClient, stored: None) -> None:
    body = {"span_id": SPAN, "note": "draft", "identifier": "mine"}
    first = await api.post("/v1/span_notes", json={"data": body})
    second = await api.post("/v1/span_notes", json={"data": {**body, "note": "final"}})

    assert first.json()["data"]["id"] == second.json()["data"]["id"]
    [note] = await _notes(api, "span", SPAN)
    assert (note["identifier"], note["result"]["explanation"]) == ("mine", "final")


async def test_trace_and_session_notes(api: httpx.AsyncClient, stored: None) -> None:
    trace = await api.post("/v1/trace_notes", json={"data": {"trace_id": TRACE, "note": "t"}})
    session = await api.post(
        "/v1/session_notes", json={"data": {"session_id": SESSION, "note": "s"}}
    )

    assert (trace.status_code, session.status_code) == (200, 200)
    [trace_note] = await _notes(api, "trace", TRACE)
    [session_note] = await _notes(api, "session", SESSION)
    assert trace_note["identifier"].startswith("px-trace-note:")
    assert session_note["identifier"].startswith("px-session-note:")
    assert (trace_note["result"]["explanation"], session_note["result"]["explanation"]) == (
        "t",
        "s",
    )


async def test_notes_on_unknown_targets_are_404(api: httpx.AsyncClient, stored: None) -> None:
    span = await api.post("/v1/span_notes", json={"data": {"span_id": "0" * 16, "note": "x"}})
    trace = await api.post("/v1/trace_notes", json={"data": {"trace_id": "0" * 32, "note": "x"}})
    session = await api.post("/v1/session_notes", json={"data": {"session_id": "no", "note": "x"}})

    assert (span.status_code, trace.status_code, session.status_code) == (404, 404, 404)
    assert span.text == f"Span with ID {'0' * 16} not found"
    assert trace.text == f"Trace with ID {'0' * 32} not found"
    assert session.text == "Session with session_id no not found"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"span_id": SPAN, "note": "   "}, "note"),
        ({"span_id": "", "note": "text"}, "span_id"),
        ({"note": "text"}, "span_id"),
        ({"span_id": SPAN}, "note"),
        ({"span_id": SPAN, "note": 42}, "note"),
    ],
)
async def test_bad_notes_are_422_naming_the_field(
    api: httpx.AsyncClient, stored: None, body: dict[str, Any], field: str
) -> None:
    response = await api.post("/v1/span_notes", json={"data": body})

    assert response.status_code == 422, response.text
    assert field in response.text
    assert await _notes(api, "span", SPAN) == []
