"""The GraphQL package's machinery: the DataLoader, the depth rule, scalars, the export."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest
from graphql import parse, validate

from spyglass_query_api.contracts import main as export_main
from spyglass_query_api.graphql import executable_schema, printed_schema
from spyglass_query_api.graphql.dataloader import DataLoader
from spyglass_query_api.graphql.depth import MAX_QUERY_DEPTH, DepthLimitRule
from spyglass_query_api.graphql.scalars import parse_datetime

EXPORTED_SCHEMA = Path(__file__).parents[2] / "schema.graphql"


async def test_loads_of_one_turn_are_one_fetch() -> None:
    batches: list[list[int]] = []

    async def fetch(keys: Sequence[int]) -> dict[int, str]:
        batches.append(list(keys))
        return {key: f"row {key}" for key in keys if key != 3}

    loader: DataLoader[int, str | None] = DataLoader(fetch, lambda: None)

    values = await asyncio.gather(*(loader.load(key) for key in [1, 2, 3, 2]))
    again = await loader.load(1)

    assert values == ["row 1", "row 2", None, "row 2"]
    assert again == "row 1"
    assert batches == [[1, 2, 3]]


async def test_a_failed_fetch_fails_every_waiting_load_and_is_retried() -> None:
    calls = 0

    async def fetch(keys: Sequence[int]) -> dict[int, int]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("database went away")
        return {key: key for key in keys}

    loader: DataLoader[int, int] = DataLoader(fetch, int)

    results = await asyncio.gather(loader.load(1), loader.load(2), return_exceptions=True)

    assert [type(result) for result in results] == [ConnectionError, ConnectionError]
    assert await loader.load(1) == 1


def _depth_errors(document: str) -> list[str]:
    return [
        error.message for error in validate(executable_schema(), parse(document), [DepthLimitRule])
    ]


def test_depth_rule_counts_fields_through_fragments() -> None:
    inner = "spans { trace { " * 9 + "traceId" + " } }" * 9
    at_limit = '{ trace(traceId: "x") { ' + inner + " } }"
    through_fragment = (
        "fragment Deeper on Span { trace { spans { name } } } "
        '{ trace(traceId: "x") { '
        + inner.replace("traceId", "traceId spans { ...Deeper }")
        + " } }"
    )

    assert _depth_errors(at_limit) == []
    assert _depth_errors(through_fragment) == [
        f"Query is 23 fields deep; the maximum depth is {MAX_QUERY_DEPTH}"
    ]


def test_datetime_without_zone_is_utc_and_garbage_is_refused() -> None:
    assert parse_datetime("2026-11-01T12:00:00").isoformat() == "2026-11-01T12:00:00+00:00"
    assert parse_datetime("2026-11-01T12:00:00+02:00").utcoffset() is not None
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_datetime("noon")
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_datetime(1234)


def test_exported_schema_is_current() -> None:
    assert EXPORTED_SCHEMA.read_text() == printed_schema(), "run `make contracts`"


def test_export_check_fails_on_drift(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = export_main(["--check", str(tmp_path)])
    written = export_main([str(tmp_path)])
    current = export_main(["--check", str(tmp_path)])
    path = tmp_path / "schema.graphql"
    path.write_text(path.read_text() + "type Stale { x: Int }\n")
    stale = export_main(["--check", str(tmp_path)])
    document = tmp_path / "openapi.json"
    document.write_text(document.read_text().replace("/v1/projects", "/v1/gone"))
    both_stale = export_main(["--check", str(tmp_path)])

    assert (missing, written, current, stale, both_stale) == (1, 0, 0, 1, 1)
    errors = capsys.readouterr().err
    assert "make contracts" in errors
    assert errors.count("openapi.json is out of date") == 2  # missing, then edited
