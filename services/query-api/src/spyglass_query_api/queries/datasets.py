"""Datasets: their rows, versions and examples, and the upload's writes.

A dataset's examples as of a version are read through ``spyglass_db.datasets``'s
``EXAMPLES_AT_VERSION`` (so every reader means the same examples); the examples page reads
them all in one statement, with their JSON columns as text that the REST answer splices in
unparsed.

An upload creates one version and writes its examples in chunks (``write_examples``): one
statement a chunk, the chunk's rows bound as one JSON array, inserting the examples, their
``CREATE`` revisions and their split links together. Whoever creates a version holds the
dataset's row lock until commit (``lock_dataset``, or the ``INSERT`` of a new dataset), so a
dataset's versions commit in id order (libs/db's rule). Once a large upload has committed,
``analyze_examples`` refreshes the planner's statistics of the tables it wrote.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import BigInteger

from spyglass_db.datasets import EXAMPLES_AT_VERSION
from spyglass_query_api.queries.dataset_pages import example_count_sql
from spyglass_query_api.queries.pages import Keyset, newest_first, page_start
from spyglass_query_api.queries.tables import ROWIDS


@dataclass(frozen=True)
class DatasetRow:
    """A dataset with its example count as of its latest version."""

    id: int
    name: str
    description: str | None
    metadata: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    example_count: int


@dataclass(frozen=True)
class DatasetVersionRow:
    id: int
    description: str | None
    metadata: dict[str, Any]
    created_at: datetime


_DATASET_COLUMNS_SQL = (
    "d.id, d.name, d.description, d.metadata, d.created_at, d.updated_at, "
    f"{example_count_sql('d.id')}"
)

_BY_ROWID = text(f"SELECT {_DATASET_COLUMNS_SQL} FROM datasets AS d WHERE d.id = :id").bindparams(
    bindparam("id", type_=BigInteger)
)
_BY_NAME = text(f"SELECT {_DATASET_COLUMNS_SQL} FROM datasets AS d WHERE d.name = :name")


_LISTS = {
    by_name: newest_first(
        f"SELECT {_DATASET_COLUMNS_SQL} FROM datasets AS d",
        "d.id",
        "d.name = :name" if by_name else "TRUE",
    )
    for by_name in (False, True)
}
"""Datasets newest first, by name or all."""

_VERSIONS = newest_first(
    "SELECT v.id, v.description, v.metadata, v.created_at FROM dataset_versions AS v",
    "v.id",
    "v.dataset_id = :dataset_id",
    dataset_id=BigInteger(),
)
_LATEST_VERSION = text(
    "SELECT max(v.id) FROM dataset_versions AS v WHERE v.dataset_id = :dataset_id"
).bindparams(bindparam("dataset_id", type_=BigInteger))
_VERSION_OF = text(
    "SELECT v.id FROM dataset_versions AS v WHERE v.id = :version_id AND v.dataset_id = :dataset_id"
).bindparams(bindparam("dataset_id", type_=BigInteger), bindparam("version_id", type_=BigInteger))

_DELETE = text("DELETE FROM datasets WHERE id = :id RETURNING id").bindparams(
    bindparam("id", type_=BigInteger)
)

_CREATE = text(
    "INSERT INTO datasets (name, description, metadata) "
    "VALUES (:name, :description, CAST(:metadata AS jsonb)) "
    "ON CONFLICT (name) DO NOTHING RETURNING id"
)
_LOCK = text(
    "UPDATE datasets SET updated_at = now() WHERE name = :name RETURNING id"
)  # the row lock, held until commit
_CREATE_VERSION = text(
    "INSERT INTO dataset_versions (dataset_id, description, metadata) "
    "VALUES (:dataset_id, :description, CAST(:metadata AS jsonb)) RETURNING id"
).bindparams(bindparam("dataset_id", type_=BigInteger))

# A version's examples as one text: Phoenix's example objects, comma-separated in id order, built
# by PostgreSQL (a page of 100,000 examples is one value, not 100,000 rows to decode and encode).
_EXAMPLE_OBJECTS_SQL = f"""
    SELECT string_agg(json_build_object(
        'id', COALESCE(x.external_id, g.node_id), 'node_id', g.node_id,
        'input', x.input, 'output', x.output, 'metadata', x.metadata,
        'updated_at', to_char(x.updated_at AT TIME ZONE 'UTC',
                              'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'),
        'source', CASE WHEN source.span_id IS NOT NULL THEN json_build_object(
            'span_id', source.span_id,
            'span_node_id', encode(convert_to('Span:' || x.span_rowid, 'UTF8'), 'base64')
        ) END
    )::text, ',' ORDER BY x.id)
    FROM ({EXAMPLES_AT_VERSION.text}) AS x
    CROSS JOIN LATERAL (
        SELECT encode(convert_to('DatasetExample:' || x.id, 'UTF8'), 'base64') AS node_id
    ) AS g
    LEFT JOIN LATERAL (
        SELECT s.span_id FROM spans AS s
        WHERE x.span_rowid IS NOT NULL AND s.id = x.span_rowid AND s.start_time = x.span_start_time
    ) AS source ON TRUE
