"""The bodies of ``POST /v1/chat/completions`` and the :class:`~spyglass_llm.ChatRequest` a
request body becomes.

The request is Phoenix's ``CreateChatCompletionRequestBody`` (OpenAI's wire format, the model
written ``provider:model_name``) plus our extensions, each optional:

* ``tools`` and ``tool_choice``: OpenAI's list of tools (``{"type": "function", "function":
  {...}}``; another type is passed to the provider as it is) and its choice (``"auto"``,
  ``"none"``, ``"required"``, ``{"type": "function", "function": {"name": ...}}``), or
  Phoenix's prompt shape (``{"type": "tools", "tools": [...], "tool_choice": {...}}``,
  ``{"type": "zero_or_more"}``...). ``parallel_tool_calls: false`` asks for one call at most.
* ``response_format``: ``{"type": "json_schema", "json_schema": {...}}`` (OpenAI's and Phoenix's
  shape alike); ``{"type": "text"}`` is the default; ``{"type": "json_object"}`` goes to
  OpenAI-compatible providers only.
* ``invocation_parameters``: provider-specific parameters, sent to the provider as given
  (Phoenix's wrapped ``{"type": "anthropic", "anthropic": {...}}`` is unwrapped); the standard
  fields above win over them.
* ``template_format`` (``MUSTACHE``, ``F_STRING`` or ``NONE``) and ``template_variables``: the
  messages are a template, filled in on the server; a variable the template uses and
  ``template_variables`` lacks is refused (422 naming it).
* Messages may carry tool calls and their results: OpenAI's ``assistant`` messages with
  ``tool_calls`` and ``tool`` messages with ``tool_call_id``, or Phoenix's ``tool_call`` and
  ``tool_result`` content parts.

The standard sampling fields are OpenAI's words; for Anthropic and Google they are renamed
(``max_tokens`` -> ``max_output_tokens``, ``stop`` -> ``stop_sequences``); one the provider has
no equivalent of (Anthropic's penalties and seed) is refused naming the field, not dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError, model_validator

from spyglass_llm.chat import (
    ChatMessage,
    ChatRequest,
    ContentPart,
    ResponseFormat,
    TextPart,
    ToolCallFunction,
    ToolCallPart,
    ToolResultPart,
    Tools,
)
from spyglass_llm.errors import UnsupportedProviderError
from spyglass_llm.providers import ApiKind, ModelProvider, parse_model_id, provider_spec
from spyglass_llm.templates import MissingVariablesError, TemplateError, render_messages

MAX_MODEL_ID_LENGTH = 300
"""The longest ``model`` taken: a provider's name, a colon and a model name of up to 256."""

MAX_STOP_SEQUENCES = 16

MODEL_FORMAT_HELP = (
    "Model must be '{provider}:{model_name}' for a built-in provider (one of anthropic, aws, "
    "azure_openai, cerebras, custom, deepseek, fireworks, google, groq, moonshot, ollama, openai, "
    "perplexity, together, xai), e.g. 'openai:gpt-4o' or 'anthropic:claude-sonnet-4-5'; "
    "'custom:{model_name}' calls the OpenAI-compatible server at CUSTOM_BASE_URL."
)


