"""check_code: what the API answers with 422 when an evaluator is saved (no code runs)."""

from __future__ import annotations

import pytest

from spyglass_sandbox import CodeProblem, Limits, check_code


def test_valid_evaluator_has_no_problems() -> None:
    code = "import re\n\ndef evaluate(output):\n    return bool(re.search('ok', output))\n"
    assert check_code(code) == []


def test_syntax_error_names_line_and_column() -> None:
    problems = check_code("def evaluate(output):\n    return output +\n")
    assert len(problems) == 1
    assert problems[0].line == 2
    assert problems[0].column is not None
    assert "invalid syntax" in problems[0].message
    assert str(problems[0]).startswith("line 2, column ")


def test_indentation_error_names_its_line() -> None:
    problems = check_code("def evaluate(output):\n    x = 1\n      return x\n")
    assert [problem.line for problem in problems] == [3]
    assert "indent" in problems[0].message


def test_errors_found_by_the_compiler_not_the_parser_are_reported() -> None:
    problems = check_code("return 1\n\ndef evaluate():\n    return 2\n")
    assert [problem.line for problem in problems] == [1]
    assert "'return' outside function" in problems[0].message


def test_missing_entry_function_is_a_problem() -> None:
    problems = check_code("def score(output):\n    return 1\n")
    assert [str(problem) for problem in problems] == [
        "the code defines no top-level function named 'evaluate'"
    ]


def test_entry_name_can_be_chosen() -> None:
    assert check_code("def score(output):\n    return 1\n", entry="score") == []


def test_entry_defined_inside_a_function_does_not_count() -> None:
    code = "def outer():\n    def evaluate():\n        return 1\n"
    assert len(check_code(code)) == 1


def test_entry_bound_by_assignment_counts() -> None:
    assert check_code("evaluate = lambda output: 1\n") == []


def test_async_entry_is_refused_with_its_line() -> None:
    problems = check_code("import json\n\nasync def evaluate(output):\n    return 1\n")
    assert problems == [CodeProblem("evaluate must be a plain function (def), not async def", 3, 1)]


def test_null_bytes_are_a_problem_not_a_crash() -> None:
    problems = check_code("def evaluate():\n    return '\x00'\n")
    assert len(problems) == 1
    assert problems[0].line is None


def test_oversized_code_is_refused_before_compiling() -> None:
    problems = check_code("x = 1\n" * 100_000)
    assert len(problems) == 1
    assert "at most" in problems[0].message


def test_deep_nesting_is_a_problem_not_a_crash() -> None:
    problems = check_code("def evaluate():\n    return " + "(" * 5000 + ")" * 5000 + "\n")
    assert len(problems) == 1


def test_invalid_escape_warnings_are_not_problems() -> None:
    assert (
        check_code("import re\ndef evaluate(output):\n    return re.findall('\\d', output)\n") == []
    )


def test_entry_must_be_an_identifier() -> None:
    with pytest.raises(ValueError, match="identifier"):
        check_code("def evaluate(): pass", entry="not valid")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("cpu_seconds", 0, "cpu_seconds must be > 0"),
        ("wall_seconds", float("inf"), "wall_seconds must be > 0"),
        ("memory_mb", 16, "memory_mb must be >= 64"),
        ("output_bytes", 10, "output_bytes must be >= 1024"),
    ],
)
def test_limits_refuse_values_that_cannot_work(field: str, value: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Limits(**{field: value})


def test_cpu_limit_is_rounded_up_to_whole_seconds_for_the_kernel() -> None:
    assert Limits(cpu_seconds=0.2).cpu_rlimit == 1
    assert Limits(cpu_seconds=2.5).cpu_rlimit == 3