"""
_EXAMPLE_OBJECTS = text(_EXAMPLE_OBJECTS_SQL).bindparams(*EXAMPLES_AT_VERSION._bindparams.values())
_EXAMPLE_OBJECTS_IN_SPLITS = text(
    _EXAMPLE_OBJECTS_SQL
    + """
    WHERE EXISTS (SELECT 1 FROM dataset_splits_dataset_examples AS l
                  WHERE l.dataset_example_id = x.id AND l.dataset_split_id = ANY(:split_ids))
    """
).bindparams(*EXAMPLES_AT_VERSION._bindparams.values(), bindparam("split_ids", type_=ROWIDS))
_ALL = 2**31 - 1
"""The ``limit`` that reads a version's examples in one statement."""

_SPLITS_BY_NAME_OR_ID = text(
    "SELECT s.id, s.name FROM dataset_splits AS s "
    "WHERE s.name = ANY(:names) OR s.id = ANY(:split_ids) ORDER BY s.id"
).bindparams(bindparam("split_ids", type_=ROWIDS))

SPLIT_COLOR = "#33c5e8"
"""The colour of a split an upload creates (Phoenix's default)."""

_SPAN_BY_ID_SQL = """
    SELECT s.id, s.start_time FROM spans AS s
    WHERE {span_id} IS NOT NULL AND s.span_id = {span_id}
    ORDER BY s.start_time LIMIT 1
"""
"""The stored span with an OTel span id (any partition), for an example's source link."""

_LINK_SPLITS_SQL = """
    split_members AS ({members}),
    split_names AS (
        SELECT DISTINCT n.name
        FROM split_members AS m, jsonb_array_elements_text(m.splits) AS n(name)
    ),
    new_splits AS (
        INSERT INTO dataset_splits (name, color)
        SELECT name, :color FROM split_names
        ON CONFLICT (name) DO NOTHING
        RETURNING id, name
    ),
    splits AS (
        SELECT id, name FROM new_splits
        UNION ALL
        SELECT s.id, s.name FROM dataset_splits AS s JOIN split_names USING (name)
    ),
    links AS (
        INSERT INTO dataset_splits_dataset_examples (dataset_split_id, dataset_example_id)
        SELECT DISTINCT splits.id, m.id
        FROM split_members AS m, jsonb_array_elements_text(m.splits) AS n(name)
        JOIN splits ON splits.name = n.name
        ON CONFLICT DO NOTHING
    )
"""
"""The last CTEs of a statement that writes examples: each example of ``{members}`` (a query of
example ``id`` and ``splits``, a JSON array of split names) joins its splits, those missing
created with ``:color``; an example already in a split stays in it once."""

# One chunk of an upload. The rows are one JSON array of {i, o, m, x, s}: input, output,
# metadata, external id, split names. Example ids are drawn from the identity first, so that
# examples, revisions and split links are written by one statement.
_WRITE_EXAMPLES = text(
    f"""
    WITH rows AS MATERIALIZED (
        SELECT nextval(pg_get_serial_sequence('dataset_examples', 'id')) AS id,
               j.value -> 'i' AS input, j.value -> 'o' AS output, j.value -> 'm' AS metadata,
               j.value ->> 'x' AS external_id, j.value -> 's' AS splits, j.ordinality,
               span.id AS span_rowid, span.start_time AS span_start_time
        FROM jsonb_array_elements(CAST(:rows AS jsonb)) WITH ORDINALITY AS j
        LEFT JOIN LATERAL ({_SPAN_BY_ID_SQL.format(span_id="j.value ->> 'p'")}) AS span ON TRUE
    ),
    examples AS (
        INSERT INTO dataset_examples (id, dataset_id, external_id, span_rowid, span_start_time)
        SELECT id, :dataset_id, external_id, span_rowid, span_start_time
        FROM rows ORDER BY ordinality
    ),
    revisions AS (
        INSERT INTO dataset_example_revisions
            (dataset_example_id, dataset_version_id, input, output, metadata, revision_kind)
        SELECT id, :version_id, input, output, metadata, 'CREATE' FROM rows ORDER BY ordinality
    ),
    {_LINK_SPLITS_SQL.format(members="SELECT id, splits FROM rows")}
    SELECT count(*) FROM rows
    """
).bindparams(bindparam("dataset_id", type_=BigInteger), bindparam("version_id", type_=BigInteger))