class ChatBodyError(Exception):
    """A request body that can't become a call: ``status`` 400, 404 or 422, ``param`` the field."""

    def __init__(
        self, status: int, message: str, *, param: str | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.code = code


class ChatCompletionStreamOptions(BaseModel):
    include_usage: bool = False


class ChatCompletionToolCallFunction(BaseModel):
    name: str = Field(max_length=256)
    arguments: str


class ChatCompletionToolCall(BaseModel):
    """A tool call, as OpenAI writes it in an assistant message (request or answer)."""

    id: str = Field(max_length=256)
    type: Literal["function"] = "function"
    function: ChatCompletionToolCallFunction


class ChatCompletionRequestMessage(BaseModel):
    """A message: Phoenix's (role and text, or text parts) plus tool calls and their results."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | Annotated[list[ContentPart], Field(min_length=1)] | None = Field(
        default=None,
        description="Text, or text parts (and, as Spyglass extensions, Phoenix's `tool_call` "
        "and `tool_result` parts). May be null only in an assistant message with `tool_calls`.",
    )
    tool_calls: list[ChatCompletionToolCall] | None = Field(
        default=None, description="Spyglass extension: the tool calls of an assistant message."
    )
    tool_call_id: str | None = Field(
        default=None,
        max_length=256,
        description="Spyglass extension: the call a `tool` message answers.",
    )

    @model_validator(mode="after")
    def _content_given(self) -> ChatCompletionRequestMessage:
        if self.content is None and not (self.role == "assistant" and self.tool_calls):
            raise ValueError(
                "content is required (null only in an assistant message with tool_calls)"
            )
        if self.tool_calls and self.role != "assistant":
            raise ValueError("tool_calls belong in an assistant message")
        return self


class CreateChatCompletionRequestBody(BaseModel):
    """OpenAI's chat completion request, as Phoenix takes it, and Spyglass's extensions."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "model": "openai:gpt-4o",
                    "messages": [
                        {"role": "system", "content": "You are a helpful assistant."},
                        {"role": "user", "content": "Say hello."},
                    ],
                }
            ]
        },
    )

    model: str = Field(max_length=MAX_MODEL_ID_LENGTH, description=MODEL_FORMAT_HELP)
    messages: Annotated[list[ChatCompletionRequestMessage], Field(min_length=1)]
    stream: bool = False
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    stop: str | Annotated[list[str], Field(max_length=MAX_STOP_SEQUENCES)] | None = None
    frequency_penalty: float | None = None
    presence_penalty: float | None = None
    seed: int | None = None
    n: int | None = None
    stream_options: ChatCompletionStreamOptions | None = None
    tools: list[dict[str, JsonValue]] | dict[str, JsonValue] | None = Field(
        default=None,
        description="OpenAI's tools, or (Spyglass extension) Phoenix's prompt tools object.",
    )
    tool_choice: JsonValue = Field(
        default=None,
        description="OpenAI's tool choice, or (Spyglass extension) Phoenix's "
        '(`{"type": "zero_or_more"}`...).',
    )
    response_format: dict[str, JsonValue] | None = None
    parallel_tool_calls: bool | None = None
    invocation_parameters: dict[str, JsonValue] | None = Field(
        default=None,
        description="Spyglass extension: provider-specific parameters, sent as given (the "
        "standard fields win).",
    )
    template_format: (
        Literal["MUSTACHE", "F_STRING", "NONE", "mustache", "f_string", "none"] | None
    ) = Field(
        default=None,
        description="Spyglass extension: the messages are a template in this format, "
        "filled in with `template_variables` (default MUSTACHE when only those are given).",
    )
    template_variables: dict[str, JsonValue] | None = Field(
        default=None,
        description="Spyglass extension: the template's variables; one it uses and this lacks "
        "is a 422 naming it.",
    )

    @property
    def include_usage(self) -> bool:
        """Whether a stream ends with a usage chunk."""
        return bool(self.stream_options and self.stream_options.include_usage)


def _validation_message(error: ValidationError) -> tuple[str, str]:
    """The first problem of ``error`` as (dotted location, message)."""
    problem = error.errors()[0]
    location = ".".join(str(part) for part in problem["loc"])
    return location, str(problem["msg"]).removeprefix("Value error, ")


def _model(body: CreateChatCompletionRequestBody) -> tuple[ModelProvider, str]:
    try:
        provider, model = parse_model_id(body.model)
        provider_spec(provider)
    except UnsupportedProviderError as error:
        if error.provider.upper() == ModelProvider.AWS.value:
            raise ChatBodyError(400, error.message, param="model") from None
        raise ChatBodyError(
            404,
            f"Unknown model {body.model[:100]!r}. {MODEL_FORMAT_HELP}",
            param="model",
            code="model_not_found",
        ) from None
    return provider, model


