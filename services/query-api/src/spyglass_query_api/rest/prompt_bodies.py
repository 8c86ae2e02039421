"""What a prompt version may hold, as Phoenix's schemas say: templates, invocation parameters
per provider, tools and response format; and the names of prompts and tags.

The models are strict (a number is a JSON number, ``null`` is not a value of an optional field)
and nested objects take no unknown keys, so what is stored is what the schema describes and
reads back unchanged: a version is stored as :func:`stored` dumps it, with the fields that were
given and no others (an OpenAI SDK called with ``temperature=None`` would refuse it).

A version's invocation parameters must be those of its ``model_provider`` (``anthropic`` for
ANTHROPIC, ...). An OpenAI-compatible provider also takes ``openai`` parameters, which is how
Phoenix writes them for every provider of that family.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, TypeAlias

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    model_validator,
)

from spyglass_core.storable import MAX_NAME_LENGTH
from spyglass_db.models.prompts import IDENTIFIER_PATTERN

_IDENTIFIER = re.compile(IDENTIFIER_PATTERN)

_UNSET: Any = None
"""The default of an optional field whose type has no ``null``: omitted is fine, ``null`` is
refused (pydantic never validates a default), and :func:`stored` leaves it out."""


def identifier_error(field: str, value: str) -> str | None:
    """Why ``value`` can't be a prompt or tag name (None if it can): Phoenix's ``Identifier``."""
    if len(value) > MAX_NAME_LENGTH:
        return f"`{field}` must be at most {MAX_NAME_LENGTH} characters, got {len(value)}"
    if _IDENTIFIER.fullmatch(value) is None:
        return (
            f"`{field}` must be lower-case letters, digits, '_' and '-', starting and ending "
            f"with a letter or digit ({IDENTIFIER_PATTERN}), got {value[:80]!r}"
        )
    return None


def _identifier(value: str, info: ValidationInfo) -> str:
    error = identifier_error(info.field_name or "name", value)
    if error is not None:
        raise ValueError(error)
    return value


Identifier = Annotated[
    str,
    AfterValidator(_identifier),
    # documented as Phoenix documents it; checked by ``_identifier``, whose messages name the field
    Field(json_schema_extra={"pattern": IDENTIFIER_PATTERN, "maxLength": MAX_NAME_LENGTH}),
]
"""A prompt or tag name: lower case, digits, ``_`` and ``-``, at most ``MAX_NAME_LENGTH``."""


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "null" if value is None else type(value).__name__


def _exactly(name: str, *accepted: str) -> BeforeValidator:
    """A check that the JSON value is of one of the ``accepted`` types, before pydantic would
    coerce it (litestar validates bodies with ``strict=False``, whatever the model says)."""

    def check(value: Any, info: ValidationInfo) -> Any:
        if _json_type(value) not in accepted:
            field = info.field_name or "value"
            raise ValueError(f"`{field}` must be {name}, got {_json_type(value)}")
        return value

    return BeforeValidator(check)


Number = Annotated[float, _exactly("a number", "integer", "number")]
Integer = Annotated[int, _exactly("an integer", "integer")]
Boolean = Annotated[bool, _exactly("true or false", "boolean")]


class _Strict(BaseModel):
    """A nested object of the schema: exact types, no unknown keys, finite numbers."""

    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False)


class _Body(BaseModel):
    """A request body's top level: exact types; unknown keys are ignored, as Phoenix does."""

    model_config = ConfigDict(strict=True, allow_inf_nan=False)


# Templates --------------------------------------------------------------------------------------


class TextContentPart(_Strict):
    type: Literal["text"]
    text: str


class ToolCallFunction(_Strict):
    type: Literal["function"]
    name: str
    arguments: str


class ToolCallContentPart(_Strict):
    type: Literal["tool_call"]
    tool_call_id: str
    tool_call: ToolCallFunction


class ToolResultContentPart(_Strict):
    type: Literal["tool_result"]
    tool_call_id: str
    tool_result: Any


ContentPart: TypeAlias = Annotated[
    TextContentPart | ToolCallContentPart | ToolResultContentPart, Field(discriminator="type")
]


