"""GraphQL argument reading: cursors, page windows, time ranges, exactly-one lookups."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from spyglass_query_api.graphql.arguments import (
    MAX_PAGE_SIZE,
    Sort,
    decode_cursor,
    encode_cursor,
    exactly_one,
    time_range,
    window,
)
from spyglass_query_api.graphql.errors import ArgumentError
from spyglass_query_api.queries.ids import decode_global_id

BY_START = Sort("startTime", descending=True)
BY_COST = Sort("cost", descending=False)


def test_cursors_round_trip() -> None:
    instant = datetime(2026, 11, 1, 12, 0, 0, 123456, tzinfo=UTC)

    by_start = decode_cursor(encode_cursor(BY_START, instant, 7), BY_START)
    by_cost = decode_cursor(encode_cursor(BY_COST, 0.1 + 0.2, 8), BY_COST)

    assert (by_start.value, by_start.rowid) == (instant, 7)
    assert (by_cost.value, by_cost.rowid) == (0.1 + 0.2, 8)


def _encoded(text: bytes) -> str:
    return base64.b64encode(text).decode()


@pytest.mark.parametrize(
    ("cursor", "sort"),
    [
        ("not base64!", BY_START),
        (_encoded(b"not json"), BY_START),
        (_encoded(b'{"a": 1}'), BY_START),
        (_encoded(b'["startTime", "yesterday", 1]'), BY_START),
        (_encoded(b'["startTime", "2026-11-01T00:00:00+00:00", "1"]'), BY_START),
        (_encoded(b'["cost", "cheap", 1]'), BY_COST),
        (_encoded(b'["cost", true, 1]'), BY_COST),
    ],
)
def test_garbage_cursors_name_after(cursor: str, sort: Sort) -> None:
    with pytest.raises(ArgumentError) as raised:
        decode_cursor(cursor, sort)

    assert raised.value.argument == "after"


def test_cursor_of_another_sort() -> None:
    cursor = encode_cursor(BY_COST, 1.5, 3)

    with pytest.raises(ArgumentError, match="made for sorting by 'cost', not by 'startTime'"):
        decode_cursor(cursor, BY_START)


def test_windows_cap_first_and_refuse_negative() -> None:
    assert window(None, None, BY_START).first == 50
    assert window(10**9, None, BY_START).first == MAX_PAGE_SIZE
    assert window(0, None, BY_START).fetch == 1
    with pytest.raises(ArgumentError) as raised:
        window(-5, None, BY_START)
    assert raised.value.argument == "first"


def test_time_ranges() -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    end = datetime(2026, 11, 2, tzinfo=UTC)

    assert time_range(None).start is None
    assert time_range({"start": start, "end": end}).end == end
    assert time_range({"start": start, "end": start}).start == start
    with pytest.raises(ArgumentError, match=r"timeRange.end .* is before timeRange.start"):
        time_range({"start": end, "end": start})


def test_exactly_one_identifier() -> None:
    assert exactly_one(id=None, name="x") == ("name", "x")
    with pytest.raises(ArgumentError) as raised:
        exactly_one(id=None, traceId=None)
    assert raised.value.argument == "id or traceId"
    with pytest.raises(ArgumentError):
        exactly_one(id="a", traceId="b")


@pytest.mark.parametrize(
    "decoded",
    ["Project:1\n", "Project:\u0661", "Project:\uff11", "Project:9223372036854775808",
     "Project:99999999999999999999", "Project:-1", "Project: 1"],
)  # fmt: skip
def test_a_global_id_is_ascii_digits_within_bigint(decoded: str) -> None:
    value = base64.b64encode(decoded.encode()).decode()

    assert decode_global_id(value) is None


def test_the_largest_bigint_row_id_is_a_global_id() -> None:
    value = base64.b64encode(b"Project:9223372036854775807").decode()

    assert decode_global_id(value) == ("Project", 2**63 - 1)