def _message(index: int, message: ChatCompletionRequestMessage) -> ChatMessage:
    parts: list[Any] = []
    if isinstance(message.content, str):
        if message.role == "tool" and message.tool_call_id is not None:
            parts.append(
                ToolResultPart(tool_call_id=message.tool_call_id, tool_result=message.content)
            )
        elif message.content or not message.tool_calls:
            parts.append(TextPart(text=message.content))
    elif message.content is not None:
        parts.extend(message.content)
    for call in message.tool_calls or ():
        parts.append(
            ToolCallPart(
                tool_call_id=call.id,
                tool_call=ToolCallFunction(
                    name=call.function.name, arguments=call.function.arguments
                ),
            )
        )
    if len(parts) == 1 and isinstance(parts[0], TextPart):
        return ChatMessage(role=message.role, content=parts[0].text)
    try:
        return ChatMessage(role=message.role, content=parts)
    except ValidationError as error:
        _, text = _validation_message(error)
        raise ChatBodyError(422, f"messages.{index}: {text}", param=f"messages.{index}") from None


_CHOICES: dict[str, JsonValue] = {
    "none": {"type": "none"},
    "auto": {"type": "zero_or_more"},
    "required": {"type": "one_or_more"},
    "any": {"type": "one_or_more"},
}


def _tool_choice(choice: JsonValue) -> JsonValue:
    """OpenAI's tool choice in Phoenix's words (Phoenix's own passes as it is)."""
    if isinstance(choice, str):
        if choice not in _CHOICES:
            raise ChatBodyError(
                422,
                "tool_choice must be 'none', 'auto', 'required' or a function "
                f"({{'type': 'function', 'function': {{'name': ...}}}}), not {choice[:40]!r}",
                param="tool_choice",
            )
        return _CHOICES[choice]
    if isinstance(choice, dict) and choice.get("type") == "function":
        function = choice.get("function")
        name = function.get("name") if isinstance(function, dict) else None
        if not isinstance(name, str):
            raise ChatBodyError(
                422, "tool_choice.function.name must be a string", param="tool_choice"
            )
        return {"type": "specific_function", "function_name": name}
    return choice


def _tools(body: CreateChatCompletionRequestBody) -> Tools | None:
    if body.tools is None:
        if body.tool_choice is not None:
            raise ChatBodyError(400, "tool_choice is given without tools", param="tool_choice")
        return None
    if isinstance(body.tools, dict):
        phoenix: dict[str, Any] = dict(body.tools)
    else:
        if not body.tools:
            return None
        phoenix = {
            "type": "tools",
            "tools": [
                tool if tool.get("type") == "function" else {"type": "raw", "raw": tool}
                for tool in body.tools
            ],
        }
    if body.tool_choice is not None:
        phoenix["tool_choice"] = _tool_choice(body.tool_choice)
    if body.parallel_tool_calls is False:
        phoenix["disable_parallel_tool_calls"] = True
    try:
        return Tools.model_validate(phoenix)
    except ValidationError as error:
        location, text = _validation_message(error)
        where = "tool_choice" if location.startswith("tool_choice") else "tools"
        shown = f"{where}.{location}" if location and where == "tools" else where
        raise ChatBodyError(422, f"{shown}: {text}", param=where) from None


def _response_format(
    body: CreateChatCompletionRequestBody, api: ApiKind
) -> tuple[ResponseFormat | None, dict[str, Any]]:
    """The structured-output request, or parameters that carry it (OpenAI's ``json_object``)."""
    given = body.response_format
    if given is None or (given.get("type") == "text" and len(given) == 1):
        return None, {}
    if given.get("type") == "json_object" and len(given) == 1:
        if api not in (ApiKind.OPENAI, ApiKind.AZURE_OPENAI):
            raise ChatBodyError(
                400,
                "response_format json_object is for OpenAI-compatible providers; use json_schema",
                param="response_format",
            )
        return None, {"response_format": dict(given)}
    try:
        return ResponseFormat.model_validate(given), {}
    except ValidationError as error:
        location, text = _validation_message(error)
        raise ChatBodyError(
            422, f"response_format.{location}: {text}", param="response_format"
        ) from None


def _unwrapped(parameters: Mapping[str, Any]) -> dict[str, Any]:
    kind = parameters.get("type")
    if isinstance(kind, str) and set(parameters) == {"type", kind}:
        inner = parameters[kind]
        if isinstance(inner, Mapping):
            return dict(inner)
    return dict(parameters)


