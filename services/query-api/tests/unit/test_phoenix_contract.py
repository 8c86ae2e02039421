"""Our OpenAPI document offers Phoenix's tracing, dataset and experiment operations.

Phoenix's clients call these paths with these parameters and expect these success statuses;
the extract of the contract they are checked against is `tests/contract/`. Parameters we add
beyond Phoenix's are allowed; a missing path, method, parameter or a different status is not.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from spyglass_query_api.contracts import openapi_document

CONTRACTS = sorted((Path(__file__).parents[1] / "contract").glob("phoenix_*_operations.json"))
"""The extracts: tracing operations, and the dataset and experiment operations served so far."""
OPERATIONS: dict[str, dict[str, Any]] = {
    path: methods
    for contract in CONTRACTS
    for path, methods in json.loads(contract.read_text())["operations"].items()
}
CASES = [(path, method) for path, methods in OPERATIONS.items() for method in methods]


@pytest.fixture(scope="module")
def our_operations() -> dict[str, dict[str, Any]]:
    """Our OpenAPI document's paths."""
    paths: dict[str, dict[str, Any]] = json.loads(openapi_document())["paths"]
    return paths


@pytest.mark.parametrize(("path", "method"), CASES, ids=[f"{m.upper()} {p}" for p, m in CASES])
def test_operation_is_served_as_phoenix_serves_it(
    our_operations: dict[str, dict[str, Any]], path: str, method: str
) -> None:
    expected = OPERATIONS[path][method]

    assert path in our_operations, f"{method.upper()} {path} is not served"
    assert method in our_operations[path], f"{method.upper()} {path} is not served"
    ours = our_operations[path][method]
    parameters = {parameter["name"] for parameter in ours.get("parameters", [])}
    assert set(expected["parameters"]) <= parameters, (
        f"missing parameters: {sorted(set(expected['parameters']) - parameters)}"
    )
    successes = sorted(code for code in ours.get("responses", {}) if code.startswith("2"))
    assert successes == expected["success"]
