"""A chat request in Phoenix's prompt shape, and what a provider answers.

Requests are pydantic models shaped as Phoenix stores a prompt version (``PromptMessage``,
``PromptTools``, ``PromptResponseFormatJSONSchema``), so a stored version or a REST body
validates straight into them and a bad value is refused naming its field. Answers are frozen
dataclasses: a :class:`Completion`, or a stream of :data:`ChatChunk` that ends with exactly one
:class:`StreamEnd` (finish reason, usage, cost).

Finish reasons are OpenAI's words whatever the provider: ``stop``, ``length``, ``tool_calls``,
``content_filter``; another provider's reason that maps to none of them is passed on as it came,
in lower case.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, field_validator, model_validator

from spyglass_core.storable import MAX_JSON_DEPTH, json_depth_exceeds
from spyglass_llm.errors import UnsupportedProviderError
from spyglass_llm.providers import ModelProvider
from spyglass_spans.prices import Cost

Role = Literal["user", "assistant", "model", "ai", "tool", "system", "developer"]
"""Phoenix's message roles; ``model`` and ``ai`` mean ``assistant``."""

MAX_MODEL_NAME_LENGTH = 256


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TextPart(_Part):
    """Text in a message."""

    type: Literal["text"] = "text"
    text: str


class ToolCallFunction(_Part):
    """The function a tool call names and its arguments (a JSON text, as the model wrote it)."""

    type: Literal["function"] = "function"
    name: str
    arguments: str


class ToolCallPart(_Part):
    """A tool call the assistant made, in an assistant message."""

    type: Literal["tool_call"] = "tool_call"
    tool_call_id: str
    tool_call: ToolCallFunction


class ToolResultPart(_Part):
    """The result of a tool call, in a tool message."""

    type: Literal["tool_result"] = "tool_result"
    tool_call_id: str
    tool_result: JsonValue


ContentPart = Annotated[TextPart | ToolCallPart | ToolResultPart, Field(discriminator="type")]


class ChatMessage(BaseModel):
    """One message: a role and text, or a list of parts (Phoenix's ``PromptMessage``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: Role
    content: str | Annotated[list[ContentPart], Field(min_length=1)]

    @property
    def normalized_role(self) -> Literal["user", "assistant", "tool", "system", "developer"]:
        """The role with ``model`` and ``ai`` read as ``assistant``."""
        if self.role in ("model", "ai"):
            return "assistant"
        return self.role  # type: ignore[return-value]

    @property
    def text(self) -> str:
        """The message's text parts joined (tool calls and results left out)."""
        if isinstance(self.content, str):
            return self.content
        return "".join(part.text for part in self.content if isinstance(part, TextPart))

    @property
    def tool_calls(self) -> list[ToolCallPart]:
        """The tool calls the message holds."""
        if isinstance(self.content, str):
            return []
        return [part for part in self.content if isinstance(part, ToolCallPart)]

    @property
    def tool_results(self) -> list[ToolResultPart]:
        """The tool results the message holds."""
        if isinstance(self.content, str):
            return []
        return [part for part in self.content if isinstance(part, ToolResultPart)]


class FunctionDefinition(_Part):
    """A function the model may call (Phoenix's ``PromptToolFunctionDefinition``)."""

    name: str = Field(min_length=1, max_length=256)
    description: str | None = None
    parameters: dict[str, JsonValue] | None = None
    strict: bool | None = None


class FunctionTool(_Part):
    """A function tool."""

    type: Literal["function"] = "function"
    function: FunctionDefinition


class RawTool(_Part):
    """A provider-specific tool definition, passed to the provider as it is."""

    type: Literal["raw"] = "raw"
    raw: dict[str, JsonValue]


class ToolChoiceNone(_Part):
    """The model must not call a tool."""

    type: Literal["none"] = "none"


class ToolChoiceZeroOrMore(_Part):
    """The model decides (``auto``)."""

    type: Literal["zero_or_more"] = "zero_or_more"


class ToolChoiceOneOrMore(_Part):
    """The model must call at least one tool (``required`` / ``any``)."""

    type: Literal["one_or_more"] = "one_or_more"


class ToolChoiceFunction(_Part):
    """The model must call this function."""

    type: Literal["specific_function"] = "specific_function"
    function_name: str


ToolChoice = Annotated[
    ToolChoiceNone | ToolChoiceZeroOrMore | ToolChoiceOneOrMore | ToolChoiceFunction,
    Field(discriminator="type"),
]


class Tools(_Part):
    """The tools of a request (Phoenix's ``PromptTools``)."""

    type: Literal["tools"] = "tools"
    tools: Annotated[
        list[Annotated[FunctionTool | RawTool, Field(discriminator="type")]], Field(min_length=1)
    ]
    tool_choice: ToolChoice | None = None
    disable_parallel_tool_calls: bool | None = None


