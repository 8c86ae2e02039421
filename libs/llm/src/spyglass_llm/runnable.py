"""A prompt ready to run over many inputs: what a server-side experiment calls for each example.

A prompt version (or a playground variant) becomes a :class:`RunnablePrompt` once: a string
template is one user message; the template's variables are known up front, so a job can refuse
a dataset whose examples lack one before any call is made. :meth:`RunnablePrompt.request`
fills the variables in for one example and gives the :class:`~spyglass_llm.chat.ChatRequest`.
Stored as JSON (``experiment_jobs.task``) with :meth:`RunnablePrompt.model_dump` and read back
with ``RunnablePrompt.model_validate``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError

from spyglass_core.errors import InvalidArgumentError
from spyglass_llm.chat import ChatMessage, ChatRequest, ResponseFormat, Tools
from spyglass_llm.prompts import prompt_messages, validation_message
from spyglass_llm.providers import ModelProvider
from spyglass_llm.templates import TemplateFormat, messages_variables, render_messages


class RunnablePrompt(BaseModel):
    """Messages with variables, the model to send them to and how."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    provider: ModelProvider
    model: str = Field(min_length=1, max_length=256)
    template_format: TemplateFormat = TemplateFormat.MUSTACHE
    messages: Annotated[list[ChatMessage], Field(min_length=1)]
    invocation_parameters: dict[str, JsonValue] = Field(default_factory=dict)
    tools: Tools | None = None
    response_format: ResponseFormat | None = None

    @classmethod
    def from_template(
        cls,
        *,
        provider: ModelProvider | str,
        model: str,
        template: Mapping[str, Any],
        template_format: TemplateFormat | str,
        invocation_parameters: Mapping[str, Any] | None = None,
        tools: Mapping[str, Any] | None = None,
        response_format: Mapping[str, Any] | None = None,
    ) -> RunnablePrompt:
        """From a prompt version's parts as Phoenix stores them (``template`` is
        ``{"type": "chat", "messages": [...]}`` or ``{"type": "string", "template": "..."}``).

        Raises:
            InvalidArgumentError: a part is not what it should be; names the field.
            UnsupportedProviderError: no such provider (named).
        """
        if isinstance(provider, str):
            provider = ModelProvider.parse(provider)
        messages = prompt_messages(template)
        try:
            return cls.model_validate(
                {
                    "provider": provider,
                    "model": model,
                    "template_format": str(template_format).upper(),
                    "messages": messages,
                    "invocation_parameters": _unwrapped(invocation_parameters or {}),
                    "tools": tools,
                    "response_format": response_format,
                }
            )
        except ValidationError as error:
            raise InvalidArgumentError(validation_message("prompt", error)) from None

    def variables(self) -> list[str]:
        """The variables the messages use, in order of first use."""
        return messages_variables(self.messages, self.template_format)

    def request(self, variables: Mapping[str, Any]) -> ChatRequest:
        """The call for one input.

        Raises:
            MissingVariablesError: ``variables`` lacks some (all are named).
        """
        return ChatRequest(
            provider=self.provider,
            model=self.model,
            messages=render_messages(self.messages, self.template_format, variables),
            invocation_parameters=self.invocation_parameters,
            tools=self.tools,
            response_format=self.response_format,
        )


def _unwrapped(parameters: Mapping[str, Any]) -> dict[str, Any]:
    """Phoenix's ``{"type": "openai", "openai": {...}}`` as its inner parameters."""
    kind = parameters.get("type")
    if isinstance(kind, str) and set(parameters) == {"type", kind}:
        inner = parameters[kind]
        if isinstance(inner, Mapping):
            return dict(inner)
    return dict(parameters)
