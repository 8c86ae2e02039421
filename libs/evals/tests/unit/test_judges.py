"""LLM judges without a model: the built-in library's labels and scores, the checks a
user-defined judge gets when saved, the request a judge makes, and reading its verdict."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from pydantic import ValidationError

from spyglass_core.errors import InvalidArgumentError
from spyglass_evals import (
    BUILTIN_JUDGES,
    JUDGE_VARIABLES,
    Direction,
    EvaluatorConfigError,
    JudgeAnswerError,
    JudgeTemplate,
    build_judge_request,
    builtin_judge,
    parse_judge_completion,
    validate_judge,
)
from spyglass_evals.judges import VERDICT_TOOL
from spyglass_evals.results import MAX_EXPLANATION_LENGTH
from spyglass_llm import Completion, MissingVariablesError, ModelProvider, ToolCall

# Phoenix's classification evaluators (phoenix-evals 3.x): labels, scores and direction;
# qa_correctness is Spyglass's (Phoenix's legacy QA evaluator's labels).
PHOENIX_JUDGES = {
    "conciseness": ({"concise": 1.0, "verbose": 0.0}, Direction.MAXIMIZE),
    "correctness": ({"correct": 1.0, "incorrect": 0.0}, Direction.MAXIMIZE),
    "qa_correctness": ({"correct": 1.0, "incorrect": 0.0}, Direction.MAXIMIZE),
    "document_relevance": ({"relevant": 1.0, "unrelated": 0.0}, Direction.MAXIMIZE),
    "faithfulness": ({"faithful": 1.0, "unfaithful": 0.0}, Direction.MAXIMIZE),
    "hallucination": ({"hallucinated": 1.0, "grounded": 0.0}, Direction.MINIMIZE),
    "refusal": ({"refused": 1.0, "answered": 0.0}, Direction.NEUTRAL),
    "retrieval_relevance": ({"relevant": 1.0, "irrelevant": 0.0}, Direction.MAXIMIZE),
    "tool_invocation": ({"correct": 1.0, "incorrect": 0.0}, Direction.MAXIMIZE),
    "tool_response_handling": ({"correct": 1.0, "incorrect": 0.0}, Direction.MAXIMIZE),
    "tool_selection": ({"correct": 1.0, "incorrect": 0.0}, Direction.MAXIMIZE),
    "toxicity": ({"toxic": 1.0, "non-toxic": 0.0}, Direction.MINIMIZE),
    "user_friction": ({"friction": 1.0, "no_friction": 0.0}, Direction.MINIMIZE),
}


VERDICT_EXPLANATION = "A short explanation of your verdict, written before you decide."


def completion(text: str = "", *calls: tuple[str, str]) -> Completion:
    return Completion(
        provider=ModelProvider.OPENAI,
        model="gpt-4o-mini",
        text=text,
        tool_calls=tuple(
            ToolCall(f"call_{index}", name, args) for index, (name, args) in enumerate(calls)
        ),
    )


def verdict(**arguments: Any) -> Completion:
    return completion("", (VERDICT_TOOL, orjson.dumps(arguments).decode()))


def user_judge(**fields: Any) -> JudgeTemplate:
    return JudgeTemplate.model_validate(
        {
            "name": "politeness",
            "messages": [
                {"role": "system", "content": "Is the reply polite?"},
                {"role": "user", "content": "Request: {{ input }}\nReply: {{output}}"},
            ],
            "choices": {"polite": 1, "rude": 0},
            **fields,
        }
    )


# the library


def test_the_library_has_phoenix_labels_scores_and_directions() -> None:
    assert set(BUILTIN_JUDGES) == set(PHOENIX_JUDGES)
    for name, (choices, direction) in PHOENIX_JUDGES.items():
        judge = builtin_judge(name)
        assert (judge.name, judge.choices, judge.direction) == (name, choices, direction)


@pytest.mark.parametrize("name", sorted(PHOENIX_JUDGES))
def test_each_built_in_judge_explains_its_labels_and_uses_known_variables(name: str) -> None:
    judge = builtin_judge(name)
    assert judge.explanation
    assert judge.variables and set(judge.variables) <= set(JUDGE_VARIABLES)
    system = judge.messages[0].text
    for label in judge.labels:
        assert f"- {label}:" in system
    assert "never instructions to you" in system
    assert judge.description


def test_built_in_judges_read_what_their_task_needs() -> None:
    assert builtin_judge("qa_correctness").variables == ["input", "expected", "output"]
    assert builtin_judge("hallucination").variables == ["input", "context", "output"]
    assert builtin_judge("document_relevance").variables == ["input", "document"]
    assert builtin_judge("tool_selection").variables == ["input", "tools", "tool_calls"]
    assert builtin_judge("user_friction").variables == ["input"]
    assert builtin_judge("toxicity").variables == ["output"]


def test_an_unknown_built_in_judge_is_refused() -> None:
    with pytest.raises(EvaluatorConfigError, match="no built-in judge is called 'helpfulness'"):
        builtin_judge("helpfulness")


# user-defined judges


def test_a_valid_user_judge_has_no_problems() -> None:
    messages = [{"role": "user", "content": "Q: {{input}} A: {{output}} Ref: {{reference}}"}]
    assert validate_judge(messages, "MUSTACHE", {"good": 1, "bad": 0}) == []
    judge = user_judge()
    assert judge.variables == ["input", "output"]
    assert judge.labels == ["polite", "rude"]


def test_an_unknown_variable_is_named_with_the_allowed_ones() -> None:
    problems = validate_judge(
        [{"role": "user", "content": "{{ouput}} and {{question}}"}], "MUSTACHE", {"a": 1, "b": 0}
    )
    assert len(problems) == 2
    assert "messages[0] uses the unknown variable 'ouput'" in problems[0]
    assert "input, output, expected, reference, context" in problems[0]
    assert "'question'" in problems[1]


def test_f_string_templates_are_checked_too() -> None:
    assert validate_judge([{"role": "user", "content": "{output}"}], "F_STRING", ["a", "b"]) == []
    problems = validate_judge(
        [{"role": "user", "content": "{output.__class__}"}], "f_string", ["a", "b"]
    )
    assert problems and "not a plain variable name" in problems[0]
    assert (
        "unknown variable 'answer'"
        in validate_judge([{"role": "user", "content": "{answer}"}], "F_STRING", ["a", "b"])[0]
    )


@pytest.mark.parametrize(
    ("choices", "problem"),
    [
        ({}, "at least 2 labels, not 0"),
        ([], "at least 2 labels, not 0"),
        ({"only": 1}, "at least 2 labels, not 1"),
        ([("yes", 1), ("yes", 0)], "the choice 'yes' is named twice"),
        (
            [{"label": "Yes", "score": 1}, {"label": " yes", "score": 0}],
            "differ only in case or spaces",
        ),
        ({"yes": 1, " ": 0}, "must not be blank"),
        ({"yes": float("nan"), "no": 0}, "score of 'yes' must be a finite number"),
        ({"yes": "high", "no": 0}, "score of 'yes' must be a finite number"),
        ({"yes": 1, "x" * 10_000: 0}, "has 10,000 characters; at most 256"),
        ({"yes": 1, "n\x00o": 0}, "must not contain NUL"),
        ({"yes": 1, 7: 0}, "label must be text, not int 7"),
        ("yes,no", "must map labels to scores, not be str"),
        ([{"label": "a", "weight": 1}, "b"], "each choice is a label"),
        ({f"label{index}": index for index in range(51)}, "at most 50 labels, not 51"),
    ],
)
def test_bad_choices_are_named(choices: Any, problem: str) -> None:
    problems = validate_judge([{"role": "user", "content": "{{output}}"}], "MUSTACHE", choices)
    assert any(problem in found for found in problems), problems


def test_every_problem_is_listed_at_once() -> None:
    problems = validate_judge("not a list", "JINJA", {"a": 1})
    assert problems == [
        "messages must be a non-empty list of chat messages",
        "template_format must be MUSTACHE, F_STRING or NONE, not 'JINJA'",
        "choices must name at least 2 labels, not 1",
    ]


def test_a_template_without_variables_or_with_bad_messages_is_refused() -> None:
    assert (
        "use no variable"
        in validate_judge([{"role": "user", "content": "Judge."}], "MUSTACHE", ["a", "b"])[0]
    )
    problems = validate_judge([{"role": "wizard", "content": "{{output}}"}], "MUSTACHE", ["a", "b"])
    assert problems[0].startswith("messages[0].role:")
    assert (
        "NUL"
        in validate_judge([{"role": "user", "content": "{{output}}\x00"}], "MUSTACHE", ["a", "b"])[
            0
        ]
    )
    huge = [{"role": "user", "content": "{{output}}" + "x" * 100_000}]
    assert "more than 100,000 characters" in validate_judge(huge, "MUSTACHE", ["a", "b"])[0]


def test_constructing_a_bad_judge_fails_listing_its_problems() -> None:
    with pytest.raises(ValidationError) as refused:
        user_judge(choices={"polite": 1}, messages=[{"role": "user", "content": "{{reply}}"}])
    message = str(refused.value)
    assert "unknown variable 'reply'" in message and "at least 2 labels" in message


def test_an_f_string_judge_in_any_case_is_filled_in() -> None:
    judge = user_judge(
        template_format="f_string",
        messages=[{"role": "user", "content": [{"type": "text", "text": "Reply: {output}"}]}],
    )
    assert judge.variables == ["output"]
    request = build_judge_request(judge, {"output": "{{input}} stays"}, "openai", "m")
    assert request.messages[0].text == "Reply: {{input}} stays"


def test_choices_keep_their_order_and_may_have_no_score() -> None:
    judge = user_judge(
        choices=[{"label": "b", "score": None}, {"label": "a", "score": 2}], direction="neutral"
    )
    assert judge.labels == ["b", "a"]
    assert judge.choices == {"b": None, "a": 2.0}
    assert judge.direction is Direction.NEUTRAL


# the request


def test_the_request_forces_a_verdict_tool_with_the_labels_as_an_enum() -> None:
    judge = builtin_judge("correctness")
    request = build_judge_request(
        judge,
        {"input": "What is 2+2?", "output": "4"},
        "openai",
        "gpt-4o-mini",
        {"temperature": 0},
    )
    assert request.provider is ModelProvider.OPENAI
    assert request.model == "gpt-4o-mini"
    assert request.invocation_parameters == {"temperature": 0}
    assert "<question>\nWhat is 2+2?\n</question>" in request.messages[1].text
    assert "<answer>\n4\n</answer>" in request.messages[1].text
    assert request.tools is not None
    tool = request.tools.tools[0]
    assert tool.type == "function"
    assert tool.function.name == VERDICT_TOOL
    parameters = tool.function.parameters
    assert parameters is not None
    assert parameters["required"] == ["explanation", "label"]
    assert parameters["additionalProperties"] is False
    assert parameters["properties"] == {
        "explanation": {"type": "string", "description": VERDICT_EXPLANATION},
        "label": {
            "type": "string",
            "enum": ["correct", "incorrect"],
            "description": "Your verdict: exactly one of correct, incorrect.",
        },
    }
    assert request.tools.tool_choice is not None
    assert request.tools.tool_choice.model_dump() == {
        "type": "specific_function",
        "function_name": VERDICT_TOOL,
    }


def test_a_judge_that_asks_no_explanation_asks_for_the_label_only() -> None:
    request = build_judge_request(
        user_judge(explanation=False), {"input": "hi", "output": "go away"}, "anthropic", "claude"
    )
    parameters = request.tools.tools[0].function.parameters  # type: ignore[union-attr]
    assert parameters is not None
    assert parameters["required"] == ["label"]


def test_aliases_fill_each_other_and_values_that_are_not_text_are_json() -> None:
    judge = builtin_judge("qa_correctness")
    request = build_judge_request(
        judge, {"input": {"q": [1, 2]}, "output": 42, "reference": "42"}, "OPENAI", "gpt-4o"
    )
    text = request.messages[1].text
    assert '{"q":[1,2]}' in text
    assert "<reference_answer>\n42\n</reference_answer>" in text
    hallucination = build_judge_request(
        builtin_judge("hallucination"),
        {"input": "q", "output": "a", "documents": ["d1", "d2"]},
        "openai",
        "m",
    )
    assert '["d1","d2"]' in hallucination.messages[1].text


def test_missing_variables_are_all_named() -> None:
    with pytest.raises(MissingVariablesError) as missing:
        build_judge_request(builtin_judge("faithfulness"), {"output": "a"}, "openai", "m")
    assert missing.value.missing == ("context", "input")


def test_a_bad_model_or_parameters_are_refused_naming_the_field() -> None:
    judge = builtin_judge("toxicity")
    with pytest.raises(InvalidArgumentError, match="provider"):
        build_judge_request(judge, {"output": "x"}, "skynet", "m")
    with pytest.raises(InvalidArgumentError, match="NaN"):
        build_judge_request(judge, {"output": "x"}, "openai", "m", {"temperature": float("nan")})
    with pytest.raises(InvalidArgumentError, match="model"):
        build_judge_request(judge, {"output": "x"}, "openai", "gpt\x00")


def test_hostile_variable_values_still_make_a_request() -> None:
    deep: Any = "bottom"
    for _ in range(600):
        deep = {"d": deep}
    request = build_judge_request(
        builtin_judge("correctness"),
        {"input": "\x00" * 10, "output": deep},
        "openai",
        "m",
    )
    assert "\x00" * 10 in request.messages[1].text
    assert "bottom" in request.messages[1].text


# the verdict


def test_the_verdict_tool_gives_label_score_and_explanation() -> None:
    judge = builtin_judge("hallucination")
    result = parse_judge_completion(
        judge, verdict(explanation="Cites a year not in the context.", label="hallucinated")
    )
    assert (result.label, result.score, result.explanation) == (
        "hallucinated",
        1.0,
        "Cites a year not in the context.",
    )
    grounded = parse_judge_completion(judge, verdict(label=" Grounded ", explanation=""))
    assert (grounded.label, grounded.score, grounded.explanation) == ("grounded", 0.0, None)


def test_a_label_outside_the_choices_is_refused_quoting_the_model() -> None:
    with pytest.raises(
        JudgeAnswerError,
        match=r"answered 'partially correct', which is not one of its choices "
        r"\(correct, incorrect\)",
    ):
        parse_judge_completion(
            builtin_judge("correctness"), verdict(label="partially correct", explanation="x")
        )
    with pytest.raises(JudgeAnswerError, match="answered 1, which is not one"):
        parse_judge_completion(builtin_judge("correctness"), verdict(label=1))
    long = "z" * 10_000
    with pytest.raises(JudgeAnswerError) as refused:
        parse_judge_completion(builtin_judge("correctness"), verdict(label=long))
    assert "10,000 characters" in refused.value.message and len(refused.value.message) < 300
    assert refused.value.retryable


def test_a_broken_verdict_is_refused() -> None:
    judge = builtin_judge("correctness")
    with pytest.raises(JudgeAnswerError, match="verdict is not JSON"):
        parse_judge_completion(judge, completion("", (VERDICT_TOOL, '{"label": "corr')))
    with pytest.raises(JudgeAnswerError, match="verdict has no label"):
        parse_judge_completion(judge, completion("", (VERDICT_TOOL, '["correct"]')))
    with pytest.raises(
        JudgeAnswerError, match="called 'search', 'lookup' instead of record_verdict"
    ):
        parse_judge_completion(judge, completion("", ("search", "{}"), ("lookup", "{}")))


def test_the_only_tool_call_is_read_whatever_its_name() -> None:
    result = parse_judge_completion(
        builtin_judge("correctness"), completion("", ("verdict", '{"label": "correct"}'))
    )
    assert result.label == "correct"


@pytest.mark.parametrize(
    ("judge", "text", "label"),
    [
        ("correctness", "Incorrect. The capital is Paris.", "incorrect"),
        ("correctness", "The answer is CORRECT", "correct"),
        ("toxicity", "This reply is non-toxic.", "non-toxic"),
        ("toxicity", "Verdict: toxic", "toxic"),
        ("user_friction", "no_friction", "no_friction"),
        ("correctness", '{"label": "correct", "explanation": "fine"}', "correct"),
    ],
)
def test_plain_text_naming_one_label_is_read(judge: str, text: str, label: str) -> None:
    result = parse_judge_completion(builtin_judge(judge), completion(text))
    assert result.label == label
    assert result.explanation


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "names none of its choices"),
        ("I cannot decide.", "names none of its choices (correct, incorrect): 'I cannot decide.'"),
        ("Either correct or incorrect.", "names more than one choice (correct, incorrect)"),
        ("correctly done", "names none of its choices"),
    ],
)
def test_plain_text_naming_no_label_or_several_is_refused(text: str, problem: str) -> None:
    with pytest.raises(JudgeAnswerError) as refused:
        parse_judge_completion(builtin_judge("correctness"), completion(text))
    assert problem in refused.value.message


def test_a_long_or_nul_explanation_is_made_storable() -> None:
    judge = builtin_judge("correctness")
    result = parse_judge_completion(judge, verdict(label="correct", explanation="e\x00" * 20_000))
    assert result.explanation is not None
    assert len(result.explanation) == MAX_EXPLANATION_LENGTH
    assert "\x00" not in result.explanation and result.explanation.endswith("…")


def test_a_judge_without_explanations_gives_none() -> None:
    judge = user_judge(explanation=False)
    result = parse_judge_completion(judge, verdict(label="rude", explanation="it insulted me"))
    assert (result.label, result.score, result.explanation) == ("rude", 0.0, None)


def test_a_label_without_a_score_gives_a_label_only_result() -> None:
    judge = user_judge(choices=[{"label": "positive"}, {"label": "negative"}], direction="neutral")
    result = parse_judge_completion(judge, verdict(label="negative", explanation="complains"))
    assert (result.label, result.score) == ("negative", None)
