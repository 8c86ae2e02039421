"""What PostgreSQL can't hold, decided per value: made safe, or that one span refused."""

from __future__ import annotations

import json
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

from spyglass_core.errors import InvalidArgumentError
from spyglass_core.storable import MAX_INTEGER, MAX_JSON_DEPTH, MAX_NAME_LENGTH
from spyglass_proto.bus.v1.spans_pb2 import StatusCode
from spyglass_spans import (
    DecodeLimits,
    DecodeResult,
    InvalidSpanError,
    ModelPriceTable,
    decode_export_request,
    normalized_span,
)

PRICES = ModelPriceTable.load()
NOW = 1_790_000_000_000_000_000
FFFD = "\ufffd"


def _text(key: str, value: str) -> KeyValue:
    return KeyValue(key=key, value=AnyValue(string_value=value))


def _span(number: int, *attributes: KeyValue, **fields: Any) -> Span:
    defaults: dict[str, Any] = {
        "trace_id": b"\x0a" * 16,
        "span_id": number.to_bytes(8, "big"),
        "name": "step",
        "start_time_unix_nano": NOW,
        "end_time_unix_nano": NOW + 1000,
    }
    return Span(**{**defaults, **fields}, attributes=list(attributes))


def _decode(
    *spans: Span, project: str | None = None, resource: list[KeyValue] | None = None, **limits: Any
) -> DecodeResult:
    request = ExportTraceServiceRequest(
        resource_spans=[
            ResourceSpans(
                resource=Resource(attributes=resource or []), scope_spans=[ScopeSpans(spans=spans)]
            )
        ]
    )
    return decode_export_request(
        request,
        project,
        prices=PRICES,
        limits=DecodeLimits(**limits),
        received_at_unix_nano=NOW,
        batch_id=lambda: "b",
    )


def _only_span(result: DecodeResult) -> Any:
    (batch,) = result.batches
    (span,) = batch.spans
    return span


def test_nul_anywhere_in_span_text_is_replaced_and_the_span_kept() -> None:
    event = Span.Event(name="log\x00", time_unix_nano=NOW, attributes=[_text("body\x00", "a\x00")])
    span = _span(
        1,
        _text("user.id", "u\x001"),
        _text("session.id", "s\x00"),
        _text("llm.model_name", "gpt\x00"),
        _text("tag\x00key", "v"),
        _text("metadata", '{"note": "x\\u0000y", "k\\u0000": [1]}'),
        name="na\x00me",
        status=Status(code=2, message="boom\x00"),
        events=[event],
    )

    result = _decode(span)
    stored = _only_span(result)

    assert result.rejected_count == 0
    assert (stored.name, stored.status_message) == (f"na{FFFD}me", f"boom{FFFD}")
    assert (stored.user_id, stored.session_id, stored.model_name) == (
        f"u{FFFD}1",
        f"s{FFFD}",
        f"gpt{FFFD}",
    )
    assert b"\\u0000" not in stored.attributes_json + stored.events_json
    attributes = json.loads(stored.attributes_json)
    assert attributes["user"]["id"] == f"u{FFFD}1"
    assert attributes[f"tag{FFFD}key"] == "v"
    assert attributes["metadata"] == {"note": f"x{FFFD}y", f"k{FFFD}": [1]}
    (stored_event,) = json.loads(stored.events_json)
    assert stored_event["name"] == f"log{FFFD}"
    assert stored_event["attributes"] == {f"body{FFFD}": f"a{FFFD}"}


def test_an_escaped_backslash_before_u0000_is_not_a_nul() -> None:
    stored = _only_span(_decode(_span(1, _text("input.value", "C:\\u0000"))))
    assert json.loads(stored.attributes_json)["input"]["value"] == "C:\\u0000"