class PromptMessage(_Strict):
    role: Literal["user", "assistant", "model", "ai", "tool", "system", "developer"]
    content: str | Annotated[list[ContentPart], Field(min_length=1)]


class PromptChatTemplate(_Strict):
    type: Literal["chat"]
    messages: list[PromptMessage]


class PromptStringTemplate(_Strict):
    type: Literal["string"]
    template: str


PromptTemplate: TypeAlias = Annotated[
    PromptChatTemplate | PromptStringTemplate, Field(discriminator="type")
]

# Tools and response format ----------------------------------------------------------------------


class PromptToolFunctionDefinition(_Strict):
    name: str
    description: str = _UNSET
    parameters: dict[str, Any] = _UNSET
    strict: Boolean = _UNSET


class PromptToolFunction(_Strict):
    type: Literal["function"]
    function: PromptToolFunctionDefinition


class PromptToolRaw(_Strict):
    type: Literal["raw"]
    raw: dict[str, Any]


class PromptToolChoiceNone(_Strict):
    type: Literal["none"]


class PromptToolChoiceZeroOrMore(_Strict):
    type: Literal["zero_or_more"]


class PromptToolChoiceOneOrMore(_Strict):
    type: Literal["one_or_more"]


class PromptToolChoiceSpecificFunctionTool(_Strict):
    type: Literal["specific_function"]
    function_name: str


class PromptTools(_Strict):
    type: Literal["tools"]
    tools: Annotated[
        list[Annotated[PromptToolFunction | PromptToolRaw, Field(discriminator="type")]],
        Field(min_length=1),
    ]
    tool_choice: Annotated[
        PromptToolChoiceNone
        | PromptToolChoiceZeroOrMore
        | PromptToolChoiceOneOrMore
        | PromptToolChoiceSpecificFunctionTool,
        Field(discriminator="type"),
    ] = _UNSET
    disable_parallel_tool_calls: Boolean = _UNSET


class PromptResponseFormatJSONSchemaDefinition(_Strict):
    name: str
    description: str = _UNSET
    schema_: dict[str, Any] = Field(default=_UNSET, alias="schema")
    strict: Boolean = _UNSET


class PromptResponseFormatJSONSchema(_Strict):
    type: Literal["json_schema"]
    json_schema: PromptResponseFormatJSONSchemaDefinition


# Invocation parameters --------------------------------------------------------------------------

ReasoningEffort: TypeAlias = Literal["none", "minimal", "low", "medium", "high", "xhigh"]


class PromptOpenAIInvocationParametersContent(_Strict):
    temperature: Number = _UNSET
    max_tokens: Integer = _UNSET
    max_completion_tokens: Integer = _UNSET
    frequency_penalty: Number = _UNSET
    presence_penalty: Number = _UNSET
    top_p: Number = _UNSET
    seed: Integer = _UNSET
    stop: list[str] = _UNSET
    reasoning_effort: ReasoningEffort = _UNSET
    extra_body: dict[str, Any] = _UNSET


# The OpenAI-compatible providers take OpenAI's parameters, each under its own name.
class PromptAzureOpenAIInvocationParametersContent(PromptOpenAIInvocationParametersContent): ...


class PromptDeepSeekInvocationParametersContent(PromptOpenAIInvocationParametersContent): ...


class PromptXAIInvocationParametersContent(PromptOpenAIInvocationParametersContent): ...


class PromptOllamaInvocationParametersContent(PromptOpenAIInvocationParametersContent): ...


class PromptCerebrasInvocationParametersContent(PromptOpenAIInvocationParametersContent): ...


class PromptFireworksInvocationParametersContent(PromptOpenAIInvocationParametersContent): ...


class PromptGroqInvocationParametersContent(PromptOpenAIInvocationParametersContent): ...


class PromptMoonshotInvocationParametersContent(PromptOpenAIInvocationParametersContent): ...


class PromptPerplexityInvocationParametersContent(PromptOpenAIInvocationParametersContent): ...


class PromptTogetherInvocationParametersContent(PromptOpenAIInvocationParametersContent): ...


