"""Asking a model for a judge's verdict, and reading the verdict from its answer.

The request forces one function tool, :data:`VERDICT_TOOL`, whose arguments are
``{"explanation": text, "label": one of the choices}`` (the label an ``enum``; explanation first,
so the model reasons before it decides; no explanation when the judge asks for none). Every
provider behind ``spyglass_llm`` supports a forced function call, so the answer is structured
whatever the model.

Reading the answer (:func:`parse_judge_completion`), most reliable first:

1. the verdict tool's call (or the only tool call there is): its ``label``;
2. text that is a JSON object with a ``label`` (a model that answered in text anyway);
3. plain text naming exactly one of the labels as a word of its own (case-insensitive;
   ``non-toxic`` does not count as ``toxic``); the text is then the explanation.

A label matches a choice exactly, or else ignoring case and surrounding spaces. An answer
that names no choice, or several, is a :class:`~spyglass_evals.errors.JudgeAnswerError`
that quotes what the model said. An explanation longer than
:data:`~spyglass_evals.results.MAX_EXPLANATION_LENGTH` is cut (a chatty model should not
cost the verdict).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import orjson
from pydantic import ValidationError

from spyglass_core.errors import InvalidArgumentError
from spyglass_core.storable import NUL, REPLACEMENT_CHARACTER
from spyglass_evals.errors import JudgeAnswerError, shown
from spyglass_evals.judges.template import VARIABLE_ALIASES, JudgeTemplate
from spyglass_evals.results import MAX_EXPLANATION_LENGTH, EvaluationResult
from spyglass_llm.chat import ChatRequest, Completion
from spyglass_llm.prompts import validation_message
from spyglass_llm.providers import ModelProvider
from spyglass_llm.templates import render_messages

VERDICT_TOOL = "record_verdict"
"""The function the judge must call with its verdict."""


def verdict_parameters(judge: JudgeTemplate) -> dict[str, Any]:
    """The JSON Schema of the verdict tool's arguments for ``judge``."""
    properties: dict[str, Any] = {}
    if judge.explanation:
        properties["explanation"] = {
            "type": "string",
            "description": "A short explanation of your verdict, written before you decide.",
        }
    properties["label"] = {
        "type": "string",
        "enum": judge.labels,
        "description": "Your verdict: exactly one of " + ", ".join(judge.labels) + ".",
    }
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def judge_variables(variables: Mapping[str, Any]) -> dict[str, Any]:
    """``variables`` with each alias filled from its twin (``reference`` from ``expected``,
    ``documents`` from ``context``, and back)."""
    filled = dict(variables)
    for alias, name in VARIABLE_ALIASES.items():
        if alias in filled and name not in filled:
            filled[name] = filled[alias]
        elif name in filled and alias not in filled:
            filled[alias] = filled[name]
    return filled


def build_judge_request(
    judge: JudgeTemplate,
    variables: Mapping[str, Any],
    provider: ModelProvider | str,
    model: str,
    invocation_parameters: Mapping[str, Any] | None = None,
) -> ChatRequest:
    """The call that asks ``model`` for ``judge``'s verdict on ``variables``.

    Values that are not text are written into the messages as JSON. ``invocation_parameters``
    are the provider's (``temperature``...), or Phoenix's wrapped ``{"type": ..., ...}``.

    Raises:
        MissingVariablesError: ``variables`` lacks some the judge uses (all named).
        InvalidArgumentError: the provider, model or parameters are refused (names the field).
    """
    messages = render_messages(judge.messages, judge.template_format, judge_variables(variables))
    try:
        return ChatRequest.model_validate(
            {
                "provider": provider,
                "model": model,
                "messages": messages,
                "invocation_parameters": dict(invocation_parameters or {}),
                "tools": {
                    "type": "tools",
                    "tools": [
                        {
                            "type": "function",
                            "function": {
                                "name": VERDICT_TOOL,
                                "description": f"Record your verdict as the {judge.name} judge.",
                                "parameters": verdict_parameters(judge),
                            },
                        }
                    ],
                    "tool_choice": {"type": "specific_function", "function_name": VERDICT_TOOL},
                },
            }
        )
    except ValidationError as error:
        raise InvalidArgumentError(validation_message("judge request", error)) from None


