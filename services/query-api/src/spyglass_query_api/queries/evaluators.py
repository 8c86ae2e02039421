"""Evaluators, their versions, and the evaluators attached to datasets: rows and statements.

An evaluator is created with its first version, in one transaction (``INSERT ... ON CONFLICT
(name) DO NOTHING``: a taken name creates nothing). Versions are never changed; a new one is
numbered under the evaluator's row lock (``FOR UPDATE``), so two saves at once get n + 1 and
n + 2. An evaluator row reads with its latest version (one step down the unique
``(evaluator_id, version)`` index).

An evaluator used by an online rule can't be deleted (the rule's foreign key is ``RESTRICT``):
the delete first takes the row lock (:func:`lock_evaluator`) that whoever attaches the
evaluator to a rule or a dataset holds in key-share mode (:func:`share_evaluator`), so the
rules :func:`list_rules_using` then reads are all there are, and the delete can't fail on one.
Dataset evaluators go with their evaluator.
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
class EvaluatorRow:
    """An evaluator with its latest version."""

    id: int
    name: str
    kind: str
    description: str | None
    created_at: datetime
    updated_at: datetime
    version_id: int
    version: int
    definition: dict[str, Any]
    note: str | None
    version_created_at: datetime


@dataclass(frozen=True)
class EvaluatorVersionRow:
    id: int
    evaluator_id: int
    version: int
    definition: dict[str, Any]
    note: str | None
    created_at: datetime


@dataclass(frozen=True)
class RuleUsingEvaluator:
    """An online rule that runs an evaluator (what stops its deletion)."""

    id: int
    name: str
    project_name: str


_EVALUATOR_SQL = """
    SELECT e.id, e.name, e.kind, e.description, e.created_at, e.updated_at,
        v.id AS version_id, v.version, v.definition, v.note, v.created_at AS version_created_at
    FROM evaluators AS e
    CROSS JOIN LATERAL (
        SELECT * FROM evaluator_versions AS w WHERE w.evaluator_id = e.id
        ORDER BY w.version DESC LIMIT 1
    ) AS v
