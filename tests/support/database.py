"""Reading a test's database from synchronous test code."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg


def fetch(url: str, statement: str, *arguments: Any) -> list[asyncpg.Record]:
    """The rows of ``statement`` run on the database at ``url``, on a connection of its own."""

    async def run() -> list[asyncpg.Record]:
        connection = await asyncpg.connect(url)
        try:
            rows: list[asyncpg.Record] = await connection.fetch(statement, *arguments)
            return rows
        finally:
            await connection.close()

    return asyncio.run(run())
