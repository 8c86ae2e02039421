"""What each provider answer means for the caller: one error tree, the provider named, the
delay a 429 asks for, no key in any message."""

from __future__ import annotations

import anthropic
import httpx2
import openai
import pytest

from spyglass_core.errors import InvalidArgumentError
from spyglass_llm import (
    CredentialRejected,
    MissingCredential,
    ModelProvider,
    ProviderRequestError,
    RateLimited,
    TransientProviderError,
    UnknownModel,
    UnsupportedProviderError,
    parse_model_id,
)
from spyglass_llm.adapters import anthropic_messages, openai_chat
from spyglass_llm.adapters.common import status_error
from spyglass_llm.errors import MAX_PROVIDER_MESSAGE, provider_message, retry_after_seconds
from spyglass_llm.providers import provider_spec


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "7"}, 7.0),
        ({"retry-after": "0.5"}, 0.5),
        ({"retry-after-ms": "250"}, 0.25),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, None),
        ({"retry-after": "-3"}, None),
        ({"retry-after": "nan"}, None),
        ({"retry-after": "inf"}, None),
        ({"retry-after": "1e12"}, 86_400.0),
        ({}, None),
    ],
)
def test_retry_after_reads_milliseconds_first_and_ignores_what_is_not_a_delay(
    headers: dict[str, str], expected: float | None
) -> None:
    assert retry_after_seconds(httpx2.Headers(headers)) == expected


@pytest.mark.parametrize(
    ("status", "error", "retryable"),
    [
        (429, RateLimited, True),
        (500, TransientProviderError, True),
        (502, TransientProviderError, True),
        (529, TransientProviderError, True),
        (408, TransientProviderError, True),
        (401, CredentialRejected, False),
        (403, CredentialRejected, False),
        (404, UnknownModel, False),
        (400, ProviderRequestError, False),
        (422, ProviderRequestError, False),
    ],
)
def test_each_status_maps_to_one_error_that_names_the_provider(
    status: int, error: type[Exception], retryable: bool
) -> None:
    translated = status_error("OPENAI", "gpt-4o", status, "the provider's words", {})

    assert type(translated) is error
    assert translated.provider == "OPENAI"
    assert translated.retryable is retryable
    assert "OPENAI" in str(translated)


def test_a_rejected_credential_says_so_in_the_words_callers_show() -> None:
    assert str(status_error("ANTHROPIC", "m", 401, "invalid x-api-key", {})).startswith(
        "credential rejected by ANTHROPIC"
    )


def test_model_not_found_in_a_400_is_an_unknown_model() -> None:
    error = status_error("OPENAI", "gpt-9", 400, "no such model", {}, "model_not_found")

    assert isinstance(error, UnknownModel)
    assert "gpt-9" in str(error)


def test_a_providers_long_message_is_cut() -> None:
    assert len(provider_message("x" * 50_000)) == MAX_PROVIDER_MESSAGE


def _response(status: int, headers: dict[str, str] | None = None) -> httpx2.Response:
    request = httpx2.Request("POST", "https://provider.test/v1/chat/completions")
    return httpx2.Response(status, headers=headers or {}, request=request)


def test_the_openai_sdks_rate_limit_error_becomes_rate_limited_with_its_delay() -> None:
    sdk_error = openai.RateLimitError(
        "Rate limit reached", response=_response(429, {"retry-after": "3"}), body=None
    )

    error = openai_chat.translate_error(sdk_error, ModelProvider.OPENAI, "gpt-4o")

    assert isinstance(error, RateLimited)
    assert error.retry_after == 3.0


def test_the_anthropic_sdks_timeout_and_overload_are_transient() -> None:
    request = httpx2.Request("POST", "https://provider.test/v1/messages")
    timeout = anthropic_messages.translate_error(
        anthropic.APITimeoutError(request), ModelProvider.ANTHROPIC, "claude"
    )
    overloaded = anthropic_messages.translate_error(
        anthropic.InternalServerError("Overloaded", response=_response(529), body=None),
        ModelProvider.ANTHROPIC,
        "claude",
    )

    assert isinstance(timeout, TransientProviderError)
    assert isinstance(overloaded, TransientProviderError)


def test_an_error_that_is_not_the_sdks_is_left_to_the_caller() -> None:
    assert openai_chat.translate_error(KeyError("x"), ModelProvider.OPENAI, "m") is None


def test_missing_credential_names_the_variables_to_set() -> None:
    error = MissingCredential("GOOGLE", ("GEMINI_API_KEY", "GOOGLE_API_KEY"))

    assert "GEMINI_API_KEY or GOOGLE_API_KEY" in str(error)
    assert error.provider == "GOOGLE"
    assert not error.retryable


def test_aws_is_refused_clearly() -> None:
    with pytest.raises(UnsupportedProviderError, match="AWS is not supported") as caught:
        provider_spec(ModelProvider.AWS)

    assert isinstance(caught.value, InvalidArgumentError)


@pytest.mark.parametrize(
    ("model_id", "provider", "model"),
    [
        ("openai:gpt-4o", ModelProvider.OPENAI, "gpt-4o"),
        ("azure_openai:my-deployment", ModelProvider.AZURE_OPENAI, "my-deployment"),
        ("ANTHROPIC:claude-sonnet-4-5", ModelProvider.ANTHROPIC, "claude-sonnet-4-5"),
        ("ollama:llama3.2:3b", ModelProvider.OLLAMA, "llama3.2:3b"),
    ],
)
def test_the_playgrounds_model_ids_parse(
    model_id: str, provider: ModelProvider, model: str
) -> None:
    assert parse_model_id(model_id) == (provider, model)


@pytest.mark.parametrize("model_id", ["gpt-4o", "openai:", "bedrock:claude", "x" * 10_000])
def test_a_model_id_without_a_known_provider_is_refused(model_id: str) -> None:
    with pytest.raises(UnsupportedProviderError) as caught:
        parse_model_id(model_id)

    assert len(str(caught.value)) < 1000
