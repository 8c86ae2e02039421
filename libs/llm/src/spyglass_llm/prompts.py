"""From a stored prompt version to a chat request: its template filled in with variables.

A version's template is Phoenix's ``{"type": "chat", "messages": [...]}`` or
``{"type": "string", "template": "..."}`` (a string template is one user message). The
experiment runner and LLM evaluators call :func:`request_from_prompt_version` per example.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from spyglass_core.errors import InvalidArgumentError
from spyglass_llm.chat import ChatMessage, ChatRequest
from spyglass_llm.templates import TemplateFormat, render_messages


def validation_message(where: str, error: ValidationError) -> str:
    """The first problem of ``error`` as ``where.field: message``, for a 4xx naming the field."""
    problem = error.errors()[0]
    location = ".".join(str(part) for part in problem["loc"])
    return f"{where}{'.' + location if location else ''}: {problem['msg']}"


def prompt_messages(template: Mapping[str, Any]) -> list[ChatMessage]:
    """The messages of a stored template (chat, or string as one user message).

    Raises:
        InvalidArgumentError: the template is neither shape; names the field.
    """
    kind = template.get("type")
    if kind == "string":
        text = template.get("template")
        if not isinstance(text, str):
            raise InvalidArgumentError("template.template must be a string")
        return [ChatMessage(role="user", content=text)]
    if kind == "chat":
        messages = template.get("messages")
        if not isinstance(messages, list) or not messages:
            raise InvalidArgumentError("template.messages must be a non-empty list")
        try:
            return [ChatMessage.model_validate(message) for message in messages]
        except ValidationError as error:
            raise InvalidArgumentError(validation_message("template.messages", error)) from None
    raise InvalidArgumentError("template.type must be 'chat' or 'string'")


def request_from_prompt_version(
    *,
    model_provider: str,
    model_name: str,
    template: Mapping[str, Any],
    template_format: TemplateFormat | str,
    variables: Mapping[str, Any],
    invocation_parameters: Mapping[str, Any] | None = None,
    tools: Mapping[str, Any] | None = None,
    response_format: Mapping[str, Any] | None = None,
) -> ChatRequest:
    """The chat request a prompt version makes for ``variables`` (the columns of
    ``spyglass_db.models.prompts.PromptVersion``, passed by name).

    Raises:
        MissingVariablesError: ``variables`` lacks some the template uses (callers: 422).
        TemplateError: the template can't be filled in.
        InvalidArgumentError: a field is malformed (an unknown provider too); names it.
    """
    messages = render_messages(prompt_messages(template), template_format, variables)
    try:
        return ChatRequest(
            provider=model_provider,
            model=model_name,
            messages=messages,
            invocation_parameters=dict(invocation_parameters or {}),
            tools=tools,
            response_format=response_format,
        )
    except ValidationError as error:
        raise InvalidArgumentError(validation_message("prompt version", error)) from None
