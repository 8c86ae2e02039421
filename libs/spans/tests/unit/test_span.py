"""Spans that arrive as JSON (the REST API's upload) normalized like OTLP ones."""

from __future__ import annotations

import json
from typing import Any

import pytest

from spyglass_core.errors import InvalidArgumentError
from spyglass_proto.bus.v1.spans_pb2 import DecodedSpan, StatusCode
from spyglass_spans import STATUS_CODES, ModelPriceTable, normalized_span

PRICES = ModelPriceTable.load()


def _span(attributes: dict[str, Any], **parts: Any) -> DecodedSpan:
    fields: dict[str, Any] = {
        "trace_id": "0a" * 16,
        "span_id": "0b" * 8,
        "parent_span_id": "",
        "name": "llm_call",
        "start_time_unix_nano": 1_000,
        "end_time_unix_nano": 2_000,
        "status_code": STATUS_CODES["OK"],
        "status_message": "",
        "events": [],
        **parts,
    }
    return normalized_span(attributes=attributes, prices=PRICES, **fields)


def test_an_uploaded_llm_span_gets_kind_tokens_and_cost() -> None:
    span = _span(
        {
            "openinference.span.kind": "LLM",
            "llm": {"model_name": "gpt-4o", "provider": "openai"},
            "llm.token_count.prompt": 1_000_000,
            "llm.token_count.completion": 100_000,
            "session.id": " s-1 ",
            "user.id": 42,
        }
    )

    assert (span.span_kind, span.status_code) == ("LLM", StatusCode.STATUS_CODE_OK)
    assert (span.session_id, span.user_id) == ("s-1", "42")
    assert (span.model_name, span.provider) == ("gpt-4o", "openai")
    assert (span.llm_token_count_prompt, span.llm_token_count_total) == (1_000_000, 1_100_000)
    assert span.cost_total_usd == pytest.approx(2.5 + 1.0)
    assert json.loads(span.attributes_json)["llm"]["token_count"] == {
        "prompt": 1_000_000,
        "completion": 100_000,
        "total": 1_100_000,
    }


def test_uploaded_events_keep_their_attributes() -> None:
    span = _span(
        {},
        events=[("exception", 1_700_000_000_000_000_000, {"exception.message": "boom"})],
        status_code=STATUS_CODES["ERROR"],
        status_message="boom",
    )

    assert span.status_code == StatusCode.STATUS_CODE_ERROR
    assert json.loads(span.events_json) == [
        {
            "name": "exception",
            "timestamp": "2023-11-14T22:13:20+00:00",
            "attributes": {"exception.message": "boom"},
        }
    ]


def test_a_value_that_cannot_be_stored_is_an_invalid_argument() -> None:
    with pytest.raises(InvalidArgumentError, match="0b0b0b0b0b0b0b0b"):
        _span({"count": 2**70})


def test_unknown_kinds_and_missing_counts_are_handled_like_otlp() -> None:
    span = _span({"openinference.span.kind": "robot", "llm.model_name": "gpt-4o"})

    assert span.span_kind == "UNKNOWN"
    assert not span.HasField("llm_token_count_prompt")
    assert not span.HasField("cost_total_usd")