@dataclass(frozen=True)
class NewExample:
    """An example to create: its content, its client id (if any) and its split names."""

    input: dict[str, Any]
    output: dict[str, Any]
    metadata: dict[str, Any]
    external_id: str | None = None
    splits: Sequence[str] = ()
    span_id: str | None = None
    """The OTel span id of the span it was made from; linked if that span is stored."""


async def get_dataset_by_rowid(connection: AsyncConnection, rowid: int) -> DatasetRow | None:
    """The dataset with ``rowid``, or None."""
    row = (await connection.execute(_BY_ROWID, {"id": rowid})).one_or_none()
    return None if row is None else DatasetRow(*row)


async def find_dataset_by_name(connection: AsyncConnection, name: str) -> DatasetRow | None:
    """The dataset named ``name``, or None."""
    row = (await connection.execute(_BY_NAME, {"name": name})).one_or_none()
    return None if row is None else DatasetRow(*row)


async def list_datasets(
    connection: AsyncConnection, page: Keyset, name: str | None = None
) -> list[DatasetRow]:
    """Up to ``page.fetch`` datasets by id, newest first, from ``page.after_rowid`` (inclusive)
    on, only the one named ``name`` if it is given."""
    values: dict[str, object] = {"fetch": page.fetch, "start": page_start(page.after_rowid)}
    if name is not None:
        values["name"] = name
    return [DatasetRow(*row) for row in await connection.execute(_LISTS[name is not None], values)]


async def list_dataset_versions(
    connection: AsyncConnection, dataset_rowid: int, page: Keyset
) -> list[DatasetVersionRow]:
    """Up to ``page.fetch`` versions of a dataset, newest first, from ``page.after_rowid`` on."""
    start = page_start(page.after_rowid)
    values = {"dataset_id": dataset_rowid, "fetch": page.fetch, "start": start}
    result = await connection.execute(_VERSIONS, values)
    return [DatasetVersionRow(*row) for row in result]


async def get_latest_version(connection: AsyncConnection, dataset_rowid: int) -> int | None:
    """The id of the dataset's latest version, or None if it has none."""
    return (await connection.execute(_LATEST_VERSION, {"dataset_id": dataset_rowid})).scalar()


async def is_version_of(connection: AsyncConnection, dataset_rowid: int, version_id: int) -> bool:
    """Whether ``version_id`` is a version of the dataset."""
    values = {"dataset_id": dataset_rowid, "version_id": version_id}
    return (await connection.execute(_VERSION_OF, values)).scalar() is not None


async def get_examples_json(
    connection: AsyncConnection,
    dataset_rowid: int,
    version_id: int,
    split_rowids: Sequence[int] | None = None,
) -> str:
    """Every example of the dataset as of ``version_id`` in Phoenix's shape (``id``,
    ``node_id``, ``input``, ``output``, ``metadata``, ``updated_at``), as JSON objects separated
    by commas, in id order (one statement); only those in one of ``split_rowids`` if given."""
    values: dict[str, object] = {
        "dataset_id": dataset_rowid,
        "version_id": version_id,
        "after_id": 0,
        "limit": _ALL,
    }
    statement = _EXAMPLE_OBJECTS
    if split_rowids is not None:
        statement = _EXAMPLE_OBJECTS_IN_SPLITS
        values["split_ids"] = list(split_rowids)
    return (await connection.execute(statement, values)).scalar() or ""


async def find_splits(
    connection: AsyncConnection, names: Sequence[str], split_rowids: Sequence[int]
) -> list[tuple[int, str]]:
    """The splits named ``names`` or with ids ``split_rowids``, as (id, name)."""
    result = await connection.execute(
        _SPLITS_BY_NAME_OR_ID, {"names": list(names), "split_ids": list(split_rowids)}
    )
    return [(row[0], row[1]) for row in result]


async def delete_dataset(connection: AsyncConnection, rowid: int) -> bool:
    """Delete a dataset with its versions, examples and experiments (by cascade); False if it
    did not exist."""
    return (await connection.execute(_DELETE, {"id": rowid})).scalar() is not None