_UNSUPPORTED_BY_ANTHROPIC = ("frequency_penalty", "presence_penalty", "seed")


def invocation_parameters(
    body: CreateChatCompletionRequestBody, provider: ModelProvider, api: ApiKind
) -> dict[str, Any]:
    """The provider's parameters: ``invocation_parameters``, then the standard fields renamed
    for the provider's API (see the module docstring)."""
    parameters = _unwrapped(body.invocation_parameters or {})
    stop = [body.stop] if isinstance(body.stop, str) else body.stop
    limit = (
        body.max_completion_tokens if body.max_completion_tokens is not None else body.max_tokens
    )
    standard: dict[str, Any] = {"temperature": body.temperature, "top_p": body.top_p}
    if api in (ApiKind.OPENAI, ApiKind.AZURE_OPENAI):
        standard.update(
            max_tokens=body.max_tokens,
            max_completion_tokens=body.max_completion_tokens,
            stop=body.stop,
            frequency_penalty=body.frequency_penalty,
            presence_penalty=body.presence_penalty,
            seed=body.seed,
        )
    elif api is ApiKind.ANTHROPIC:
        for name in _UNSUPPORTED_BY_ANTHROPIC:
            if getattr(body, name) is not None:
                raise ChatBodyError(
                    400, f"{name} is not supported by {provider.value.lower()}", param=name
                )
        standard.update(max_tokens=limit, stop_sequences=stop)
    else:
        standard.update(
            max_output_tokens=limit,
            stop_sequences=stop,
            frequency_penalty=body.frequency_penalty,
            presence_penalty=body.presence_penalty,
            seed=body.seed,
        )
    parameters.update({name: value for name, value in standard.items() if value is not None})
    return parameters


def chat_request(body: CreateChatCompletionRequestBody) -> ChatRequest:
    """The call ``body`` asks for, its template (if any) filled in.

    Raises:
        ChatBodyError: an unknown provider or a malformed model (404), a provider Spyglass
            can't call or a parameter it can't send (400), a field that can't be used or a
            template variable that is missing (422); the message names the field.
    """
    if body.n is not None and body.n != 1:
        raise ChatBodyError(400, "Only n=1 is supported.", param="n")
    if body.stream_options is not None and not body.stream:
        raise ChatBodyError(
            400, "stream_options is only allowed when stream is true.", param="stream_options"
        )
    provider, model = _model(body)
    api = provider_spec(provider).api
    messages = [_message(index, message) for index, message in enumerate(body.messages)]
    if body.template_format is not None or body.template_variables is not None:
        try:
            messages = render_messages(
                messages,
                (body.template_format or "MUSTACHE").upper(),
                body.template_variables or {},
            )
        except MissingVariablesError as error:
            raise ChatBodyError(422, str(error), param="template_variables") from None
        except TemplateError as error:
            raise ChatBodyError(422, f"messages: {error}", param="messages") from None
    tools = _tools(body)
    response_format, format_parameters = _response_format(body, api)
    parameters = {**invocation_parameters(body, provider, api), **format_parameters}
    try:
        return ChatRequest(
            provider=provider,
            model=model,
            messages=messages,
            invocation_parameters=parameters,
            tools=tools,
            response_format=response_format,
        )
    except ValidationError as error:
        location, text = _validation_message(error)
        field = {"model": "model", "messages": "messages"}.get(location.split(".")[0], location)
        raise ChatBodyError(422, f"{location}: {text}", param=field or None) from None


class ChatCompletionMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str
    tool_calls: list[ChatCompletionToolCall] | None = Field(
        default=None, description="Spyglass extension: the tool calls the model made."
    )


class ChatCompletionChoice(BaseModel):
    index: int = 0
    message: ChatCompletionMessage
    finish_reason: str


class ChatCompletionUsagePromptTokensDetails(BaseModel):
    cached_tokens: int


class ChatCompletionUsage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    prompt_tokens_details: ChatCompletionUsagePromptTokensDetails | None = None


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[ChatCompletionChoice]
    usage: ChatCompletionUsage


class ChatCompletionErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class ChatCompletionErrorResponse(BaseModel):
    error: ChatCompletionErrorDetail