@pytest.mark.parametrize(
    ("fields", "reason", "message"),
    [
        (
            {"start_time_unix_nano": 2**63, "end_time_unix_nano": 2**63 + 5},
            "start_time_out_of_range",
            "a start time out of range (1970 to 2262-04-11, below 2**63 ns)",
        ),
        (
            {"end_time_unix_nano": 2**64 - 1},
            "end_time_out_of_range",
            "an end time out of range (1970 to 2262-04-11, below 2**63 ns)",
        ),
    ],
    ids=["start", "end"],
)
def test_times_past_int64_refuse_the_span(
    fields: dict[str, int], reason: str, message: str
) -> None:
    result = _decode(_span(1), _span(2, **fields))

    assert [span.span_id for batch in result.batches for span in batch.spans] == ["01".zfill(16)]
    assert result.rejected_by_reason == {reason: 1}
    assert result.rejection_message == f"1 span rejected: 1 with {message}"


def test_the_largest_time_is_kept() -> None:
    stored = _only_span(_decode(_span(1, end_time_unix_nano=2**63 - 1)))
    assert stored.end_time_unix_nano == 2**63 - 1


def test_a_session_id_over_the_limit_refuses_the_span() -> None:
    result = _decode(
        _span(1, _text("session.id", "s" * 512)), _span(2, _text("session.id", "s" * 513))
    )

    assert _only_span(result).session_id == "s" * 512
    assert result.rejection_message == (
        "1 span rejected: 1 with a session.id longer than 512 characters"
    )


def test_a_project_header_that_cant_be_stored_refuses_the_request() -> None:
    with pytest.raises(InvalidArgumentError, match="must be at most 256 characters"):
        _decode(_span(1), project="p" * (MAX_NAME_LENGTH + 1))
    with pytest.raises(InvalidArgumentError, match="must not contain a NUL character"):
        _decode(_span(1), project="p\x00")


@pytest.mark.parametrize(
    ("name", "reason"),
    [("p" * (MAX_NAME_LENGTH + 1), "project_name_too_long"), ("p\x00", "project_name_has_nul")],
)
def test_a_resource_project_name_that_cant_be_stored_refuses_its_spans(
    name: str, reason: str
) -> None:
    request = ExportTraceServiceRequest(
        resource_spans=[
            ResourceSpans(
                resource=Resource(attributes=[_text("openinference.project.name", name)]),
                scope_spans=[ScopeSpans(spans=[_span(1), _span(2)])],
            ),
            ResourceSpans(
                resource=Resource(attributes=[_text("openinference.project.name", "ok")]),
                scope_spans=[ScopeSpans(spans=[_span(3)])],
            ),
        ]
    )

    result = decode_export_request(
        request, None, prices=PRICES, limits=DecodeLimits(), received_at_unix_nano=NOW
    )

    assert [(batch.project_name, len(batch.spans)) for batch in result.batches] == [("ok", 1)]
    assert result.rejected_by_reason == {reason: 2}
    assert "project name (resource attribute openinference.project.name)" in (
        result.rejection_message
    )


def test_json_text_nested_too_deep_is_kept_as_text() -> None:
    deep = "[" * 600 + "]" * 600
    fits = "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1)

    stored = _only_span(_decode(_span(1, _text("metadata", deep), _text("tool.parameters", fits))))

    attributes = json.loads(stored.attributes_json)
    assert attributes["metadata"] == deep
    # tool.parameters sits two objects down: 98 levels of it still fit in 100.
    assert attributes["tool"]["parameters"] == fits


def test_attributes_nested_too_deep_by_their_keys_refuse_the_span() -> None:
    key = ".".join(["k"] * 150)

    result = _decode(_span(1), _span(2, _text(key, "v")))

    assert result.rejected_by_reason == {"attributes_too_deep": 1}
    assert result.rejection_message == (
        "1 span rejected: 1 with attributes or events nested deeper than 100 levels"
    )


def test_deep_otlp_arrays_and_keys_together_refuse_the_span() -> None:
    value = AnyValue(string_value="x")
    for _ in range(40):
        value = AnyValue(array_value=ArrayValue(values=[value]))
    key = ".".join(["k"] * 70)

    result = _decode(
        _span(1, KeyValue(key="shallow", value=value)), _span(2, KeyValue(key=key, value=value))
    )

    assert len(_only_span(result).attributes_json) > 0
    assert result.rejected_by_reason == {"attributes_too_deep": 1}