class JsonSchemaDefinition(BaseModel):
    """A structured-output schema (Phoenix's ``PromptResponseFormatJSONSchemaDefinition``)."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    name: str = Field(min_length=1, max_length=256)
    description: str | None = None
    schema_: dict[str, JsonValue] | None = Field(default=None, alias="schema")
    strict: bool | None = None


class ResponseFormat(_Part):
    """Ask for JSON that follows a schema (Phoenix's ``PromptResponseFormatJSONSchema``)."""

    type: Literal["json_schema"] = "json_schema"
    json_schema: JsonSchemaDefinition


class ChatRequest(BaseModel):
    """A chat call: provider, model, messages and how to call.

    ``invocation_parameters`` are the provider's, as Phoenix stores them per provider
    (``{"temperature": 0.2, "max_tokens": 100}`` for OpenAI, ``max_tokens`` / ``stop_sequences``
    for Anthropic, ``max_output_tokens`` for Google); Phoenix's wrapped form
    ``{"type": "openai", "openai": {...}}`` is accepted and unwrapped. They go to the provider as
    given, so a provider's newer parameters work without a change here. ``base_url`` overrides
    the credential's (for :attr:`ModelProvider.CUSTOM`, a vLLM or LiteLLM server).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    provider: ModelProvider
    model: str = Field(min_length=1, max_length=MAX_MODEL_NAME_LENGTH)
    messages: Annotated[list[ChatMessage], Field(min_length=1)]
    invocation_parameters: dict[str, JsonValue] = Field(default_factory=dict)
    tools: Tools | None = None
    response_format: ResponseFormat | None = None

    @field_validator("provider", mode="before")
    @classmethod
    def _provider_in_any_case(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return ModelProvider.parse(value)
        except UnsupportedProviderError as error:
            raise ValueError(error.message) from None

    @field_validator("model")
    @classmethod
    def _model_name(cls, value: str) -> str:
        value = value.strip()
        if not value or "\x00" in value:
            raise ValueError("model name must be non-blank text without NUL")
        return value

    @model_validator(mode="before")
    @classmethod
    def _json_a_provider_can_read(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        for name in ("invocation_parameters", "tools", "response_format", "messages"):
            value = data.get(name)
            if value is None or isinstance(value, BaseModel):
                continue
            if json_depth_exceeds(value):
                raise ValueError(f"{name} nests deeper than {MAX_JSON_DEPTH} levels")
            if not _finite(value):
                raise ValueError(f"{name} holds NaN or an infinite number, which JSON can't carry")
        return data

    @model_validator(mode="before")
    @classmethod
    def _unwrap_invocation_parameters(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        parameters = data.get("invocation_parameters")
        if isinstance(parameters, Mapping) and isinstance(parameters.get("type"), str):
            inner = parameters.get(parameters["type"])
            if isinstance(inner, Mapping) and set(parameters) == {"type", parameters["type"]}:
                return {**data, "invocation_parameters": dict(inner)}
        return data


def _finite(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return False
        if isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return True


@dataclass(frozen=True)
class ToolCall:
    """A tool call in a completion; ``arguments`` is JSON text."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class Usage:
    """Token counts of one call. ``prompt_tokens`` includes cached ones, as OpenInference counts.

    ``cached_tokens`` were read from the provider's prompt cache; ``cache_write_tokens`` were
    written to it (Anthropic).
    """

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    cache_write_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        """Prompt and completion tokens together."""
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class Completion:
    """A provider's whole answer."""

    provider: ModelProvider
    model: str
    """The model as the provider named it in its answer (may carry a version suffix)."""
    text: str
    tool_calls: tuple[ToolCall, ...] = ()
    finish_reason: str | None = None
    usage: Usage | None = None
    cost: Cost | None = None
    """USD, from the price table, when it knows the model and usage was reported."""


@dataclass(frozen=True)
class TextDelta:
    """More text of the answer."""

    text: str


@dataclass(frozen=True)
class ToolCallDelta:
    """Part of a tool call: ``index`` says which; ``id`` and ``name`` come with its first part."""

    index: int
    id: str | None = None
    name: str | None = None
    arguments: str = ""


@dataclass(frozen=True)
class StreamEnd:
    """The last chunk of every stream."""

    finish_reason: str | None = None
    usage: Usage | None = None
    cost: Cost | None = None
    model: str | None = None


ChatChunk = TextDelta | ToolCallDelta | StreamEnd
"""What :meth:`spyglass_llm.LLMClient.stream` yields."""


@dataclass
class StreamedToolCall:
    """A tool call assembled from its deltas (see :func:`collect_tool_calls`)."""

    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


def collect_tool_calls(deltas: list[ToolCallDelta]) -> tuple[ToolCall, ...]:
    """The whole tool calls that ``deltas`` make up, by index order."""
    calls: dict[int, StreamedToolCall] = {}
    for delta in deltas:
        call = calls.setdefault(delta.index, StreamedToolCall())
        call.id = delta.id or call.id
        call.name = delta.name or call.name
        call.arguments.append(delta.arguments)
    return tuple(
        ToolCall(call.id, call.name, "".join(call.arguments)) for _, call in sorted(calls.items())
    )


FINISH_REASONS = {
    # Anthropic
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
    "pause_turn": "stop",
    # Google
    "finish_reason_unspecified": "stop",
    "safety": "content_filter",
    "recitation": "content_filter",
    "blocklist": "content_filter",
    "prohibited_content": "content_filter",
    "spii": "content_filter",
    "malformed_function_call": "tool_calls",
    # OpenAI's legacy word
    "function_call": "tool_calls",
}


def finish_reason(raw: str | None) -> str | None:
    """A provider's finish reason in OpenAI's words (see the module docstring)."""
    if raw is None:
        return None
    lowered = str(raw).lower()
    return FINISH_REASONS.get(lowered, lowered)
