"""Every built-in evaluator: what it decides, how its configuration is refused when saved, and
that hostile inputs give a result or a clear EvaluationError, never a crash or a hang."""

from __future__ import annotations

from typing import Any

import pytest

from spyglass_evals import (
    BUILTIN_EVALUATORS,
    Direction,
    EvaluationError,
    EvaluationResult,
    EvaluatorConfigError,
    builtin_evaluator,
)
from spyglass_evals.builtin.distance import MAX_LEVENSHTEIN_LENGTH


def run(name: str, inputs: dict[str, Any], **config: Any) -> EvaluationResult:
    evaluator = builtin_evaluator(name)
    return evaluator.evaluate(evaluator.parse_config(config), inputs)


def refused(name: str, **config: Any) -> EvaluatorConfigError:
    with pytest.raises(EvaluatorConfigError) as error:
        builtin_evaluator(name).parse_config(config)
    return error.value


def nested_lists(depth: int) -> Any:
    value: Any = 0
    for _ in range(depth):
        value = [value]
    return value


HOSTILE_VALUES = [
    None,
    "",
    "\x00" * 50,
    "x" * 10_000,
    2**63,
    10**400,
    float("nan"),
    {"a": {"b": [1, None, True]}},
    nested_lists(600),
    ["\x00", {"k\x00": 1}],
    "😀" * 1_000,
]


def test_the_registry_names_every_built_in_with_what_it_reads() -> None:
    assert set(BUILTIN_EVALUATORS) == {
        "exact_match",
        "contains",
        "regex",
        "json_valid",
        "json_distance",
        "levenshtein",
        "length_between",
        "not_empty",
        "within_tolerance",
    }
    for name, evaluator in BUILTIN_EVALUATORS.items():
        assert evaluator.name == name
        assert evaluator.description
        assert evaluator.inputs and set(evaluator.inputs) <= {"output", "expected"}
        assert evaluator.config_schema()["type"] == "object"
    assert builtin_evaluator("json_distance").direction is Direction.MINIMIZE
    assert builtin_evaluator("exact_match").choices == {"true": 1.0, "false": 0.0}


def test_an_unknown_built_in_is_refused_listing_the_known_ones() -> None:
    with pytest.raises(EvaluatorConfigError, match="no built-in evaluator is called 'fuzzy'"):
        builtin_evaluator("fuzzy")


@pytest.mark.parametrize("name", sorted(BUILTIN_EVALUATORS))
@pytest.mark.parametrize("value", HOSTILE_VALUES, ids=repr)
def test_hostile_inputs_give_a_result_or_a_clear_error(name: str, value: Any) -> None:
    evaluator = builtin_evaluator(name)
    defaults: dict[str, dict[str, Any]] = {
        "contains": {"words": ["x"]},
        "regex": {"pattern": "x+"},
        "length_between": {"max_length": 100},
    }
    config = evaluator.parse_config(defaults.get(name, {}))
    for inputs in ({"output": value, "expected": "x"}, {"output": "x", "expected": value}):
        try:
            result = evaluator.evaluate(config, inputs)
        except EvaluationError as error:
            assert error.message and len(error.message) < 400
        else:
            assert result.score is not None or result.label is not None


@pytest.mark.parametrize("name", sorted(BUILTIN_EVALUATORS))
def test_a_missing_input_is_named(name: str) -> None:
    evaluator = builtin_evaluator(name)
    defaults: dict[str, dict[str, Any]] = {
        "contains": {"words": ["x"]},
        "regex": {"pattern": "x"},
        "length_between": {"min_length": 1},
    }
    config = evaluator.parse_config(defaults.get(name, {}))
    with pytest.raises(EvaluationError, match=f"{name} reads the input 'output', which was not"):
        evaluator.evaluate(config, {"expected": "1"})


