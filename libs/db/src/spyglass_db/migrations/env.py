"""Alembic environment: runs migrations over asyncpg against the URL given in the config.

Every run holds a PostgreSQL advisory lock (``MIGRATION_LOCK_KEY``) for its whole transaction,
so init containers of several replicas started at once take turns: the first migrates, the
others wait, then find the schema at head and do nothing. The lock is taken before Alembic
reads (or creates) its version table, so a waiter reads what the first one committed.
"""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from spyglass_db.models import metadata

PARTITION_PREFIXES = ("spans_default", "spans_p")

MIGRATION_LOCK_KEY = 0x5350_5947_4C41_5353 & 0x7FFF_FFFF_FFFF_FFFF
"""The advisory lock migrations hold ("SPYGLASS" in ASCII, as a positive bigint)."""

# Indexes over SQL functions that migrations create: autogenerate can't compare them.
MIGRATION_ONLY_INDEXES = {"ix_spans_filter_attributes"}


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Leave partitions of ``spans`` to the partition manager, not to autogenerate.

    PostgreSQL also gives every foreign key that references ``spans`` one hidden twin per
    partition; those are skipped too, and so are the indexes in ``MIGRATION_ONLY_INDEXES``.
    """
    if type_ == "index" and name in MIGRATION_ONLY_INDEXES:
        return False
    if type_ == "table":
        return not (name or "").startswith(PARTITION_PREFIXES)
    if type_ == "foreign_key_constraint":
        return not str(obj.referred_table.name).startswith(PARTITION_PREFIXES)
    return True


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        include_object=include_object,
        compare_type=True,
        compare_server_default=False,
    )
    with context.begin_transaction():
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")
        context.run_migrations()


async def run_async() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "spyglass_db.migrate sets sqlalchemy.url"
    engine = create_async_engine(url, connect_args={"timeout": 10})
    try:
        async with engine.connect() as connection:
            await connection.run_sync(run_migrations)
            await connection.commit()
    finally:
        await engine.dispose()


asyncio.run(run_async())
