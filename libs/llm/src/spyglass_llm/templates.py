"""Filling a prompt version's template with variables: MUSTACHE, F_STRING or NONE.

* ``MUSTACHE``: ``{{ name }}`` (spaces optional, ``name`` a word of letters, digits and ``_``)
  is replaced by the variable, as Phoenix and its client do. There are no sections, partials or
  escaping of HTML: ``{{#list}}`` and ``{{{ raw }}}`` are left as written, and ``\\{{ name }}``
  stays literal text.
* ``F_STRING``: Python format fields ``{name}``, ``{name!r}``, ``{name:>10}``; ``{{`` and ``}}``
  are literal braces. Only plain names: attribute and index access (``{x.__class__}``,
  ``{x[0]}``) and positional fields (``{}``, ``{0}``) are refused, so a template can never reach
  into a value's internals.
* ``NONE``: the template is the text.

Every variable is substituted in one pass, so a value that itself contains ``{{ other }}`` is
left as it is. A string value is used as it is; any other value is written as JSON (so a dict
input reads as JSON, not as a Python repr).

A template that uses a variable the inputs lack raises :class:`MissingVariablesError`
naming every missing one; callers answer 422.
"""

from __future__ import annotations

import enum
import re
import string
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from spyglass_core.errors import InvalidArgumentError
from spyglass_llm.chat import ChatMessage, TextPart

MUSTACHE_VARIABLE = re.compile(r"(?<!\\){{\s*(\w+)\s*}}")
"""A mustache variable, as Phoenix's formatter matches it."""

MAX_FORMAT_WIDTH = 10_000
"""The widest an F_STRING field's format spec may pad to (``{x:>99999999}`` would fill memory)."""


class TemplateFormat(enum.StrEnum):
    """How a template names its variables (Phoenix's ``PromptTemplateFormat``)."""

    MUSTACHE = "MUSTACHE"
    F_STRING = "F_STRING"
    NONE = "NONE"


class TemplateError(InvalidArgumentError):
    """The template cannot be filled in: bad F_STRING syntax or a field it may not use."""


class MissingVariablesError(TemplateError):
    """The template uses variables the inputs lack; ``missing`` names them, sorted."""

    def __init__(self, missing: Iterable[str]) -> None:
        self.missing = tuple(sorted(set(missing)))
        names = ", ".join(self.missing)
        super().__init__(f"missing template variable(s): {names}")


def _format_of(template_format: TemplateFormat | str) -> TemplateFormat:
    try:
        return TemplateFormat(str(template_format).upper())
    except ValueError:
        raise TemplateError(
            f"template_format must be MUSTACHE, F_STRING or NONE, not {str(template_format)[:40]!r}"
        ) from None


def _fields(template: str) -> list[tuple[str, str | None, str | None, str | None]]:
    try:
        return list(string.Formatter().parse(template))
    except ValueError as error:
        raise TemplateError(f"invalid F_STRING template: {error}") from None


def _checked_field(name: str) -> str:
    if name == "" or name.isdigit():
        raise TemplateError(
            "F_STRING templates take named fields only ({name}), not positional ones ({} or {0})"
        )
    if not name.isidentifier():
        shown = name[:60]
        raise TemplateError(
            f"F_STRING field {{{shown}}} is not a plain variable name; attribute and index "
            "access are not allowed (write {{ and }} for literal braces)"
        )
    return name


def template_variables(template: str, template_format: TemplateFormat | str) -> list[str]:
    """The variables ``template`` uses, in order of first use, each once.

    Raises:
        TemplateError: an F_STRING template with bad syntax or a field that is not a plain name.
    """
    match _format_of(template_format):
        case TemplateFormat.MUSTACHE:
            return list(dict.fromkeys(MUSTACHE_VARIABLE.findall(template)))
        case TemplateFormat.F_STRING:
            names = [
                _checked_field(name) for _, name, _, _ in _fields(template) if name is not None
            ]
            return list(dict.fromkeys(names))
        case TemplateFormat.NONE:
            return []


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return str(value)


def _checked_spec(name: str, spec: str) -> str:
    for width in re.findall(r"\d+", spec):
        if len(width) > 6 or int(width) > MAX_FORMAT_WIDTH:
            raise TemplateError(
                f"F_STRING field {{{name}}}: a format width or precision over "
                f"{MAX_FORMAT_WIDTH} is not allowed"
            )
    return spec


def _f_string(template: str, variables: Mapping[str, Any]) -> str:
    pieces: list[str] = []
    for literal, name, spec, conversion in _fields(template):
        pieces.append(literal)
        if name is None:
            continue
        value: Any = _as_text(variables[_checked_field(name)])
        if conversion == "r":
            value = repr(value)
        elif conversion == "a":
            value = ascii(value)
        elif conversion not in (None, "s"):
            raise TemplateError(f"F_STRING field {{{name}}}: unknown conversion !{conversion}")
        if spec:
            if "{" in spec:
                raise TemplateError(f"F_STRING field {{{name}}}: nested fields are not allowed")
            try:
                value = format(value, _checked_spec(name, spec))
            except ValueError as error:
                raise TemplateError(f"F_STRING field {{{name}}}: {error}") from None
        pieces.append(value)
    return "".join(pieces)


def render_template(
    template: str, template_format: TemplateFormat | str, variables: Mapping[str, Any]
) -> str:
    """``template`` with its variables filled in from ``variables``.

    Raises:
        MissingVariablesError: ``variables`` lacks some the template uses (all are named).
        TemplateError: an F_STRING template with bad syntax or a field it may not use.
    """
    template_format = _format_of(template_format)
    names = template_variables(template, template_format)
    missing = [name for name in names if name not in variables]
    if missing:
        raise MissingVariablesError(missing)
    match template_format:
        case TemplateFormat.MUSTACHE:
            return MUSTACHE_VARIABLE.sub(lambda match: _as_text(variables[match[1]]), template)
        case TemplateFormat.F_STRING:
            return _f_string(template, variables)
        case TemplateFormat.NONE:
            return template


def _message_texts(message: ChatMessage) -> list[str]:
    if isinstance(message.content, str):
        return [message.content]
    return [part.text for part in message.content if isinstance(part, TextPart)]


def messages_variables(
    messages: Iterable[ChatMessage], template_format: TemplateFormat | str
) -> list[str]:
    """The variables a chat template's messages use, in order of first use."""
    names: dict[str, None] = {}
    for message in messages:
        for text in _message_texts(message):
            names.update(dict.fromkeys(template_variables(text, template_format)))
    return list(names)


def render_messages(
    messages: Iterable[ChatMessage],
    template_format: TemplateFormat | str,
    variables: Mapping[str, Any],
) -> list[ChatMessage]:
    """A chat template's messages with the variables of their text filled in.

    Tool calls and tool results are left as they are, as Phoenix does.

    Raises:
        MissingVariablesError: every variable missing from any message, named at once.
        TemplateError: an F_STRING template with bad syntax or a field it may not use.
    """
    messages = list(messages)
    missing = [
        name for name in messages_variables(messages, template_format) if name not in variables
    ]
    if missing:
        raise MissingVariablesError(missing)
    rendered: list[ChatMessage] = []
    for message in messages:
        if isinstance(message.content, str):
            content: Any = render_template(message.content, template_format, variables)
        else:
            content = [
                TextPart(text=render_template(part.text, template_format, variables))
                if isinstance(part, TextPart)
                else part
                for part in message.content
            ]
        rendered.append(ChatMessage(role=message.role, content=content))
    return rendered
