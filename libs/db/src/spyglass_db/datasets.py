"""Reading a dataset as one of its versions left it.

An example belongs to version ``v`` if its latest revision with ``dataset_version_id <= v`` is
not a ``DELETE``; its content is that revision's. ``EXAMPLES_AT_VERSION`` reads those examples
in example id order, one keyset page at a time: it walks the dataset's examples by
``ix_dataset_examples_dataset_id_id`` and takes each one's latest revision with one backward
step of the ``(dataset_example_id, dataset_version_id)`` unique index, so a page costs about
``limit`` index probes whatever the dataset's size and history.

The statement is shared by everything that reads examples (the REST and GraphQL readers, the
experiment runner), so that a version means the same examples everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import TextClause, bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import BigInteger, Integer

EXAMPLES_AT_VERSION: TextClause = text(
    """
    SELECT e.id, e.external_id, e.span_rowid, e.span_start_time,
           r.id AS revision_id, r.input, r.output, r.metadata, r.created_at AS updated_at
    FROM dataset_examples AS e
    CROSS JOIN LATERAL (
        SELECT r.id, r.revision_kind, r.input, r.output, r.metadata, r.created_at
        FROM dataset_example_revisions AS r
        WHERE r.dataset_example_id = e.id AND r.dataset_version_id <= :version_id
        ORDER BY r.dataset_version_id DESC
        LIMIT 1
    ) AS r
    WHERE e.dataset_id = :dataset_id AND e.id > :after_id AND r.revision_kind <> 'DELETE'
    ORDER BY e.id
    LIMIT :limit
    """
).bindparams(
    bindparam("dataset_id", type_=BigInteger),
    bindparam("version_id", type_=BigInteger),
    bindparam("after_id", type_=BigInteger),
    bindparam("limit", type_=Integer),
)
"""A page of a dataset's examples as of a version, in example id order.

Parameters: ``dataset_id``; ``version_id`` (one of that dataset's versions); ``after_id`` (the
last example id of the previous page, 0 for the first); ``limit``.
"""


@dataclass(frozen=True)
class ExampleAtVersion:
    """An example with the content a version gave it."""

    id: int
    external_id: str | None
    span_rowid: int | None
    """The source span's row id, if any; the span may have been deleted since."""
    span_start_time: datetime | None
    revision_id: int
    input: dict[str, Any]
    output: dict[str, Any]
    metadata: dict[str, Any]
    updated_at: datetime
    """When the revision read here was written."""


async def list_examples_at_version(
    connection: AsyncConnection,
    dataset_id: int,
    version_id: int,
    *,
    after_id: int = 0,
    limit: int = 100,
) -> list[ExampleAtVersion]:
    """The examples of dataset ``dataset_id`` as of ``version_id`` with ids above ``after_id``,
    at most ``limit`` of them, in id order."""
    result = await connection.execute(
        EXAMPLES_AT_VERSION,
        {"dataset_id": dataset_id, "version_id": version_id, "after_id": after_id, "limit": limit},
    )
    return [ExampleAtVersion(**row._mapping) for row in result]
