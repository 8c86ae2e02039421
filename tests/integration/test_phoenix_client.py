"""`arize-phoenix-client` users change nothing but the address: their code works unchanged.

The whole platform runs as `make run` starts it, and the client talks to the gateway's public
port exactly as it would to Phoenix. Spans go in the way Phoenix users send them: through
`arize-phoenix-otel`'s `register()` over OTLP, and through `client.spans.log_spans`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from opentelemetry.trace import Status, StatusCode
from phoenix.client import Client
from phoenix.client.types.spans import SpanQuery
from phoenix.otel import register

from tests.support.platform import RunningPlatform
from tests.support.waiting import assert_eventually

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client(platform: RunningPlatform) -> Iterator[Client]:
    """A Phoenix client pointed at Spyglass's public address, and nothing else."""
    with httpx.Client(base_url=platform.base_url, timeout=30) as http:
        yield Client(http_client=http)


def _project_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _send_conversation(platform: RunningPlatform, project: str, session: str) -> None:
    """Two turns of a chat agent, each a trace: agent -> retriever, LLM (the second fails)."""
    provider = register(
        project_name=project,
        endpoint=f"{platform.base_url}/v1/traces",
        protocol="http/protobuf",
        set_global_tracer_provider=False,
        verbose=False,
    )
    tracer = provider.get_tracer("compat")
    for turn, (question, answer) in enumerate(
        [("where is my refund?", "It is on its way."), ("and my invoice?", "")]
    ):
        with tracer.start_as_current_span(f"agent-turn-{turn}") as agent:
            agent.set_attribute("openinference.span.kind", "AGENT")
            agent.set_attribute("session.id", session)
            agent.set_attribute("input.value", question)
            agent.set_attribute("metadata", '{"tier": "gold"}' if turn == 0 else '{"tier": "free"}')
            with tracer.start_as_current_span("retrieve") as retriever:
                retriever.set_attribute("openinference.span.kind", "RETRIEVER")
                retriever.set_attribute("retrieval.documents.0.document.content", "refund policy")
                retriever.set_attribute("retrieval.documents.0.document.score", 0.9)
                retriever.set_attribute("session.id", session)
            with tracer.start_as_current_span("chat") as llm:
                llm.set_attribute("openinference.span.kind", "LLM")
                llm.set_attribute("llm.model_name", "gpt-4o-mini")
                llm.set_attribute("llm.token_count.prompt", 120)
                llm.set_attribute("llm.token_count.completion", 30)
                llm.set_attribute("llm.input_messages.0.message.role", "user")
                llm.set_attribute("llm.input_messages.0.message.content", question)
                llm.set_attribute("session.id", session)
                if answer:
                    llm.set_attribute("output.value", answer)
                else:
                    llm.set_status(Status(StatusCode.ERROR, "provider timed out"))
            if answer:
                agent.set_attribute("output.value", answer)
    provider.shutdown()


@pytest.fixture(scope="module")
def conversation(platform: RunningPlatform, client: Client) -> dict[str, str]:
    """A project holding one two-turn session, stored and readable through the client."""
    project, session = _project_name("compat-chat"), f"session-{uuid.uuid4().hex[:8]}"
    _send_conversation(platform, project, session)

    def stored() -> None:
        assert len(client.spans.get_spans(project_identifier=project, limit=50)) == 6

    assert_eventually(stored, timeout=30, interval=0.25)
    return {"project": project, "session": session}


def test_projects(client: Client) -> None:
    name = _project_name("compat-project")

    created = client.projects.create(name=name, description="made by the client")
    by_name = client.projects.get(project_name=name)
    by_id = client.projects.get(project_id=created["id"])
    listed = [project["name"] for project in client.projects.list()]
    updated = client.projects.update(project_id=created["id"], description="changed")

    assert by_name == by_id == created
    assert name in listed and "default" in listed
    assert updated["description"] == "changed"
    client.projects.delete(project_name=name)
    assert name not in [project["name"] for project in client.projects.list()]
    with pytest.raises(httpx.HTTPStatusError) as refused:
        client.projects.delete(project_name="default")
    assert refused.value.response.status_code == 403