async def create_dataset(
    connection: AsyncConnection, name: str, description: str | None, metadata: dict[str, Any]
) -> int | None:
    """A new dataset's id (its row locked until commit), or None if the name is taken."""
    values = {"name": name, "description": description, "metadata": orjson.dumps(metadata).decode()}
    return (await connection.execute(_CREATE, values)).scalar()


async def lock_dataset(connection: AsyncConnection, name: str) -> int | None:
    """The id of the dataset named ``name``, its row locked until commit (to add a version), or
    None if there is none."""
    return (await connection.execute(_LOCK, {"name": name})).scalar()


async def create_version(
    connection: AsyncConnection,
    dataset_rowid: int,
    description: str | None,
    metadata: dict[str, Any],
) -> int:
    """A new version of a dataset whose row lock the caller holds."""
    values = {
        "dataset_id": dataset_rowid,
        "description": description,
        "metadata": orjson.dumps(metadata).decode(),
    }
    return int((await connection.execute(_CREATE_VERSION, values)).scalar_one())


async def write_examples(
    connection: AsyncConnection,
    dataset_rowid: int,
    version_id: int,
    examples: Sequence[NewExample],
) -> int:
    """Create ``examples`` in the version (with their ``CREATE`` revisions and split links, the
    splits created if missing) in one statement; answers how many were written.

    Raises:
        sqlalchemy.exc.IntegrityError: an external id is taken in the dataset.
    """
    rows = orjson.dumps(
        [
            {
                "i": example.input,
                "o": example.output,
                "m": example.metadata,
                "x": example.external_id,
                "s": list(example.splits),
                "p": example.span_id,
            }
            for example in examples
        ]
    ).decode()
    values = {
        "rows": rows,
        "dataset_id": dataset_rowid,
        "version_id": version_id,
        "color": SPLIT_COLOR,
    }
    return int((await connection.execute(_WRITE_EXAMPLES, values)).scalar_one())


# ``action=update`` of an existing dataset: the upload is staged, then one statement makes the
# new version hold exactly the uploaded examples. An uploaded example matches a current one by
# its client id, or (without one) by equal content, duplicates paired in order; a match whose
# content changed gets a PATCH, an upload without a match a new example (CREATE), a current
# example without a match a DELETE.
_STAGE = text(
    "CREATE TEMPORARY TABLE dataset_upload (n bigint PRIMARY KEY, external_id text, "
    "input jsonb, output jsonb, metadata jsonb, span_id text, splits jsonb) ON COMMIT DROP"
)
_STAGE_ROWS = text(
    """
    INSERT INTO dataset_upload (n, external_id, input, output, metadata, span_id, splits)
    SELECT j.ordinality + :offset, j.value ->> 'x', j.value -> 'i', j.value -> 'o', j.value -> 'm',
           j.value ->> 'p', j.value -> 's'
    FROM jsonb_array_elements(CAST(:rows AS jsonb)) WITH ORDINALITY AS j
    """
).bindparams(bindparam("offset", type_=BigInteger))
_APPLY_UPDATE = text(
    f"""
    WITH current_examples AS MATERIALIZED (
        SELECT x.id, x.external_id, x.input, x.output, x.metadata
        FROM ({EXAMPLES_AT_VERSION.text}) AS x
    ),
    by_id AS (
        SELECT u.n, c.id,
               (c.input, c.output, c.metadata) IS DISTINCT FROM (u.input, u.output, u.metadata)
                   AS changed
        FROM dataset_upload AS u JOIN current_examples AS c ON c.external_id = u.external_id
    ),
    uploaded_by_content AS (
        SELECT u.n, u.input, u.output, u.metadata,
               row_number() OVER (PARTITION BY u.input, u.output, u.metadata ORDER BY u.n) AS k
        FROM dataset_upload AS u WHERE u.external_id IS NULL
    ),
    current_by_content AS (
        SELECT c.id, c.input, c.output, c.metadata,
               row_number() OVER (PARTITION BY c.input, c.output, c.metadata ORDER BY c.id) AS k
        FROM current_examples AS c WHERE c.external_id IS NULL
    ),
    matched AS MATERIALIZED (
        SELECT n, id, changed FROM by_id
        UNION ALL
        SELECT u.n, c.id, false
        FROM uploaded_by_content AS u JOIN current_by_content AS c
          ON (c.input, c.output, c.metadata) = (u.input, u.output, u.metadata) AND c.k = u.k
    ),
    new_rows AS MATERIALIZED (
        SELECT nextval(pg_get_serial_sequence('dataset_examples', 'id')) AS id, u.*,
               span.id AS span_rowid, span.start_time AS span_start_time
        FROM dataset_upload AS u
        LEFT JOIN LATERAL ({_SPAN_BY_ID_SQL.format(span_id="u.span_id")}) AS span ON TRUE
        WHERE NOT EXISTS (SELECT 1 FROM matched AS m WHERE m.n = u.n)
    ),
    gone AS MATERIALIZED (
        SELECT c.id FROM current_examples AS c
        WHERE NOT EXISTS (SELECT 1 FROM matched AS m WHERE m.id = c.id)
    ),
    new_examples AS (
        INSERT INTO dataset_examples (id, dataset_id, external_id, span_rowid, span_start_time)
        SELECT id, :dataset_id, external_id, span_rowid, span_start_time FROM new_rows
    ),
    revisions AS (
        INSERT INTO dataset_example_revisions
            (dataset_example_id, dataset_version_id, input, output, metadata, revision_kind)
        SELECT id, :new_version_id, input, output, metadata, 'CREATE' FROM new_rows
        UNION ALL
        SELECT m.id, :new_version_id, u.input, u.output, u.metadata, 'PATCH'
        FROM matched AS m JOIN dataset_upload AS u USING (n) WHERE m.changed
        UNION ALL
        SELECT id, :new_version_id, '{{}}', '{{}}', '{{}}', 'DELETE' FROM gone
    ),
    uploaded AS (
        SELECT n, id FROM matched UNION ALL SELECT n, id FROM new_rows
    ),
    {
        _LINK_SPLITS_SQL.format(
            members="SELECT uploaded.id, u.splits FROM uploaded JOIN dataset_upload AS u USING (n)"
        )
    }
    SELECT (SELECT count(*) FROM new_rows), (SELECT count(*) FROM matched WHERE changed),
           (SELECT count(*) FROM gone)
    """
).bindparams(
    *EXAMPLES_AT_VERSION._bindparams.values(), bindparam("new_version_id", type_=BigInteger)
)


