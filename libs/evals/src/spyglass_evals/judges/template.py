"""An LLM judge: chat messages with variables, and the labels it may answer with.

A :class:`JudgeTemplate` is a classification evaluator in Phoenix's sense
(``create_classifier``): the model reads the filled-in messages and picks one label of
``choices``; the label's score is the result's score. Built-in judges
(:mod:`spyglass_evals.judges.library`) and user-defined ones are the same thing.

A template may use only the variables of :data:`JUDGE_VARIABLES`, so that the worker knows
what to fill in from a span, a trace, a session or an experiment run, and a typo
(``{{ouput}}``) is refused when the judge is saved, not discovered at the first call.
:func:`validate_judge` lists every problem of a user's judge at once, for a form to show.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from numbers import Real
from types import MappingProxyType
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from spyglass_core.storable import NUL
from spyglass_evals.errors import shown, type_name
from spyglass_evals.results import MAX_LABEL_LENGTH, Direction
from spyglass_llm.chat import ChatMessage
from spyglass_llm.prompts import validation_message
from spyglass_llm.templates import TemplateError, TemplateFormat, template_variables

JUDGE_VARIABLES: Mapping[str, str] = MappingProxyType(
    {
        "input": "what the application was asked: a span's input, a run's example input, "
        "or a session's conversation",
        "output": "what the application answered: a span's output, a run's output",
        "expected": "the reference answer: a dataset example's expected output",
        "reference": "the same as expected",
        "context": "the retrieved documents or other grounding text, together",
        "documents": "the same as context",
        "document": "one retrieved document (judges that score each document)",
        "metadata": "the span's or the example's metadata",
        "tools": "the tools the application offered the model",
        "tool_calls": "the tool calls the model made, with their results when known",
    }
)
"""The variables a judge template may use, and what the worker fills each with."""

VARIABLE_ALIASES: Mapping[str, str] = MappingProxyType(
    {"reference": "expected", "documents": "context"}
)
"""Names that mean the same input: given one, the other is filled in too."""

MIN_CHOICES = 2
MAX_CHOICES = 50
MAX_TEMPLATE_CHARACTERS = 100_000
"""The most characters of all a template's messages together."""
MAX_NAME_LENGTH = 256
MAX_DESCRIPTION_LENGTH = 10_000


def validate_judge(
    messages: Sequence[ChatMessage | Mapping[str, Any]] | Any,
    template_format: TemplateFormat | str,
    choices: Mapping[str, Any] | Sequence[Any] | Any,
) -> list[str]:
    """Every problem of a judge's template and choices (empty: none).

    ``choices`` may be ``{label: score}``, a list of ``{"label", "score"}`` objects (an
    annotation config's ``values``) or of ``(label, score)`` pairs; a score may be None.
    """
    problems: list[str] = []
    parsed = _messages(messages, problems)
    known_format: TemplateFormat | None = None
    try:
        known_format = TemplateFormat(str(template_format).upper())
    except ValueError:
        problems.append(
            f"template_format must be MUSTACHE, F_STRING or NONE, not {shown(template_format)}"
        )
    if parsed and known_format is not None:
        problems.extend(_variable_problems(parsed, known_format))
    problems.extend(_choice_problems(choices))
    return problems


def _messages(
    messages: Sequence[ChatMessage | Mapping[str, Any]] | Any, problems: list[str]
) -> list[ChatMessage]:
    if not isinstance(messages, Sequence) or isinstance(messages, str) or not messages:
        problems.append("messages must be a non-empty list of chat messages")
        return []
    parsed: list[ChatMessage] = []
    for index, message in enumerate(messages):
        try:
            parsed.append(
                message if isinstance(message, ChatMessage) else ChatMessage.model_validate(message)
            )
        except ValidationError as error:
            problems.append(validation_message(f"messages[{index}]", error))
    return parsed


def _texts(messages: list[ChatMessage]) -> list[tuple[int, str]]:
    texts: list[tuple[int, str]] = []
    for index, message in enumerate(messages):
        if isinstance(message.content, str):
            texts.append((index, message.content))
        else:
            texts.extend((index, part.text) for part in message.content if part.type == "text")
    return texts


def _variable_problems(messages: list[ChatMessage], template_format: TemplateFormat) -> list[str]:
    problems: list[str] = []
    texts = _texts(messages)
    if sum(len(text) for _, text in texts) > MAX_TEMPLATE_CHARACTERS:
        problems.append(f"the messages have more than {MAX_TEMPLATE_CHARACTERS:,} characters")
    if any(NUL in text for _, text in texts):
        problems.append("the messages must not contain NUL characters")
    used: list[str] = []
    for index, text in texts:
        try:
            names = template_variables(text, template_format)
        except TemplateError as error:
            problems.append(f"messages[{index}]: {error.message}")
            continue
        for name in names:
            if name not in JUDGE_VARIABLES:
                allowed = ", ".join(JUDGE_VARIABLES)
                problems.append(
                    f"messages[{index}] uses the unknown variable {shown(name)}; a judge "
                    f"template may use {allowed}"
                )
        used.extend(names)
    if not used and template_format is not TemplateFormat.NONE:
        problems.append(
            "the messages use no variable: the judge would see nothing to judge (write "
            + ("{{output}}" if template_format is TemplateFormat.MUSTACHE else "{output}")
            + ", for example)"
        )
    return problems