def test_get_spans_with_filters(client: Client, conversation: dict[str, str]) -> None:
    project = conversation["project"]

    roots = client.spans.get_spans(project_identifier=project, parent_id="null")
    llms = client.spans.get_spans(project_identifier=project, span_kind="LLM")
    failed = client.spans.get_spans(project_identifier=project, status_code="ERROR")
    gold = client.spans.get_spans(project_identifier=project, attributes={"metadata.tier": "gold"})

    assert sorted(span["name"] for span in roots) == ["agent-turn-0", "agent-turn-1"]
    assert [span["span_kind"] for span in llms] == ["LLM", "LLM"]
    assert [span["name"] for span in failed] == ["chat"]
    assert failed[0]["status_message"] == "provider timed out"
    assert [span["name"] for span in gold] == ["agent-turn-0"]
    llm = next(span for span in llms if span["status_code"] == "UNSET")
    assert llm["attributes"]["llm.token_count.total"] == 150
    assert llm["attributes"]["llm.input_messages.0.message.role"] == "user"
    assert "openinference.span.kind" not in llm["attributes"]


def test_get_spans_dataframe_with_a_filter(client: Client, conversation: dict[str, str]) -> None:
    project = conversation["project"]

    everything = client.spans.get_spans_dataframe(project_identifier=project)
    expensive = client.spans.get_spans_dataframe(
        project_identifier=project,
        query=SpanQuery()
        .where("span_kind == 'LLM' and llm.token_count.total > 100 and status_code != 'ERROR'")
        .select("name", "llm.model_name", "llm.token_count.prompt")
        .rename(**{"llm.model_name": "model", "llm.token_count.prompt": "prompt"}),
    )
    refunds = client.spans.get_spans_dataframe(
        project_identifier=project,
        query=SpanQuery().where("'refund' in input.value and parent_id is None"),
    )

    assert len(everything) == 6
    assert {"name", "span_kind", "status_code", "context.trace_id"} <= set(everything.columns)
    assert expensive.to_dict("records") == [{"name": "chat", "model": "gpt-4o-mini", "prompt": 120}]
    assert list(refunds["name"]) == ["agent-turn-0"]


def test_an_invalid_filter_says_what_is_wrong(client: Client, conversation: dict[str, str]) -> None:
    with pytest.raises(httpx.HTTPStatusError) as refused:
        client.spans.get_spans_dataframe(
            project_identifier=conversation["project"],
            query=SpanQuery().where("spam_kind == 'LLM'"),
        )

    assert refused.value.response.status_code == 400
    assert "spam_kind" in refused.value.response.text


def test_traces(client: Client, conversation: dict[str, str]) -> None:
    project = conversation["project"]

    traces = client.traces.get_traces(
        project_identifier=project, include_spans=True, sort="start_time", order="asc"
    )
    in_session = client.traces.get_traces(
        project_identifier=project, session_id=conversation["session"]
    )

    assert len(traces) == 2
    assert traces[0]["start_time"] <= traces[1]["start_time"]
    assert sorted(span["name"] for span in traces[0]["spans"]) == [
        "agent-turn-0",
        "chat",
        "retrieve",
    ]
    assert traces[0]["token_count_total"] == 150
    assert {trace["trace_id"] for trace in in_session} == {trace["trace_id"] for trace in traces}


def test_sessions(client: Client, conversation: dict[str, str]) -> None:
    session = client.sessions.get(session_id=conversation["session"])
    listed = client.sessions.list(project_name=conversation["project"])
    turns = client.sessions.get_session_turns(session_id=conversation["session"])

    assert session["session_id"] == conversation["session"]
    assert len(session["traces"]) == 2
    assert [item["session_id"] for item in listed] == [conversation["session"]]
    assert [turn.get("input", {}).get("value") for turn in turns] == [
        "where is my refund?",
        "and my invoice?",
    ]


