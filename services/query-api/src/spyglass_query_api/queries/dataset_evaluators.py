"""Evaluators attached to datasets: each scores every run of every experiment over its dataset
as a run annotation named after it (the name is unique in the dataset).

A dataset evaluator runs a pinned version of its evaluator, or (``evaluator_version`` None)
whichever is the latest when a run is scored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import BigInteger, Integer, Text

from spyglass_query_api.queries.pages import newest_first, page_start


@dataclass(frozen=True)
class DatasetEvaluatorRow:
    id: int
    dataset_id: int
    evaluator_id: int
    evaluator_name: str
    evaluator_kind: str
    evaluator_version: int | None
    name: str
    input_mapping: dict[str, Any]
    created_at: datetime
    updated_at: datetime


_COLUMNS_SQL = """
    de.id, de.dataset_id, de.evaluator_id, e.name AS evaluator_name,
    e.kind AS evaluator_kind, de.evaluator_version, de.name, de.input_mapping, de.created_at,
    de.updated_at
"""

_LOCK_DATASET = text("SELECT id FROM datasets WHERE id = :dataset_id FOR KEY SHARE").bindparams(
    bindparam("dataset_id", type_=BigInteger)
)

_LIST = newest_first(
    f"""
    SELECT {_COLUMNS_SQL}
    FROM dataset_evaluators AS de JOIN evaluators AS e ON e.id = de.evaluator_id
    """,
    "de.id",
    "de.dataset_id = :dataset_id",
    dataset_id=BigInteger(),
)

_INSERT = text(
    f"""
    WITH inserted AS (
        INSERT INTO dataset_evaluators
            (dataset_id, evaluator_id, evaluator_version, name, input_mapping, requested_by)
        VALUES (:dataset_id, :evaluator_id, :evaluator_version, :name, :input_mapping,
            :requested_by)
        ON CONFLICT (dataset_id, name) DO NOTHING
        RETURNING *
    )
    SELECT {_COLUMNS_SQL} FROM inserted AS de JOIN evaluators AS e ON e.id = de.evaluator_id
    """
).bindparams(
    bindparam("dataset_id", type_=BigInteger),
    bindparam("evaluator_id", type_=BigInteger),
    bindparam("evaluator_version", type_=Integer),
    bindparam("name", type_=Text),
    bindparam("input_mapping", type_=JSONB),
    bindparam("requested_by", type_=BigInteger),
)

_DELETE = text(
    "DELETE FROM dataset_evaluators WHERE id = :id AND dataset_id = :dataset_id RETURNING id"
).bindparams(bindparam("id", type_=BigInteger), bindparam("dataset_id", type_=BigInteger))


def _row(row: Row[Any]) -> DatasetEvaluatorRow:
    return DatasetEvaluatorRow(**row._mapping)


async def lock_dataset(connection: AsyncConnection, dataset_id: int) -> bool:
    """Whether the dataset with row id ``dataset_id`` exists; if it does, it can't be deleted
    before the transaction ends (a key-share lock, as a foreign key check takes)."""
    result = await connection.execute(_LOCK_DATASET, {"dataset_id": dataset_id})
    return result.first() is not None


async def list_dataset_evaluators(
    connection: AsyncConnection, dataset_id: int, start: int | None, fetch: int
) -> list[DatasetEvaluatorRow]:
    """Up to ``fetch`` of the dataset's evaluators, newest first, from row id ``start`` down."""
    values = {"dataset_id": dataset_id, "start": page_start(start), "fetch": fetch}
    return [_row(row) for row in await connection.execute(_LIST, values)]


async def create_dataset_evaluator(
    connection: AsyncConnection,
    *,
    dataset_id: int,
    evaluator_id: int,
    evaluator_version: int | None,
    name: str,
    input_mapping: dict[str, Any],
    requested_by: int | None = None,
) -> DatasetEvaluatorRow | None:
    """Attach the evaluator to the dataset under ``name``, on behalf of user ``requested_by``
    (its jobs stop when that user may no longer write); None if the dataset already has a
    dataset evaluator of that name. The caller holds the dataset's and the evaluator's locks
    (:func:`lock_dataset`, ``evaluators.lock_evaluator``), so neither goes meanwhile."""
    values = {
        "dataset_id": dataset_id,
        "evaluator_id": evaluator_id,
        "evaluator_version": evaluator_version,
        "name": name,
        "input_mapping": input_mapping,
        "requested_by": requested_by,
    }
    row = (await connection.execute(_INSERT, values)).first()
    return None if row is None else _row(row)


async def delete_dataset_evaluator(
    connection: AsyncConnection, dataset_id: int, dataset_evaluator_id: int
) -> bool:
    """Detach the dataset evaluator (the scores it wrote stay; its unfinished jobs go); False if
    the dataset has no such one."""
    values = {"id": dataset_evaluator_id, "dataset_id": dataset_id}
    return (await connection.execute(_DELETE, values)).first() is not None