def parse_judge_completion(judge: JudgeTemplate, completion: Completion) -> EvaluationResult:
    """The verdict in ``completion`` as a result: the label, its score, the explanation.

    Raises:
        JudgeAnswerError: the answer names no choice, several, or one outside the choices
            (the message quotes the model).
    """
    calls = completion.tool_calls
    verdicts = [call for call in calls if call.name == VERDICT_TOOL]
    if verdicts or len(calls) == 1:
        return _from_arguments(judge, (verdicts or calls)[0].arguments)
    if calls:
        names = ", ".join(shown(call.name) for call in calls[:5])
        raise JudgeAnswerError(f"the judge called {names} instead of {VERDICT_TOOL}")
    text = completion.text.strip()
    if text.startswith("{"):
        try:
            document = orjson.loads(text)
        except orjson.JSONDecodeError:
            document = None
        if isinstance(document, dict) and "label" in document:
            return _from_arguments(judge, text)
    return _from_text(judge, text)


def _from_arguments(judge: JudgeTemplate, arguments: str) -> EvaluationResult:
    try:
        verdict = orjson.loads(arguments or "{}")
    except orjson.JSONDecodeError:
        raise JudgeAnswerError(f"the judge's verdict is not JSON: {shown(arguments)}") from None
    if not isinstance(verdict, dict) or "label" not in verdict:
        raise JudgeAnswerError(f"the judge's verdict has no label: {shown(arguments)}")
    label = _choice(judge, verdict["label"])
    explanation = verdict.get("explanation")
    return _result(judge, label, explanation if isinstance(explanation, str) else None)


def _choice(judge: JudgeTemplate, said: Any) -> str:
    if isinstance(said, str):
        if said in judge.choices:
            return said
        folded = " ".join(said.split()).casefold()
        for label in judge.choices:
            if " ".join(label.split()).casefold() == folded:
                return label
    raise JudgeAnswerError(
        f"the judge answered {shown(said)}, which is not one of its choices "
        f"({', '.join(judge.labels)})"
    )


def _label_pattern(judge: JudgeTemplate) -> re.Pattern[str]:
    # Longest first, so that "not relevant" is found whole before "relevant"; a label is a
    # word of its own: no letter, digit, "_" or "-" just before or after it.
    labels = sorted(judge.labels, key=len, reverse=True)
    alternatives = "|".join(re.escape(" ".join(label.split())) for label in labels)
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])", re.IGNORECASE)


def _from_text(judge: JudgeTemplate, text: str) -> EvaluationResult:
    found = {_choice(judge, match) for match in _label_pattern(judge).findall(text)}
    if len(found) == 1:
        return _result(judge, found.pop(), text or None)
    choices = ", ".join(judge.labels)
    if not found:
        raise JudgeAnswerError(
            f"the judge's answer names none of its choices ({choices}): {shown(text)}"
        )
    named = ", ".join(sorted(found))
    raise JudgeAnswerError(
        f"the judge's answer names more than one choice ({named}), so no verdict: {shown(text)}"
    )


def _result(judge: JudgeTemplate, label: str, explanation: str | None) -> EvaluationResult:
    if not judge.explanation:
        explanation = None
    if explanation is not None:
        explanation = explanation.strip().replace(NUL, REPLACEMENT_CHARACTER) or None
    if explanation is not None and len(explanation) > MAX_EXPLANATION_LENGTH:
        explanation = explanation[: MAX_EXPLANATION_LENGTH - 1] + "…"
    return EvaluationResult(score=judge.choices[label], label=label, explanation=explanation)
