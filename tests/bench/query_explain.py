"""The plans PostgreSQL ran for a request of the query API, through ``auto_explain``.

The benchmark can't know the SQL other modules send (nor their bind values), so it asks
PostgreSQL to log the plan of every statement the query API's connections run, with
``EXPLAIN (ANALYZE, BUFFERS)`` detail: ``auto_explain`` is preloaded for new sessions of the
database, the query API's pooled connections (``application_name = 'spyglass'``) are ended so
that its pool (``pool_pre_ping``) opens new ones that load it, and the plans are read from the
PostgreSQL log lines the launcher prints. On exit the database settings are reset and those
connections ended again, so later requests run without the instrumentation.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg

AUTO_EXPLAIN_SETTINGS = {
    "session_preload_libraries": "auto_explain",
    "auto_explain.log_min_duration": "0",
    "auto_explain.log_analyze": "on",
    "auto_explain.log_buffers": "on",
    "auto_explain.log_timing": "on",
}

_END_QUERY_API_SESSIONS = """
SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
WHERE application_name = 'spyglass' AND pid <> pg_backend_pid()
"""

LOG_FLUSH_SECONDS = 0.5


@dataclass
class Plans:
    """The PostgreSQL log lines (plans) printed while a window was open."""

    text: str = ""


class PlanCapture:
    """Windows over the launcher's output: ``async with capture.window() as plans: ...``."""

    def __init__(self, output: list[str]) -> None:
        self.output = output

    @asynccontextmanager
    async def window(self) -> AsyncIterator[Plans]:
        """Collect the PostgreSQL lines printed inside the block into the yielded ``Plans``,
        once the launcher's output thread had time to pump them."""
        plans = Plans()
        start = len(self.output)
        yield plans
        await asyncio.sleep(LOG_FLUSH_SECONDS)
        lines = []
        for line in self.output[start:]:
            name, separator, rest = line.partition("| ")
            if separator and name.strip() == "postgres":
                lines.append(rest)
        plans.text = "\n".join(lines)


async def _end_query_api_sessions(connection: asyncpg.Connection) -> None:
    await connection.fetchval(_END_QUERY_API_SESSIONS)


@asynccontextmanager
async def logged_plans(database_url: str, output: list[str]) -> AsyncIterator[PlanCapture]:
    """Log the plan of every statement of the query API while the block runs."""
    connection = await asyncpg.connect(database_url)
    database = await connection.fetchval("SELECT quote_ident(current_database())")
    try:
        for name, value in AUTO_EXPLAIN_SETTINGS.items():
            await connection.execute(f"ALTER DATABASE {database} SET {name} = '{value}'")
        await _end_query_api_sessions(connection)
        yield PlanCapture(output)
    finally:
        await connection.execute(f"ALTER DATABASE {database} RESET ALL")
        await _end_query_api_sessions(connection)
        await connection.close()
