"""Experiments and their tags: the rows REST shows and the statements behind them; and what
"an experiment's examples" means, for every statement that reads them.

An experiment runs over the examples of one dataset version, limited to its splits if it has
any. It takes the list of those examples, with the revision of each, when it is created
(``experiments_dataset_examples``), so later changes to splits leave it as it was; every
statement reads that list through ``EXAMPLE_REVISIONS_SQL`` / ``OF_EXPERIMENT_SQL`` (or
``RUN_EXAMPLE_SQL`` from a run): counts here, run checks, "incomplete runs" and exports in
``experiment_runs.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import BigInteger, Integer, Text

from spyglass_query_api.queries.pages import newest_first, page_start
from spyglass_query_api.queries.tables import ROWIDS

RUN_EXAMPLE_SQL = """
    JOIN experiments_dataset_examples AS xe
      ON xe.experiment_id = r.experiment_id AND xe.dataset_example_id = r.dataset_example_id
    JOIN dataset_examples AS e ON e.id = xe.dataset_example_id
    JOIN dataset_example_revisions AS rv ON rv.id = xe.dataset_example_revision_id
"""
"""Run ``r``'s example ``e`` and the revision ``rv`` its experiment runs on."""

_TAKE_EXAMPLES = text(
    """
    INSERT INTO experiments_dataset_examples
        (experiment_id, dataset_example_id, dataset_example_revision_id)
    SELECT x.id, e.id, rv.id
    FROM experiments AS x
    JOIN dataset_examples AS e ON e.dataset_id = x.dataset_id
    CROSS JOIN LATERAL (
        SELECT r.id, r.revision_kind FROM dataset_example_revisions AS r
        WHERE r.dataset_example_id = e.id AND r.dataset_version_id <= x.dataset_version_id
        ORDER BY r.dataset_version_id DESC LIMIT 1
    ) AS rv
    WHERE x.id = :experiment_id AND rv.revision_kind <> 'DELETE'
      AND (CAST(:split_ids AS bigint[]) = '{}' OR EXISTS (
            SELECT 1 FROM dataset_splits_dataset_examples AS l
            WHERE l.dataset_example_id = e.id AND l.dataset_split_id = ANY(:split_ids)))
    """
).bindparams(bindparam("experiment_id", type_=BigInteger), bindparam("split_ids", type_=ROWIDS))
"""Take experiment ``x``'s examples: those of its version (each at its latest revision there,
one backward index step), in one of ``split_ids`` if any are given."""

_EXPERIMENT_COLUMNS_SQL = """
    x.id, x.dataset_id, x.dataset_version_id, x.name, x.description, x.repetitions,
    x.metadata, x.project_name, x.created_at, x.updated_at,
    (SELECT count(*) FROM experiments_dataset_examples AS xe
     WHERE xe.experiment_id = x.id) AS example_count,
    (SELECT count(*) FROM experiment_runs AS r WHERE r.experiment_id = x.id) AS run_count,
    (SELECT count(*) FROM experiment_runs AS r
     WHERE r.experiment_id = x.id AND r.error IS NOT NULL) AS failed_run_count
"""


@dataclass(frozen=True)
class ExperimentRow:
    """An experiment with the counts Phoenix shows beside it."""

    id: int
    dataset_id: int
    dataset_version_id: int
    name: str
    description: str | None
    repetitions: int
    metadata: dict[str, Any]
    project_name: str | None
    created_at: datetime
    updated_at: datetime
    example_count: int
    run_count: int
    failed_run_count: int

    @property
    def successful_run_count(self) -> int:
        """Runs without an error."""
        return self.run_count - self.failed_run_count

    @property
    def missing_run_count(self) -> int:
        """(example, repetition) pairs without a run yet."""
        return max(0, self.example_count * self.repetitions - self.run_count)


@dataclass(frozen=True)
class TagRow:
    id: int
    name: str
    description: str | None


@dataclass(frozen=True)
class VersionRow:
    id: int
    dataset_id: int


# Experiments ------------------------------------------------------------------------------------

_GET_EXPERIMENT = text(
    f"SELECT {_EXPERIMENT_COLUMNS_SQL} FROM experiments AS x WHERE x.id = :experiment_id"
).bindparams(bindparam("experiment_id", type_=BigInteger))

_LIST_EXPERIMENTS = newest_first(
    f"SELECT {_EXPERIMENT_COLUMNS_SQL} FROM experiments AS x",
    "x.id",
    "x.dataset_id = :dataset_id",
    dataset_id=BigInteger(),
)

_DATASET_NAME = text("SELECT name FROM datasets WHERE id = :dataset_id").bindparams(
    bindparam("dataset_id", type_=BigInteger)
)

_VERSION = text(
    "SELECT id, dataset_id FROM dataset_versions "
    "WHERE id = :version_id AND dataset_id = :dataset_id"
).bindparams(bindparam("version_id", type_=BigInteger), bindparam("dataset_id", type_=BigInteger))

