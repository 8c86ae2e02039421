"""Calling providers: :class:`LLMClient` keeps one SDK client per credential and translates.

One SDK client (and so one HTTP connection pool) is kept per (provider, credential, base URL,
endpoint, API version) and reused by every call, as the runner's hundreds of calls a second
need; at most ``max_clients`` are kept, the least recently used beyond that closed after a grace
period (calls still on them finish). SDK retries are off: callers own retries (one rate limiter
per credential and model, shared through Redis), so an error comes back at once, translated
into :mod:`spyglass_llm.errors`.

``timeout`` bounds a whole :meth:`LLMClient.complete`; for :meth:`LLMClient.stream` it bounds
the wait for the answer to start and for each chunk after (a long answer may take longer).
"""

from __future__ import annotations

import asyncio
import importlib
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Self

import structlog

from spyglass_llm.chat import ChatChunk, ChatRequest, Completion, StreamEnd
from spyglass_llm.credentials import Credentials
from spyglass_llm.errors import ProviderError, ProviderRequestError, TransientProviderError
from spyglass_llm.providers import ApiKind, ModelProvider, provider_spec
from spyglass_spans.prices import Cost, ModelPriceTable

log = structlog.get_logger(__name__)

DEFAULT_TIMEOUT_SECONDS = 60.0
MAX_TIMEOUT_SECONDS = 3600.0
EVICTED_CLIENT_GRACE_SECONDS = 2 * MAX_TIMEOUT_SECONDS
"""How long an evicted SDK client stays open for the calls still on it."""

_ADAPTERS: dict[ApiKind, str] = {
    ApiKind.OPENAI: "openai_chat",
    ApiKind.AZURE_OPENAI: "openai_chat",
    ApiKind.ANTHROPIC: "anthropic_messages",
    ApiKind.GOOGLE: "google_genai",
}
"""Each API's adapter module, imported when first called: the three SDKs take seconds to
import, which every process that never calls them (and every test that starts one) would pay."""


def _adapter(api: ApiKind) -> ModuleType:
    return importlib.import_module(f"spyglass_llm.adapters.{_ADAPTERS[api]}")


_PRICE_PROVIDERS = {ModelProvider.AZURE_OPENAI: "openai", ModelProvider.CUSTOM: ""}


@dataclass(frozen=True)
class _ClientKey:
    provider: ModelProvider
    fingerprint: str
    base_url: str | None
    endpoint: str | None
    api_version: str | None


def _checked_timeout(timeout: float) -> float:
    if not (0 < timeout <= MAX_TIMEOUT_SECONDS):
        raise ValueError(f"timeout must be in (0, {MAX_TIMEOUT_SECONDS}] seconds, not {timeout}")
    return float(timeout)


