"""The model price table: which price a model gets, and what a call costs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from spyglass_core.errors import ConfigurationError
from spyglass_spans import ModelPriceTable

BUILT_IN = ModelPriceTable.load()


def _write(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document))
    return path


@pytest.mark.parametrize(
    ("model_name", "expected"),
    [
        ("gpt-4o", "gpt-4o"),
        ("gpt-4o-2024-08-06", "gpt-4o"),
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("openai/gpt-4.1-mini", "gpt-4.1-mini"),
        ("GPT-5", "gpt-5"),
        ("o3-mini-2025-01-31", "o3-mini"),
        ("claude-3-5-sonnet-20241022", "claude-3-5-sonnet"),
        ("anthropic.claude-3-5-haiku-20241022-v1:0", "claude-3-5-haiku"),
        ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"),
        ("claude-opus-4-1-20250805", "claude-opus-4-1"),
        ("models/gemini-2.5-flash-lite", "gemini-2.5-flash-lite"),
        ("gemini-2.0-flash-001", "gemini-2.0-flash"),
        ("mistral-large-latest", "mistral-large"),
        ("deepseek-chat", "deepseek-chat"),
        ("command-r-plus-08-2024", "command-r-plus"),
        ("grok-4-fast-reasoning", "grok-4-fast"),
    ],
)
def test_the_most_specific_built_in_model_matches(model_name: str, expected: str) -> None:
    price = BUILT_IN.find(model_name, "")
    assert price is not None and price.name == expected


@pytest.mark.parametrize("model_name", ["my-private-model", "gpt-4ox", "xgpt-4o", ""])
def test_unknown_models_have_no_price(model_name: str) -> None:
    assert BUILT_IN.find(model_name, "") is None
    assert BUILT_IN.cost(model_name, "", 100, 100) is None


def test_the_span_provider_picks_between_models_of_the_same_name() -> None:
    name = "meta-llama/Llama-4-Scout-17B-16E-Instruct"

    together = BUILT_IN.find(name, "together")
    groq = BUILT_IN.find(name, "GROQ")
    gen_ai_spelling = BUILT_IN.find("gemini-2.5-pro", "gcp.vertex_ai")

    assert together is not None and together.provider == "together"
    assert groq is not None and groq.provider == "groq"
    assert gen_ai_spelling is not None and gen_ai_spelling.provider == "google"


def test_a_configured_file_overrides_and_extends_the_built_in_table(tmp_path: Path) -> None:
    table = ModelPriceTable.load(
        _write(
            tmp_path / "prices.json",
            {
                "models": [
                    {"name": "gpt-4o", "input": 100, "output": 200},
                    {"name": "house-model", "provider": "us", "input": 1, "output": 2},
                    {
                        "name": "house-family",
                        "name_pattern": r"house-v\d+",
                        "input": 3,
                        "output": 4,
                        "cache_read": 0.5,
                    },
                ]
            },
        )
    )

    overridden = table.cost("gpt-4o-2024-08-06", "openai", 1_000_000, 1_000_000)
    added = table.cost("house-model", "", 1_000_000, 0)
    patterned = table.find("HOUSE-V12", "")

    assert overridden is not None
    assert (overridden.prompt, overridden.completion) == pytest.approx((100, 200))
    assert added is not None and added.prompt == pytest.approx(1)
    assert patterned is not None and patterned.cache_read == pytest.approx(0.5e-6)
    assert table.find("house-v1x", "") is None  # patterns match the whole name


def test_an_override_wins_even_when_less_specific(tmp_path: Path) -> None:
    table = ModelPriceTable.load(
        _write(tmp_path / "prices.json", [{"name": "gpt-4", "input": 1, "output": 1}])
    )
    price = table.find("gpt-4o-mini", "openai")
    assert price is not None and price.name == "gpt-4o-mini"  # gpt-4's pattern doesn't match it
    price = table.find("gpt-4.1", "openai")
    assert price is not None and (price.name, price.user_defined) == ("gpt-4", True)


def test_prices_may_be_given_per_token(tmp_path: Path) -> None:
    table = ModelPriceTable.load(
        _write(
            tmp_path / "prices.json",
            {"unit": "usd_per_token", "models": [{"name": "tiny", "input": 2e-6, "output": 0}]},
        )
    )
    cost = table.cost("tiny", "", 1_000_000, 0)
    assert cost is not None and cost.prompt == pytest.approx(2)


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        ("{not json", "SPYGLASS_RECEIVER_MODEL_PRICES_FILE"),
        ('{"models": {"name": "x"}}', "list of models"),
        ('[{"name": "x", "input": 1}]', "needs name, input and output"),
        ('[{"name": "x", "input": "cheap", "output": 1}]', "needs name, input and output"),
        ('[{"name": "x", "name_pattern": "(", "input": 1, "output": 1}]', "invalid model price"),
        ('{"unit": "usd_per_kilotoken", "models": []}', "unit must be one of"),
    ],
)
def test_a_broken_price_file_fails_with_a_message(
    tmp_path: Path, content: str, complaint: str
) -> None:
    broken = tmp_path / "prices.json"
    broken.write_text(content)

    with pytest.raises(ConfigurationError) as error:
        ModelPriceTable.load(broken)

    assert complaint in error.value.message
    assert str(broken) in error.value.message


def test_a_missing_price_file_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="SPYGLASS_RECEIVER_MODEL_PRICES_FILE"):
        ModelPriceTable.load(tmp_path / "absent.json")


# --- cost --------------------------------------------------------------------------------------


def _table(tmp_path: Path, **rates: float | None) -> ModelPriceTable:
    entry = {"name": "model", "input": 10, "output": 20, **rates}
    return ModelPriceTable.load(_write(tmp_path / "prices.json", [entry]))


def test_cache_reads_and_writes_are_priced_at_their_rates(tmp_path: Path) -> None:
    table = _table(tmp_path, cache_read=1, cache_write=12.5)

    cost = table.cost("model", "", 1_000_000, 500_000, 200_000, 100_000)

    # 700k plain prompt tokens at $10/M, 200k cache reads at $1/M, 100k writes at $12.5/M.
    assert cost is not None
    assert cost.prompt == pytest.approx(7 + 0.2 + 1.25)
    assert cost.completion == pytest.approx(10)
    assert cost.total == pytest.approx(18.45)


def test_cache_tokens_without_their_own_rate_cost_the_input_rate(tmp_path: Path) -> None:
    cost = _table(tmp_path).cost("model", "", 1_000_000, 0, 200_000, 100_000)
    assert cost is not None and cost.prompt == pytest.approx(10)


def test_cache_counts_are_capped_at_the_prompt_and_negatives_count_as_zero(tmp_path: Path) -> None:
    table = _table(tmp_path, cache_read=1, cache_write=100)

    capped = table.cost("model", "", 1_000_000, -5, 3_000_000, 1_000_000)
    negative = table.cost("model", "", -1, 0, -10, -10)

    assert capped is not None and capped.prompt == pytest.approx(1)  # all of it read from cache
    assert capped.completion == 0
    assert negative is not None and negative.total == 0


def test_built_in_cache_write_rates_apply_to_anthropic_models() -> None:
    cost = BUILT_IN.cost("claude-3-5-sonnet-20241022", "anthropic", 1_000_000, 0, 0, 1_000_000)
    assert cost is not None and cost.prompt == pytest.approx(3.75)