def test_an_unknown_or_mistyped_option_is_refused_naming_it() -> None:
    error = refused("exact_match", case_sensitve=False)
    assert error.field == "case_sensitve"
    assert "Extra inputs are not permitted" in error.message
    assert refused("exact_match", case_sensitive="maybe").field == "case_sensitive"
    with pytest.raises(EvaluatorConfigError, match="must be a JSON object"):
        builtin_evaluator("exact_match").parse_config([1, 2])  # type: ignore[arg-type]


def test_a_nul_anywhere_in_a_configuration_is_refused() -> None:
    assert "NUL" in refused("contains", words=["a\x00b"]).message
    assert "NUL" in refused("json_valid", schema={"title": "\x00"}).message


# exact_match


@pytest.mark.parametrize(
    ("output", "expected", "config", "label"),
    [
        ("Paris", "Paris", {}, "true"),
        ("Paris", "paris", {}, "false"),
        ("Paris", "paris", {"case_sensitive": False}, "true"),
        ("STRASSE", "straße", {"case_sensitive": False}, "true"),
        (" Paris\n", "Paris", {}, "false"),
        (" Paris\n", "Paris", {"strip_whitespace": True}, "true"),
        (42, "42", {}, "true"),
        ({"b": 1, "a": [1, 2]}, '{"a":[1,2],"b":1}', {}, "true"),
        (None, "", {}, "true"),
        ("a\x00b", "a\x00b", {}, "true"),
    ],
)
def test_exact_match(output: Any, expected: Any, config: dict[str, Any], label: str) -> None:
    result = run("exact_match", {"output": output, "expected": expected}, **config)
    assert result.label == label
    assert result.score == (1.0 if label == "true" else 0.0)


# contains


def test_contains_any_word_case_insensitively_by_default() -> None:
    result = run("contains", {"output": "You will get a REFUND"}, words=["refund", "credit"])
    assert (result.label, result.score) == ("true", 1.0)
    assert result.metadata == {"found": ["refund"]}
    assert run("contains", {"output": "no luck"}, words=["refund"]).label == "false"


def test_contains_all_words_and_case_when_asked() -> None:
    inputs = {"output": "Refund and credit"}
    assert run("contains", inputs, words=["Refund", "credit"], require_all=True).label == "true"
    missing = run("contains", inputs, words=["Refund", "cash"], require_all=True)
    assert missing.label == "false"
    assert "1 missing" in (missing.explanation or "")
    assert run("contains", inputs, words=["refund"], case_sensitive=True).label == "false"


def test_contains_takes_phoenix_comma_separated_words() -> None:
    config = builtin_evaluator("contains").parse_config({"words": "alpha, beta ,gamma"})
    assert config.words == ["alpha", "beta", "gamma"]


def test_contains_refuses_no_words_or_blank_ones() -> None:
    assert refused("contains", words=[]).field == "words"
    assert "blank" in refused("contains", words=["  "]).message
    assert refused("contains").field == "words"


# regex


def test_regex_searches_or_matches_the_whole_output() -> None:
    inputs = {"output": "Your order #1234 shipped"}
    searched = run("regex", inputs, pattern=r"#(\d+)")
    assert (searched.label, searched.metadata) == ("true", {"match": "#1234"})
    assert run("regex", inputs, pattern=r"#\d+", full_match=True).label == "false"
    assert run("regex", inputs, pattern=r"your order.*", full_match=True).label == "false"
    assert (
        run("regex", inputs, pattern=r"your order.*", full_match=True, case_sensitive=False).label
        == "true"
    )


def test_a_bad_pattern_is_refused_with_its_position() -> None:
    error = refused("regex", pattern="order (#\\d+")
    assert error.field == "pattern"
    assert error.position == 11
    assert "invalid regular expression at position 11: missing )" in error.message
    bad_range = refused("regex", pattern="[z-a]")
    assert bad_range.position == 4
    assert refused("regex", pattern="").field == "pattern"
    assert refused("regex", pattern="(" * 2_000 + ")" * 2_000).field == "pattern"