_LATEST_VERSION = text(
    "SELECT id, dataset_id FROM dataset_versions WHERE dataset_id = :dataset_id "
    "ORDER BY id DESC LIMIT 1"
).bindparams(bindparam("dataset_id", type_=BigInteger))

_SPLITS_BY_ID = text("SELECT id FROM dataset_splits WHERE id = ANY(:split_ids)").bindparams(
    bindparam("split_ids", type_=ROWIDS)
)
_SPLITS_BY_NAME = text("SELECT id, name FROM dataset_splits WHERE name = ANY(:names)").bindparams(
    bindparam("names", type_=ARRAY(Text))
)

_CREATE_EXPERIMENT = text(
    """
    INSERT INTO experiments
        (dataset_id, dataset_version_id, name, description, repetitions, metadata, project_name)
    VALUES (:dataset_id, :version_id, :name, :description, :repetitions, :metadata, :project_name)
    RETURNING id
    """
).bindparams(
    bindparam("dataset_id", type_=BigInteger),
    bindparam("version_id", type_=BigInteger),
    bindparam("name", type_=Text),
    bindparam("description", type_=Text),
    bindparam("repetitions", type_=Integer),
    bindparam("metadata", type_=JSONB),
    bindparam("project_name", type_=Text),
)

_LINK_SPLITS = text(
    "INSERT INTO experiments_dataset_splits (experiment_id, dataset_split_id) "
    "SELECT :experiment_id, unnest(:split_ids) ON CONFLICT DO NOTHING"
).bindparams(bindparam("experiment_id", type_=BigInteger), bindparam("split_ids", type_=ROWIDS))

_CREATE_PROJECT = text(
    "INSERT INTO projects (name, description) VALUES (:name, :description) "
    "ON CONFLICT (name) DO NOTHING"
).bindparams(bindparam("name", type_=Text), bindparam("description", type_=Text))

_UPDATE_EXPERIMENT = text(
    """
    UPDATE experiments SET
        name = CASE WHEN :set_name THEN :name ELSE name END,
        description = CASE WHEN :set_description THEN :description ELSE description END,
        metadata = CASE WHEN :set_metadata THEN :metadata ELSE metadata END,
        updated_at = now()
    WHERE id = :experiment_id
    RETURNING id
    """
).bindparams(
    bindparam("experiment_id", type_=BigInteger),
    bindparam("name", type_=Text),
    bindparam("description", type_=Text),
    bindparam("metadata", type_=JSONB),
)

_DELETE_EXPERIMENT = text(
    "DELETE FROM experiments WHERE id = :experiment_id RETURNING project_name"
).bindparams(bindparam("experiment_id", type_=BigInteger))

_PROJECT_ID = text("SELECT id FROM projects WHERE name = :name").bindparams(
    bindparam("name", type_=Text)
)


def _experiment(row: Row[Any]) -> ExperimentRow:
    return ExperimentRow(**row._mapping)


async def get_experiment(connection: AsyncConnection, experiment_id: int) -> ExperimentRow | None:
    """The experiment with its example and run counts, or None."""
    result = await connection.execute(_GET_EXPERIMENT, {"experiment_id": experiment_id})
    row = result.one_or_none()
    return None if row is None else _experiment(row)


async def list_experiments(
    connection: AsyncConnection, dataset_id: int, start: int | None, fetch: int
) -> list[ExperimentRow]:
    """Up to ``fetch`` of a dataset's experiments, newest first, from id ``start`` down."""
    result = await connection.execute(
        _LIST_EXPERIMENTS, {"dataset_id": dataset_id, "start": page_start(start), "fetch": fetch}
    )
    return [_experiment(row) for row in result]


async def get_dataset_name(connection: AsyncConnection, dataset_id: int) -> str | None:
    """The dataset's name, or None if there is no such dataset."""
    result = await connection.execute(_DATASET_NAME, {"dataset_id": dataset_id})
    return result.scalar_one_or_none()


async def get_version(
    connection: AsyncConnection, dataset_id: int, version_id: int | None
) -> VersionRow | None:
    """The dataset's version ``version_id`` (its latest if None), or None."""
    if version_id is None:
        result = await connection.execute(_LATEST_VERSION, {"dataset_id": dataset_id})
    else:
        result = await connection.execute(
            _VERSION, {"dataset_id": dataset_id, "version_id": version_id}
        )
    row = result.one_or_none()
    return None if row is None else VersionRow(*row)


async def find_split_ids(
    connection: AsyncConnection, split_rowids: Sequence[int], names: Sequence[str]
) -> tuple[set[int], dict[str, int]]:
    """Which of ``split_rowids`` exist, and the ids of the splits named in ``names``."""
    found_ids: set[int] = set()
    if split_rowids:
        result = await connection.execute(_SPLITS_BY_ID, {"split_ids": list(split_rowids)})
        found_ids = {row[0] for row in result}
    by_name: dict[str, int] = {}
    if names:
        result = await connection.execute(_SPLITS_BY_NAME, {"names": list(names)})
        by_name = {row[1]: row[0] for row in result}
    return found_ids, by_name


