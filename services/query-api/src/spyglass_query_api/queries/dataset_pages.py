"""What the UI's dataset pages read: datasets, versions, examples as of a version, and the
difference between two versions.

A version's examples are ``spyglass_db.datasets``'s ``EXAMPLES_AT_VERSION`` (its one
definition), wrapped with the page's filters (splits, a text search over input, output and
metadata): the wrapped statement streams in example id order, so a page reads about as many
examples as it shows, plus those the filters pass over.

The difference between versions ``a`` and ``b`` reads only the examples that have a revision in
a version between them (the ``dataset_version_id`` index), and takes each one's content in ``a``
and in ``b`` as libs/db defines it: its latest revision up to that version, absent if it has none
or that revision is a ``DELETE``. So a diff costs what changed, not the dataset's size.

A dataset's example count is libs/db's rule summed: +1 per ``CREATE`` and -1 per ``DELETE`` up
to the version (an example is created once and deleted at most once).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import TextClause, and_, any_, bindparam, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import BigInteger, Integer, Text

from spyglass_core.storable import MAX_BIGINT
from spyglass_db.datasets import EXAMPLES_AT_VERSION
from spyglass_query_api.queries.dataset_labels import LABEL_COLUMNS_SQL, LabelRow
from spyglass_query_api.queries.dataset_splits import SPLIT_COLUMNS_SQL, SplitRow
from spyglass_query_api.queries.pages import Keyset, keyset_sql, order_sql
from spyglass_query_api.queries.spans import SPAN_LIST_COLUMNS, SpanNode, span_node
from spyglass_query_api.queries.tables import ROWIDS, SPANS, TRACES, rowids

DatasetSortColumn = Literal["id", "created_at", "name"]


@dataclass(frozen=True)
class DatasetNode:
    """A dataset's own columns (its counts and versions are read when asked for)."""

    id: int
    name: str
    description: str | None
    metadata: dict[str, Any]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class VersionNode:
    id: int
    dataset_id: int
    description: str | None
    metadata: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class VersionChanges:
    """What one version did to its examples."""

    created: int
    patched: int
    deleted: int


@dataclass(frozen=True)
class RevisionRow:
    """An example's content as one version (``version_id``) left it."""

    id: int
    version_id: int
    revision_kind: str
    input: dict[str, Any]
    output: dict[str, Any]
    metadata: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class ExampleNode:
    """An example read as of ``version_id``, with its revision there (None: not yet created)."""

    id: int
    dataset_id: int
    external_id: str | None
    created_at: datetime
    span_rowid: int | None
    span_start_time: datetime | None
    version_id: int
    revision: RevisionRow | None


ChangeKind = Literal["ADDED", "DELETED", "PATCHED"]


@dataclass(frozen=True)
class ExampleChange:
    """An example that differs between two versions; ``id`` is the example's."""

    id: int
    kind: ChangeKind
    example: ExampleNode
    before: RevisionRow | None
    after: RevisionRow | None


@dataclass(frozen=True)
class DiffCounts:
    added: int
    deleted: int
    patched: int


_DATASET_COLUMNS = "d.id, d.name, d.description, d.metadata, d.created_at, d.updated_at"
_DATASET_SORTS: dict[DatasetSortColumn, str] = {
    "id": "d.id",
    "created_at": "d.created_at",
    "name": "d.name",
}
_BY_IDS = text(f"SELECT {_DATASET_COLUMNS} FROM datasets AS d WHERE d.id = ANY(:ids)").bindparams(
    bindparam("ids", type_=ROWIDS)
)
_BY_NAME = text(f"SELECT {_DATASET_COLUMNS} FROM datasets AS d WHERE d.name = :name")

