"""The model providers Spyglass calls, as Phoenix's ``ModelProvider`` enum names them.

Each provider is reached through one of four official SDK shapes (:class:`ApiKind`): OpenAI's
chat completions (OpenAI itself and every OpenAI-compatible provider, by base URL), Azure
OpenAI's deployments, Anthropic's messages, and Google's ``generateContent``. AWS (Bedrock) is
in the enum, because Phoenix stores prompts made for it, but cannot be called: asking for it
raises :class:`~spyglass_llm.errors.UnsupportedProviderError`.

:class:`ProviderSpec` says what a provider needs: the variables (secrets, then environment)
holding its API key, base URL and, for Azure, endpoint and API version; its default base URL;
whether it may run without a key (Ollama).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from spyglass_llm.errors import UnsupportedProviderError


class ModelProvider(enum.StrEnum):
    """A model provider, spelled as Phoenix's REST API and database spell it."""

    OPENAI = "OPENAI"
    AZURE_OPENAI = "AZURE_OPENAI"
    ANTHROPIC = "ANTHROPIC"
    GOOGLE = "GOOGLE"
    DEEPSEEK = "DEEPSEEK"
    XAI = "XAI"
    OLLAMA = "OLLAMA"
    AWS = "AWS"
    CEREBRAS = "CEREBRAS"
    FIREWORKS = "FIREWORKS"
    GROQ = "GROQ"
    MOONSHOT = "MOONSHOT"
    PERPLEXITY = "PERPLEXITY"
    TOGETHER = "TOGETHER"
    CUSTOM = "CUSTOM"
    """Any OpenAI-compatible server (vLLM, LiteLLM, ...) at a base URL the caller gives."""

    @classmethod
    def parse(cls, name: str) -> ModelProvider:
        """``name`` in any case (``openai``, ``AZURE_OPENAI``, ``azure-openai``).

        Raises:
            UnsupportedProviderError: no provider has that name.
        """
        key = name.strip().upper().replace("-", "_")
        try:
            return cls(key)
        except ValueError:
            known = ", ".join(provider.value.lower() for provider in cls)
            shown = name[:64]
            raise UnsupportedProviderError(
                shown, f"unknown model provider {shown!r}; one of {known}"
            ) from None

    @property
    def invocation_key(self) -> str:
        """The key of Phoenix's invocation parameters for this provider (``azure_openai``)."""
        return self.value.lower()


class ApiKind(enum.Enum):
    """Which SDK, and which wire API, a provider is called through."""

    OPENAI = "openai"
    AZURE_OPENAI = "azure_openai"
    ANTHROPIC = "anthropic"
    GOOGLE = "google"
    UNSUPPORTED = "unsupported"


@dataclass(frozen=True)
class ProviderSpec:
    """What calling a provider takes: its API, its variables and its default base URL."""

    provider: ModelProvider
    api: ApiKind
    api_key_variables: tuple[str, ...]
    """Where its API key is looked up, first found wins (secrets table, then environment)."""
    base_url_variable: str | None = None
    default_base_url: str | None = None
    key_required: bool = True
    endpoint_variable: str | None = None
    """Azure: the resource endpoint (``https://<resource>.openai.azure.com``)."""
    api_version_variable: str | None = None
    """Azure: the API version (``2024-10-21``)."""
    default_api_version: str | None = None


def _compatible(
    provider: ModelProvider, key_variable: str, base_url: str, *, key_required: bool = True
) -> ProviderSpec:
    return ProviderSpec(
        provider=provider,
        api=ApiKind.OPENAI,
        api_key_variables=(key_variable,),
        base_url_variable=f"{provider.value}_BASE_URL",
        default_base_url=base_url,
        key_required=key_required,
    )


