"""Benchmark: evaluations a second one process runs with each built-in evaluator.

Inputs are shaped like a model's answers: about 1,000 characters of text (the expected text a
few edits away), or a JSON object of about 30 values. Each built-in's configuration is parsed
once, as the worker does; each round evaluates every input; the best round counts. Also
measured: ``coerce_result`` (what the sandbox's code evaluators go through) and reading a
judge's verdict (``parse_judge_completion``). The platform's target is 2,000 evaluations a
second per process.

    .venv/bin/python -m tests.bench.builtin_evaluators [--inputs 2000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import functools
import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

import orjson

from spyglass_evals import builtin_evaluator, builtin_judge, coerce_result, parse_judge_completion
from spyglass_evals.judges import VERDICT_TOOL
from spyglass_llm import Completion, ModelProvider, ToolCall

WORDS = [
    "the",
    "order",
    "shipped",
    "on",
    "monday",
    "refund",
    "policy",
    "customer",
    "account",
    "invoice",
    "total",
    "amount",
    "delivery",
    "tracking",
    "number",
    "support",
    "ticket",
    "escalated",
    "resolved",
    "pending",
    "payment",
    "card",
    "address",
    "changed",
    "weather",
    "forecast",
    "sunny",
    "rain",
    "tomorrow",
    "capital",
    "city",
    "population",
]

Item = TypeVar("Item")

CONFIGS: dict[str, dict[str, Any]] = {
    "exact_match": {"case_sensitive": False, "strip_whitespace": True},
    "contains": {"words": ["refund", "invoice", "tracking number"], "require_all": False},
    "regex": {"pattern": r"\border #\d{4,}\b", "case_sensitive": False},
    "json_valid": {
        "schema": {
            "type": "object",
            "required": ["id", "items", "customer"],
            "properties": {
                "id": {"type": "integer"},
                "items": {"type": "array", "items": {"type": "object"}},
                "customer": {"type": "object", "properties": {"email": {"type": "string"}}},
            },
        }
    },
    "json_distance": {},
    "levenshtein": {},
    "length_between": {"min_length": 100, "max_length": 2_000},
    "not_empty": {},
    "within_tolerance": {"absolute_tolerance": 0.5},
}


def text(generator: random.Random, characters: int) -> str:
    words: list[str] = []
    length = 0
    while length < characters:
        word = generator.choice(WORDS)
        words.append(word)
        length += len(word) + 1
    return " ".join(words)


def edited(generator: random.Random, original: str, edits: int) -> str:
    characters = list(original)
    for _ in range(edits):
        characters[generator.randrange(len(characters))] = generator.choice("abcdefgh ")
    return "".join(characters)


def document(generator: random.Random) -> dict[str, Any]:
    return {
        "id": generator.randrange(10**6),
        "customer": {"email": f"user{generator.randrange(1000)}@example.com", "vip": False},
        "items": [
            {"sku": f"SKU-{generator.randrange(10**4)}", "quantity": generator.randrange(1, 5)}
            for _ in range(generator.randrange(3, 8))
        ],
        "notes": text(generator, 120),
    }


def inputs_for(name: str, generator: random.Random) -> dict[str, Any]:
    if name in ("json_valid", "json_distance"):
        expected = document(generator)
        changed = dict(expected, id=expected["id"] + generator.randrange(2))
        return {"output": orjson.dumps(changed).decode(), "expected": expected}
    if name == "within_tolerance":
        number = generator.uniform(0, 100)
        return {"output": f"{number + generator.uniform(-1, 1):.3f}", "expected": number}
    output = text(generator, 1_000)
    if generator.random() < 0.3:
        output += f" Your order #{generator.randrange(10**6)} is on its way."
    return {"output": output, "expected": edited(generator, output, 20)}


def rate(run: Callable[[Item], object], inputs: list[Item], rounds: int) -> float:
    """Evaluations a second: the best of ``rounds`` passes over ``inputs``."""
    best = 0.0
    for _ in range(rounds):
        started = time.perf_counter()
        for item in inputs:
            run(item)
        best = max(best, len(inputs) / (time.perf_counter() - started))
    return best


def main() -> None:
    """Run the benchmark and print evaluations a second for each built-in."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=5)
    arguments = parser.parse_args()
    generator = random.Random(7)

    print(f"{'evaluator':<24} {'evaluations/s':>14}")
    for name, raw in CONFIGS.items():
        evaluator = builtin_evaluator(name)
        config = evaluator.parse_config(raw)
        inputs = [inputs_for(name, generator) for _ in range(arguments.inputs)]
        per_second = rate(functools.partial(evaluator.evaluate, config), inputs, arguments.rounds)
        print(f"{name:<24} {per_second:>14,.0f}")

    returned = [
        {
            "score": generator.random(),
            "label": "ok",
            "explanation": text(generator, 200),
            "metadata": {"n": 1},
        }
        for _ in range(arguments.inputs)
    ]
    print(f"{'coerce_result':<24} {rate(coerce_result, returned, arguments.rounds):>14,.0f}")

    judge = builtin_judge("correctness")
    answers = [
        Completion(
            provider=ModelProvider.OPENAI,
            model="gpt-4o-mini",
            text="",
            tool_calls=(
                ToolCall(
                    "call_0",
                    VERDICT_TOOL,
                    orjson.dumps(
                        {
                            "explanation": text(generator, 300),
                            "label": generator.choice(judge.labels),
                        }
                    ).decode(),
                ),
            ),
        )
        for _ in range(arguments.inputs)
    ]
    per_second = rate(
        lambda answer: parse_judge_completion(judge, answer), answers, arguments.rounds
    )
    print(f"{'parse_judge_completion':<24} {per_second:>14,.0f}")


if __name__ == "__main__":
    main()
