"""The filter language compiled without a database: what is refused, where, and why; and
that nothing from the expression reaches the SQL text except through bind parameters."""

from __future__ import annotations

import re

import pytest

from spyglass_db.filters import FilterExpressionError, compile_span_filter


def _refusal(expression: str) -> FilterExpressionError:
    with pytest.raises(FilterExpressionError) as caught:
        compile_span_filter(expression)
    return caught.value


@pytest.mark.parametrize("expression", ["", "   ", "\n"])
def test_blank_is_true(expression: str) -> None:
    assert compile_span_filter(expression).sql == "TRUE"


@pytest.mark.parametrize(
    ("expression", "column", "reason"),
    [
        ("spam_kind == 'LLM'", 1, "unknown name 'spam_kind'; did you mean 'span_kind'?"),
        ("span_kind == 'LLM' and len(name) > 3", 24, "calls are not allowed"),
        ("(lambda: 1)() == 1", 1, "calls are not allowed"),
        ("name == (lambda: 'x')", 10, "lambda expressions are not allowed"),
        ("[s for s in spans] == []", 1, "comprehensions are not allowed"),
        ("any(s.status_code == 'ERROR' for s in spans)", 1, "calls are not allowed"),
        ("f'{name}' == 'x'", 1, "f-strings are not allowed"),
        ("name.__class__ == 'str'", 1, "names starting with '__' are not allowed: '__class__'"),
        ("__import__ == 1", 1, "names starting with '__' are not allowed: '__import__'"),
        ("(x := 1) == 1", 2, "assignments (:=) are not allowed"),
        ("name == ('a' if True else 'b')", 10, "conditional expressions"),
        ("metadata[1:2] == 'x'", 10, "slices are not allowed"),
        ("{'a': 1} == name", 1, "dictionaries are not allowed"),
        ("latency_ms % 2 == 0", 1, "the operator % is not allowed"),
        ("latency_ms ** 2 > 1", 1, "the operator ** is not allowed"),
        ("name == b'x'", 9, "values are text, numbers, True, False or None"),
        ("latency_ms", 1, "expected a comparison"),
        ("True", 1, "expected a comparison"),
        ("span_kind == 'LLM' or name", 23, "expected a comparison"),
        ("name == 1", 9, "can't compare text name with the number 1"),
        ("latency_ms > 'slow'", 14, "can't compare number latency_ms with the text 'slow'"),
        ("start_time > 'yesterday'", 14, "'yesterday' is not an ISO 8601 time"),
        ("start_time > llm.model_name", 1, "attributes can't be compared with times"),
        ("name is 'x'", 1, "'is' only compares with None"),
        ("parent_span == 'x'", 1, "parent_span can only be compared with None"),
        (
            "annotations['x'].lable == 'y'",
            1,
            "unknown annotation field 'lable'; did you mean 'label'?",
        ),
        ("annotations[1].label == 'y'", 13, "an annotation is named by text"),
        ("annotations['x'] == 'y'", 1, "is a condition by itself"),
        ("annotations == 'y'", 1, "annotations needs a name"),
        ("attributes == 'y'", 1, "attributes needs a key"),
        ("name in latency_ms", 1, "'in' needs a list, a text or an attribute"),
        ("span_kind in ['LLM', 1]", 22, "can't compare text span_kind with the number 1"),
        ("span_kind in [name]", 15, "list items are text, numbers, True or False"),
        ("name == [1]", 9, "a list is only allowed after 'in'"),
        ("name + 1 == 'x'", 1, "arithmetic needs numbers"),
        ("latency_ms > 1e999", 14, "the number is too large"),
        ("context.spanid == 'x'", 1, "context is followed by one of: context.span_id"),
        ("metadata[None] == 1", 10, "keys are text or whole numbers"),
        ("span_kind ==", 13, "syntax error"),
        ("name == 'x' and", 16, "syntax error"),
        ("name == 'unterminated", 9, "syntax error"),
    ],
)
def test_refusals_say_where_and_why(expression: str, column: int, reason: str) -> None:
    error = _refusal(expression)

    assert reason in error.reason
    assert (error.line, error.column) == (1, column)
    assert str(error) == f"Invalid filter expression at line 1, column {column}: {error.reason}"


def test_positions_count_characters_lines_and_leading_space() -> None:
    error = _refusal("  (span_kind == 'LLM'\n   and spam_kind == 'x')")
    assert (error.line, error.column) == (2, 8)

    error = _refusal("name == 'héllo' and spam == 1")
    assert (error.line, error.column) == (1, 21)

    error = _refusal("   spam_kind == 1")
    assert (error.line, error.column) == (1, 4)


def test_absurd_inputs_are_refused_cleanly() -> None:
    assert "nested too deeply" in _refusal("not " * 150 + "name == 'x'").reason
    assert "nested" in _refusal("(" * 300 + "name == 'x'" + ")" * 300).reason
    assert "nested" in _refusal("-" * 40_000 + "1 < latency_ms").reason
    assert "longer than" in _refusal("name == '" + "x" * 60_000 + "'").reason
    assert "null characters" in _refusal("name == 'a\x00'").reason


INJECTIONS = [
    'name == "x\'; DROP TABLE spans; --"',
    "metadata[\"tier'); DROP TABLE spans; --\"] == 'gold'",
    "attributes['a\\'b.c;--'] == 1",
    "annotations[\"x' OR 1=1 --\"].label == 'y'",
    '"\'; DELETE FROM traces; --" in input.value',
    "span_kind in ['LLM\\'); DROP TABLE spans; --']",
    "start_time > '2024-01-01' and status_message == '$$; DROP TABLE spans; $$'",
]


@pytest.mark.parametrize("expression", INJECTIONS)
def test_values_and_keys_are_parameters_never_sql(expression: str) -> None:
    condition = compile_span_filter(expression)

    assert "DROP" not in condition.sql
    assert "DELETE" not in condition.sql
    assert "OR 1=1" not in condition.sql
    assert "$$" not in condition.sql
    for literal in re.findall(r"'[^']*'", condition.sql):
        assert literal in {"'{}'", "'string'", "'number'", "'boolean'", "'null'", "'array'"}
    assert set(re.findall(r":(\w+)", condition.sql)) == set(condition.parameters)


def test_parameters_carry_the_prefix_and_the_span_alias() -> None:
    condition = compile_span_filter(
        "span_kind == 'llm' and metadata['tier'] == 'gold' and trace_id == 'abc'",
        span="child",
        prefix="cond_",
    )

    assert all(name.startswith("cond_") for name in condition.parameters)
    assert "child.span_kind" in condition.sql
    assert " s." not in condition.sql
    assert "LLM" in condition.parameters.values()  # span_kind compares upper-cased
    with pytest.raises(ValueError, match="identifiers"):
        compile_span_filter("name == 'x'", span="s; DROP TABLE spans")


def test_indexed_equality_uses_the_filter_index_function() -> None:
    indexed = compile_span_filter("metadata['tier'] == 'gold'").sql
    long_text = compile_span_filter("input.value == 'hello'").sql
    negated = compile_span_filter("not metadata['tier'] == 'gold'").sql

    assert indexed == "span_filter_attributes(s.attributes) @> CAST(:f1 AS jsonb)"
    assert "span_filter_attributes" not in long_text and "@>" in long_text
    assert "@>" not in negated


def test_compiling_a_long_filter_is_fast_enough_to_not_matter() -> None:
    expression = " or ".join(
        f"(metadata['k{n}'] == {n} and span_kind == 'LLM')" for n in range(300)
    )
    condition = compile_span_filter(expression)

    assert len(condition.parameters) == 600
