"""Property: whatever OTLP spans arrive, decoding stores only what PostgreSQL takes, or says why.

Hypothesis builds export requests with arbitrary ids and times (0 and 2**64 - 1 included), text
with NULs and odd Unicode, integers at the int64 bounds, NaN and infinities, nested arrays and
key-value lists, JSON-string attributes (deep, huge numbers, escaped NULs) and project names of
any length. Every request either decodes into spans whose text holds no NUL and whose JSON
PostgreSQL would parse (no ``\\u0000``, no NaN, valid Unicode, at most ``MAX_JSON_DEPTH`` deep),
with every span either kept or counted as rejected, or is refused with a known error.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValue, KeyValueList
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

from spyglass_core.errors import InvalidArgumentError, PayloadTooLargeError
from spyglass_core.storable import (
    MAX_BIGINT,
    MAX_JSON_DEPTH,
    MAX_NAME_LENGTH,
    MAX_SESSION_ID_LENGTH,
    NUL,
    json_depth_exceeds,
)
from spyglass_spans import (
    REJECTION_REASONS,
    DecodeLimits,
    ModelPriceTable,
    decode_export_request,
)

PRICES = ModelPriceTable.load()
LIMITS = DecodeLimits(max_attribute_value_bytes=64 * 1024, max_span_bytes=256 * 1024)

# Text that tends to break things: NULs, surrogate-free astral characters, escapes, dots.
odd_text = st.lists(
    st.one_of(
        st.sampled_from(["\x00", ".", "\\", '"', "\ufffd", "\U0001f600", "\\u0000", "0", "{"]),
        st.characters(exclude_categories=("Cs",)),
    ),
    max_size=24,
).map("".join)
int64 = st.one_of(
    st.sampled_from([0, 1, -1, MAX_BIGINT, -MAX_BIGINT - 1, 2**31 - 1, 2**31, -(2**31) - 1]),
    st.integers(min_value=-MAX_BIGINT - 1, max_value=MAX_BIGINT),
)
doubles = st.one_of(
    st.sampled_from([float("nan"), float("inf"), float("-inf"), 1e308, -0.0, 2.0**63]),
    st.floats(allow_nan=True, allow_infinity=True),
)
json_texts = st.one_of(
    st.integers(min_value=0, max_value=700).map(lambda depth: "[" * depth + "]" * depth),
    st.integers(min_value=0, max_value=300).map(lambda depth: '{"a":' * depth + "1" + "}" * depth),
    st.sampled_from(
        [
            '{"n": 123456789012345678901234567890}',
            '{"n": 1e400}',
            '{"s": "a\\u0000b", "k\\u0000": null}',
            '"\\ud800"',
            "NaN",
            "[1, 2",
            "{}",
            "0",
        ]
    ),
    odd_text,
)
time_values = st.one_of(
    st.sampled_from([0, 1, MAX_BIGINT, MAX_BIGINT + 1, 2**64 - 1, 1_790_000_000_000_000_000]),
    st.integers(min_value=0, max_value=2**64 - 1),
)
ids = st.one_of(st.binary(max_size=20), st.binary(min_size=8, max_size=8))
trace_ids = st.one_of(st.binary(max_size=20), st.binary(min_size=16, max_size=16))


def _any_values() -> st.SearchStrategy[AnyValue]:
    scalars = st.one_of(
        odd_text.map(lambda text: AnyValue(string_value=text)),
        int64.map(lambda number: AnyValue(int_value=number)),
        doubles.map(lambda number: AnyValue(double_value=number)),
        st.booleans().map(lambda flag: AnyValue(bool_value=flag)),
        st.binary(max_size=16).map(lambda data: AnyValue(bytes_value=data)),
        st.just(AnyValue()),
    )
    return st.recursive(
        scalars,
        lambda children: st.one_of(
            st.lists(children, max_size=3).map(
                lambda items: AnyValue(array_value=ArrayValue(values=items))
            ),
            st.lists(st.tuples(odd_text, children), max_size=3).map(
                lambda pairs: AnyValue(
                    kvlist_value=KeyValueList(
                        values=[KeyValue(key=key, value=value) for key, value in pairs]
                    )
                )
            ),
        ),
        max_leaves=6,
    )


keys = st.one_of(
    st.sampled_from(
        [
            "session.id",
            "user.id",
            "llm.model_name",
            "llm.provider",
            "openinference.span.kind",
            "llm.token_count.prompt",
            "llm.token_count.completion",
            "llm.token_count.total",
            "input.value",
            "llm.input_messages.0.message.content",
            "gen_ai.input.messages",
            "gen_ai.operation.name",
        ]
    ),
    odd_text,
    st.integers(min_value=90, max_value=130).map(lambda dots: ".".join(["k"] * dots)),
)
attribute_lists = st.lists(
    st.one_of(
        st.builds(lambda key, value: KeyValue(key=key, value=value), keys, _any_values()),
        st.builds(
            lambda key, text: KeyValue(key=key, value=AnyValue(string_value=text)),
            st.sampled_from(
                ["metadata", "tool.parameters", "llm.prompt_template.variables", "session.id"]
            ),
            json_texts,
        ),
        st.builds(
            lambda length: KeyValue(key="session.id", value=AnyValue(string_value="s" * length)),
            st.sampled_from([MAX_SESSION_ID_LENGTH, MAX_SESSION_ID_LENGTH + 1]),
        ),
    ),
    max_size=5,
)
events = st.builds(
    lambda name, time, attributes: Span.Event(
        name=name, time_unix_nano=time, attributes=attributes
    ),
    odd_text,
    time_values,
    attribute_lists,
)
spans = st.builds(
    lambda trace_id, span_id, parent, name, start, end, attributes, span_events, code, message: (
        Span(
            trace_id=trace_id,
            span_id=span_id,
            parent_span_id=parent,
            name=name,
            start_time_unix_nano=start,
            end_time_unix_nano=end,
            attributes=attributes,
            events=span_events,
            status=Status(code=code, message=message),
        )
    ),
    trace_ids,
    ids,
    ids,
    odd_text,
    time_values,
    time_values,
    attribute_lists,
    st.lists(events, max_size=1),
    st.integers(min_value=0, max_value=5),
    odd_text,
)
project_names = st.one_of(
    odd_text,
    st.sampled_from(["p" * MAX_NAME_LENGTH, "p" * (MAX_NAME_LENGTH + 1), "p\x00"]),
)
requests = st.lists(
    st.tuples(st.one_of(st.none(), project_names), st.lists(spans, min_size=1, max_size=3)),
    min_size=1,
    max_size=2,
).map(
    lambda groups: ExportTraceServiceRequest(
        resource_spans=[
            ResourceSpans(
                resource=Resource(
                    attributes=[]
                    if project is None
                    else [
                        KeyValue(
                            key="openinference.project.name", value=AnyValue(string_value=project)
                        )
                    ]
                ),
                scope_spans=[ScopeSpans(spans=group)],
            )
            for project, group in groups
        ]
    )
)


def _refuse_constant(name: str) -> Any:
    raise AssertionError(f"PostgreSQL refuses the JSON constant {name}")


def _assert_postgres_json(data: bytes) -> None:
    """``data`` is JSON PostgreSQL's jsonb takes, and no deeper than we allow."""
    document = json.loads(data.decode("utf-8"), parse_constant=_refuse_constant)
    assert not json_depth_exceeds(document, MAX_JSON_DEPTH)
    stack = [document]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            assert NUL not in item
            item.encode("utf-8")  # no lone surrogates
        elif isinstance(item, dict):
            for key, value in item.items():
                assert NUL not in key
                key.encode("utf-8")
                stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(requests, st.one_of(st.none(), project_names))