_VERSION_COLUMNS = "v.id, v.dataset_id, v.description, v.metadata, v.created_at"
_LATEST_VERSIONS = text(
    f"SELECT DISTINCT ON (v.dataset_id) {_VERSION_COLUMNS} FROM dataset_versions AS v "
    "WHERE v.dataset_id = ANY(:ids) ORDER BY v.dataset_id, v.id DESC"
).bindparams(bindparam("ids", type_=ROWIDS))
_VERSIONS_BY_IDS = text(
    f"SELECT {_VERSION_COLUMNS} FROM dataset_versions AS v WHERE v.id = ANY(:ids)"
).bindparams(bindparam("ids", type_=ROWIDS))
_VERSION_PAGE = text(
    f"SELECT {_VERSION_COLUMNS} FROM dataset_versions AS v "
    "WHERE v.dataset_id = :dataset_id AND v.id < :before ORDER BY v.id DESC LIMIT :fetch"
).bindparams(
    bindparam("dataset_id", type_=BigInteger),
    bindparam("before", type_=BigInteger),
    bindparam("fetch", type_=Integer),
)
_VERSION_CHANGES = text(
    """
    SELECT r.dataset_version_id,
           count(*) FILTER (WHERE r.revision_kind = 'CREATE'),
           count(*) FILTER (WHERE r.revision_kind = 'PATCH'),
           count(*) FILTER (WHERE r.revision_kind = 'DELETE')
    FROM dataset_example_revisions AS r
    WHERE r.dataset_version_id = ANY(:ids)
    GROUP BY r.dataset_version_id
    """
).bindparams(bindparam("ids", type_=ROWIDS))


def example_count_sql(dataset: str, version: str | None = None) -> str:
    """A scalar subquery: the example count of dataset ``dataset`` (an SQL expression) as of
    version ``version`` (one too; None: its latest), +1 per ``CREATE`` and -1 per ``DELETE``
    (Phoenix's count, libs/db's rule summed)."""
    up_to = "" if version is None else f" AND r.dataset_version_id <= {version}"
    return f"""
    (SELECT COALESCE(SUM(CASE r.revision_kind WHEN 'CREATE' THEN 1
                                              WHEN 'DELETE' THEN -1 ELSE 0 END), 0)
     FROM dataset_examples AS e
     JOIN dataset_example_revisions AS r ON r.dataset_example_id = e.id
     WHERE e.dataset_id = {dataset}{up_to})::bigint
    """


_EXAMPLE_COUNTS = text(
    f"""
    SELECT k.n, {example_count_sql("k.dataset_id", "k.version_id")}
    FROM unnest(CAST(:dataset_ids AS bigint[]), CAST(:version_ids AS bigint[]))
         WITH ORDINALITY AS k(dataset_id, version_id, n)
    """
).bindparams(bindparam("dataset_ids", type_=ROWIDS), bindparam("version_ids", type_=ROWIDS))

_DATASET_SPLITS = text(
    f"""
    SELECT k.id, {SPLIT_COLUMNS_SQL}
    FROM unnest(CAST(:ids AS bigint[])) AS k(id)
    JOIN dataset_splits AS s ON EXISTS (
        SELECT 1 FROM dataset_splits_dataset_examples AS l
        JOIN dataset_examples AS e ON e.id = l.dataset_example_id
        WHERE l.dataset_split_id = s.id AND e.dataset_id = k.id
    )
    ORDER BY s.name
    """
).bindparams(bindparam("ids", type_=ROWIDS))
_EXAMPLE_SPLITS = text(
    f"""
    SELECT l.dataset_example_id, {SPLIT_COLUMNS_SQL}
    FROM dataset_splits_dataset_examples AS l
    JOIN dataset_splits AS s ON s.id = l.dataset_split_id
    WHERE l.dataset_example_id = ANY(:ids)
    ORDER BY s.name
    """
).bindparams(bindparam("ids", type_=ROWIDS))
_DATASET_LABELS = text(
    f"""
    SELECT k.dataset_id, {LABEL_COLUMNS_SQL}
    FROM datasets_dataset_labels AS k
    JOIN dataset_labels AS l ON l.id = k.dataset_label_id
    WHERE k.dataset_id = ANY(:ids)
    ORDER BY l.name
    """
).bindparams(bindparam("ids", type_=ROWIDS))

_IN_SPLITS = """EXISTS (
    SELECT 1 FROM dataset_splits_dataset_examples AS l
    WHERE l.dataset_example_id = x.id AND l.dataset_split_id = ANY(:split_ids))"""
_CONTAINS = """(strpos(lower(x.input::text), lower(:search)) > 0
    OR strpos(lower(x.output::text), lower(:search)) > 0
    OR strpos(lower(x.metadata::text), lower(:search)) > 0)"""
_ALL = 2**31 - 1
"""The ``limit`` of ``EXAMPLES_AT_VERSION`` when the page's own limit comes after filters."""

_EXAMPLE_COLUMNS = """
    p.id, e.created_at AS example_created_at, p.external_id, p.span_rowid, p.span_start_time,
    p.revision_id, r.dataset_version_id, r.revision_kind, p.input, p.output, p.metadata,
    p.updated_at
"""


