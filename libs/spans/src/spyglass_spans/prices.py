"""Model prices, and the cost of an LLM call from its token counts.

The built-in table (``data/model_prices.json``) holds list prices of common models; a file named
by configuration adds models or overrides built-in ones. Which price applies to a span:

1. candidates are the entries whose pattern matches ``llm.model_name`` in full (case-insensitive);
2. entries from the configured file beat built-in ones;
3. then an entry whose provider is the span's (``llm.provider``, else ``llm.system``);
4. then the most specific entry: the longest model name (``gpt-4o-mini`` over ``gpt-4o``).

Cost of a call: cache-read prompt tokens at the cache-read rate, cache-write prompt tokens at the
cache-write rate (each falling back to the input rate), the remaining prompt tokens at the input
rate, completion tokens at the output rate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import orjson

from spyglass_core.errors import ConfigurationError

PER_MILLION = 1_000_000


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
    """``name`` behind an optional ``provider/`` or ``provider.`` prefix, with a version suffix."""
    return rf"(?:.*[/.])?{re.escape(name)}(?:[-@:.].*)?"


def _entry(raw: dict[str, Any], user_defined: bool, origin: str) -> ModelPrice:
    try:
        name = str(raw["name"])
        return ModelPrice(
            name=name,
            provider=str(raw.get("provider") or "").lower(),
            pattern=re.compile(raw.get("name_pattern") or default_pattern(name), re.IGNORECASE),
            input=float(raw["input"]) / PER_MILLION,
            output=float(raw["output"]) / PER_MILLION,
            cache_read=_rate(raw.get("cache_read")),
            cache_write=_rate(raw.get("cache_write")),
            user_defined=user_defined,
        )
    except (KeyError, TypeError, ValueError, re.error) as error:
        raise ConfigurationError(
            f"invalid model price {raw!r} in {origin} ({error}); each entry needs name, "
            "input and output (USD per 1M tokens), optionally provider, cache_read, "
            "cache_write and name_pattern"
        ) from None


def _rate(value: Any) -> float | None:
    return None if value is None else float(value) / PER_MILLION


class ModelPriceTable:
    """Looks up the price of a model by name and provider; lookups are cached."""

    def __init__(self, prices: list[ModelPrice]) -> None:
        self.prices = prices
        self.find = lru_cache(maxsize=4096)(self._find)

    @classmethod
    def load(cls, override_path: Path | None = None) -> ModelPriceTable:
        """The built-in table, extended and overridden by the JSON file at ``override_path``.

        Raises:
            ConfigurationError: the override file can't be read or has an invalid entry.
        """
        built_in = orjson.loads(
            resources.files("spyglass_spans").joinpath("data/model_prices.json").read_bytes()
        )
        prices = [_entry(raw, False, "the built-in table") for raw in built_in["models"]]
        if override_path is not None:
            try:
                document = orjson.loads(override_path.read_bytes())
            except (OSError, orjson.JSONDecodeError) as error:
                raise ConfigurationError(
                    f"cannot read model prices from {override_path} ({error}); check "
                    "SPYGLASS_INGEST_MODEL_PRICES_FILE"
                ) from None
            entries = document.get("models") if isinstance(document, dict) else document
            if not isinstance(entries, list):
                raise ConfigurationError(
                    f"{override_path} must hold a list of models, or an object with 'models'"
                )
            prices = [_entry(raw, True, str(override_path)) for raw in entries] + prices
        return cls(prices)

    def _find(self, model_name: str, provider: str) -> ModelPrice | None:
        provider = provider.lower()
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
        """The cost of a call, or None when no price is known for the model."""
        price = self.find(model_name.strip(), provider)
        if price is None:
            return None
        cache_read = min(max(cache_read_tokens, 0), max(prompt_tokens, 0))
        cache_write = min(max(cache_write_tokens, 0), max(prompt_tokens, 0) - cache_read)
        plain = max(prompt_tokens - cache_read - cache_write, 0)
        prompt_cost = (
            plain * price.input
            + cache_read * (price.input if price.cache_read is None else price.cache_read)
            + cache_write * (price.input if price.cache_write is None else price.cache_write)
        )
        return Cost(prompt_cost, max(completion_tokens, 0) * price.output)
