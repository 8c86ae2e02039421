"""Normalizing attributes: token counts, input/output values, JSON-string attributes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from spyglass_spans import flatten, normalize, normalize_attributes


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ({"prompt": "120", "completion": 30.0}, {"prompt": 120, "completion": 30, "total": 150}),
        ({"prompt": 7}, {"prompt": 7, "total": 7}),
        ({"completion": " 4 "}, {"completion": 4, "total": 4}),
        ({"prompt": 1, "completion": 2, "total": 10}, {"prompt": 1, "completion": 2, "total": 10}),
        ({"prompt": 1, "completion": 2, "total": "3"}, {"prompt": 1, "completion": 2, "total": 3}),
    ],
)
def test_token_counts_become_integers_and_get_a_total(
    given: dict[str, Any], stored: dict[str, Any]
) -> None:
    attributes = {f"llm.token_count.{name}": value for name, value in given.items()}
    assert normalize_attributes(attributes)["llm"]["token_count"] == stored


def test_counts_that_are_no_numbers_are_kept_as_sent() -> None:
    attributes = normalize_attributes(
        {"llm.token_count.prompt": "many", "llm.token_count.completion": 2.5}
    )
    assert attributes["llm"]["token_count"] == {"prompt": "many", "completion": 2.5}


def test_a_non_string_input_or_output_value_becomes_json() -> None:
    attributes = normalize_attributes(
        {"input.value": ["a", 1], "input.mime_type": "text/plain", "output.value": {"ok": True}}
    )

    assert attributes["input"] == {"value": '["a",1]', "mime_type": "application/json"}
    assert attributes["output"] == {"value": '{"ok":true}', "mime_type": "application/json"}


def test_a_string_input_value_is_left_alone() -> None:
    attributes = normalize_attributes({"input.value": "[1, 2]", "input.mime_type": "text/plain"})
    assert attributes["input"] == {"value": "[1, 2]", "mime_type": "text/plain"}


@pytest.mark.parametrize(
    "key",
    [
        "metadata",
        "tool.parameters",
        "llm.prompt_template.variables",
        "retrieval.documents.0.document.metadata",
        "reranker.output_documents.0.document.metadata",
    ],
)
def test_json_string_attributes_are_parsed(key: str) -> None:
    attributes = normalize_attributes({key: '{"a": [1, 2]}'})

    node: Any = attributes
    for segment in key.split("."):
        node = node[0] if segment == "0" else node[segment]
    assert node == {"a": [1, 2]}


def test_json_string_attributes_that_are_not_json_stay_text_and_empty_ones_go() -> None:
    attributes = normalize_attributes(
        {"metadata": "{not json", "tool.parameters": "{}", "other": '{"a": 1}'}
    )
    assert attributes == {"metadata": "{not json", "other": '{"a": 1}'}


def test_normalize_works_in_place_on_flat_attributes() -> None:
    flat = {"llm.token_count.prompt": "3"}
    assert normalize(flat) is flat
    assert flat == {"llm.token_count.prompt": 3, "llm.token_count.total": 3}


def test_nested_attributes_flatten_to_dotted_keys() -> None:
    nested = {
        "llm": {"model_name": "gpt-4o", "input_messages": [{"message": {"role": "user"}}]},
        "tag": {"tags": ["a", "b"]},
        "empty": {},
        "gone": None,
    }

    assert flatten(nested) == {
        "llm.model_name": "gpt-4o",
        "llm.input_messages.0.message.role": "user",
        "tag.tags": ["a", "b"],
        "empty": {},
    }


def test_nested_and_flat_attributes_normalize_alike() -> None:
    flat = {
        "openinference.span.kind": "LLM",
        "llm.input_messages.0.message.role": "user",
        "llm.token_count.prompt": 5,
        "metadata": json.dumps({"a": 1}),
    }
    nested = {
        "openinference": {"span": {"kind": "LLM"}},
        "llm": {"input_messages": [{"message": {"role": "user"}}], "token_count": {"prompt": 5}},
        "metadata": {"a": 1},
    }

    assert normalize_attributes(flat) == normalize_attributes(nested)