def test_a_catastrophic_pattern_fails_in_bounded_time_saying_why() -> None:
    evaluator = builtin_evaluator("regex")
    config = evaluator.parse_config({"pattern": r"(a+)+$"})
    with pytest.raises(EvaluationError, match="backtracks too much"):
        evaluator.evaluate(config, {"output": "a" * 5_000 + "!"})


# json_valid


def test_json_valid_reads_text_and_already_parsed_values() -> None:
    assert run("json_valid", {"output": '{"a": [1, 2.5, null]}'}).label == "true"
    assert run("json_valid", {"output": {"a": 1}}).label == "true"
    broken = run("json_valid", {"output": '{"a": 1'})
    assert broken.label == "false"
    assert "not JSON" in (broken.explanation or "") and "line 1" in (broken.explanation or "")
    assert run("json_valid", {"output": None}).label == "false"
    assert run("json_valid", {"output": {"a": float("nan")}}).label == "false"
    assert run("json_valid", {"output": "[" * 600 + "]" * 600}).label == "true"
    too_deep = run("json_valid", {"output": "[" * 5_000 + "]" * 5_000})
    assert too_deep.label == "false"


def test_json_valid_checks_a_schema_naming_where_the_output_breaks_it() -> None:
    schema = {
        "type": "object",
        "required": ["name", "age"],
        "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}},
    }
    assert (
        run("json_valid", {"output": '{"name": "Ada", "age": 36}'}, schema=schema).label == "true"
    )
    wrong = run("json_valid", {"output": '{"name": "Ada", "age": -1}'}, schema=schema)
    assert wrong.label == "false"
    assert "at /age" in (wrong.explanation or "")
    assert wrong.metadata == {"path": "/age"}
    deep = run("json_valid", {"output": nested_lists(2_000)}, schema={"items": {"$ref": "#"}})
    assert deep.label == "false"
    assert "deeper than 1024" in (deep.explanation or "")


def test_a_bad_schema_is_refused_when_saved() -> None:
    error = refused("json_valid", schema={"type": "nonsense"})
    assert error.field == "schema"
    assert "not a valid JSON Schema (at /type)" in error.message
    assert "JSON object or a boolean" in refused("json_valid", schema=[1]).message
    assert (
        "only references within it"
        in refused("json_valid", schema={"$ref": "http://169.254.169.254/latest/meta-data"}).message
    )
    deep_schema: dict[str, Any] = {}
    for _ in range(150):
        deep_schema = {"items": deep_schema}
    assert "deeper than 100" in refused("json_valid", schema=deep_schema).message


# json_distance


def test_json_distance_counts_differing_values_and_lists_where() -> None:
    equal = run(
        "json_distance", {"output": '{"b": [1, 2], "a": 1.0}', "expected": {"a": 1, "b": [1, 2]}}
    )
    assert (equal.score, equal.label) == (0.0, "equal")
    different = run(
        "json_distance",
        {
            "expected": {"a": 1, "b": [1, 2, 3], "c": {"x": 1}},
            "output": '{"a": "1", "b": [1, 5], "c": {"y": 1}, "z": null}',
        },
    )
    assert different.label == "different"
    # a: "1" vs 1; b[1]; b[2] missing; c.x missing; c.y extra; z extra
    assert different.score == 6.0
    assert different.metadata["differences"] == ["/a", "/b/1", "/b/2", "/c/x", "/c/y", "/z"]


def test_json_distance_handles_kinds_and_deep_values() -> None:
    assert run("json_distance", {"output": "[1]", "expected": "{}"}).score == 1.0
    assert run("json_distance", {"output": "true", "expected": "1"}).score == 1.0
    assert run("json_distance", {"output": None, "expected": "null"}).score == 0.0
    deep = nested_lists(900)
    assert run("json_distance", {"output": deep, "expected": deep}).score == 0.0
    assert run("json_distance", {"output": deep, "expected": nested_lists(899)}).score == 1.0