def choice_pairs(choices: Any) -> list[tuple[Any, Any]]:
    """``choices`` in any accepted shape as (label, score) pairs, in order, duplicates kept.

    Raises:
        ValueError: not one of the accepted shapes.
    """
    if isinstance(choices, Mapping):
        return list(choices.items())
    if isinstance(choices, Sequence) and not isinstance(choices, str | bytes):
        pairs: list[tuple[Any, Any]] = []
        for item in choices:
            if isinstance(item, Mapping) and set(item) <= {"label", "score"} and "label" in item:
                pairs.append((item["label"], item.get("score")))
            elif isinstance(item, Sequence) and not isinstance(item, str) and len(item) == 2:
                pairs.append((item[0], item[1]))
            elif isinstance(item, str):
                pairs.append((item, None))
            else:
                raise ValueError(
                    "each choice is a label, a {label, score} object or a (label, score) pair"
                )
        return pairs
    raise ValueError(f"choices must map labels to scores, not be {type_name(choices)}")


def _choice_problems(choices: Any) -> list[str]:
    try:
        pairs = choice_pairs(choices)
    except ValueError as error:
        return [str(error)]
    problems: list[str] = []
    if len(pairs) < MIN_CHOICES:
        problems.append(f"choices must name at least {MIN_CHOICES} labels, not {len(pairs)}")
    if len(pairs) > MAX_CHOICES:
        problems.append(f"choices may name at most {MAX_CHOICES} labels, not {len(pairs)}")
    seen: dict[str, str] = {}
    for label, score in pairs[:MAX_CHOICES]:
        problem = _label_problem(label)
        if problem is not None:
            problems.append(problem)
            continue
        key = " ".join(label.split()).casefold()
        if key in seen and seen[key] == label:
            problems.append(f"the choice {shown(label)} is named twice")
        elif key in seen:
            problems.append(
                f"the choices {shown(seen[key])} and {shown(label)} differ only in case or "
                "spaces: the judge's answer could not tell them apart"
            )
        seen.setdefault(key, label)
        if score is not None and (
            isinstance(score, bool) or not isinstance(score, Real) or not math.isfinite(score)
        ):
            problems.append(f"the score of {shown(label)} must be a finite number or null")
    return problems


def _label_problem(label: Any) -> str | None:
    if not isinstance(label, str):
        return f"a choice's label must be text, not {type_name(label)} {shown(label)}"
    if not label.strip():
        return "a choice's label must not be blank"
    if len(label) > MAX_LABEL_LENGTH:
        return f"a choice's label has {len(label):,} characters; at most {MAX_LABEL_LENGTH}"
    if NUL in label:
        return "a choice's label must not contain NUL characters"
    return None


class JudgeTemplate(BaseModel):
    """A classification judge: messages with variables, labels with scores, a direction.

    Constructing one checks it with :func:`validate_judge`; a problem raises pydantic's
    ``ValidationError`` listing them all. ``choices`` keeps its order (the order labels are
    offered to the model).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=MAX_NAME_LENGTH)
    description: str = Field("", max_length=MAX_DESCRIPTION_LENGTH)
    messages: Annotated[list[ChatMessage], Field(min_length=1)]
    template_format: TemplateFormat = TemplateFormat.MUSTACHE
    choices: dict[str, float | None]
    """Label -> score (None: the label alone)."""
    direction: Direction = Direction.MAXIMIZE
    explanation: bool = True
    """Whether the judge is asked to explain its verdict (before giving it)."""

    @model_validator(mode="before")
    @classmethod
    def _checked(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        problems = validate_judge(
            data.get("messages") or [],
            data.get("template_format", TemplateFormat.MUSTACHE),
            data.get("choices", {}),
        )
        if problems:
            raise ValueError("; ".join(problems))
        template_format = str(data.get("template_format", TemplateFormat.MUSTACHE)).upper()
        return {
            **data,
            "template_format": template_format,
            "choices": dict(choice_pairs(data["choices"])),
        }

    @property
    def variables(self) -> list[str]:
        """The variables the messages use, in order of first use."""
        names: dict[str, None] = {}
        for _, text in _texts(self.messages):
            names.update(dict.fromkeys(template_variables(text, self.template_format)))
        return list(names)

    @property
    def labels(self) -> list[str]:
        """The labels, in order."""
        return list(self.choices)
