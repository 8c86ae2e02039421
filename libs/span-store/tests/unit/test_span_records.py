"""A span's row holds each value in the column of that name, whatever the table's column order."""

from __future__ import annotations

from datetime import UTC, datetime

from spyglass_proto.bus.v1.spans_pb2 import DecodedSpan, StatusCode
from spyglass_span_store.store import SPAN_COLUMNS, _Counts, _span_records


def test_every_column_of_the_spans_table_gets_its_own_value() -> None:
    span = DecodedSpan(
        trace_id="0af7651916cd43dd8448eb211c80319c",
        span_id="b7ad6b7169203331",
        parent_span_id="a7ad6b7169203331",
        name="llm call",
        span_kind="LLM",
        start_time_unix_nano=1_790_000_000_000_000_000,
        end_time_unix_nano=1_790_000_001_500_000_000,
        status_code=StatusCode.STATUS_CODE_ERROR,
        status_message="rate limited",
        attributes_json=b'{"llm": {"model_name": "gpt-4o"}}',
        events_json=b"",
        llm_token_count_prompt=10,
        llm_token_count_completion=5,
        cost_prompt_usd=0.25,
        cost_completion_usd=0.5,
        cost_total_usd=0.75,
    )
    counts = {span.span_id: _Counts(errors=1, prompt=110, completion=25)}

    [record] = _span_records([(span, "agents")], {span.trace_id: (41, 7)}, counts)

    assert dict(zip(SPAN_COLUMNS, record, strict=True)) == {
        "trace_rowid": 41,
        "project_rowid": 7,
        "span_id": "b7ad6b7169203331",
        "parent_id": "a7ad6b7169203331",
        "name": "llm call",
        "span_kind": "LLM",
        "start_time": datetime(2026, 9, 21, 14, 13, 20, tzinfo=UTC),
        "end_time": datetime(2026, 9, 21, 14, 13, 21, 500000, tzinfo=UTC),
        "attributes": b'{"llm": {"model_name": "gpt-4o"}}',
        "events": b"[]",
        "status_code": "ERROR",
        "status_message": "rate limited",
        "llm_token_count_prompt": 10,
        "llm_token_count_completion": 5,
        "cumulative_error_count": 1,
        "cumulative_llm_token_count_prompt": 110,
        "cumulative_llm_token_count_completion": 25,
        "llm_cost_prompt": 0.25,
        "llm_cost_completion": 0.5,
        "llm_cost_total": 0.75,
    }
