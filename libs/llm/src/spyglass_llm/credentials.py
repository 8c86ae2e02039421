"""A provider's credentials: from the secrets table first, then the environment.

:class:`CredentialResolver` answers ``await resolver.resolve(ModelProvider.OPENAI)`` with a
:class:`Credentials` whose every field (API key, base URL, Azure endpoint and API version) is
looked up by its variable name (``OPENAI_API_KEY``, ``OPENAI_BASE_URL``...) in the ``secrets``
table, then in the environment, as Phoenix does. The table is read once per
``cache_seconds`` (one statement for every provider's variables, however many callers ask at
once), so hot paths don't query it per call; a secret changed through ``PUT /v1/secrets``
is seen within that time everywhere, and at once in the process that changed it after
:meth:`CredentialResolver.invalidate`.

:attr:`Credentials.fingerprint` identifies a credential without revealing it: use it in
rate-limit keys and logs.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import structlog
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from spyglass_core.errors import DependencyUnavailableError
from spyglass_llm.errors import MissingCredential
from spyglass_llm.providers import PROVIDERS, ApiKind, ModelProvider, provider_spec
from spyglass_llm.secrets import SecretBox, get_secret_tokens

log = structlog.get_logger(__name__)

DEFAULT_CACHE_SECONDS = 5.0


@dataclass(frozen=True)
class Credentials:
    """What calling one provider takes. ``api_key`` never shows in a repr."""

    provider: ModelProvider
    api_key: str | None = field(default=None, repr=False)
    base_url: str | None = None
    """None: the SDK's own default."""
    endpoint: str | None = None
    """Azure OpenAI: the resource endpoint."""
    api_version: str | None = None
    """Azure OpenAI: the API version."""

    @property
    def fingerprint(self) -> str:
        """16 hex characters identifying (provider, key, base URL, endpoint), revealing none."""
        material = "\x00".join(
            (
                "spyglass-credential-v1",
                self.provider.value,
                self.api_key or "",
                self.base_url or "",
                self.endpoint or "",
            )
        )
        return hashlib.sha256(material.encode(errors="surrogatepass")).hexdigest()[:16]


def provider_variables(provider: ModelProvider) -> list[str]:
    """Every variable name a provider's credentials are read from."""
    spec = PROVIDERS[provider]
    names = [*spec.api_key_variables]
    for name in (spec.base_url_variable, spec.endpoint_variable, spec.api_version_variable):
        if name is not None:
            names.append(name)
    return names


ALL_VARIABLES = tuple(dict.fromkeys(name for p in ModelProvider for name in provider_variables(p)))
"""Every variable any provider reads; the one statement of a refresh asks for these."""


def credentials_from(provider: ModelProvider, lookup: Callable[[str], str | None]) -> Credentials:
    """A provider's credentials, each variable read with ``lookup`` (None or blank: not set).

    Raises:
        UnsupportedProviderError: AWS.
        MissingCredential: a required value is not set; names its variables.
    """
    spec = provider_spec(provider)

    def first(*names: str | None) -> str | None:
        for name in names:
            if name is not None:
                value = lookup(name)
                if value is not None and value.strip():
                    return value.strip()
        return None

    api_key = first(*spec.api_key_variables)
    if api_key is None and spec.key_required:
        raise MissingCredential(provider.value, spec.api_key_variables)
    base_url = first(spec.base_url_variable)
    if spec.api is ApiKind.AZURE_OPENAI:
        endpoint = first(spec.endpoint_variable)
        if endpoint is None:
            assert spec.endpoint_variable is not None
            raise MissingCredential(provider.value, (spec.endpoint_variable,), "endpoint")
        return Credentials(
            provider,
            api_key=api_key,
            endpoint=endpoint,
            api_version=first(spec.api_version_variable) or spec.default_api_version,
        )
    if provider is ModelProvider.CUSTOM and base_url is None:
        assert spec.base_url_variable is not None
        raise MissingCredential(provider.value, (spec.base_url_variable,), "base URL")
    return Credentials(provider, api_key=api_key, base_url=base_url or spec.default_base_url)


class CredentialResolver:
    """Resolves providers' credentials: secrets table, then environment, cached briefly.

    Args:
        engine: the database whose ``secrets`` table to read; None reads the environment only.
        box: opens stored secrets; None (no ``SPYGLASS_SECRETS_KEY``) reads the environment only.
        environ: the environment (``os.environ`` when None), read at each resolve.
        cache_seconds: how long one read of the table is used.
        clock: monotonic seconds (injectable for tests).
    """

    def __init__(
        self,
        engine: AsyncEngine | None,
        box: SecretBox | None,
        *,
        environ: Mapping[str, str] | None = None,
        cache_seconds: float = DEFAULT_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine = engine
        self._box = box
        self._environ = os.environ if environ is None else environ
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._tokens: dict[str, bytes] | None = None
        self._plaintexts: dict[str, str] = {}
        self._read_at = float("-inf")
        self._lock = asyncio.Lock()

    def invalidate(self) -> None:
        """Forget the cached secrets: the next resolve reads the table (after a change)."""
        self._tokens = None
        self._plaintexts = {}

    async def _stored_tokens(self) -> dict[str, bytes]:
        """The providers' variables in the secrets table (Fernet tokens), read once a period."""
        if self._engine is None or self._box is None:
            return {}
        if self._tokens is not None and self._clock() - self._read_at < self._cache_seconds:
            return self._tokens
        async with self._lock:
            if self._tokens is not None and self._clock() - self._read_at < self._cache_seconds:
                return self._tokens
            try:
                async with self._engine.connect() as connection:
                    tokens = await get_secret_tokens(connection, ALL_VARIABLES)
            except (SQLAlchemyError, OSError) as error:
                if self._tokens is None:
                    raise DependencyUnavailableError(
                        f"cannot read provider secrets from the database: {type(error).__name__}"
                    ) from error
                log.warning("secrets_read_failed", error=type(error).__name__, using="cached")
                self._read_at = self._clock()
                return self._tokens
            if tokens != self._tokens:
                self._plaintexts = {}
            self._tokens = tokens
            self._read_at = self._clock()
            return tokens

    def _plaintext(self, name: str, token: bytes) -> str:
        plaintext = self._plaintexts.get(name)
        if plaintext is None:
            assert self._box is not None
            plaintext = self._plaintexts[name] = self._box.decrypt(token, name)
        return plaintext

    async def resolve(self, provider: ModelProvider | str) -> Credentials:
        """The credentials of ``provider``, each value from the secrets table, else environment.

        Raises:
            UnsupportedProviderError: AWS, or an unknown provider name.
            MissingCredential: a required value is set nowhere; names the variable to set.
            DependencyUnavailableError: the database can't be read and no earlier read is
                cached (a later failure keeps using the last read, and logs
                ``secrets_read_failed``).
            SecretDecryptionError: one of this provider's stored secrets can't be opened with
                the configured keys (other providers' secrets don't matter).
        """
        if isinstance(provider, str):
            provider = ModelProvider.parse(provider)
        provider_spec(provider)
        tokens = await self._stored_tokens()

        def lookup(name: str) -> str | None:
            token = tokens.get(name)
            if token is not None:
                value = self._plaintext(name, token)
                if value.strip():
                    return value
            return self._environ.get(name)

        return credentials_from(provider, lookup)