@dataclass(frozen=True)
class UpdateCounts:
    created: int
    updated: int
    deleted: int


async def stage_upload(connection: AsyncConnection) -> None:
    """Create the transaction's staging table of an update (dropped at commit)."""
    await connection.execute(_STAGE)


async def stage_examples(
    connection: AsyncConnection, offset: int, examples: Sequence[NewExample]
) -> int:
    """Stage a chunk of an update's examples, numbered from ``offset + 1``; answers how many."""
    rows = orjson.dumps(
        [
            {
                "i": example.input,
                "o": example.output,
                "m": example.metadata,
                "x": example.external_id,
                "p": example.span_id,
                "s": list(example.splits),
            }
            for example in examples
        ]
    ).decode()
    await connection.execute(_STAGE_ROWS, {"rows": rows, "offset": offset})
    return len(examples)


async def apply_update(
    connection: AsyncConnection, dataset_rowid: int, previous_version_id: int, version_id: int
) -> UpdateCounts:
    """Make version ``version_id`` hold exactly the staged examples (matched to those of
    ``previous_version_id`` by client id or content)."""
    values = {
        "dataset_id": dataset_rowid,
        "version_id": previous_version_id,
        "after_id": 0,
        "limit": _ALL,
        "new_version_id": version_id,
        "color": SPLIT_COLOR,
    }
    created, updated, deleted = (await connection.execute(_APPLY_UPDATE, values)).one()
    return UpdateCounts(int(created), int(updated), int(deleted))


# After a large upload: the planner's statistics of the tables it wrote.
ANALYZED_TABLES = (
    "dataset_examples",
    "dataset_example_revisions",
    "dataset_splits_dataset_examples",
)
_ANALYZE = text(f"ANALYZE (SKIP_LOCKED) {', '.join(ANALYZED_TABLES)}")


async def analyze_examples(connection: AsyncConnection) -> None:
    """Refresh the planner's statistics of the example tables (``ANALYZE``).

    Until autovacuum comes round, the planner does not know the rows a large upload wrote and
    plans a page of the new version as if it held a few: the pages then sort the whole version
    (0.4-1.2 s at 100,000 examples). Run on a connection outside any transaction, after the
    upload committed: ``ANALYZE`` then samples the upload's rows as every reader sees them, and
    its lock (``SHARE UPDATE EXCLUSIVE``: no reader or writer waits for it) is not held for the
    rest of the upload. A table another ``ANALYZE`` or autovacuum holds is skipped
    (``SKIP_LOCKED``): its statistics are being refreshed already.
    """
    await connection.execute(_ANALYZE)
