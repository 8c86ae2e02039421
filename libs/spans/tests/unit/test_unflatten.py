"""Nesting dotted attribute keys into the stored document (Phoenix's rules)."""

from __future__ import annotations

import random
from typing import Any

import pytest

from spyglass_spans import unflatten
from spyglass_spans.nesting import nest


def test_dotted_keys_nest_and_numbered_objects_become_lists() -> None:
    assert unflatten(
        {
            "llm.model_name": "gpt-4o",
            "llm.input_messages.1.message.role": "assistant",
            "llm.input_messages.0.message.role": "user",
            "llm.input_messages.0.message.tool_calls.0.tool_call.id": "c1",
        }
    ) == {
        "llm": {
            "model_name": "gpt-4o",
            "input_messages": [
                {"message": {"role": "user", "tool_calls": [{"tool_call": {"id": "c1"}}]}},
                {"message": {"role": "assistant"}},
            ],
        }
    }


def test_numbers_at_the_end_of_a_key_or_at_the_top_stay_object_keys() -> None:
    assert unflatten({"tag.0": "a", "tag.1": "b", "0.x": 1}) == {
        "tag": {"0": "a", "1": "b"},
        "0": {"x": 1},
    }


def test_gaps_in_numbering_close_up_in_number_order() -> None:
    assert unflatten({"docs.10.id": "k", "docs.2.id": "c", "docs.0.id": "a"}) == {
        "docs": [{"id": "a"}, {"id": "c"}, {"id": "k"}]
    }


def test_a_list_mixed_with_names_stays_an_object() -> None:
    assert unflatten({"docs.0.id": "a", "docs.count": 1}) == {
        "docs": {"0": {"id": "a"}, "count": 1}
    }


@pytest.mark.parametrize(
    "keys",
    [("a", "a.b", "a.c.d"), ("a.c.d", "a.b", "a"), ("a.b", "a", "a.c.d")],
)
def test_a_value_keeps_its_place_and_longer_keys_sit_dotted_beside_it(
    keys: tuple[str, ...],
) -> None:
    values = {"a": 1, "a.b": 2, "a.c.d": 3}
    assert unflatten({key: values[key] for key in keys}) == {"a": 1, "a.b": 2, "a.c.d": 3}


def test_none_values_are_left_out() -> None:
    assert unflatten({"a.b": None, "a.c": 1, "d": None}) == {"a": {"c": 1}}


def test_values_that_are_objects_are_not_merged_into() -> None:
    assert unflatten({"metadata": {"a": 1}, "metadata.b": 2}) == {
        "metadata": {"a": 1},
        "metadata.b": 2,
    }


def test_the_same_keys_give_the_same_document_every_time() -> None:
    first = {"llm.input_messages.0.message.role": "user", "metadata": '{"a": 1}', "x": 1}
    second = {"llm.input_messages.0.message.role": "bot", "metadata": '{"b": 2}', "x": 2}

    assert unflatten(first) == {
        "llm": {"input_messages": [{"message": {"role": "user"}}]},
        "metadata": {"a": 1},
        "x": 1,
    }
    assert unflatten(second) == {
        "llm": {"input_messages": [{"message": {"role": "bot"}}]},
        "metadata": {"b": 2},
        "x": 2,
    }
    # A JSON value that parses to nothing changes the shape for the same keys.
    assert unflatten({**second, "metadata": "{}"}) == {
        "llm": {"input_messages": [{"message": {"role": "bot"}}]},
        "x": 2,
    }


# --- against a plain reading of the rules ------------------------------------------------------


class _Node:
    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.valued = False
        self.value: Any = None


def _reference(attributes: dict[str, Any]) -> dict[str, Any]:
    """The rules of ``spyglass_spans.nesting``, written for clarity rather than speed."""
    root = _Node()
    for key, value in attributes.items():
        if value is None:
            continue
        node = root
        for segment in key.split("."):
            node = node.children.setdefault(segment, _Node())
        node.valued, node.value = True, value
    return _object_of(root)


def _object_of(node: _Node) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for segment, child in node.children.items():
        if child.valued:
            result[segment] = child.value
            for path, value in _valued_below(child):
                result[f"{segment}.{path}"] = value
        else:
            result[segment] = _render(child)
    return result


def _valued_below(node: _Node) -> list[tuple[str, Any]]:
    found = []
    for segment, child in node.children.items():
        if child.valued:
            found.append((segment, child.value))
        found.extend((f"{segment}.{path}", value) for path, value in _valued_below(child))
    return found


def _render(node: _Node) -> Any:
    numbered = node.children and all(
        segment.isdigit() and not child.valued for segment, child in node.children.items()
    )
    if numbered:
        return [_render(node.children[segment]) for segment in sorted(node.children, key=int)]
    return _object_of(node)


def _random_attributes(rng: random.Random) -> dict[str, Any]:
    segments = ["a", "b", "c", "0", "1", "2", "10"]
    attributes: dict[str, Any] = {}
    for _ in range(rng.randint(1, 12)):
        key = ".".join(rng.choice(segments) for _ in range(rng.randint(1, 4)))
        attributes[key] = rng.choice([rng.randint(0, 99), "text", None, [1, 2]])
    return attributes


@pytest.mark.parametrize("seed", range(40))
def test_nesting_and_its_replay_follow_the_rules(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(50):
        attributes = _random_attributes(rng)
        expected = _reference(attributes)

        assert nest(dict(attributes)) == expected, attributes
        assert unflatten(dict(attributes)) == expected, attributes
        assert unflatten(dict(attributes)) == expected, attributes  # replayed layout