def _example_page(*, in_splits: bool, search: bool) -> TextClause:
    conditions = [
        condition for on, condition in ((in_splits, _IN_SPLITS), (search, _CONTAINS)) if on
    ]
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    statement = text(
        f"""
        SELECT {_EXAMPLE_COLUMNS}
        FROM (
            SELECT x.* FROM ({EXAMPLES_AT_VERSION.text}) AS x {where}
            ORDER BY x.id LIMIT :fetch
        ) AS p
        JOIN dataset_examples AS e ON e.id = p.id
        JOIN dataset_example_revisions AS r ON r.id = p.revision_id
        ORDER BY p.id
        """
    ).bindparams(*EXAMPLES_AT_VERSION._bindparams.values(), bindparam("fetch", type_=Integer))
    if in_splits:
        statement = statement.bindparams(bindparam("split_ids", type_=ROWIDS))
    if search:
        statement = statement.bindparams(bindparam("search", type_=Text))
    return statement


_EXAMPLE_PAGES = {
    (in_splits, search): _example_page(in_splits=in_splits, search=search)
    for in_splits in (False, True)
    for search in (False, True)
}
_COUNT_IN_SPLITS = text(
    f"SELECT count(*) FROM ({EXAMPLES_AT_VERSION.text}) AS x WHERE {_IN_SPLITS}"
).bindparams(*EXAMPLES_AT_VERSION._bindparams.values(), bindparam("split_ids", type_=ROWIDS))

REVISION_AT_SQL = """
    SELECT r.id, r.dataset_version_id, r.revision_kind, r.input, r.output, r.metadata,
           r.created_at
    FROM dataset_example_revisions AS r
    WHERE r.dataset_example_id = {example} AND r.dataset_version_id <= {version}
    ORDER BY r.dataset_version_id DESC
    LIMIT 1
"""
"""An example's latest revision up to a version (libs/db's rule), ``DELETE`` included."""

_EXAMPLE_AT = text(
    f"""
    SELECT e.id, e.created_at, e.external_id, e.span_rowid, e.span_start_time, r.*
    FROM dataset_examples AS e
    LEFT JOIN LATERAL ({REVISION_AT_SQL.format(example="e.id", version=":version_id")}) AS r
        ON TRUE
    WHERE e.id = :example_id AND e.dataset_id = :dataset_id
    """
).bindparams(
    bindparam("example_id", type_=BigInteger),
    bindparam("dataset_id", type_=BigInteger),
    bindparam("version_id", type_=BigInteger),
)
_REVISIONS_AT = text(
    f"""
    SELECT k.example_id, k.version_id, r.*
    FROM unnest(CAST(:example_ids AS bigint[]), CAST(:version_ids AS bigint[]))
         AS k(example_id, version_id)
    CROSS JOIN LATERAL ({REVISION_AT_SQL.format(example="k.example_id", version="k.version_id")})
         AS r
    """
).bindparams(bindparam("example_ids", type_=ROWIDS), bindparam("version_ids", type_=ROWIDS))

_EXAMPLE_SPANS = (
    select(*SPAN_LIST_COLUMNS)
    .select_from(SPANS.join(TRACES, TRACES.c.id == SPANS.c.trace_rowid))
    .where(
        and_(
            SPANS.c.id == any_(rowids("span_rowids")),
            SPANS.c.start_time
            == any_(bindparam("start_times", type_=ARRAY(SPANS.c.start_time.type))),
        )
    )
)