class LLMClient:
    """Completes and streams chat requests through the providers' official SDKs.

    Create one per process (at start-up, in the composition root's resources) and close it at
    shutdown (``await client.aclose()`` or ``async with LLMClient(...)``).

    Args:
        prices: prices cost each call's tokens (None: ``cost`` is always None).
        max_clients: SDK clients kept at once (each with its own connection pool).
    """

    def __init__(self, *, prices: ModelPriceTable | None = None, max_clients: int = 256) -> None:
        self._prices = prices
        self._max_clients = max_clients
        self._clients: OrderedDict[_ClientKey, Any] = OrderedDict()
        self._evicted: set[asyncio.Task[None]] = set()
        self._closed = False
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def client_count(self) -> int:
        """How many SDK clients (connection pools) are kept now."""
        return len(self._clients)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close every SDK client (and its connections)."""
        self._closed = True
        clients = list(self._clients.values())
        self._clients.clear()
        for task in list(self._evicted):
            task.cancel()
        for client in clients:
            await _close(client)

    def _client(self, credentials: Credentials) -> tuple[ModuleType, Any]:
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        elif loop is not self._loop:
            # SDK clients hold connections of the loop they were made on; on another loop they
            # fail later and obscurely ("Event loop is closed"), so say it here.
            raise RuntimeError(
                "an LLMClient serves the event loop it was first used on; create one per loop "
                "(a worker that runs each task with asyncio.run needs one per task, or one loop)"
            )
        spec = provider_spec(credentials.provider)
        adapter = _adapter(spec.api)
        key = _ClientKey(
            credentials.provider,
            credentials.fingerprint,
            credentials.base_url,
            credentials.endpoint,
            credentials.api_version,
        )
        client = self._clients.get(key)
        if client is not None:
            self._clients.move_to_end(key)
            return adapter, client
        if self._closed:
            raise RuntimeError("LLMClient is closed")
        client = adapter.create_client(credentials)
        self._clients[key] = client
        while len(self._clients) > self._max_clients:
            _, evicted = self._clients.popitem(last=False)
            task = asyncio.get_running_loop().create_task(_close_later(evicted))
            self._evicted.add(task)
            task.add_done_callback(self._evicted.discard)
        return adapter, client

    def _cost(self, request: ChatRequest, model: str | None, usage: Any) -> Cost | None:
        if self._prices is None or usage is None:
            return None
        provider = _PRICE_PROVIDERS.get(request.provider, request.provider.value.lower())
        for name in dict.fromkeys((model or request.model, request.model)):
            cost = self._prices.cost(
                name,
                provider,
                usage.prompt_tokens,
                usage.completion_tokens,
                usage.cached_tokens,
                usage.cache_write_tokens,
            )
            if cost is not None:
                return cost
        return None

    async def complete(
        self,
        request: ChatRequest,
        credentials: Credentials,
        *,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> Completion:
        """The provider's whole answer to ``request``.

        Raises:
            RateLimited, TransientProviderError: retry later (``retryable``).
            CredentialRejected, UnknownModel, ProviderRequestError: retrying will not help.
            UnsupportedProviderError: AWS.
            ValueError: ``credentials`` are another provider's, or ``timeout`` is out of range.
        """
        timeout = _checked_timeout(timeout)
        _check_match(request, credentials)
        adapter, client = self._client(credentials)
        translate = _translator(adapter, request)
        try:
            async with asyncio.timeout(timeout):
                completion: Completion = await adapter.complete(client, request, timeout)
        except TimeoutError:
            raise TransientProviderError(
                request.provider.value, f"{request.provider.value} did not answer in {timeout:g}s"
            ) from None
        except ProviderError:
            raise
        except Exception as error:
            raise translate(error) from error
        cost = self._cost(request, completion.model, completion.usage)
        if cost is None:
            return completion
        return Completion(
            provider=completion.provider,
            model=completion.model,
            text=completion.text,
            tool_calls=completion.tool_calls,
            finish_reason=completion.finish_reason,
            usage=completion.usage,
            cost=cost,
        )

    async def stream(
        self,
        request: ChatRequest,
        credentials: Credentials,
        *,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> AsyncIterator[ChatChunk]:
        """The provider's answer as it comes: text and tool call deltas, then one
        :class:`~spyglass_llm.chat.StreamEnd` with the finish reason, usage and cost.

        Errors are raised from the iteration, as :meth:`complete` raises them; an error after
        some chunks (the connection lost mid-answer) is a ``TransientProviderError``. To stop
        early and free the connection at once, close the iterator (``await stream.aclose()``, or
        ``async with contextlib.aclosing(llm.stream(...)) as stream``); a ``break`` alone leaves
        that to the garbage collector.
        """
        timeout = _checked_timeout(timeout)
        _check_match(request, credentials)
        adapter, client = self._client(credentials)
        translate = _translator(adapter, request)
        chunks: AsyncIterator[ChatChunk] = adapter.stream(client, request, timeout)
        try:
            while True:
                try:
                    async with asyncio.timeout(timeout):
                        chunk = await anext(chunks)
                except StopAsyncIteration:
                    return
                if isinstance(chunk, StreamEnd):
                    chunk = StreamEnd(
                        finish_reason=chunk.finish_reason,
                        usage=chunk.usage,
                        cost=self._cost(request, chunk.model, chunk.usage),
                        model=chunk.model,
                    )
                yield chunk
        except TimeoutError:
            raise TransientProviderError(
                request.provider.value,
                f"{request.provider.value} sent nothing for {timeout:g}s",
            ) from None
        except ProviderError:
            raise
        except Exception as error:
            raise translate(error) from error
        finally:
            closer = getattr(chunks, "aclose", None)
            if closer is not None:
                await closer()


def _check_match(request: ChatRequest, credentials: Credentials) -> None:
    if request.provider is not credentials.provider:
        raise ValueError(
            f"credentials are {credentials.provider.value}'s, the request is for "
            f"{request.provider.value}"
        )


def _translator(adapter: ModuleType, request: ChatRequest) -> Callable[[Exception], Exception]:
    def translate(error: Exception) -> Exception:
        translated: ProviderError | None = adapter.translate_error(
            error, request.provider, request.model
        )
        if translated is not None:
            return translated
        import httpx2  # the SDKs' HTTP client: loaded with them, never before

        if isinstance(error, httpx2.TransportError | httpx2.StreamError):
            # Raised by the HTTP client itself, past the SDK: a stream cut short, mostly.
            return TransientProviderError(
                request.provider.value,
                f"the connection to {request.provider.value} failed ({type(error).__name__})",
            )
        log.error(
            "provider_call_failed",
            provider=request.provider.value,
            model=request.model,
            error=type(error).__name__,
        )
        return ProviderRequestError(
            request.provider.value,
            f"calling {request.provider.value} failed unexpectedly ({type(error).__name__})",
        )

    return translate


async def _close(client: Any) -> None:
    try:
        closer = getattr(client, "aclose", None) or client.close
        await closer()
    except Exception as error:  # a failed close leaks a connection at worst
        log.warning("llm_client_close_failed", error=type(error).__name__)


async def _close_later(client: Any) -> None:
    try:
        await asyncio.sleep(EVICTED_CLIENT_GRACE_SECONDS)
    finally:
        await _close(client)
