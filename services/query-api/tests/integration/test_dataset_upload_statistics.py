"""After a large upload the example tables are analyzed, so the dataset pages are planned with
the new rows counted; a small upload leaves that to autovacuum.

Autovacuum is switched off on the test database's example tables, so that only the query API
can have analyzed them.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import pytest

pytestmark = pytest.mark.slow

TABLES = ("dataset_examples", "dataset_example_revisions", "dataset_splits_dataset_examples")


@pytest.fixture
async def no_autovacuum(database_url: str) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        for table in TABLES:
            await connection.execute(f"ALTER TABLE {table} SET (autovacuum_enabled = false)")
    finally:
        await connection.close()


async def _statistics(database_url: str) -> dict[str, dict[str, Any]]:
    """Each example table's ``last_analyze``."""
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch(
            "SELECT relname, last_analyze FROM pg_stat_user_tables WHERE relname = ANY($1::text[])",
            list(TABLES),
        )
    finally:
        await connection.close()
    return {row["relname"]: dict(row) for row in rows}


async def _upload(api: httpx.AsyncClient, rows: int, *, sync: bool) -> httpx.Response:
    lines = "".join(
        f"q{index},a{index},{'train' if index % 2 else 'test'}\n" for index in range(rows)
    )
    return await api.post(
        "/v1/datasets/upload",
        params={"sync": str(sync).lower()},
        data={
            "action": "create",
            "name": f"upload-{rows}",
            "input_keys[]": ["question"],
            "output_keys[]": ["answer"],
            "split_keys[]": ["split"],
        },
        files={"file": ("rows.csv", f"question,answer,split\n{lines}".encode(), "text/csv")},
    )


async def test_a_10000_row_upload_is_analyzed_once_committed(
    api: httpx.AsyncClient, database_url: str, no_autovacuum: None
) -> None:
    started = datetime.now(UTC)

    uploaded = await _upload(api, 10_000, sync=True)

    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["data"]["num_created_examples"] == 10_000
    deadline = time.monotonic() + 30
    while True:  # the analysis runs after the answer: wait for it, within a deadline
        statistics = await _statistics(database_url)
        analyzed = {
            table: row["last_analyze"] is not None and row["last_analyze"] >= started
            for table, row in statistics.items()
        }
        if all(analyzed.values()) and len(analyzed) == len(TABLES):
            break
        assert time.monotonic() < deadline, statistics
        await asyncio.sleep(0.1)


async def test_a_small_upload_is_left_to_autovacuum(
    api: httpx.AsyncClient, database_url: str, no_autovacuum: None
) -> None:
    small = await _upload(api, 100, sync=False)
    listed = await api.get("/v1/datasets")

    assert (small.status_code, small.content) == (200, b"null")
    assert [dataset["example_count"] for dataset in listed.json()["data"]] == [100]
    # The in-process client returns once the app is done with the request, background included.
    statistics = await _statistics(database_url)
    analyzed = {table: statistics.get(table, {}).get("last_analyze") for table in TABLES}
    assert analyzed == dict.fromkeys(TABLES)