def test_log_spans(client: Client) -> None:
    project = _project_name("compat-logged")
    start = datetime.now(UTC).replace(microsecond=0)
    trace_id = uuid.uuid4().hex
    spans: list[Any] = [
        {
            "name": "uploaded-root",
            "context": {"trace_id": trace_id, "span_id": "1" * 16},
            "span_kind": "CHAIN",
            "start_time": start.isoformat(),
            "end_time": (start + timedelta(seconds=1)).isoformat(),
            "status_code": "OK",
            "attributes": {"input.value": "hello", "metadata.source": "upload"},
        },
        {
            "name": "uploaded-child",
            "context": {"trace_id": trace_id, "span_id": "2" * 16},
            "parent_id": "1" * 16,
            "span_kind": "LLM",
            "start_time": start.isoformat(),
            "end_time": (start + timedelta(milliseconds=500)).isoformat(),
            "status_code": "OK",
            "attributes": {"llm.model_name": "gpt-4o", "llm.token_count.prompt": 10},
        },
    ]

    result = client.spans.log_spans(project_identifier=project, spans=spans)

    assert result == {"total_received": 2, "total_queued": 2}

    def stored() -> list[Any]:
        found = client.spans.get_spans(project_identifier=project)
        assert len(found) == 2
        return found

    found = assert_eventually(stored, timeout=30, interval=0.25)
    child = next(span for span in found if span["name"] == "uploaded-child")
    assert child["parent_id"] == "1" * 16
    assert child["attributes"]["llm.model_name"] == "gpt-4o"


def test_annotations_round_trip(client: Client, conversation: dict[str, str]) -> None:
    project = conversation["project"]
    llm = client.spans.get_spans(project_identifier=project, span_kind="LLM", status_code="UNSET")[
        0
    ]
    span_id, trace_id = llm["context"]["span_id"], llm["context"]["trace_id"]

    inserted = client.spans.add_span_annotation(
        span_id=span_id, annotation_name="correctness", label="correct", score=1.0, sync=True
    )
    client.spans.add_span_annotation(  # async, the client's default
        span_id=span_id, annotation_name="tone", label="polite", annotator_kind="LLM"
    )
    client.spans.add_span_note(span_id=span_id, note="looks right to me")
    client.traces.add_trace_annotation(
        trace_id=trace_id, annotation_name="resolved", label="yes", score=1, sync=True
    )
    client.sessions.add_session_annotation(
        session_id=conversation["session"], annotation_name="satisfaction", score=0.5, sync=True
    )

    assert inserted is not None and inserted["id"]

    def annotated() -> dict[str, Any]:
        found = client.spans.get_span_annotations(span_ids=[span_id], project_identifier=project)
        by_name = {annotation["name"]: annotation for annotation in found}
        assert set(by_name) == {"correctness", "tone"}
        return by_name

    by_name = assert_eventually(annotated, timeout=15, interval=0.25)
    assert by_name["correctness"]["result"]["label"] == "correct"
    assert by_name["tone"]["annotator_kind"] == "LLM"
    with_notes = client.spans.get_span_annotations(
        span_ids=[span_id], project_identifier=project, exclude_annotation_names=[]
    )
    notes = [note for note in with_notes if note["name"] == "note"]
    assert [note["result"]["explanation"] for note in notes] == ["looks right to me"]
    frame = client.spans.get_span_annotations_dataframe(
        span_ids=[span_id], project_identifier=project
    )
    assert set(frame["annotation_name"]) == {"correctness", "tone"}
    filtered = client.spans.get_spans_dataframe(
        project_identifier=project,
        query=SpanQuery().where("annotations['correctness'].label == 'correct'"),
    )
    assert list(filtered["context.span_id"]) == [span_id]


def _tracer_provider(platform: RunningPlatform, project: str, *, batch: bool) -> Any:
    return register(
        project_name=project,
        endpoint=f"{platform.base_url}/v1/traces",
        protocol="http/protobuf",
        batch=batch,
        set_global_tracer_provider=False,
        verbose=False,
    )