PROVIDERS: dict[ModelProvider, ProviderSpec] = {
    spec.provider: spec
    for spec in (
        ProviderSpec(
            ModelProvider.OPENAI,
            ApiKind.OPENAI,
            ("OPENAI_API_KEY",),
            base_url_variable="OPENAI_BASE_URL",
            default_base_url="https://api.openai.com/v1",
        ),
        ProviderSpec(
            ModelProvider.AZURE_OPENAI,
            ApiKind.AZURE_OPENAI,
            ("AZURE_OPENAI_API_KEY",),
            endpoint_variable="AZURE_OPENAI_ENDPOINT",
            api_version_variable="OPENAI_API_VERSION",
            default_api_version="2024-10-21",
        ),
        ProviderSpec(
            ModelProvider.ANTHROPIC,
            ApiKind.ANTHROPIC,
            ("ANTHROPIC_API_KEY",),
            base_url_variable="ANTHROPIC_BASE_URL",
            default_base_url="https://api.anthropic.com",
        ),
        ProviderSpec(
            ModelProvider.GOOGLE,
            ApiKind.GOOGLE,
            ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
            base_url_variable="GOOGLE_GEMINI_BASE_URL",
            default_base_url="https://generativelanguage.googleapis.com",
        ),
        _compatible(ModelProvider.DEEPSEEK, "DEEPSEEK_API_KEY", "https://api.deepseek.com"),
        _compatible(ModelProvider.XAI, "XAI_API_KEY", "https://api.x.ai/v1"),
        _compatible(
            ModelProvider.OLLAMA,
            "OLLAMA_API_KEY",
            "http://localhost:11434/v1",
            key_required=False,
        ),
        _compatible(ModelProvider.GROQ, "GROQ_API_KEY", "https://api.groq.com/openai/v1"),
        _compatible(ModelProvider.TOGETHER, "TOGETHER_API_KEY", "https://api.together.xyz/v1"),
        _compatible(
            ModelProvider.FIREWORKS, "FIREWORKS_API_KEY", "https://api.fireworks.ai/inference/v1"
        ),
        _compatible(ModelProvider.CEREBRAS, "CEREBRAS_API_KEY", "https://api.cerebras.ai/v1"),
        _compatible(ModelProvider.PERPLEXITY, "PERPLEXITY_API_KEY", "https://api.perplexity.ai"),
        _compatible(ModelProvider.MOONSHOT, "MOONSHOT_API_KEY", "https://api.moonshot.ai/v1"),
        ProviderSpec(
            ModelProvider.CUSTOM,
            ApiKind.OPENAI,
            ("CUSTOM_API_KEY",),
            base_url_variable="CUSTOM_BASE_URL",
            key_required=False,
        ),
        ProviderSpec(ModelProvider.AWS, ApiKind.UNSUPPORTED, (), key_required=False),
    )
}
"""Every provider's spec; the OpenAI-compatible ones take ``<PROVIDER>_BASE_URL`` overrides."""


def provider_spec(provider: ModelProvider) -> ProviderSpec:
    """The spec of ``provider``.

    Raises:
        UnsupportedProviderError: Spyglass cannot call it (AWS Bedrock).
    """
    spec = PROVIDERS[provider]
    if spec.api is ApiKind.UNSUPPORTED:
        raise UnsupportedProviderError(
            provider.value,
            f"model provider {provider.value} is not supported by Spyglass; "
            "use OpenAI, Azure OpenAI, Anthropic, Google or an OpenAI-compatible base URL",
        )
    return spec


def parse_model_id(model_id: str) -> tuple[ModelProvider, str]:
    """``openai:gpt-4o`` (the REST playground's spelling) as (provider, model name).

    Raises:
        UnsupportedProviderError: no ``provider:`` prefix, or an unknown provider.
    """
    provider, separator, model = model_id.partition(":")
    if not separator or not model.strip():
        shown = model_id[:100]
        raise UnsupportedProviderError(
            shown, f"model {shown!r} must be written <provider>:<model>, e.g. openai:gpt-4o"
        )
    return ModelProvider.parse(provider), model.strip()