class PromptOpenAIInvocationParameters(_Strict):
    type: Literal["openai"]
    openai: PromptOpenAIInvocationParametersContent


class PromptAzureOpenAIInvocationParameters(_Strict):
    type: Literal["azure_openai"]
    azure_openai: PromptAzureOpenAIInvocationParametersContent


class PromptDeepSeekInvocationParameters(_Strict):
    type: Literal["deepseek"]
    deepseek: PromptDeepSeekInvocationParametersContent


class PromptXAIInvocationParameters(_Strict):
    type: Literal["xai"]
    xai: PromptXAIInvocationParametersContent


class PromptOllamaInvocationParameters(_Strict):
    type: Literal["ollama"]
    ollama: PromptOllamaInvocationParametersContent


class PromptCerebrasInvocationParameters(_Strict):
    type: Literal["cerebras"]
    cerebras: PromptCerebrasInvocationParametersContent


class PromptFireworksInvocationParameters(_Strict):
    type: Literal["fireworks"]
    fireworks: PromptFireworksInvocationParametersContent


class PromptGroqInvocationParameters(_Strict):
    type: Literal["groq"]
    groq: PromptGroqInvocationParametersContent


class PromptMoonshotInvocationParameters(_Strict):
    type: Literal["moonshot"]
    moonshot: PromptMoonshotInvocationParametersContent


class PromptPerplexityInvocationParameters(_Strict):
    type: Literal["perplexity"]
    perplexity: PromptPerplexityInvocationParametersContent


class PromptTogetherInvocationParameters(_Strict):
    type: Literal["together"]
    together: PromptTogetherInvocationParametersContent


class PromptAnthropicThinkingConfigDisabled(_Strict):
    type: Literal["disabled"]


class PromptAnthropicThinkingConfigEnabled(_Strict):
    type: Literal["enabled"]
    budget_tokens: Integer = Field(ge=1024)
    display: Literal["summarized", "omitted"] = _UNSET


class PromptAnthropicThinkingConfigAdaptive(_Strict):
    type: Literal["adaptive"]
    display: Literal["summarized", "omitted"] = _UNSET


class PromptAnthropicOutputConfig(_Strict):
    effort: Literal["low", "medium", "high", "xhigh", "max"] = _UNSET


class PromptAnthropicInvocationParametersContent(_Strict):
    max_tokens: Integer
    temperature: Number = _UNSET
    top_p: Number = _UNSET
    stop_sequences: list[str] = _UNSET
    output_config: PromptAnthropicOutputConfig = _UNSET
    thinking: Annotated[
        PromptAnthropicThinkingConfigDisabled
        | PromptAnthropicThinkingConfigEnabled
        | PromptAnthropicThinkingConfigAdaptive,
        Field(discriminator="type"),
    ] = _UNSET
    extra_body: dict[str, Any] = _UNSET

    @model_validator(mode="after")
    def _budget_under_max_tokens(self) -> PromptAnthropicInvocationParametersContent:
        thinking = self.thinking
        if isinstance(thinking, PromptAnthropicThinkingConfigEnabled) and (
            thinking.budget_tokens >= self.max_tokens
        ):
            raise ValueError(
                f"`thinking.budget_tokens` ({thinking.budget_tokens}) must be less than "
                f"`max_tokens` ({self.max_tokens})"
            )
        return self


class PromptAnthropicInvocationParameters(_Strict):
    type: Literal["anthropic"]
    anthropic: PromptAnthropicInvocationParametersContent


class PromptAwsInvocationParametersContent(_Strict):
    max_tokens: Integer = _UNSET
    temperature: Number = _UNSET
    top_p: Number = _UNSET
    stop_sequences: list[str] = _UNSET


class PromptAwsInvocationParameters(_Strict):
    type: Literal["aws"]
    aws: PromptAwsInvocationParametersContent


class PromptGoogleThinkingConfig(_Strict):
    thinking_budget: Integer = _UNSET
    thinking_level: Literal["minimal", "low", "medium", "high"] = _UNSET
    include_thoughts: Boolean = _UNSET


