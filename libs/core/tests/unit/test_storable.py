"""The storable-value rules shared by every entry point."""

from __future__ import annotations

from datetime import timedelta

from spyglass_core.storable import (
    MAX_JSON_DEPTH,
    MAX_TIME,
    MIN_TIME,
    has_nul,
    json_depth_exceeds,
    json_path_keys,
    walk_json,
    without_nul,
)


def nested(depth: int) -> object:
    value: object = "leaf"
    for level in range(depth):
        value = {"a": value} if level % 2 else [value]
    return value


def test_nul_is_found_and_replaced_by_the_replacement_character() -> None:
    assert has_nul("a\x00b")
    assert not has_nul("ab")
    assert without_nul("a\x00b\x00") == "a\ufffdb\ufffd"
    assert without_nul("plain") == "plain"


def test_depth_counts_objects_and_arrays_up_to_the_limit() -> None:
    assert not json_depth_exceeds(nested(MAX_JSON_DEPTH))
    assert json_depth_exceeds(nested(MAX_JSON_DEPTH + 1))
    assert not json_depth_exceeds("text")
    # Deep enough to overflow a recursive walk: measured without recursion.
    assert json_depth_exceeds(nested(100_000))


def test_the_time_range_is_otlp_nanoseconds_in_an_int64() -> None:
    nanoseconds = (MAX_TIME - MIN_TIME) // timedelta(microseconds=1) * 1000
    assert nanoseconds <= 2**63 - 1 < nanoseconds + 1000


def test_json_is_walked_with_paths_and_depths_parents_first() -> None:
    items = list(walk_json({"a": [1, {"b": "x"}]}))
    assert items[0] == (None, {"a": [1, {"b": "x"}]}, 0)
    assert sorted((json_path_keys(path), depth) for path, _, depth in items) == [
        ((), 0),
        (("a",), 1),
        (("a", "0"), 2),
        (("a", "1"), 2),
        (("a", "1", "b"), 3),
    ]
    # Deep enough to overflow a recursive walk.
    assert max(depth for _, _, depth in walk_json(nested(100_000))) == 100_000