# The examples that differ between versions ``from_id`` and ``to_id``: those with a revision in
# a version after the lower and up to the higher, each with its content in both.
_DIFF_SQL = f"""
    WITH touched AS MATERIALIZED (
        SELECT DISTINCT r.dataset_example_id AS id
        FROM dataset_versions AS v
        JOIN dataset_example_revisions AS r ON r.dataset_version_id = v.id
        WHERE v.dataset_id = :dataset_id AND v.id > LEAST(:from_id, :to_id)
          AND v.id <= GREATEST(:from_id, :to_id)
    ),
    states AS (
        SELECT t.id, b.id AS b_id, a.id AS a_id,
               CASE
                 WHEN (b.id IS NULL OR b.revision_kind = 'DELETE')
                      AND a.id IS NOT NULL AND a.revision_kind <> 'DELETE' THEN 'ADDED'
                 WHEN b.id IS NOT NULL AND b.revision_kind <> 'DELETE'
                      AND (a.id IS NULL OR a.revision_kind = 'DELETE') THEN 'DELETED'
                 WHEN b.revision_kind <> 'DELETE' AND a.revision_kind <> 'DELETE'
                      AND (b.input, b.output, b.metadata)
                          IS DISTINCT FROM (a.input, a.output, a.metadata) THEN 'PATCHED'
               END AS kind
        FROM touched AS t
        LEFT JOIN LATERAL ({REVISION_AT_SQL.format(example="t.id", version=":from_id")}) AS b
            ON TRUE
        LEFT JOIN LATERAL ({REVISION_AT_SQL.format(example="t.id", version=":to_id")}) AS a
            ON TRUE
    )
"""
_DIFF_BINDS = (
    bindparam("dataset_id", type_=BigInteger),
    bindparam("from_id", type_=BigInteger),
    bindparam("to_id", type_=BigInteger),
)
_DIFF_COUNTS = text(
    _DIFF_SQL
    + """
    SELECT count(*) FILTER (WHERE kind = 'ADDED'), count(*) FILTER (WHERE kind = 'DELETED'),
           count(*) FILTER (WHERE kind = 'PATCHED')
    FROM states
    """
).bindparams(*_DIFF_BINDS)
_REVISION_COLUMNS = (
    "{r}.id, {r}.dataset_version_id, {r}.revision_kind, {r}.input, {r}.output, {r}.metadata, "
    "{r}.created_at"
)
_DIFF_PAGE = text(
    _DIFF_SQL
    + f"""
    SELECT s.kind, e.id, e.created_at, e.external_id, e.span_rowid, e.span_start_time,
           {_REVISION_COLUMNS.format(r="b")}, {_REVISION_COLUMNS.format(r="a")}
    FROM (SELECT * FROM states WHERE kind IS NOT NULL AND id > :after_id
          ORDER BY id LIMIT :fetch) AS s
    JOIN dataset_examples AS e ON e.id = s.id
    LEFT JOIN dataset_example_revisions AS b ON b.id = s.b_id
    LEFT JOIN dataset_example_revisions AS a ON a.id = s.a_id
    ORDER BY s.id
    """
).bindparams(
    *_DIFF_BINDS, bindparam("after_id", type_=BigInteger), bindparam("fetch", type_=Integer)
)


def _revision(row: Sequence[Any]) -> RevisionRow | None:
    """A revision from its seven columns (id first); None when the id is NULL."""
    return None if row[0] is None else RevisionRow(*row[:7])


def _present(revision: RevisionRow | None) -> RevisionRow | None:
    """The revision if it holds content (an example absent from a version has none)."""
    return None if revision is None or revision.revision_kind == "DELETE" else revision


async def list_dataset_nodes(
    connection: AsyncConnection,
    page: Keyset,
    sort: DatasetSortColumn = "id",
    name_contains: str | None = None,
) -> list[DatasetNode]:
    """Up to ``page.fetch`` datasets in ``sort``'s order (then by id), after the page's
    position, only those whose name contains ``name_contains`` (any case) if given."""
    column = _DATASET_SORTS[sort]
    position, values = keyset_sql(page, column, "d.id")
    conditions = [position]
    if name_contains:
        conditions.append("strpos(lower(d.name), lower(:contains)) > 0")
        values["contains"] = name_contains
    statement = text(
        f"SELECT {_DATASET_COLUMNS} FROM datasets AS d WHERE {' AND '.join(conditions)} "
        f"{order_sql(page, column, 'd.id')} LIMIT :fetch"
    ).bindparams(bindparam("fetch", type_=Integer))
    if page.after_rowid is not None:
        statement = statement.bindparams(bindparam("after_rowid", type_=BigInteger))
    result = await connection.execute(statement, {**values, "fetch": page.fetch})
    return [DatasetNode(*row) for row in result]


async def get_dataset_nodes(
    connection: AsyncConnection, dataset_ids: Sequence[int]
) -> dict[int, DatasetNode]:
    """The datasets with these ids, by id."""
    result = await connection.execute(_BY_IDS, {"ids": list(dataset_ids)})
    return {row[0]: DatasetNode(*row) for row in result}