class PromptGoogleInvocationParametersContent(_Strict):
    temperature: Number = _UNSET
    max_output_tokens: Integer = _UNSET
    stop_sequences: list[str] = _UNSET
    presence_penalty: Number = _UNSET
    frequency_penalty: Number = _UNSET
    top_p: Number = _UNSET
    top_k: Integer = _UNSET
    thinking_config: PromptGoogleThinkingConfig = _UNSET


class PromptGoogleInvocationParameters(_Strict):
    type: Literal["google"]
    google: PromptGoogleInvocationParametersContent


PromptInvocationParameters: TypeAlias = Annotated[
    PromptOpenAIInvocationParameters
    | PromptAzureOpenAIInvocationParameters
    | PromptAnthropicInvocationParameters
    | PromptGoogleInvocationParameters
    | PromptDeepSeekInvocationParameters
    | PromptXAIInvocationParameters
    | PromptOllamaInvocationParameters
    | PromptAwsInvocationParameters
    | PromptCerebrasInvocationParameters
    | PromptFireworksInvocationParameters
    | PromptGroqInvocationParameters
    | PromptMoonshotInvocationParameters
    | PromptPerplexityInvocationParameters
    | PromptTogetherInvocationParameters,
    Field(discriminator="type"),
]

ModelProvider: TypeAlias = Literal[
    "OPENAI", "AZURE_OPENAI", "ANTHROPIC", "GOOGLE", "DEEPSEEK", "XAI", "OLLAMA", "AWS",
    "CEREBRAS", "FIREWORKS", "GROQ", "MOONSHOT", "PERPLEXITY", "TOGETHER",
]  # fmt: skip

_OPENAI_COMPATIBLE = frozenset(
    {"OPENAI", "AZURE_OPENAI", "DEEPSEEK", "XAI", "OLLAMA", "CEREBRAS", "FIREWORKS", "GROQ",
     "MOONSHOT", "PERPLEXITY", "TOGETHER"}
)  # fmt: skip


def parameter_types(model_provider: str) -> tuple[str, ...]:
    """The invocation parameter ``type``\\ s a version made for ``model_provider`` may have."""
    own = model_provider.lower()
    return (own, "openai") if model_provider in _OPENAI_COMPATIBLE and own != "openai" else (own,)


# Bodies -----------------------------------------------------------------------------------------


class PromptData(_Body):
    name: Identifier
    description: str | None = None
    source_prompt_id: str | None = None
    metadata: dict[str, Any] | None = None


class PromptVersionData(_Body):
    description: str | None = None
    model_provider: ModelProvider
    model_name: str
    template: PromptTemplate
    template_type: Literal["STR", "CHAT"]
    template_format: Literal["MUSTACHE", "F_STRING", "NONE"]
    invocation_parameters: PromptInvocationParameters
    tools: PromptTools | None = None
    response_format: (
        Annotated[PromptResponseFormatJSONSchema, Field(discriminator="type")] | None
    ) = None

    @model_validator(mode="after")
    def _consistent(self) -> PromptVersionData:
        expected = "chat" if self.template_type == "CHAT" else "string"
        if self.template.type != expected:
            raise ValueError(
                f"`template.type` must be '{expected}' for template_type {self.template_type}, "
                f"got '{self.template.type}'"
            )
        types = parameter_types(self.model_provider)
        if self.invocation_parameters.type not in types:
            allowed = " or ".join(f"'{name}'" for name in types)
            raise ValueError(
                f"`invocation_parameters.type` must be {allowed} for model_provider "
                f"{self.model_provider}, got '{self.invocation_parameters.type}'"
            )
        return self


class CreatePromptRequestBody(_Body):
    prompt: PromptData
    version: PromptVersionData


class PatchPromptRequestBody(_Body):
    """Fields to update on a prompt; an omitted field is left unchanged."""

    description: str | None = None
    metadata: dict[str, Any] = _UNSET


class PromptVersionTagData(_Body):
    name: Identifier
    description: str | None = None


def stored(model: BaseModel | None) -> dict[str, Any] | None:
    """What is stored of a validated value: the fields given, by their names in the schema."""
    if model is None:
        return None
    return model.model_dump(mode="json", exclude_unset=True, by_alias=True)
