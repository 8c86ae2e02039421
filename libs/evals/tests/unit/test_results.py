"""What an evaluator returns becomes a storable result, as Phoenix's client reads it; anything
else is refused with a message that says what was wrong."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import orjson
import pytest

from spyglass_evals import EvaluationError, EvaluationResult, coerce_result, coerce_results
from spyglass_evals.json_values import MAX_METADATA_BYTES
from spyglass_evals.results import MAX_EXPLANATION_LENGTH, MAX_LABEL_LENGTH, MAX_RESULTS


def nested(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = {"deeper": value}
    return value


@pytest.mark.parametrize(
    ("returned", "score", "label", "explanation"),
    [
        (True, 1.0, "True", None),
        (False, 0.0, "False", None),
        (0.25, 0.25, None, None),
        (3, 3.0, None, None),
        (-7, -7.0, None, None),
        (Decimal("0.5"), 0.5, None, None),
        ("relevant", None, "relevant", None),
        ((0.5, "half right"), 0.5, None, "half right"),
        ((1, None), 1.0, None, None),
        ((None, "good", "because"), None, "good", "because"),
        ((0.9, "good", None), 0.9, "good", None),
        ({"score": 1, "label": "pass", "explanation": "ok"}, 1.0, "pass", "ok"),
        ({"label": "pass"}, None, "pass", None),
        ({"explanation": "only words"}, None, None, "only words"),
        ({"score": True}, 1.0, None, None),
    ],
)
def test_phoenix_shapes_become_results(
    returned: Any, score: float | None, label: str | None, explanation: str | None
) -> None:
    result = coerce_result(returned)
    assert (result.score, result.label, result.explanation) == (score, label, explanation)
    assert result.metadata == {}


def test_a_dict_carries_its_metadata_as_a_fresh_copy() -> None:
    metadata: dict[str, Any] = {
        "model": "gpt",
        "tokens": [1, 2],
        "nested": {"ok": True},
        "pair": (1, 2),
    }
    result = coerce_result({"score": 0.5, "metadata": metadata})
    assert result.metadata == {
        "model": "gpt",
        "tokens": [1, 2],
        "nested": {"ok": True},
        "pair": [1, 2],
    }
    metadata["tokens"].append(3)
    assert result.metadata["tokens"] == [1, 2]


def test_a_result_is_returned_as_it_is() -> None:
    result = EvaluationResult(score=1.0, label="yes")
    assert coerce_result(result) is result
    assert result.as_dict() == {"score": 1.0, "label": "yes", "explanation": None, "metadata": {}}


def test_two_to_the_63_is_a_score() -> None:
    assert coerce_result(2**63).score == float(2**63)
    assert coerce_result({"score": -(2**63)}).score == -float(2**63)


@pytest.mark.parametrize(
    ("returned", "message"),
    [
        (None, "returned None"),
        ({}, "no score, label or explanation"),
        ({"score": None, "label": None}, "no score, label or explanation"),
        (float("nan"), "finite number, not nan"),
        (float("inf"), "finite number, not inf"),
        ({"score": float("-inf")}, "finite number, not -inf"),
        (Decimal("NaN"), "finite number, not nan"),
        (10**400, "integer of 1329 bits) is beyond the range of a float"),
        ({"score": "0.9"}, "score must be a number, not str"),
        ({"label": 1}, "label must be text, not int 1"),
        ({"label": ["a"]}, "label must be text, not list"),
        ({"label": True}, "label must be text, not bool True"),
        ((1, "a", 2), "explanation must be text, not int"),
        ({"explanation": {"a": 1}}, "explanation must be text, not dict"),
        ({"score": 1, "name": "x"}, "unknown key(s) 'name' in the result"),
        ({"score": 1, 7: "x"}, "unknown key(s) 7 in the result"),
        ({"score": 1, "metadata": [1]}, "metadata must be a JSON object (a dict), not list"),
        (
            {"score": 1, "metadata": {"when": object()}},
            "metadata.when is of type object, which is not JSON",
        ),
        ({"score": 1, "metadata": {"x": [1, float("nan")]}}, "metadata.x[1] is nan"),
        ({"score": 1, "metadata": {"big": 2**64}}, "metadata.big is an integer beyond 64 bits"),
        ({"score": 1, "metadata": {1: "a"}}, "metadata has a key that is not text (int)"),
        ({"score": 1, "metadata": {"set": {1}}}, "metadata.set is of type set, which is not JSON"),
        (("a", "b"), "starts with a number, not str"),
        ((1,), "tuple of 1 items"),
        ((1, 2, 3, 4), "tuple of 4 items"),
        ([0.5], "returned a value of type list"),
        (b"yes", "returned a value of type bytes"),
        (object(), "returned a value of type object"),
    ],
)
def test_what_is_not_a_result_is_refused_saying_why(returned: Any, message: str) -> None:
    with pytest.raises(EvaluationError) as refused:
        coerce_result(returned)
    assert message in refused.value.message


def test_a_label_at_the_cap_is_kept_and_one_past_it_refused() -> None:
    assert coerce_result("x" * MAX_LABEL_LENGTH).label == "x" * MAX_LABEL_LENGTH
    with pytest.raises(EvaluationError, match="label has 10,000 characters; at most 256"):
        coerce_result("x" * 10_000)


def test_an_explanation_at_the_cap_is_kept_and_one_past_it_refused() -> None:
    long = "y" * MAX_EXPLANATION_LENGTH
    assert coerce_result((1, long)).explanation == long
    with pytest.raises(EvaluationError, match="explanation has 10,001 characters"):
        coerce_result((1, long + "y"))


def test_nul_is_refused_in_a_label_and_replaced_elsewhere() -> None:
    with pytest.raises(EvaluationError, match="label must not contain NUL"):
        coerce_result("bad\x00label")
    result = coerce_result(
        {
            "score": 1,
            "explanation": "a\x00b",
            "metadata": {"k\x00ey": ["v\x00", {"deep": "x\x00"}], "plain": "fine"},
        }
    )
    assert result.explanation == "a\ufffdb"
    assert result.metadata == {"k\ufffdey": ["v\ufffd", {"deep": "x\ufffd"}], "plain": "fine"}
    assert b"\\u0000" not in orjson.dumps(result.as_dict())


def test_metadata_nested_600_levels_is_refused_without_exhausting_the_stack() -> None:
    with pytest.raises(EvaluationError, match="metadata nests deeper than 100 levels"):
        coerce_result({"score": 1, "metadata": nested(600)})
    with pytest.raises(EvaluationError, match="nests deeper than 100 levels"):
        coerce_result({"score": 1, "metadata": nested(100_000)})
    assert coerce_result({"score": 1, "metadata": nested(99)}).metadata == nested(99)


def test_metadata_over_the_size_cap_is_refused() -> None:
    with pytest.raises(EvaluationError, match="bytes as JSON; at most 65,536"):
        coerce_result({"score": 1, "metadata": {"blob": "z" * MAX_METADATA_BYTES}})


def test_a_hostile_string_as_a_label_or_explanation_is_handled() -> None:
    ten_thousand = "\x00" * 10_000
    with pytest.raises(EvaluationError, match="10,000 characters"):
        coerce_result(ten_thousand)
    result = coerce_result((0.1, ten_thousand))
    assert result.explanation == "\ufffd" * 10_000


def test_constructing_a_result_directly_is_checked_too() -> None:
    with pytest.raises(EvaluationError, match="finite"):
        EvaluationResult(score=math.nan)
    with pytest.raises(EvaluationError, match="no score, label or explanation"):
        EvaluationResult()
    assert EvaluationResult(score=1).score == 1.0
    assert isinstance(EvaluationResult(score=1).score, float)


def test_a_list_gives_one_result_per_item() -> None:
    results = coerce_results([True, 0.5, "label", {"score": 0}])
    assert [(result.score, result.label) for result in results] == [
        (1.0, "True"),
        (0.5, None),
        (None, "label"),
        (0.0, None),
    ]
    assert coerce_results(0.5) == [EvaluationResult(score=0.5)]


def test_a_bad_list_is_refused_naming_the_item() -> None:
    with pytest.raises(EvaluationError, match="empty list"):
        coerce_results([])
    with pytest.raises(EvaluationError, match=r"result \[1\]: score must be a finite number"):
        coerce_results([1, float("nan")])
    with pytest.raises(EvaluationError, match=f"at most {MAX_RESULTS}"):
        coerce_results([1] * (MAX_RESULTS + 1))