async def create_experiment(
    connection: AsyncConnection,
    *,
    dataset_id: int,
    version_id: int,
    name: str,
    description: str | None,
    repetitions: int,
    metadata: dict[str, Any],
    project_name: str,
    project_description: str,
    split_ids: Sequence[int],
) -> int:
    """A new experiment limited to ``split_ids`` (none: the whole version), and its project."""
    result = await connection.execute(
        _CREATE_EXPERIMENT,
        {
            "dataset_id": dataset_id,
            "version_id": version_id,
            "name": name,
            "description": description,
            "repetitions": repetitions,
            "metadata": metadata,
            "project_name": project_name,
        },
    )
    experiment_id: int = result.scalar_one()
    if split_ids:
        await connection.execute(
            _LINK_SPLITS, {"experiment_id": experiment_id, "split_ids": list(split_ids)}
        )
    await connection.execute(
        _TAKE_EXAMPLES, {"experiment_id": experiment_id, "split_ids": list(split_ids)}
    )
    await connection.execute(
        _CREATE_PROJECT, {"name": project_name, "description": project_description}
    )
    return experiment_id


async def update_experiment(
    connection: AsyncConnection, experiment_id: int, changes: dict[str, Any]
) -> bool:
    """Set the fields in ``changes`` (``name``, ``description``, ``metadata``); False if there
    is no such experiment."""
    result = await connection.execute(
        _UPDATE_EXPERIMENT,
        {
            "experiment_id": experiment_id,
            "set_name": "name" in changes,
            "name": changes.get("name"),
            "set_description": "description" in changes,
            "description": changes.get("description"),
            "set_metadata": "metadata" in changes,
            "metadata": changes.get("metadata"),
        },
    )
    return result.one_or_none() is not None


async def delete_experiment(
    connection: AsyncConnection, experiment_id: int
) -> tuple[bool, int | None]:
    """Delete the experiment (its runs, evaluations and tags go with it).

    Returns:
        Whether it existed, and the id of its project if that exists.
    """
    result = await connection.execute(_DELETE_EXPERIMENT, {"experiment_id": experiment_id})
    row = result.one_or_none()
    if row is None:
        return False, None
    if row[0] is None:
        return True, None
    project = await connection.execute(_PROJECT_ID, {"name": row[0]})
    return True, project.scalar_one_or_none()


_EXPERIMENT_NAME = text("SELECT name FROM experiments WHERE id = :experiment_id").bindparams(
    bindparam("experiment_id", type_=BigInteger)
)


async def get_experiment_name(connection: AsyncConnection, experiment_id: int) -> str | None:
    """The experiment's name; None if there is no such experiment."""
    result = await connection.execute(_EXPERIMENT_NAME, {"experiment_id": experiment_id})
    return result.scalar_one_or_none()


# Tags -------------------------------------------------------------------------------------------

_LIST_TAGS = text(
    "SELECT id, name, description FROM experiment_tags WHERE experiment_id = :experiment_id "
    "ORDER BY name"
).bindparams(bindparam("experiment_id", type_=BigInteger))

_SET_TAG = text(
    """
    INSERT INTO experiment_tags AS t (experiment_id, dataset_id, name, description)
    SELECT x.id, x.dataset_id, :name, :description FROM experiments AS x
    WHERE x.id = :experiment_id
    ON CONFLICT (dataset_id, name) DO UPDATE SET
        experiment_id = excluded.experiment_id, description = excluded.description
    RETURNING t.id, t.name, t.description
    """
).bindparams(
    bindparam("experiment_id", type_=BigInteger),
    bindparam("name", type_=Text),
    bindparam("description", type_=Text),
)

_DELETE_TAG = text(
    "DELETE FROM experiment_tags WHERE experiment_id = :experiment_id "
    "AND (id = :tag_id OR name = :name) RETURNING id"
).bindparams(
    bindparam("experiment_id", type_=BigInteger),
    bindparam("tag_id", type_=BigInteger),
    bindparam("name", type_=Text),
)


async def list_tags(connection: AsyncConnection, experiment_id: int) -> list[TagRow]:
    """The experiment's tags by name."""
    result = await connection.execute(_LIST_TAGS, {"experiment_id": experiment_id})
    return [TagRow(*row) for row in result]


async def set_tag(
    connection: AsyncConnection, experiment_id: int, name: str, description: str | None
) -> TagRow | None:
    """Point the dataset's tag ``name`` at this experiment (moving it from another); None if
    there is no such experiment."""
    result = await connection.execute(
        _SET_TAG, {"experiment_id": experiment_id, "name": name, "description": description}
    )
    row = result.one_or_none()
    return None if row is None else TagRow(*row)


async def delete_tag(
    connection: AsyncConnection, experiment_id: int, tag_id: int | None, name: str
) -> bool:
    """Remove the experiment's tag with id ``tag_id`` or named ``name``; False if none."""
    result = await connection.execute(
        _DELETE_TAG, {"experiment_id": experiment_id, "tag_id": tag_id, "name": name}
    )
    return result.first() is not None
