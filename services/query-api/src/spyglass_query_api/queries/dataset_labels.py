"""Dataset labels: global, uniquely named tags (name, colour, description) that datasets carry.

A label's name is unique across all datasets (as in Phoenix); a dataset carries a label through
``datasets_dataset_labels``, whose rows go with either side. Creating or renaming onto a taken
name answers None or raises ``IntegrityError`` for the caller to turn into a conflict.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import BigInteger, Boolean

from spyglass_query_api.queries.pages import newest_first, page_start
from spyglass_query_api.queries.tables import ROWIDS


@dataclass(frozen=True)
class LabelRow:
    id: int
    name: str
    description: str | None
    color: str


LABEL_COLUMNS_SQL = "l.id, l.name, l.description, l.color"
"""A label's columns (of ``dataset_labels AS l``), in ``LabelRow``'s order."""

_LIST = newest_first(f"SELECT {LABEL_COLUMNS_SQL} FROM dataset_labels AS l", "l.id")
_GET = text(f"SELECT {LABEL_COLUMNS_SQL} FROM dataset_labels AS l WHERE l.id = :id").bindparams(
    bindparam("id", type_=BigInteger)
)
_CREATE = text(
    "INSERT INTO dataset_labels AS l (name, description, color) "
    "VALUES (:name, :description, :color) "
    f"ON CONFLICT (name) DO NOTHING RETURNING {LABEL_COLUMNS_SQL}"
)
_UPDATE = text(
    f"""
    UPDATE dataset_labels AS l
    SET name = CASE WHEN :set_name THEN :name ELSE l.name END,
        color = CASE WHEN :set_color THEN :color ELSE l.color END,
        description = CASE WHEN :set_description THEN :description ELSE l.description END
    WHERE l.id = :id
    RETURNING {LABEL_COLUMNS_SQL}
    """
).bindparams(
    bindparam("id", type_=BigInteger),
    bindparam("set_name", type_=Boolean),
    bindparam("set_color", type_=Boolean),
    bindparam("set_description", type_=Boolean),
)
_DELETE = text("DELETE FROM dataset_labels WHERE id = :id RETURNING id").bindparams(
    bindparam("id", type_=BigInteger)
)

_OF_DATASET = text(
    f"""
    SELECT {LABEL_COLUMNS_SQL} FROM dataset_labels AS l
    JOIN datasets_dataset_labels AS dl ON dl.dataset_label_id = l.id
    WHERE dl.dataset_id = :dataset_id
    ORDER BY l.id DESC
    """
).bindparams(bindparam("dataset_id", type_=BigInteger))
_APPLY = text(
    f"""
    WITH label AS (SELECT {LABEL_COLUMNS_SQL} FROM dataset_labels AS l WHERE l.id = :label_id),
    applied AS (
        INSERT INTO datasets_dataset_labels (dataset_id, dataset_label_id)
        SELECT :dataset_id, id FROM label
        ON CONFLICT DO NOTHING
    )
    SELECT * FROM label
    """
).bindparams(bindparam("dataset_id", type_=BigInteger), bindparam("label_id", type_=BigInteger))
_REMOVE = text(
    "DELETE FROM datasets_dataset_labels "
    "WHERE dataset_id = :dataset_id AND dataset_label_id = :label_id"
).bindparams(bindparam("dataset_id", type_=BigInteger), bindparam("label_id", type_=BigInteger))
_MISSING = text(
    "SELECT wanted.id FROM unnest(CAST(:label_ids AS bigint[])) AS wanted(id) "
    "WHERE NOT EXISTS (SELECT 1 FROM dataset_labels AS l WHERE l.id = wanted.id) "
    "ORDER BY wanted.id"
).bindparams(bindparam("label_ids", type_=ROWIDS))
_REPLACE = text(
    """
    WITH removed AS (
        DELETE FROM datasets_dataset_labels
        WHERE dataset_id = :dataset_id AND dataset_label_id <> ALL(:label_ids)
    )
    INSERT INTO datasets_dataset_labels (dataset_id, dataset_label_id)
    SELECT :dataset_id, l.id FROM dataset_labels AS l WHERE l.id = ANY(:label_ids)
    ON CONFLICT DO NOTHING
    """
).bindparams(bindparam("dataset_id", type_=BigInteger), bindparam("label_ids", type_=ROWIDS))


async def list_labels(connection: AsyncConnection, start: int | None, fetch: int) -> list[LabelRow]:
    """Up to ``fetch`` labels, newest first, from id ``start`` (inclusive) on."""
    values = {"start": page_start(start), "fetch": fetch}
    return [LabelRow(*row) for row in await connection.execute(_LIST, values)]


async def get_label(connection: AsyncConnection, label_id: int) -> LabelRow | None:
    """The label with ``label_id``, or None."""
    row = (await connection.execute(_GET, {"id": label_id})).one_or_none()
    return None if row is None else LabelRow(*row)


async def create_label(
    connection: AsyncConnection, name: str, description: str | None, color: str
) -> LabelRow | None:
    """A new label, or None if its name is taken."""
    values = {"name": name, "description": description, "color": color}
    row = (await connection.execute(_CREATE, values)).one_or_none()
    return None if row is None else LabelRow(*row)


@dataclass(frozen=True)
class LabelChanges:
    """What an update sets: each field given (not None) replaces the label's, except that
    ``description`` is replaced whenever ``set_description`` is true (None clears it)."""

    name: str | None = None
    color: str | None = None
    description: str | None = None
    set_description: bool = False


async def update_label(
    connection: AsyncConnection, label_id: int, changes: LabelChanges
) -> LabelRow | None:
    """The label after ``changes``, or None if there is no such label.

    Raises:
        sqlalchemy.exc.IntegrityError: the new name is another label's.
    """
    values = {
        "id": label_id,
        "set_name": changes.name is not None,
        "name": changes.name,
        "set_color": changes.color is not None,
        "color": changes.color,
        "set_description": changes.set_description,
        "description": changes.description,
    }
    row = (await connection.execute(_UPDATE, values)).one_or_none()
    return None if row is None else LabelRow(*row)


async def delete_label(connection: AsyncConnection, label_id: int) -> bool:
    """Delete a label (and take it off every dataset); False if there was none."""
    return (await connection.execute(_DELETE, {"id": label_id})).scalar() is not None


async def list_labels_of_dataset(connection: AsyncConnection, dataset_id: int) -> list[LabelRow]:
    """The labels a dataset carries, newest first."""
    return [
        LabelRow(*row) for row in await connection.execute(_OF_DATASET, {"dataset_id": dataset_id})
    ]


async def apply_label(
    connection: AsyncConnection, dataset_id: int, label_id: int
) -> LabelRow | None:
    """Put the label on the dataset (nothing changes if it is there); the label, or None if
    there is no such label."""
    values = {"dataset_id": dataset_id, "label_id": label_id}
    row = (await connection.execute(_APPLY, values)).one_or_none()
    return None if row is None else LabelRow(*row)


async def remove_label(connection: AsyncConnection, dataset_id: int, label_id: int) -> None:
    """Take the label off the dataset (nothing happens if it is not on it)."""
    await connection.execute(_REMOVE, {"dataset_id": dataset_id, "label_id": label_id})


async def find_missing_labels(connection: AsyncConnection, label_ids: Sequence[int]) -> list[int]:
    """The ids of ``label_ids`` that name no label."""
    result = await connection.execute(_MISSING, {"label_ids": list(label_ids)})
    return [int(label_id) for label_id in result.scalars()]


async def replace_labels(
    connection: AsyncConnection, dataset_id: int, label_ids: Sequence[int]
) -> list[LabelRow]:
    """Make the dataset carry exactly the labels ``label_ids`` (those that exist); answers
    its labels, newest first."""
    await connection.execute(_REPLACE, {"dataset_id": dataset_id, "label_ids": list(label_ids)})
    return await list_labels_of_dataset(connection, dataset_id)