"""
_VERSION_COLUMNS_SQL = "v.id, v.evaluator_id, v.version, v.definition, v.note, v.created_at"

_EVALUATOR_BY_ID = text(f"{_EVALUATOR_SQL} WHERE e.id = :evaluator_id").bindparams(
    bindparam("evaluator_id", type_=BigInteger)
)
_EVALUATOR_BY_NAME = text(f"{_EVALUATOR_SQL} WHERE e.name = :name").bindparams(
    bindparam("name", type_=Text)
)
_LIST_EVALUATORS = newest_first(_EVALUATOR_SQL, "e.id")
_LIST_EVALUATORS_OF_KIND = newest_first(_EVALUATOR_SQL, "e.id", "e.kind = :kind", kind=Text())

_INSERT_EVALUATOR = text(
    """
    INSERT INTO evaluators (name, kind, description) VALUES (:name, :kind, :description)
    ON CONFLICT (name) DO NOTHING
    RETURNING id
    """
).bindparams(
    bindparam("name", type_=Text),
    bindparam("kind", type_=Text),
    bindparam("description", type_=Text),
)

_UPDATE_DESCRIPTION = text(
    "UPDATE evaluators SET description = :description, updated_at = now() "
    "WHERE id = :evaluator_id RETURNING id"
).bindparams(bindparam("evaluator_id", type_=BigInteger), bindparam("description", type_=Text))

_LOCK_EVALUATOR = text("SELECT id FROM evaluators WHERE id = :evaluator_id FOR UPDATE").bindparams(
    bindparam("evaluator_id", type_=BigInteger)
)
_SHARE_EVALUATOR = text(
    "SELECT id FROM evaluators WHERE id = :evaluator_id FOR KEY SHARE"
).bindparams(bindparam("evaluator_id", type_=BigInteger))

_RULES_USING = text(
    """
    SELECT r.id, r.name, p.name AS project_name
    FROM evaluation_rules AS r JOIN projects AS p ON p.id = r.project_id
    WHERE r.evaluator_id = :evaluator_id
    ORDER BY r.id
    LIMIT :limit
    """
).bindparams(bindparam("evaluator_id", type_=BigInteger), bindparam("limit", type_=BigInteger))

_DELETE_EVALUATOR = text("DELETE FROM evaluators WHERE id = :evaluator_id RETURNING id").bindparams(
    bindparam("evaluator_id", type_=BigInteger)
)

_INSERT_VERSION = text(
    f"""
    INSERT INTO evaluator_versions AS v (evaluator_id, version, definition, note)
    SELECT :evaluator_id, coalesce(max(w.version), 0) + 1, :definition, :note
    FROM evaluator_versions AS w WHERE w.evaluator_id = :evaluator_id
    RETURNING {_VERSION_COLUMNS_SQL}
    """
).bindparams(
    bindparam("evaluator_id", type_=BigInteger),
    bindparam("definition", type_=JSONB),
    bindparam("note", type_=Text),
)

_VERSION = text(
    f"SELECT {_VERSION_COLUMNS_SQL} FROM evaluator_versions AS v "
    "WHERE v.evaluator_id = :evaluator_id AND v.version = :version"
).bindparams(bindparam("evaluator_id", type_=BigInteger), bindparam("version", type_=Integer))

_LIST_VERSIONS = newest_first(
    f"SELECT {_VERSION_COLUMNS_SQL} FROM evaluator_versions AS v",
    "v.id",
    "v.evaluator_id = :evaluator_id",
    evaluator_id=BigInteger(),
)


def _evaluator(row: Row[Any]) -> EvaluatorRow:
    return EvaluatorRow(**row._mapping)


def _version(row: Row[Any]) -> EvaluatorVersionRow:
    return EvaluatorVersionRow(**row._mapping)


async def get_evaluator(connection: AsyncConnection, evaluator_id: int) -> EvaluatorRow | None:
    """The evaluator with row id ``evaluator_id`` and its latest version, or None."""
    row = (await connection.execute(_EVALUATOR_BY_ID, {"evaluator_id": evaluator_id})).first()
    return None if row is None else _evaluator(row)


async def get_evaluator_by_name(connection: AsyncConnection, name: str) -> EvaluatorRow | None:
    """The evaluator named ``name`` and its latest version, or None."""
    row = (await connection.execute(_EVALUATOR_BY_NAME, {"name": name})).first()
    return None if row is None else _evaluator(row)


async def list_evaluators(
    connection: AsyncConnection, kind: str | None, start: int | None, fetch: int
) -> list[EvaluatorRow]:
    """Up to ``fetch`` evaluators (of ``kind``, if given), newest first, from ``start`` down."""
    values: dict[str, object] = {"start": page_start(start), "fetch": fetch}
    if kind is None:
        result = await connection.execute(_LIST_EVALUATORS, values)
    else:
        result = await connection.execute(_LIST_EVALUATORS_OF_KIND, {**values, "kind": kind})
    return [_evaluator(row) for row in result]


async def create_evaluator(
    connection: AsyncConnection,
    *,
    name: str,
    kind: str,
    description: str | None,
    definition: dict[str, Any],
    note: str | None,
) -> EvaluatorRow | None:
    """Create the evaluator ``name`` with its version 1; None if the name is taken."""
    values = {"name": name, "kind": kind, "description": description}
    evaluator_id = (await connection.execute(_INSERT_EVALUATOR, values)).scalar_one_or_none()
    if evaluator_id is None:
        return None
    await create_evaluator_version(connection, evaluator_id, definition, note)
    return await get_evaluator(connection, evaluator_id)


async def update_evaluator_description(
    connection: AsyncConnection, evaluator_id: int, description: str | None
) -> bool:
    """Set the evaluator's description; False if there is no such evaluator."""
    values = {"evaluator_id": evaluator_id, "description": description}
    return (await connection.execute(_UPDATE_DESCRIPTION, values)).first() is not None