@pytest.mark.parametrize(
    ("prompt", "completion", "columns"),
    [
        (AnyValue(int_value=2**40), AnyValue(int_value=5), (0, 5)),
        (AnyValue(string_value="1e30"), AnyValue(int_value=-(2**63)), (0, 0)),
        (AnyValue(double_value=float("inf")), AnyValue(double_value=float("nan")), (0, 0)),
        (AnyValue(int_value=MAX_INTEGER), AnyValue(int_value=1), (MAX_INTEGER, 1)),
    ],
    ids=["over-integer", "over-bigint", "inf-nan", "largest"],
)
def test_token_counts_outside_integer_are_no_counts(
    prompt: AnyValue, completion: AnyValue, columns: tuple[int, int]
) -> None:
    span = _span(
        1,
        _text("openinference.span.kind", "LLM"),
        KeyValue(key="llm.token_count.prompt", value=prompt),
        KeyValue(key="llm.token_count.completion", value=completion),
    )

    stored = _only_span(_decode(span))

    assert (stored.llm_token_count_prompt, stored.llm_token_count_completion) == columns
    json.loads(stored.attributes_json)  # the attributes keep what was sent, as valid JSON


def test_two_int64_extremes_get_no_total_rather_than_an_unstorable_one() -> None:
    span = _span(
        1,
        KeyValue(key="llm.token_count.prompt", value=AnyValue(int_value=-(2**63))),
        KeyValue(key="llm.token_count.completion", value=AnyValue(int_value=-(2**63))),
    )

    attributes = json.loads(_only_span(_decode(span)).attributes_json)

    assert "total" not in attributes["llm"]["token_count"]


def test_spans_over_the_bus_limit_are_refused_and_the_rest_kept() -> None:
    big = _span(2, _text("input.value", "x" * 5000))

    result = _decode(_span(1), big, max_span_bytes=4096)

    assert _only_span(result).span_id == "01".zfill(16)
    assert result.rejection_message == (
        "1 span rejected: 1 with more bytes than the span bus takes in one message"
    )


# --- spans that did not come as OTLP (the REST upload) ------------------------------------------


def _uploaded(attributes: dict[str, Any], **fields: Any) -> Any:
    parts: dict[str, Any] = {
        "trace_id": "0a" * 16,
        "span_id": "0b" * 8,
        "parent_span_id": "",
        "name": "step",
        "start_time_unix_nano": NOW,
        "end_time_unix_nano": NOW + 1,
        "status_code": StatusCode.STATUS_CODE_OK,
        "status_message": "",
        "attributes": attributes,
        "events": [],
        "prices": PRICES,
    }
    return normalized_span(**{**parts, **fields})


def test_uploaded_span_text_with_nul_is_made_safe() -> None:
    stored = _uploaded(
        {"user": {"id": "a\x00"}, "k\x00": "v"},
        name="n\x00",
        status_message="m\x00",
        events=[("e\x00", NOW, {"x": "\x00"})],
    )

    assert (stored.name, stored.status_message, stored.user_id) == (
        f"n{FFFD}",
        f"m{FFFD}",
        f"a{FFFD}",
    )
    assert b"\\u0000" not in stored.attributes_json + stored.events_json


def test_uploaded_attributes_nested_too_deep_name_the_span_and_the_rule() -> None:
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(MAX_JSON_DEPTH + 5):
        node["a"] = {}
        node = node["a"]
    node["a"] = 1

    with pytest.raises(InvalidSpanError) as error:
        _uploaded(deep)

    assert error.value.message == (
        "span '0b0b0b0b0b0b0b0b' has attributes or events nested deeper than 100 levels"
    )


def test_uploaded_session_id_too_long_names_the_span() -> None:
    with pytest.raises(InvalidSpanError) as error:
        _uploaded({"session.id": "s" * 600})

    assert error.value.message == (
        "span '0b0b0b0b0b0b0b0b' has a session.id longer than 512 characters"
    )


def test_uploaded_numbers_json_cant_hold_are_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="attributes can't be stored"):
        _uploaded({"big": 2**70})
