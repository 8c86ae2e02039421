"""Editing a dataset from the UI: its name and description, and its examples (a new version).

An edit of examples makes one version, as an upload does: it takes the dataset's row lock
first (libs/db's rule: versions commit in id order), checks under the lock that every example is
one of the dataset's current examples, then writes a ``PATCH`` or ``DELETE`` revision per
example in one statement. Each edit runs in a savepoint, so one that is refused part-way (an
example deleted meanwhile, a taken name) leaves nothing behind, not even the lock's touch of
``updated_at``, whatever the request does next.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import bindparam, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import BigInteger

from spyglass_core.errors import ConflictError, InvalidArgumentError, NotFoundError
from spyglass_query_api.queries import datasets
from spyglass_query_api.queries.dataset_pages import REVISION_AT_SQL, DatasetNode
from spyglass_query_api.queries.ids import global_id
from spyglass_query_api.queries.tables import ROWIDS


@dataclass(frozen=True)
class ExamplePatch:
    """New content for one example; a part left as None keeps its current value."""

    example_id: int
    input: dict[str, Any] | None = None
    output: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None


@dataclass(frozen=True)
class NewVersion:
    dataset_id: int
    version_id: int


_DATASETS_OF = text(
    "SELECT e.id, e.dataset_id FROM dataset_examples AS e WHERE e.id = ANY(:ids)"
).bindparams(bindparam("ids", type_=ROWIDS))
_LOCK = text("UPDATE datasets SET updated_at = now() WHERE id = :id RETURNING id").bindparams(
    bindparam("id", type_=BigInteger)
)  # the row lock, held until commit
_NOT_CURRENT = text(
    f"""
    SELECT k.id FROM unnest(CAST(:ids AS bigint[])) AS k(id)
    LEFT JOIN LATERAL ({REVISION_AT_SQL.format(example="k.id", version=":version_id")}) AS r
        ON TRUE
    WHERE r.id IS NULL OR r.revision_kind = 'DELETE'
    ORDER BY k.id
    """
).bindparams(bindparam("ids", type_=ROWIDS), bindparam("version_id", type_=BigInteger))
_WRITE_PATCHES = text(
    f"""
    INSERT INTO dataset_example_revisions
        (dataset_example_id, dataset_version_id, input, output, metadata, revision_kind)
    SELECT p.id, :version_id, COALESCE(p.i, c.input), COALESCE(p.o, c.output),
           COALESCE(p.m, c.metadata), 'PATCH'
    FROM jsonb_to_recordset(CAST(:patches AS jsonb)) AS p(id bigint, i jsonb, o jsonb, m jsonb)
    CROSS JOIN LATERAL ({REVISION_AT_SQL.format(example="p.id", version=":previous_id")}) AS c
    """
).bindparams(bindparam("version_id", type_=BigInteger), bindparam("previous_id", type_=BigInteger))
_WRITE_DELETES = text(
    """
    INSERT INTO dataset_example_revisions
        (dataset_example_id, dataset_version_id, input, output, metadata, revision_kind)
    SELECT k.id, :version_id, '{}', '{}', '{}', 'DELETE'
    FROM unnest(CAST(:ids AS bigint[])) AS k(id)
    """
).bindparams(bindparam("ids", type_=ROWIDS), bindparam("version_id", type_=BigInteger))

_PATCH_COLUMNS = {
    "name": ":name",
    "description": ":description",
    "metadata": "CAST(:metadata AS jsonb)",
}


def _example_ids(example_ids: Sequence[int]) -> str:
    return ", ".join(global_id("DatasetExample", example_id) for example_id in example_ids)


async def _lock_dataset_of(connection: AsyncConnection, example_ids: Sequence[int]) -> int:
    """The one dataset the examples belong to, its row locked and every example current in
    its latest version.

    Raises:
        NotFoundError: an id names no example, or an example is not in the latest version.
        InvalidArgumentError: the examples belong to more than one dataset.
    """
    owners: dict[int, int] = {
        row[0]: row[1] for row in await connection.execute(_DATASETS_OF, {"ids": list(example_ids)})
    }
    unknown = [example_id for example_id in example_ids if example_id not in owners]
    if unknown:
        raise NotFoundError(f"Unknown dataset examples: {_example_ids(unknown)}")
    dataset_ids = set(owners.values())
    if len(dataset_ids) > 1:
        raise InvalidArgumentError("The examples must all belong to one dataset")
    (dataset_id,) = dataset_ids
    await connection.execute(_LOCK, {"id": dataset_id})
    latest = await datasets.get_latest_version(connection, dataset_id)
    gone = [
        row[0]
        for row in await connection.execute(
            _NOT_CURRENT, {"ids": list(example_ids), "version_id": latest or 0}
        )
    ]
    if gone:
        raise NotFoundError(
            f"Not in the dataset's latest version (deleted meanwhile): {_example_ids(gone)}"
        )
    assert latest is not None  # examples exist, so a version created them
    return dataset_id


async def patch_examples(
    connection: AsyncConnection,
    patches: Sequence[ExamplePatch],
    description: str | None,
    metadata: dict[str, Any],
) -> NewVersion:
    """A new version of the examples' dataset in which each patched example has its new
    content (the parts a patch leaves out as they were).

    Raises:
        NotFoundError: an unknown example, or one that is not current.
        InvalidArgumentError: examples of more than one dataset.
    """
    rows = [
        {
            key: value
            for key, value in (
                ("id", patch.example_id),
                ("i", patch.input),
                ("o", patch.output),
                ("m", patch.metadata),
            )
            if value is not None
        }
        for patch in patches
    ]
    async with connection.begin_nested():
        dataset_id = await _lock_dataset_of(connection, [patch.example_id for patch in patches])
        previous = await datasets.get_latest_version(connection, dataset_id)
        version_id = await datasets.create_version(connection, dataset_id, description, metadata)
        await connection.execute(
            _WRITE_PATCHES,
            {
                "patches": orjson.dumps(rows).decode(),
                "version_id": version_id,
                "previous_id": previous,
            },
        )
    return NewVersion(dataset_id, version_id)


async def delete_examples(
    connection: AsyncConnection,
    example_ids: Sequence[int],
    description: str | None,
    metadata: dict[str, Any],
) -> NewVersion:
    """A new version of the examples' dataset without them.

    Raises:
        NotFoundError: an unknown example, or one that is not current.
        InvalidArgumentError: examples of more than one dataset.
    """
    async with connection.begin_nested():
        dataset_id = await _lock_dataset_of(connection, example_ids)
        version_id = await datasets.create_version(connection, dataset_id, description, metadata)
        await connection.execute(
            _WRITE_DELETES, {"ids": list(example_ids), "version_id": version_id}
        )
    return NewVersion(dataset_id, version_id)


async def patch_dataset(
    connection: AsyncConnection, dataset_id: int, changes: dict[str, Any]
) -> DatasetNode:
    """The dataset with the given columns (``name``, ``description``, ``metadata``) changed.

    Raises:
        NotFoundError: no such dataset.
        ConflictError: the new name is another dataset's.
    """
    assignments = [f"{column} = {_PATCH_COLUMNS[column]}" for column in changes]
    values: dict[str, Any] = {**changes, "id": dataset_id}
    if "metadata" in changes:
        values["metadata"] = orjson.dumps(changes["metadata"]).decode()
    statement = text(
        f"UPDATE datasets SET {', '.join([*assignments, 'updated_at = now()'])} WHERE id = :id "
        "RETURNING id, name, description, metadata, created_at, updated_at"
    ).bindparams(bindparam("id", type_=BigInteger))
    try:
        async with connection.begin_nested():
            row = (await connection.execute(statement, values)).one_or_none()
    except IntegrityError:
        raise ConflictError(f"A dataset named {changes.get('name')!r} already exists") from None
    if row is None:
        raise NotFoundError(f"Unknown dataset: {global_id('Dataset', dataset_id)}")
    return DatasetNode(*row)
