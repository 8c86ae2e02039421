"""Decoding OTLP requests into normalized span batches, as users' SDKs send them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

from spyglass_core.errors import ConfigurationError, PayloadTooLargeError
from spyglass_proto.bus.v1.spans_pb2 import DecodedSpan, StatusCode
from spyglass_spans import DecodeLimits, ModelPriceTable, decode_export_request, unflatten

PRICES = ModelPriceTable.load()
NOW = 1_790_000_000_000_000_000


def _value(value: Any) -> AnyValue:
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    if isinstance(value, list):
        return AnyValue(array_value=ArrayValue(values=[_value(item) for item in value]))
    return AnyValue(string_value=value)


def _attributes(values: dict[str, Any]) -> list[KeyValue]:
    return [KeyValue(key=key, value=_value(value)) for key, value in values.items()]


def _span(span_id: int = 1, **fields: Any) -> Span:
    attributes = fields.pop("attributes", {})
    defaults: dict[str, Any] = {
        "trace_id": b"\x0a" * 16,
        "span_id": span_id.to_bytes(8, "big"),
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


def _decode(request: ExportTraceServiceRequest, project: str | None = None, **limits: int):
    return decode_export_request(
        request,
        project,
        prices=PRICES,
        limits=DecodeLimits(**limits),
        received_at_unix_nano=NOW,
    )


def _one(**fields: Any) -> tuple[DecodedSpan, dict[str, Any]]:
    result = _decode(_request(({}, [_span(**fields)])))
    (span,) = result.batches[0].spans
    return span, json.loads(span.attributes_json)


def test_project_precedence_header_then_resource_then_default() -> None:
    request = _request(
        ({"openinference.project.name": "from-resource"}, [_span(1)]),
        ({}, [_span(2)]),
    )

    by_resource = {batch.project_name: len(batch.spans) for batch in _decode(request).batches}
    by_header = {batch.project_name for batch in _decode(request, "from-header").batches}

    assert by_resource == {"from-resource": 1, "default": 1}
    assert by_header == {"from-header"}


def test_ids_kinds_status_and_attributes_are_normalized() -> None:
    span, attributes = _one(
        parent_span_id=b"\x0b" * 8,
        status=Status(code=Status.STATUS_CODE_ERROR, message="boom"),
        attributes={
            "openinference.span.kind": "llm",
            "llm.input_messages.0.message.role": "user",
            "llm.input_messages.0.message.content": "hi",
            "llm.input_messages.1.message.role": "assistant",
            "session.id": "  chat-7 ",
            "user.id": "u-1",
            "metadata": '{"tier": "gold"}',
            "tag.tags": ["a", "b"],
        },
    )

    assert span.trace_id == "0a" * 16
    assert span.span_id == "0000000000000001"
    assert span.parent_span_id == "0b" * 8
    assert span.span_kind == "LLM"
    assert span.status_code == StatusCode.STATUS_CODE_ERROR
    assert span.status_message == "boom"
    assert span.session_id == "chat-7"
    assert span.user_id == "u-1"
    assert attributes["llm"]["input_messages"] == [
        {"message": {"role": "user", "content": "hi"}},
        {"message": {"role": "assistant"}},
    ]
    assert attributes["metadata"] == {"tier": "gold"}
    assert attributes["tag"]["tags"] == ["a", "b"]


def test_unknown_or_missing_kind_is_unknown() -> None:
    assert _one(attributes={"openinference.span.kind": "WIZARD"})[0].span_kind == "UNKNOWN"
    assert _one()[0].span_kind == "UNKNOWN"


def test_exception_events_keep_their_details() -> None:
    event = Span.Event(
        name="exception",
        time_unix_nano=NOW + 1000,
        attributes=_attributes(
            {
                "exception.type": "ValueError",
                "exception.message": "bad",
                "exception.stacktrace": "Traceback...",
                "exception.escaped": False,
            }
        ),
    )
    span, _ = _one(events=[event])

    (decoded,) = json.loads(span.events_json)
    assert decoded["name"] == "exception"
    assert decoded["timestamp"].startswith("2026-")
    assert decoded["attributes"]["exception.type"] == "ValueError"
    assert decoded["attributes"]["exception.stacktrace"] == "Traceback..."


def test_token_counts_are_coerced_and_totalled() -> None:
    span, attributes = _one(
        attributes={
            "openinference.span.kind": "LLM",
            "llm.token_count.prompt": "120",
            "llm.token_count.completion": 30.0,
        }
    )

    assert attributes["llm"]["token_count"] == {"prompt": 120, "completion": 30, "total": 150}
    assert (span.llm_token_count_prompt, span.llm_token_count_completion) == (120, 30)
    assert span.llm_token_count_total == 150


def test_token_columns_are_only_for_llm_spans() -> None:
    span, _ = _one(attributes={"openinference.span.kind": "CHAIN", "llm.token_count.prompt": 5})
    assert not span.HasField("llm_token_count_prompt")


def test_gen_ai_attributes_fill_in_without_overwriting() -> None:
    span, attributes = _one(
        attributes={
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.system": "openai",
            "gen_ai.usage.input_tokens": 1000,
            "gen_ai.usage.output_tokens": 100,
            "gen_ai.usage.cache_read_input_tokens": 400,
            "gen_ai.request.temperature": 0.2,
            "gen_ai.input.messages": json.dumps(
                [{"role": "user", "parts": [{"type": "text", "content": "Hello"}]}]
            ),
            "llm.model_name": "my-own-name",  # OpenInference wins
        }
    )

    assert span.span_kind == "LLM"
    assert attributes["llm"]["model_name"] == "my-own-name"
    assert attributes["llm"]["provider"] == "openai"
    assert attributes["llm"]["token_count"]["prompt"] == 1000
    assert attributes["llm"]["token_count"]["prompt_details"]["cache_read"] == 400
    assert json.loads(attributes["llm"]["invocation_parameters"]) == {"temperature": 0.2}
    assert attributes["llm"]["input_messages"] == [
        {"message": {"role": "user", "content": "Hello"}}
    ]


def test_non_string_input_value_becomes_json() -> None:
    _, attributes = _one(attributes={"input.value": ["a", 1]})
    assert attributes["input"] == {"value": '["a",1]', "mime_type": "application/json"}


def test_bad_spans_are_rejected_with_reasons_and_the_rest_kept() -> None:
    request = _request(
        (
            {},
            [
                _span(1),
                _span(2, trace_id=b"\x01" * 8),
                _span(3, trace_id=bytes(16)),
                _span(span_id=0, name="zero id"),
                _span(4, parent_span_id=b"\x01\x02"),
                _span(5, end_time_unix_nano=NOW - 1),
                _span(6, start_time_unix_nano=0, end_time_unix_nano=0),
            ],
        )
    )

    result = _decode(request)

    assert [span.span_id for span in result.batches[0].spans] == ["0000000000000001"]
    assert result.rejected_count == 6
    assert result.rejected_by_reason == {
        "invalid_trace_id": 2,
        "invalid_span_id": 1,
        "invalid_parent_span_id": 1,
        "end_before_start": 1,
        "missing_start_time": 1,
    }
    assert result.rejection_message.startswith("6 spans rejected: ")
    assert "end time before its start time" in result.rejection_message


def test_a_request_of_only_bad_spans_has_no_batches() -> None:
    result = _decode(_request(({}, [_span(1, end_time_unix_nano=1)])))
    assert result.batches == []
    assert result.rejected_count == 1


def test_too_many_attributes_is_a_rejection() -> None:
    many = {f"k{index}": index for index in range(20)}
    result = _decode(_request(({}, [_span(1, attributes=many)])), max_attributes_per_span=16)
    assert result.rejected_by_reason == {"too_many_attributes": 1}


def test_an_oversized_attribute_refuses_the_request_naming_it() -> None:
    request = _request(({}, [_span(1, attributes={"output.value": "x" * 5000})]))

    with pytest.raises(PayloadTooLargeError) as error:
        _decode(request, max_attribute_value_bytes=4096)

    assert "output.value" in error.value.message
    assert "4096" in error.value.message


def test_unflatten_keeps_colliding_keys() -> None:
    assert unflatten({"a": 1, "a.b": 2, "m.0": 5, "m.2": 6}) == {
        "a": 1,
        "a.b": 2,
        "m": {"0": 5, "2": 6},  # not a list: an index is missing
    }


# --- cost -------------------------------------------------------------------------------------


def _llm_cost(model: str, provider: str = "", **tokens: int) -> DecodedSpan:
    attributes: dict[str, Any] = {"openinference.span.kind": "LLM", "llm.model_name": model}
    if provider:
        attributes["llm.provider"] = provider
    for name, count in tokens.items():
        attributes[f"llm.token_count.{name.replace('__', '.')}"] = count
    return _one(attributes=attributes)[0]


def test_cost_uses_the_most_specific_model_and_the_cache_rates() -> None:
    span = _llm_cost(
        "gpt-4o-mini-2024-07-18",
        prompt=1_000_000,
        completion=1_000_000,
        prompt_details__cache_read=400_000,
    )

    # 600k plain input at $0.15/M, 400k cache reads at $0.075/M, 1M output at $0.60/M.
    assert span.cost_prompt_usd == pytest.approx(0.09 + 0.03)
    assert span.cost_completion_usd == pytest.approx(0.60)
    assert span.cost_total_usd == pytest.approx(0.72)
    assert span.model_name == "gpt-4o-mini-2024-07-18"


def test_cache_writes_are_priced_at_their_own_rate() -> None:
    span = _llm_cost(
        "anthropic.claude-3-5-sonnet-20241022-v2:0",
        prompt=1_000_000,
        completion=0,
        prompt_details__cache_write=1_000_000,
    )
    assert span.cost_prompt_usd == pytest.approx(3.75)


def test_unknown_models_and_non_llm_spans_have_no_cost() -> None:
    assert not _llm_cost("my-private-model", prompt=10).HasField("cost_total_usd")
    chain, _ = _one(attributes={"llm.model_name": "gpt-4o", "llm.token_count.prompt": 10})
    assert not chain.HasField("cost_total_usd")


def test_provider_match_wins_then_user_prices_override(tmp_path: Path) -> None:
    prices_file = tmp_path / "prices.json"
    prices_file.write_text(
        json.dumps(
            {
                "models": [
                    {"name": "shared-model", "provider": "alpha", "input": 1, "output": 1},
                    {"name": "shared-model", "provider": "beta", "input": 2, "output": 2},
                    {"name": "gpt-4o", "input": 100, "output": 100},
                ]
            }
        )
    )
    table = ModelPriceTable.load(prices_file)

    beta = table.cost("shared-model", "beta", 1_000_000, 0)
    alpha = table.cost("shared-model", "ALPHA", 1_000_000, 0)
    overridden = table.cost("gpt-4o", "openai", 1_000_000, 0)

    assert beta is not None and beta.prompt == pytest.approx(2)
    assert alpha is not None and alpha.prompt == pytest.approx(1)
    assert overridden is not None and overridden.prompt == pytest.approx(100)


def test_a_broken_price_file_names_the_setting(tmp_path: Path) -> None:
    broken = tmp_path / "prices.json"
    broken.write_text("{not json")

    with pytest.raises(ConfigurationError) as error:
        ModelPriceTable.load(broken)

    assert "SPYGLASS_INGEST_MODEL_PRICES_FILE" in error.value.message