async def find_dataset_node(connection: AsyncConnection, name: str) -> DatasetNode | None:
    """The dataset named ``name``, or None."""
    row = (await connection.execute(_BY_NAME, {"name": name})).one_or_none()
    return None if row is None else DatasetNode(*row)


async def get_latest_versions(
    connection: AsyncConnection, dataset_ids: Sequence[int]
) -> dict[int, VersionNode]:
    """Each dataset's newest version, by dataset id (none for a dataset without versions)."""
    result = await connection.execute(_LATEST_VERSIONS, {"ids": list(dataset_ids)})
    return {row[1]: VersionNode(*row) for row in result}


async def get_versions(
    connection: AsyncConnection, version_ids: Sequence[int]
) -> dict[int, VersionNode]:
    """The versions with these ids, by id."""
    result = await connection.execute(_VERSIONS_BY_IDS, {"ids": list(version_ids)})
    return {row[0]: VersionNode(*row) for row in result}


async def list_versions(
    connection: AsyncConnection, dataset_id: int, page: Keyset
) -> list[VersionNode]:
    """Up to ``page.fetch`` of a dataset's versions, newest first, after the page's position."""
    before = MAX_BIGINT if page.after_rowid is None else page.after_rowid
    values = {"dataset_id": dataset_id, "before": before, "fetch": page.fetch}
    return [VersionNode(*row) for row in await connection.execute(_VERSION_PAGE, values)]


async def get_version_changes(
    connection: AsyncConnection, version_ids: Sequence[int]
) -> dict[int, VersionChanges]:
    """How many examples each version created, patched and deleted, by version id."""
    result = await connection.execute(_VERSION_CHANGES, {"ids": list(version_ids)})
    return {row[0]: VersionChanges(*row[1:]) for row in result}


async def count_examples(
    connection: AsyncConnection, keys: Sequence[tuple[int, int | None]]
) -> dict[tuple[int, int | None], int]:
    """Examples of each (dataset id, version id) as of that version (None: the latest)."""
    values = {
        "dataset_ids": [dataset_id for dataset_id, _ in keys],
        "version_ids": [MAX_BIGINT if version is None else version for _, version in keys],
    }
    result = await connection.execute(_EXAMPLE_COUNTS, values)
    return {keys[n - 1]: count for n, count in result}


async def count_examples_in_splits(
    connection: AsyncConnection, dataset_id: int, version_id: int, split_ids: Sequence[int]
) -> int:
    """Examples of the dataset as of ``version_id`` that are in one of ``split_ids``."""
    values = {
        "dataset_id": dataset_id,
        "version_id": version_id,
        "after_id": 0,
        "limit": _ALL,
        "split_ids": list(split_ids),
    }
    return int((await connection.execute(_COUNT_IN_SPLITS, values)).scalar_one())


async def list_dataset_splits(
    connection: AsyncConnection, dataset_ids: Sequence[int]
) -> dict[int, list[SplitRow]]:
    """The splits any example of each dataset is in, by name, by dataset id."""
    splits: dict[int, list[SplitRow]] = {}
    for row in await connection.execute(_DATASET_SPLITS, {"ids": list(dataset_ids)}):
        splits.setdefault(row[0], []).append(SplitRow(*row[1:]))
    return splits


async def list_example_splits(
    connection: AsyncConnection, example_ids: Sequence[int]
) -> dict[int, list[SplitRow]]:
    """The splits each example is in, by name, by example id."""
    splits: dict[int, list[SplitRow]] = {}
    for row in await connection.execute(_EXAMPLE_SPLITS, {"ids": list(example_ids)}):
        splits.setdefault(row[0], []).append(SplitRow(*row[1:]))
    return splits


async def list_dataset_labels(
    connection: AsyncConnection, dataset_ids: Sequence[int]
) -> dict[int, list[LabelRow]]:
    """Each dataset's labels, by name, by dataset id."""
    labels: dict[int, list[LabelRow]] = {}
    for row in await connection.execute(_DATASET_LABELS, {"ids": list(dataset_ids)}):
        labels.setdefault(row[0], []).append(LabelRow(*row[1:]))
    return labels


@dataclass(frozen=True)
class ExampleSearch:
    """Which examples of a version a page shows."""

    dataset_id: int
    version_id: int
    split_ids: Sequence[int] | None = None
    """Only examples in one of these splits; None: any."""
    text: str | None = None
    """Only examples whose input, output or metadata (as JSON text) contains this, any case."""


