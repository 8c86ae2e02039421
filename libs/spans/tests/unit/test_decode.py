"""Decoding OTLP export requests into span batches, as SDKs and collectors send them."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValue, KeyValueList
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

from spyglass_core.errors import PayloadTooLargeError
from spyglass_proto.bus.v1.spans_pb2 import DecodedSpan, StatusCode
from spyglass_spans import (
    DecodeLimits,
    DecodeResult,
    InvalidSpanError,
    ModelPriceTable,
    decode_export_request,
    decode_span,
)

PRICES = ModelPriceTable.load()
NOW = 1_790_000_000_000_000_000  # 2026-09-21T14:13:20Z


def _value(value: Any) -> AnyValue:
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    if isinstance(value, bytes):
        return AnyValue(bytes_value=value)
    if isinstance(value, list):
        return AnyValue(array_value=ArrayValue(values=[_value(item) for item in value]))
    if isinstance(value, dict):
        return AnyValue(kvlist_value=KeyValueList(values=_attributes(value)))
    if value is None:
        return AnyValue()
    return AnyValue(string_value=value)


def _attributes(values: dict[str, Any]) -> list[KeyValue]:
    return [KeyValue(key=key, value=_value(value)) for key, value in values.items()]


def _span(number: int = 1, **fields: Any) -> Span:
    attributes = fields.pop("attributes", {})
    defaults: dict[str, Any] = {
        "trace_id": b"\x0a" * 16,
        "span_id": number.to_bytes(8, "big"),
        "name": "step",
        "start_time_unix_nano": NOW,
        "end_time_unix_nano": NOW + 2_000_000,
    }
    return Span(**{**defaults, **fields}, attributes=_attributes(attributes))


def _request(*groups: tuple[dict[str, Any], list[Span]]) -> ExportTraceServiceRequest:
    return ExportTraceServiceRequest(
        resource_spans=[
            ResourceSpans(
                resource=Resource(attributes=_attributes(resource)),
                scope_spans=[ScopeSpans(spans=spans)],
            )
            for resource, spans in groups
        ]
    )


def _decode(
    request: ExportTraceServiceRequest, project: str | None = None, **limits: int
) -> DecodeResult:
    ids: Iterator[int] = iter(range(1, 1000))
    return decode_export_request(
        request,
        project,
        prices=PRICES,
        limits=DecodeLimits(**limits),
        received_at_unix_nano=NOW,
        batch_id=lambda: f"batch-{next(ids)}",
    )


def _one(**fields: Any) -> tuple[DecodedSpan, dict[str, Any]]:
    (batch,) = _decode(_request(({}, [_span(**fields)]))).batches
    (span,) = batch.spans
    return span, json.loads(span.attributes_json)


# --- projects and batches ---------------------------------------------------------------------


def test_the_header_wins_then_the_resource_attribute_then_default() -> None:
    request = _request(
        ({"openinference.project.name": "from-resource"}, [_span(1)]),
        ({"openinference.project.name": "  "}, [_span(2)]),
        ({}, [_span(3)]),
    )

    by_resource = {batch.project_name: len(batch.spans) for batch in _decode(request).batches}
    by_header = {batch.project_name: len(batch.spans) for batch in _decode(request, "hdr").batches}
    blank_header = {batch.project_name for batch in _decode(request, " ").batches}

    assert by_resource == {"from-resource": 1, "default": 2}
    assert by_header == {"hdr": 3}
    assert blank_header == {"from-resource", "default"}


def test_one_batch_per_project_with_a_fresh_id_and_the_receive_time() -> None:
    request = _request(
        ({"openinference.project.name": "a"}, [_span(1)]),
        ({"openinference.project.name": "b"}, [_span(2)]),
        ({"openinference.project.name": "a"}, [_span(3)]),
    )

    batches = _decode(request).batches

    assert [(batch.batch_id, batch.project_name, len(batch.spans)) for batch in batches] == [
        ("batch-1", "a", 2),
        ("batch-2", "b", 1),
    ]
    assert {batch.received_at_unix_nano for batch in batches} == {NOW}


# --- the span's own fields ---------------------------------------------------------------------


def test_ids_are_lowercase_hex_and_a_root_has_no_parent() -> None:
    child, _ = _one(parent_span_id=b"\xab" * 8)
    root, _ = _one()
    zero_parent, _ = _one(parent_span_id=bytes(8))

    assert child.trace_id == "0a" * 16
    assert child.span_id == "0000000000000001"
    assert child.parent_span_id == "ab" * 8
    assert root.parent_span_id == zero_parent.parent_span_id == ""
    assert (child.start_time_unix_nano, child.end_time_unix_nano) == (NOW, NOW + 2_000_000)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (Status.STATUS_CODE_UNSET, StatusCode.STATUS_CODE_UNSET),
        (Status.STATUS_CODE_OK, StatusCode.STATUS_CODE_OK),
        (Status.STATUS_CODE_ERROR, StatusCode.STATUS_CODE_ERROR),
    ],
)
def test_status_codes_and_message_are_kept(code: Any, expected: StatusCode) -> None:
    span, _ = _one(status=Status(code=code, message="why"))
    assert span.status_code == expected
    assert span.status_message == "why"


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("llm", "LLM"), ("Retriever", "RETRIEVER"), ("GUARDRAIL", "GUARDRAIL"), ("WIZARD", "UNKNOWN")],
)
def test_the_span_kind_is_upper_cased_and_unknown_kinds_are_unknown(
    kind: str, expected: str
) -> None:
    assert _one(attributes={"openinference.span.kind": kind})[0].span_kind == expected


def test_a_span_without_a_kind_or_name_is_kept() -> None:
    span, _ = _one(name="")
    assert (span.span_kind, span.name) == ("UNKNOWN", "")


def test_every_otlp_value_type_is_decoded() -> None:
    _, attributes = _one(
        attributes={
            "text": "hi",
            "empty": "",
            "flag": True,
            "count": 3,
            "negative": -7,
            "big": 2**40,
            "ratio": 0.5,
            "tags": ["a", 2, False],
            "map": {"inner": "x", "n": 1},
            "raw": b"\x00\xff",
            "nothing": None,
        }
    )

    assert attributes == {
        "text": "hi",
        "empty": "",
        "flag": True,
        "count": 3,
        "negative": -7,
        "big": 2**40,
        "ratio": 0.5,
        "tags": ["a", 2, False],
        "map": {"inner": "x", "n": 1},
        "raw": base64.b64encode(b"\x00\xff").decode(),
    }


def test_session_and_user_come_from_their_attributes() -> None:
    span, _ = _one(attributes={"session.id": "  chat-7 ", "user.id": "u-1"})
    blank, _ = _one(attributes={"session.id": "   "})

    assert (span.session_id, span.user_id) == ("chat-7", "u-1")
    assert (blank.session_id, blank.user_id) == ("", "")


def test_attributes_are_stored_nested_with_lists() -> None:
    _, attributes = _one(
        attributes={
            "llm.input_messages.0.message.role": "user",
            "llm.input_messages.0.message.content": "hi",
            "llm.input_messages.1.message.role": "assistant",
            "metadata": '{"tier": "gold"}',
        }
    )

    assert attributes == {
        "llm": {
            "input_messages": [
                {"message": {"role": "user", "content": "hi"}},
                {"message": {"role": "assistant"}},
            ]
        },
        "metadata": {"tier": "gold"},
    }


# --- events ------------------------------------------------------------------------------------


def test_exception_events_keep_their_details_and_an_iso_timestamp() -> None:
    exception = Span.Event(
        name="exception",
        time_unix_nano=1_700_000_000_123_456_789,
        attributes=_attributes(
            {
                "exception.type": "ValueError",
                "exception.message": "bad",
                "exception.stacktrace": "Traceback...",
                "exception.escaped": False,
            }
        ),
    )
    span, _ = _one(events=[exception, Span.Event(name="retry", time_unix_nano=NOW)])

    assert json.loads(span.events_json) == [
        {
            "name": "exception",
            "timestamp": "2023-11-14T22:13:20.123456+00:00",
            "attributes": {
                "exception.type": "ValueError",
                "exception.message": "bad",
                "exception.stacktrace": "Traceback...",
                "exception.escaped": False,
            },
        },
        {"name": "retry", "timestamp": "2026-09-21T14:13:20+00:00", "attributes": {}},
    ]


def test_a_span_without_events_has_an_empty_list() -> None:
    assert json.loads(_one()[0].events_json) == []


# --- LLM spans ---------------------------------------------------------------------------------


def test_an_llm_span_gets_its_token_columns_model_and_cost() -> None:
    span, attributes = _one(
        attributes={
            "openinference.span.kind": "LLM",
            "llm.model_name": "gpt-4o-mini-2024-07-18",
            "llm.provider": "openai",
            "llm.token_count.prompt": 1_000_000,
            "llm.token_count.completion": 1_000_000,
            "llm.token_count.prompt_details.cache_read": 400_000,
        }
    )

    assert (span.model_name, span.provider) == ("gpt-4o-mini-2024-07-18", "openai")
    assert span.llm_token_count_prompt == 1_000_000
    assert span.llm_token_count_completion == 1_000_000
    assert span.llm_token_count_total == 2_000_000
    assert attributes["llm"]["token_count"]["total"] == 2_000_000
    # 600k plain prompt tokens at $0.15/M, 400k cache reads at $0.075/M, 1M output at $0.60/M.
    assert span.cost_prompt_usd == pytest.approx(0.09 + 0.03)
    assert span.cost_completion_usd == pytest.approx(0.60)
    assert span.cost_total_usd == pytest.approx(0.72)


def test_an_llm_span_without_counts_has_zero_tokens_and_no_cost_without_a_model() -> None:
    span, _ = _one(attributes={"openinference.span.kind": "LLM", "llm.model_name": "  "})

    assert (span.llm_token_count_prompt, span.llm_token_count_completion) == (0, 0)
    assert span.llm_token_count_total == 0
    assert not span.HasField("cost_total_usd")


def test_other_spans_keep_counts_in_attributes_only() -> None:
    span, attributes = _one(
        attributes={
            "openinference.span.kind": "CHAIN",
            "llm.model_name": "gpt-4o",
            "llm.token_count.prompt": 5,
        }
    )

    assert not span.HasField("llm_token_count_prompt")
    assert not span.HasField("llm_token_count_total")
    assert not span.HasField("cost_total_usd")
    assert attributes["llm"]["token_count"] == {"prompt": 5, "total": 5}


# --- bad spans and limits ----------------------------------------------------------------------


def test_bad_spans_are_rejected_by_reason_and_the_rest_are_kept() -> None:
    request = _request(
        (
            {},
            [
                _span(1),
                _span(2, trace_id=b"\x01" * 8),
                _span(3, trace_id=bytes(16)),
                _span(4, trace_id=b""),
                _span(0, name="zero span id"),
                _span(5, span_id=b"\x01" * 4),
                _span(6, parent_span_id=b"\x01\x02"),
                _span(7, end_time_unix_nano=NOW - 1),
                _span(8, start_time_unix_nano=0, end_time_unix_nano=0),
                _span(9),
            ],
        )
    )

    result = _decode(request)

    assert [span.span_id for span in result.batches[0].spans] == [
        "0000000000000001",
        "0000000000000009",
    ]
    assert result.accepted_count == 2
    assert result.rejected_count == 8
    assert result.rejected_by_reason == {
        "invalid_trace_id": 3,
        "invalid_span_id": 2,
        "invalid_parent_span_id": 1,
        "end_before_start": 1,
        "missing_start_time": 1,
    }
    assert result.rejection_message == (
        "8 spans rejected: 3 with an invalid trace_id (must be 16 bytes, not all zero); "
        "2 with an invalid span_id (must be 8 bytes, not all zero); "
        "1 with an invalid parent_span_id (must be empty or 8 bytes); "
        "1 with no start time; 1 with an end time before its start time"
    )


def test_a_request_of_good_spans_has_no_rejection_message() -> None:
    result = _decode(_request(({}, [_span(1)])))
    assert (result.rejected_count, result.rejection_message) == (0, "")


def test_a_request_of_only_bad_spans_has_no_batches() -> None:
    result = _decode(_request(({}, [_span(1, end_time_unix_nano=1)])))

    assert result.batches == []
    assert result.rejection_message == "1 span rejected: 1 with an end time before its start time"


def test_a_span_with_too_many_attributes_is_rejected() -> None:
    many = {f"key{index}": index for index in range(20)}
    result = _decode(
        _request(({}, [_span(1, attributes=many), _span(2)])), max_attributes_per_span=16
    )

    assert result.rejected_by_reason == {"too_many_attributes": 1}
    assert result.accepted_count == 1


def test_an_oversized_attribute_refuses_the_request_naming_span_and_key() -> None:
    request = _request(
        ({}, [_span(1), _span(2, name="answer", attributes={"output.value": "é" * 3000})])
    )

    # 3000 characters but 6000 bytes of UTF-8: over a limit of 4096 bytes.
    with pytest.raises(PayloadTooLargeError) as error:
        _decode(request, max_attribute_value_bytes=4096)

    assert "0000000000000002" in error.value.message
    assert "'answer'" in error.value.message
    assert "'output.value'" in error.value.message
    assert "4096" in error.value.message


def test_oversized_arrays_and_event_attributes_refuse_the_request_too() -> None:
    array = _request(({}, [_span(1, attributes={"tags": ["x" * 100] * 50})]))
    event = Span.Event(name="log", time_unix_nano=NOW, attributes=_attributes({"body": "y" * 5000}))

    with pytest.raises(PayloadTooLargeError, match="'tags'"):
        _decode(array, max_attribute_value_bytes=4096)
    with pytest.raises(PayloadTooLargeError, match="'body'"):
        _decode(_request(({}, [_span(1, events=[event])])), max_attribute_value_bytes=4096)


def test_values_up_to_the_limit_are_kept_whole() -> None:
    request = _request(({}, [_span(1, attributes={"output.value": "z" * 4096})]))
    (batch,) = _decode(request, max_attribute_value_bytes=4096).batches
    assert json.loads(batch.spans[0].attributes_json)["output"]["value"] == "z" * 4096


# --- one span ----------------------------------------------------------------------------------


def test_one_span_decodes_like_a_span_of_a_request() -> None:
    span = _span(1, attributes={"openinference.span.kind": "tool", "tool.name": "search"})

    alone = decode_span(span, prices=PRICES, limits=DecodeLimits())
    (batch,) = _decode(_request(({}, [span]))).batches

    assert alone == batch.spans[0]


def test_one_bad_span_raises_with_its_reason() -> None:
    with pytest.raises(InvalidSpanError) as error:
        decode_span(_span(1, end_time_unix_nano=1), prices=PRICES, limits=DecodeLimits())

    assert error.value.reason == "end_before_start"
    assert error.value.message == "span '0000000000000001' has an end time before its start time"