async def lock_evaluator(connection: AsyncConnection, evaluator_id: int) -> bool:
    """Lock the evaluator's row until the transaction ends (to number a new version, or to
    delete it: no rule or dataset evaluator is made to use it meanwhile); False if there is no
    such evaluator."""
    result = await connection.execute(_LOCK_EVALUATOR, {"evaluator_id": evaluator_id})
    return result.first() is not None


async def share_evaluator(connection: AsyncConnection, evaluator_id: int) -> bool:
    """Keep the evaluator from being deleted until the transaction ends (a key-share lock, as
    the foreign key check of a rule that uses it takes); False if it is gone already."""
    result = await connection.execute(_SHARE_EVALUATOR, {"evaluator_id": evaluator_id})
    return result.first() is not None


async def list_rules_using(
    connection: AsyncConnection, evaluator_id: int, limit: int
) -> list[RuleUsingEvaluator]:
    """Up to ``limit`` online rules that run the evaluator, oldest first."""
    result = await connection.execute(_RULES_USING, {"evaluator_id": evaluator_id, "limit": limit})
    return [RuleUsingEvaluator(int(row.id), row.name, row.project_name) for row in result]


async def delete_evaluator(connection: AsyncConnection, evaluator_id: int) -> bool:
    """Delete the evaluator, its versions and its dataset evaluators; False if there is none.
    The caller has made sure no rule uses it (:func:`lock_evaluator`, :func:`list_rules_using`).
    """
    result = await connection.execute(_DELETE_EVALUATOR, {"evaluator_id": evaluator_id})
    return result.first() is not None


async def create_evaluator_version(
    connection: AsyncConnection, evaluator_id: int, definition: dict[str, Any], note: str | None
) -> EvaluatorVersionRow:
    """Add the evaluator's next version (the caller holds its row lock, or just created it)."""
    values = {"evaluator_id": evaluator_id, "definition": definition, "note": note}
    return _version((await connection.execute(_INSERT_VERSION, values)).one())


async def get_evaluator_version(
    connection: AsyncConnection, evaluator_id: int, version: int
) -> EvaluatorVersionRow | None:
    """Version number ``version`` of the evaluator, or None."""
    values = {"evaluator_id": evaluator_id, "version": version}
    row = (await connection.execute(_VERSION, values)).first()
    return None if row is None else _version(row)


async def list_evaluator_versions(
    connection: AsyncConnection, evaluator_id: int, start: int | None, fetch: int
) -> list[EvaluatorVersionRow]:
    """Up to ``fetch`` of the evaluator's versions, newest first, from row id ``start`` down."""
    values = {"evaluator_id": evaluator_id, "start": page_start(start), "fetch": fetch}
    return [_version(row) for row in await connection.execute(_LIST_VERSIONS, values)]


# Dataset examples, as a test reads them ---------------------------------------------------------


@dataclass(frozen=True)
class ExampleContent:
    """A dataset example as its latest version has it."""

    input: dict[str, Any]
    output: dict[str, Any]
    metadata: dict[str, Any]


_EXAMPLE = text(
    """
    SELECT rv.input, rv.output, rv.metadata, rv.revision_kind
    FROM dataset_example_revisions AS rv
    WHERE rv.dataset_example_id = :example_id
    ORDER BY rv.dataset_version_id DESC
    LIMIT 1
    """
).bindparams(bindparam("example_id", type_=BigInteger))


async def get_example_content(
    connection: AsyncConnection, example_id: int
) -> ExampleContent | None:
    """The example with row id ``example_id`` as its latest revision has it; None if there is
    no such example or its dataset's latest version deleted it."""
    row = (await connection.execute(_EXAMPLE, {"example_id": example_id})).first()
    if row is None or row.revision_kind == "DELETE":
        return None
    return ExampleContent(row.input, row.output, row.metadata)