def test_json_distance_says_which_input_is_not_json() -> None:
    with pytest.raises(EvaluationError, match="the input 'output' is not JSON: unexpected"):
        run("json_distance", {"output": "{nope", "expected": "{}"})
    with pytest.raises(EvaluationError, match="the input 'expected' is not JSON"):
        run("json_distance", {"output": "{}", "expected": {"x": float("inf")}})


# levenshtein


def test_levenshtein_gives_similarity_as_the_score_and_the_distance() -> None:
    result = run("levenshtein", {"output": "kitten", "expected": "sitting"})
    assert result.metadata == {"distance": 3}
    assert result.score == pytest.approx(1 - 3 / 7)
    assert run("levenshtein", {"output": "", "expected": ""}).score == 1.0
    assert run("levenshtein", {"output": "ABC", "expected": "abc"}).score == 0.0
    assert (
        run("levenshtein", {"output": "ABC", "expected": "abc"}, case_sensitive=False).score == 1.0
    )


def test_levenshtein_refuses_texts_past_its_cap() -> None:
    with pytest.raises(EvaluationError, match="at most 100,000 are compared"):
        run("levenshtein", {"output": "a" * (MAX_LEVENSHTEIN_LENGTH + 1), "expected": "a"})


# length_between, not_empty


def test_length_between_counts_characters_or_words() -> None:
    assert run("length_between", {"output": "four"}, min_length=2, max_length=4).label == "true"
    too_long = run("length_between", {"output": "fives"}, max_length=4)
    assert (too_long.label, too_long.metadata) == ("false", {"length": 5})
    words = run("length_between", {"output": " two  words "}, min_length=3, unit="words")
    assert (words.label, words.metadata) == ("false", {"length": 2})


def test_length_between_needs_sane_bounds() -> None:
    assert "give min_length, max_length or both" in refused("length_between").message
    assert (
        "is more than max_length" in refused("length_between", min_length=5, max_length=2).message
    )
    assert refused("length_between", min_length=-1).field == "min_length"
    assert refused("length_between", min_length=1, unit="bytes").field == "unit"


@pytest.mark.parametrize(
    ("output", "label"),
    [
        ("text", "true"),
        (0, "true"),
        (False, "true"),
        ("  \n\t", "false"),
        ("", "false"),
        (None, "false"),
        ([], "false"),
        ({}, "false"),
        ([None], "true"),
    ],
)
def test_not_empty(output: Any, label: str) -> None:
    assert run("not_empty", {"output": output}).label == label


# within_tolerance


@pytest.mark.parametrize(
    ("output", "expected", "config", "label"),
    [
        (41.7, 42, {"absolute_tolerance": 0.5}, "true"),
        (" 41.7 ", "42", {"absolute_tolerance": 0.5}, "true"),
        (40, 42, {"absolute_tolerance": 0.5}, "false"),
        (101, 100, {"relative_tolerance": 0.02}, "true"),
        (42, 42, {}, "true"),
        (42.000001, 42, {}, "false"),
        ("forty-two", 42, {"absolute_tolerance": 1}, "false"),
        (float("nan"), 42, {"absolute_tolerance": 1}, "false"),
        ("inf", 42, {"absolute_tolerance": 1}, "false"),
        (10**400, 42, {"relative_tolerance": 1}, "false"),
        (True, 1, {}, "false"),
        (2**63, 2**63, {}, "true"),
        (1.5e308, -1.5e308, {"absolute_tolerance": 1}, "false"),
    ],
)
def test_within_tolerance(output: Any, expected: Any, config: dict[str, Any], label: str) -> None:
    assert (
        run("within_tolerance", {"output": output, "expected": expected}, **config).label == label
    )


def test_within_tolerance_needs_a_number_to_compare_with() -> None:
    with pytest.raises(EvaluationError, match="expected value 'n/a' is not a finite number"):
        run("within_tolerance", {"output": 1, "expected": "n/a"})
    assert refused("within_tolerance", absolute_tolerance=-1).field == "absolute_tolerance"
    assert (
        refused("within_tolerance", relative_tolerance=float("inf")).field == "relative_tolerance"
    )
