"""Dataset splits through a dataset: create, change and delete them, and their examples.

A split's name is unique across all datasets (as in Phoenix) and a split may hold examples of
several datasets; seen through one dataset, its ``example_count`` counts that dataset's examples
in it. Membership is not versioned: adding an example to a split or taking it out changes no
dataset version.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import BigInteger, Boolean

from spyglass_query_api.queries.tables import ROWIDS

SPLIT_COLUMNS_SQL = "s.id, s.name, s.description, s.color, s.metadata, s.created_at, s.updated_at"
"""A split's own columns (of ``dataset_splits AS s``), in ``SplitRow``'s order."""


@dataclass(frozen=True)
class SplitRow:
    """A split's own columns."""

    id: int
    name: str
    description: str | None
    color: str
    metadata: dict[str, Any]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class DatasetSplitRow(SplitRow):
    """A split, with how many of one dataset's examples it holds."""

    example_count: int


_COLUMNS_SQL = f"""
    {SPLIT_COLUMNS_SQL},
    (SELECT count(*) FROM dataset_splits_dataset_examples AS l
     JOIN dataset_examples AS e ON e.id = l.dataset_example_id
     WHERE l.dataset_split_id = s.id AND e.dataset_id = :dataset_id)
"""

_MISSING_EXAMPLES = text(
    "SELECT wanted.id FROM unnest(CAST(:example_ids AS bigint[])) AS wanted(id) "
    "WHERE NOT EXISTS (SELECT 1 FROM dataset_examples AS e "
    "                  WHERE e.id = wanted.id AND e.dataset_id = :dataset_id) "
    "ORDER BY wanted.id"
).bindparams(bindparam("dataset_id", type_=BigInteger), bindparam("example_ids", type_=ROWIDS))
_CREATE = text(
    "INSERT INTO dataset_splits (name, description, color, metadata) "
    "VALUES (:name, :description, :color, CAST(:metadata AS jsonb)) "
    "ON CONFLICT (name) DO NOTHING RETURNING id"
)
_GET = text(f"SELECT {_COLUMNS_SQL} FROM dataset_splits AS s WHERE s.id = :id").bindparams(
    bindparam("id", type_=BigInteger), bindparam("dataset_id", type_=BigInteger)
)
_UPDATE = text(
    """
    UPDATE dataset_splits AS s
    SET name = COALESCE(:name, s.name),
        color = COALESCE(:color, s.color),
        description = CASE WHEN :set_description THEN :description ELSE s.description END,
        metadata = COALESCE(CAST(:metadata AS jsonb), s.metadata),
        updated_at = now()
    WHERE s.id = :id
    RETURNING s.id
    """
).bindparams(bindparam("id", type_=BigInteger), bindparam("set_description", type_=Boolean))
_ADD_EXAMPLES = text(
    "INSERT INTO dataset_splits_dataset_examples (dataset_split_id, dataset_example_id) "
    "SELECT :split_id, unnest(CAST(:example_ids AS bigint[])) ON CONFLICT DO NOTHING"
).bindparams(bindparam("split_id", type_=BigInteger), bindparam("example_ids", type_=ROWIDS))
_REMOVE_EXAMPLES = text(
    "DELETE FROM dataset_splits_dataset_examples "
    "WHERE dataset_split_id = :split_id AND dataset_example_id = ANY(:example_ids)"
).bindparams(bindparam("split_id", type_=BigInteger), bindparam("example_ids", type_=ROWIDS))
_DELETE = text("DELETE FROM dataset_splits WHERE id = :id RETURNING id").bindparams(
    bindparam("id", type_=BigInteger)
)


async def find_missing_examples(
    connection: AsyncConnection, dataset_id: int, example_ids: Sequence[int]
) -> list[int]:
    """The ids of ``example_ids`` that are not examples of the dataset."""
    values = {"dataset_id": dataset_id, "example_ids": list(example_ids)}
    return [int(rowid) for rowid in (await connection.execute(_MISSING_EXAMPLES, values)).scalars()]


async def get_split(
    connection: AsyncConnection, split_id: int, dataset_id: int
) -> DatasetSplitRow | None:
    """The split with ``split_id`` as the dataset sees it, or None."""
    values = {"id": split_id, "dataset_id": dataset_id}
    row = (await connection.execute(_GET, values)).one_or_none()
    return None if row is None else DatasetSplitRow(*row)


async def create_split(
    connection: AsyncConnection,
    dataset_id: int,
    *,
    name: str,
    description: str | None,
    color: str,
    metadata: dict[str, Any],
    example_ids: Sequence[int],
) -> DatasetSplitRow | None:
    """A new split holding ``example_ids`` (the caller has checked they are the dataset's), or
    None if the name is taken."""
    values = {
        "name": name,
        "description": description,
        "color": color,
        "metadata": orjson.dumps(metadata).decode(),
    }
    split_id = (await connection.execute(_CREATE, values)).scalar()
    if split_id is None:
        return None
    await add_examples(connection, split_id, example_ids)
    return await get_split(connection, split_id, dataset_id)


@dataclass(frozen=True)
class SplitChanges:
    """What an update sets: each field given (not None) replaces the split's, except that
    ``description`` is replaced whenever ``set_description`` is true (None clears it)."""

    name: str | None = None
    color: str | None = None
    metadata: dict[str, Any] | None = None
    description: str | None = None
    set_description: bool = False


async def update_split(connection: AsyncConnection, split_id: int, changes: SplitChanges) -> bool:
    """Apply ``changes`` to the split; False if there is no such split.

    Raises:
        sqlalchemy.exc.IntegrityError: the new name is another split's.
    """
    values = {
        "id": split_id,
        "name": changes.name,
        "color": changes.color,
        "metadata": None if changes.metadata is None else orjson.dumps(changes.metadata).decode(),
        "set_description": changes.set_description,
        "description": changes.description,
    }
    return (await connection.execute(_UPDATE, values)).scalar() is not None


async def add_examples(
    connection: AsyncConnection, split_id: int, example_ids: Sequence[int]
) -> None:
    """Put the examples in the split (those already in it stay as they are)."""
    if example_ids:
        await connection.execute(
            _ADD_EXAMPLES, {"split_id": split_id, "example_ids": list(example_ids)}
        )


async def remove_examples(
    connection: AsyncConnection, split_id: int, example_ids: Sequence[int]
) -> None:
    """Take the examples out of the split (those not in it are ignored)."""
    if example_ids:
        await connection.execute(
            _REMOVE_EXAMPLES, {"split_id": split_id, "example_ids": list(example_ids)}
        )


async def delete_split(connection: AsyncConnection, split_id: int) -> bool:
    """Delete a split (its examples stay; they leave it); False if there was none."""
    return (await connection.execute(_DELETE, {"id": split_id})).scalar() is not None
