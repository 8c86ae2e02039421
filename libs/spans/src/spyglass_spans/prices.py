"""Model prices, and the cost of an LLM call from its token counts.

The built-in table (``data/model_prices.json``) holds list prices of common models; a file named
by configuration adds models or overrides built-in ones. Which price applies to a span:

1. candidates are the entries whose pattern matches ``llm.model_name`` in full, ignoring case;
   an entry without ``name_pattern`` matches its name behind an optional ``provider/`` or
   ``provider.`` prefix and followed by an optional version suffix (``-2024-08-06``, ``@001``,
   ``:0``, ``.1``);
2. entries from the configured file beat built-in ones;
3. then an entry whose provider is the span's (``llm.provider``, else ``llm.system``; GenAI
   spellings such as ``gcp.gemini`` or ``mistral_ai`` count as the provider they name);
4. then the most specific entry, which is the one with the longest name (``gpt-4o-mini`` over
   ``gpt-4o`` for ``gpt-4o-mini-2024-07-18``, which both patterns match);
5. then the earlier entry in its file.

Cost of a call (as Phoenix computes it): cache-read prompt tokens at the cache-read rate,
cache-write prompt tokens at the cache-write rate (each falling back to the input rate), the
remaining prompt tokens at the input rate, completion tokens at the output rate. Prompt counts are
taken to include cached tokens, as OpenInference and the GenAI conventions define them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import orjson

from spyglass_core.errors import ConfigurationError

UNITS = {"usd_per_million_tokens": 1_000_000, "usd_per_token": 1}
"""How a price file may state its rates (its top-level ``unit``; per million by default)."""

_PROVIDER_ALIASES = {
    "mistral_ai": "mistralai",
    "mistral": "mistralai",
    "x_ai": "xai",
    "gcp.gemini": "google",
    "gcp.gen_ai": "google",
    "gcp.vertex_ai": "google",
    "vertex_ai": "google",
    "vertexai": "google",
    "gemini": "google",
    "together_ai": "together",
    "togetherai": "together",
}


@dataclass(frozen=True)
class ModelPrice:
    """USD per token of one model."""

    name: str
    provider: str
    pattern: re.Pattern[str]
    input: float
    output: float
    cache_read: float | None = None
    cache_write: float | None = None
    user_defined: bool = False


@dataclass(frozen=True)
class Cost:
    """The cost of one LLM call in USD."""

    prompt: float
    completion: float

    @property
    def total(self) -> float:
        """Prompt and completion together."""
        return self.prompt + self.completion


def default_pattern(name: str) -> str:
    """The pattern of an entry without one: ``name`` behind a prefix, before a version suffix."""
    return rf"(?:.*[/.])?{re.escape(name)}(?:[-@:.].*)?"


def provider_key(provider: str) -> str:
    """``provider`` as the price table spells it (lower case, GenAI aliases resolved)."""
    provider = provider.strip().lower()
    return _PROVIDER_ALIASES.get(provider, provider)


class ModelPriceTable:
    """Looks up the price of a model by name and provider; lookups are cached."""

    def __init__(self, prices: list[ModelPrice]) -> None:
        self.prices = prices
        self.find: Callable[[str, str], ModelPrice | None] = lru_cache(maxsize=4096)(self._find)

    @classmethod
    def load(cls, override_path: Path | None = None) -> ModelPriceTable:
        """The built-in table, extended and overridden by the JSON file at ``override_path``.

        The file is an object ``{"unit": ..., "models": [...]}`` or just the list; each entry
        has ``name``, ``input`` and ``output`` and optionally ``provider``, ``name_pattern``,
        ``cache_read`` and ``cache_write`` (see the package README).

        Raises:
            ConfigurationError: the override file can't be read or has an invalid entry.
        """
        built_in = resources.files("spyglass_spans").joinpath("data/model_prices.json")
        prices = _entries(orjson.loads(built_in.read_bytes()), False, "the built-in table")
        if override_path is not None:
            try:
                document = orjson.loads(override_path.read_bytes())
            except (OSError, orjson.JSONDecodeError) as error:
                raise ConfigurationError(
                    f"cannot read model prices from {override_path} ({error}); fix or unset "
                    "SPYGLASS_RECEIVER_MODEL_PRICES_FILE"
                ) from None
            prices = _entries(document, True, str(override_path)) + prices
        return cls(prices)

    def _find(self, model_name: str, provider: str) -> ModelPrice | None:
        provider = provider_key(provider)
        best: ModelPrice | None = None
        best_rank: tuple[bool, bool, int] | None = None
        for price in self.prices:
            if not price.pattern.fullmatch(model_name):
                continue
            rank = (
                price.user_defined,
                bool(provider) and price.provider == provider,
                len(price.name),
            )
            if best_rank is None or rank > best_rank:
                best, best_rank = price, rank
        return best

    def cost(
        self,
        model_name: str,
        provider: str,
        prompt_tokens: int,
        completion_tokens: int,
        cache_read_tokens: int = 0,
        cache_write_tokens: int = 0,
    ) -> Cost | None:
        """The cost of a call, or None when no price is known for the model.

        Cache tokens are part of ``prompt_tokens``; counts below zero count as zero, and cache
        counts are capped at the prompt tokens.
        """
        price = self.find(model_name.strip(), provider)
        if price is None:
            return None
        prompt_tokens = max(prompt_tokens, 0)
        cache_read = min(max(cache_read_tokens, 0), prompt_tokens)
        cache_write = min(max(cache_write_tokens, 0), prompt_tokens - cache_read)
        plain = prompt_tokens - cache_read - cache_write
        prompt_cost = (
            plain * price.input
            + cache_read * (price.input if price.cache_read is None else price.cache_read)
            + cache_write * (price.input if price.cache_write is None else price.cache_write)
        )
        return Cost(prompt_cost, max(completion_tokens, 0) * price.output)


def _entries(document: Any, user_defined: bool, origin: str) -> list[ModelPrice]:
    unit = "usd_per_million_tokens"
    entries = document
    if isinstance(document, dict):
        unit = document.get("unit", unit)
        entries = document.get("models")
    if unit not in UNITS:
        raise ConfigurationError(f"{origin}: unit must be one of {sorted(UNITS)}, not {unit!r}")
    if not isinstance(entries, list):
        raise ConfigurationError(
            f"{origin} must hold a list of models, or an object with a 'models' list"
        )
    return [_entry(raw, UNITS[unit], user_defined, origin) for raw in entries]


def _entry(raw: Any, divisor: int, user_defined: bool, origin: str) -> ModelPrice:
    try:
        name = str(raw["name"])
        return ModelPrice(
            name=name,
            provider=provider_key(str(raw.get("provider") or "")),
            pattern=re.compile(raw.get("name_pattern") or default_pattern(name), re.IGNORECASE),
            input=float(raw["input"]) / divisor,
            output=float(raw["output"]) / divisor,
            cache_read=_rate(raw.get("cache_read"), divisor),
            cache_write=_rate(raw.get("cache_write"), divisor),
            user_defined=user_defined,
        )
    except (KeyError, TypeError, ValueError, AttributeError, re.error) as error:
        raise ConfigurationError(
            f"invalid model price {raw!r} in {origin} ({error!r}); each entry needs name, "
            "input and output, and may have provider, name_pattern, cache_read and cache_write"
        ) from None


def _rate(value: Any, divisor: int) -> float | None:
    return None if value is None else float(value) / divisor