def _stored_count(client: Client, project: str, count: int) -> None:
    """Wait until ``count`` spans are stored (read whole, without cursor pages)."""

    def stored() -> None:
        frame = client.spans.get_spans_dataframe(project_identifier=project, limit=10_000)
        assert len(frame) == count

    assert_eventually(stored, timeout=60, interval=0.5)


def test_get_spans_reads_every_page(platform: RunningPlatform, client: Client) -> None:
    wide, deep = _project_name("compat-300"), _project_name("compat-130")
    provider = _tracer_provider(platform, wide, batch=True)
    tracer = provider.get_tracer("pages")
    for trace in range(3):
        with tracer.start_as_current_span(f"root-{trace}"):
            for number in range(99):
                with tracer.start_as_current_span(f"child-{number}"):
                    pass
    provider.shutdown()
    # One span at a time, each exported when it ends: the root, ending last, arrives last.
    provider = _tracer_provider(platform, deep, batch=False)
    tracer = provider.get_tracer("pages")
    with tracer.start_as_current_span("root"):
        for number in range(129):
            with tracer.start_as_current_span(f"child-{number}"):
                pass
    provider.shutdown()
    _stored_count(client, wide, 300)
    _stored_count(client, deep, 130)

    three_hundred = client.spans.get_spans(project_identifier=wide, limit=300)
    one_trace = client.spans.get_spans(project_identifier=deep, limit=500)

    assert len({span["id"] for span in three_hundred}) == len(three_hundred) == 300
    assert len({span["id"] for span in one_trace}) == len(one_trace) == 130
    assert one_trace[-1]["name"] == "root"  # newest first: it started first


IMAGE_URL = "https://example.com/cat.png"
LIST_VALUED: dict[str, dict[str, Any]] = {
    "chat": {
        "openinference.span.kind": "LLM",
        "llm.input_messages.0.message.role": "system",
        "llm.input_messages.0.message.content": "be brief",
        "llm.input_messages.1.message.role": "user",
        "llm.input_messages.1.message.contents.0.message_content.type": "text",
        "llm.input_messages.1.message.contents.0.message_content.text": "what is this?",
        "llm.input_messages.1.message.contents.1.message_content.type": "image",
        "llm.input_messages.1.message.contents.1.message_content.image.image.url": IMAGE_URL,
        "llm.output_messages.0.message.role": "assistant",
        "llm.output_messages.0.message.tool_calls.0.tool_call.id": "call-1",
        "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": "lookup",
        "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": '{"q": "cat"}',
        "llm.tools.0.tool.json_schema": '{"type": "function"}',
    },
    "retrieve": {
        "openinference.span.kind": "RETRIEVER",
        "retrieval.documents.0.document.id": "d1",
        "retrieval.documents.0.document.content": "cats",
        "retrieval.documents.0.document.score": 0.9,
        "retrieval.documents.0.document.metadata": '{"source": "wiki"}',
    },
    "rerank": {
        "openinference.span.kind": "RERANKER",
        "reranker.input_documents.0.document.id": "d1",
        "reranker.output_documents.0.document.id": "d1",
        "reranker.output_documents.0.document.score": 0.99,
    },
    "embed": {
        "openinference.span.kind": "EMBEDDING",
        "embedding.embeddings.0.embedding.text": "cat",
        "embedding.embeddings.0.embedding.vector": (0.25, 0.5),
    },
}
"""Every list-valued OpenInference attribute, as instrumentations set them."""