async def list_examples(
    connection: AsyncConnection, search: ExampleSearch, *, after_id: int, fetch: int
) -> list[ExampleNode]:
    """Up to ``fetch`` examples of ``search``'s version with ids above ``after_id``, in id
    order, with their revisions there."""
    in_splits = search.split_ids is not None
    values: dict[str, object] = {
        "dataset_id": search.dataset_id,
        "version_id": search.version_id,
        "after_id": after_id,
        "limit": _ALL,
        "fetch": fetch,
    }
    if in_splits:
        values["split_ids"] = list(search.split_ids or ())
    if search.text:
        values["search"] = search.text
    result = await connection.execute(_EXAMPLE_PAGES[in_splits, bool(search.text)], values)
    return [
        ExampleNode(
            id=row[0],
            dataset_id=search.dataset_id,
            external_id=row[2],
            created_at=row[1],
            span_rowid=row[3],
            span_start_time=row[4],
            version_id=search.version_id,
            revision=RevisionRow(*row[5:12]),
        )
        for row in result
    ]


async def get_example(
    connection: AsyncConnection, dataset_id: int, example_id: int, version_id: int
) -> ExampleNode | None:
    """The dataset's example ``example_id`` read as of ``version_id`` (its latest revision up
    to it, ``DELETE`` included, or None before it was created); None if the dataset has no
    such example."""
    values = {"example_id": example_id, "dataset_id": dataset_id, "version_id": version_id}
    row = (await connection.execute(_EXAMPLE_AT, values)).one_or_none()
    if row is None:
        return None
    return ExampleNode(
        id=row[0],
        dataset_id=dataset_id,
        external_id=row[2],
        created_at=row[1],
        span_rowid=row[3],
        span_start_time=row[4],
        version_id=version_id,
        revision=_revision(row[5:]),
    )


async def get_revisions_at(
    connection: AsyncConnection, keys: Sequence[tuple[int, int]]
) -> dict[tuple[int, int], RevisionRow]:
    """Each (example id, version id)'s latest revision up to that version, if it has one."""
    values = {
        "example_ids": [example_id for example_id, _ in keys],
        "version_ids": [version_id for _, version_id in keys],
    }
    result = await connection.execute(_REVISIONS_AT, values)
    return {(row[0], row[1]): RevisionRow(*row[2:]) for row in result}


async def get_example_spans(
    connection: AsyncConnection, links: Sequence[tuple[int, datetime]]
) -> dict[tuple[int, datetime], SpanNode]:
    """The stored spans of examples' source links (span row id, start time), by link."""
    values = {
        "span_rowids": [rowid for rowid, _ in links],
        "start_times": sorted({start for _, start in links}),
    }
    nodes = [span_node(row) for row in await connection.execute(_EXAMPLE_SPANS, values)]
    return {(node.id, node.start_time): node for node in nodes}


async def count_version_diff(
    connection: AsyncConnection, dataset_id: int, from_id: int, to_id: int
) -> DiffCounts:
    """How many examples were added, deleted and patched from version ``from_id`` to ``to_id``."""
    values = {"dataset_id": dataset_id, "from_id": from_id, "to_id": to_id}
    added, deleted, patched = (await connection.execute(_DIFF_COUNTS, values)).one()
    return DiffCounts(int(added), int(deleted), int(patched))


async def list_version_diff(
    connection: AsyncConnection,
    dataset_id: int,
    from_id: int,
    to_id: int,
    *,
    after_id: int,
    fetch: int,
) -> list[ExampleChange]:
    """Up to ``fetch`` examples that differ from version ``from_id`` to ``to_id``, with ids
    above ``after_id``, in id order, with their content in each version (None where they are
    absent), each read as of ``to_id``."""
    values = {
        "dataset_id": dataset_id,
        "from_id": from_id,
        "to_id": to_id,
        "after_id": after_id,
        "fetch": fetch,
    }
    changes = []
    for row in await connection.execute(_DIFF_PAGE, values):
        before, after = _present(_revision(row[6:13])), _present(_revision(row[13:20]))
        example = ExampleNode(
            id=row[1],
            dataset_id=dataset_id,
            external_id=row[3],
            created_at=row[2],
            span_rowid=row[4],
            span_start_time=row[5],
            version_id=to_id,
            revision=after,
        )
        changes.append(ExampleChange(row[1], row[0], example, before, after))
    return changes