def test_decoded_spans_are_storable_or_rejected_with_a_reason(
    request: ExportTraceServiceRequest, project_header: str | None
) -> None:
    # The request goes over the wire first: only what protobuf can carry arrives.
    request = ExportTraceServiceRequest.FromString(request.SerializeToString())
    sent = sum(len(scope.spans) for group in request.resource_spans for scope in group.scope_spans)
    try:
        result = decode_export_request(
            request,
            project_header,
            prices=PRICES,
            limits=LIMITS,
            received_at_unix_nano=1,
        )
    except PayloadTooLargeError as error:
        assert "over the limit" in error.message
        return
    except InvalidArgumentError as error:
        assert error.message.startswith("the project name must ")
        return

    assert result.accepted_count + result.rejected_count == sent
    assert set(result.rejected_by_reason) <= set(REJECTION_REASONS)
    for batch in result.batches:
        assert NUL not in batch.project_name
        assert 0 < len(batch.project_name) <= MAX_NAME_LENGTH
        batch.SerializeToString()
        for span in batch.spans:
            for text in (
                span.name,
                span.status_message,
                span.session_id,
                span.user_id,
                span.model_name,
                span.provider,
                span.span_kind,
            ):
                assert NUL not in text
            assert len(span.session_id) <= MAX_SESSION_ID_LENGTH
            assert 0 < span.start_time_unix_nano <= span.end_time_unix_nano <= MAX_BIGINT
            for count in (span.llm_token_count_prompt, span.llm_token_count_completion):
                assert -(2**31) <= count < 2**31
            _assert_postgres_json(span.attributes_json)
            _assert_postgres_json(span.events_json)