LIST_COLUMNS: dict[str, dict[str, Any]] = {
    "chat": {
        "attributes.llm.input_messages": [
            {"message.role": "system", "message.content": "be brief"},
            {"message.role": "user", "message.contents": [
                {"message_content.type": "text", "message_content.text": "what is this?"},
                {"message_content.type": "image",
                 "message_content.image": {"image.url": IMAGE_URL}},
            ]},
        ],
        "attributes.llm.output_messages": [{"message.role": "assistant", "message.tool_calls": [
            {"tool_call.id": "call-1", "tool_call.function.name": "lookup",
             "tool_call.function.arguments": '{"q": "cat"}'},
        ]}],
        "attributes.llm.tools": [{"tool.json_schema": '{"type": "function"}'}],
    },
    "retrieve": {
        "attributes.retrieval.documents": [
            {"document.id": "d1", "document.content": "cats", "document.score": 0.9,
             "document.metadata": {"source": "wiki"}},
        ],
    },
    "rerank": {
        "attributes.reranker.input_documents": [{"document.id": "d1"}],
        "attributes.reranker.output_documents": [{"document.id": "d1", "document.score": 0.99}],
    },
    "embed": {
        "attributes.embedding.embeddings": [
            {"embedding.text": "cat", "embedding.vector": [0.25, 0.5]},
        ],
    },
}  # fmt: skip
"""What Phoenix's ``get_spans_dataframe`` gives for them: one column per list attribute, a list
of objects whose keys are the conventions' (``phoenix.trace.dsl.query``)."""


def _rest_attributes(sent: Mapping[str, Any]) -> dict[str, Any]:
    """What ``get_spans`` gives for attributes sent as ``sent``: the kind left out, JSON text
    (``document.metadata``) walked into dotted keys, tuples as lists."""
    expected: dict[str, Any] = {}
    for key, value in sent.items():
        if key.endswith("document.metadata"):
            expected.update({f"{key}.{name}": item for name, item in orjson.loads(value).items()})
        elif key != "openinference.span.kind":
            expected[key] = list(value) if isinstance(value, tuple) else value
    return expected


def _list_columns(frame: Any) -> dict[str, dict[str, Any]]:
    return {
        name: {column: frame.loc[frame["name"] == name, column].iloc[0] for column in columns}
        for name, columns in LIST_COLUMNS.items()
    }


def _renumbered(spans: list[Any]) -> list[Any]:
    """``spans`` with fresh trace and span ids (a span id can be stored once only)."""
    trace_id = uuid.uuid4().hex
    fresh = {span["context"]["span_id"]: uuid.uuid4().hex[:16] for span in spans}
    return [
        {
            **{key: value for key, value in span.items() if key != "id"},
            "context": {"trace_id": trace_id, "span_id": fresh[span["context"]["span_id"]]},
            "parent_id": fresh.get(span["parent_id"]) if span["parent_id"] else None,
        }
        for span in spans
    ]


def test_list_valued_attributes_as_phoenix_gives_them(
    platform: RunningPlatform, client: Client
) -> None:
    project, copy = _project_name("compat-lists"), _project_name("compat-lists-copy")
    provider = _tracer_provider(platform, project, batch=False)
    tracer = provider.get_tracer("lists")
    with tracer.start_as_current_span("agent") as agent:
        agent.set_attribute("openinference.span.kind", "AGENT")
        for name, attributes in LIST_VALUED.items():
            with tracer.start_as_current_span(name) as span:
                span.set_attributes(attributes)
    provider.shutdown()
    _stored_count(client, project, 5)

    spans = client.spans.get_spans(project_identifier=project)
    frame = client.spans.get_spans_dataframe(project_identifier=project)
    otlp = httpx.get(f"{platform.base_url}/v1/projects/{project}/spans/otlpv1").json()["data"]
    logged = client.spans.log_spans(project_identifier=copy, spans=_renumbered(spans))
    _stored_count(client, copy, 5)
    copied = client.spans.get_spans(project_identifier=copy)
    copied_frame = client.spans.get_spans_dataframe(project_identifier=copy)

    by_name = {span["name"]: span for span in spans}
    for name, sent in LIST_VALUED.items():
        assert by_name[name]["attributes"] == _rest_attributes(sent), name
    assert _list_columns(frame) == LIST_COLUMNS
    for span in otlp:
        rest = by_name[span["name"]]["attributes"]
        keys = {item["key"] for item in span["attributes"]}
        assert keys == {*rest, "openinference.span.kind"}, span["name"]
    assert logged == {"total_received": 5, "total_queued": 5}
    assert {span["name"]: span["attributes"] for span in copied} == {
        name: span["attributes"] for name, span in by_name.items()
    }
    assert _list_columns(copied_frame) == LIST_COLUMNS
