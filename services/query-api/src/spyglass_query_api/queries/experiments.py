"""Experiments, their runs, evaluations and tags: the rows REST shows, the statements behind.

An experiment runs over the examples of one dataset version, limited to its splits if it has
any (``_OF_EXPERIMENT_SQL`` says which, the same way for counts, run checks, "incomplete
runs" and exports). Writers under load (1,000 runs a second) take one statement per request and
rely on the unique keys: a run is inserted, or replaces a failed run of the same (example,
repetition), in one ``INSERT ... ON CONFLICT DO UPDATE ... WHERE error IS NOT NULL``; an
evaluation is upserted on (run, name). When such a write changes nothing, a second read says
why (no experiment, an example outside its version, a successful run already there), so the
common path never reads before it writes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import BigInteger, DateTime, Double, Integer, Text

from spyglass_query_api.queries.tables import ROWIDS

_LATEST_REVISION_SQL = """
    SELECT rv.revision_kind, rv.input, rv.output, rv.metadata, rv.created_at
    FROM dataset_example_revisions AS rv
    WHERE rv.dataset_example_id = e.id AND rv.dataset_version_id <= x.dataset_version_id
    ORDER BY rv.dataset_version_id DESC
    LIMIT 1
"""
"""Example ``e``'s content as experiment ``x``'s version left it (one backward index step)."""

_IN_SPLITS_SQL = """
    (NOT EXISTS (SELECT 1 FROM experiments_dataset_splits AS s WHERE s.experiment_id = x.id)
     OR EXISTS (
        SELECT 1 FROM experiments_dataset_splits AS s
        JOIN dataset_splits_dataset_examples AS l ON l.dataset_split_id = s.dataset_split_id
        WHERE s.experiment_id = x.id AND l.dataset_example_id = e.id))
"""
"""Example ``e`` is in one of experiment ``x``'s splits, or ``x`` has none."""

_EXAMPLE_REVISIONS_SQL = f"dataset_examples AS e CROSS JOIN LATERAL ({_LATEST_REVISION_SQL}) AS rv"
"""Examples ``e`` with their revisions ``rv`` at experiment ``x``'s version (``x`` must be to
the left of it in a join, or outside the subquery)."""

_OF_EXPERIMENT_SQL = (
    f"e.dataset_id = x.dataset_id AND rv.revision_kind <> 'DELETE' AND {_IN_SPLITS_SQL}"
)
"""``e`` is one of experiment ``x``'s examples: in its version (and splits, if it has any)."""

_EXPERIMENT_COLUMNS_SQL = f"""
    x.id, x.dataset_id, x.dataset_version_id, x.name, x.description, x.repetitions,
    x.metadata, x.project_name, x.created_at, x.updated_at,
    (SELECT count(*) FROM {_EXAMPLE_REVISIONS_SQL} WHERE {_OF_EXPERIMENT_SQL}) AS example_count,
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
class RunRow:
    """An experiment run; ``output`` is the task's output (unwrapped from ``task_output``)."""

    id: int
    experiment_id: int
    dataset_example_id: int
    repetition_number: int
    output: Any
    start_time: datetime
    end_time: datetime
    trace_id: str | None
    error: str | None


@dataclass(frozen=True)
class ExampleRow:
    """A dataset example as an experiment's version left it."""

    id: int
    external_id: str | None
    input: dict[str, Any]
    output: dict[str, Any]
    metadata: dict[str, Any]
    updated_at: datetime


@dataclass(frozen=True)
class IncompleteRunRow:
    """An example of an experiment and the repetitions it has no successful run for."""

    example: ExampleRow
    repetition_numbers: list[int]

    @property
    def id(self) -> int:
        """The example's id (what the next page's cursor names)."""
        return self.example.id


@dataclass(frozen=True)
class IncompleteEvaluationRow:
    """A successful run and the evaluation names it has no successful evaluation for."""

    run: RunRow
    example: ExampleRow
    evaluation_names: list[str]

    @property
    def id(self) -> int:
        """The run's id (what the next page's cursor names)."""
        return self.run.id


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

_LIST_EXPERIMENTS = text(
    f"""
    SELECT {_EXPERIMENT_COLUMNS_SQL} FROM experiments AS x
    WHERE x.dataset_id = :dataset_id AND x.id <= :start
    ORDER BY x.id DESC
    LIMIT :fetch
    """
).bindparams(
    bindparam("dataset_id", type_=BigInteger),
    bindparam("start", type_=BigInteger),
    bindparam("fetch", type_=Integer),
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
        _LIST_EXPERIMENTS,
        {"dataset_id": dataset_id, "start": start if start is not None else 2**63 - 1,
         "fetch": fetch},
    )  # fmt: skip
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


# Runs -------------------------------------------------------------------------------------------

_RUN_COLUMNS_SQL = (
    "r.id, r.experiment_id, r.dataset_example_id, r.repetition_number, "
    "r.output -> 'task_output', r.start_time, r.end_time, r.trace_id, r.error"
)

_CREATE_RUN = text(
    f"""
    INSERT INTO experiment_runs AS run
        (experiment_id, dataset_example_id, repetition_number, trace_id, output,
         start_time, end_time, error)
    SELECT x.id, e.id, :repetition_number, :trace_id, :output, :start_time, :end_time, :error
    FROM experiments AS x CROSS JOIN {_EXAMPLE_REVISIONS_SQL}
    WHERE x.id = :experiment_id AND e.id = :example_id AND {_OF_EXPERIMENT_SQL}
        AND :repetition_number <= x.repetitions
    ON CONFLICT (experiment_id, dataset_example_id, repetition_number) DO UPDATE SET
        trace_id = excluded.trace_id, output = excluded.output,
        start_time = excluded.start_time, end_time = excluded.end_time, error = excluded.error
    WHERE run.error IS NOT NULL
    RETURNING run.id
    """
).bindparams(
    bindparam("experiment_id", type_=BigInteger),
    bindparam("example_id", type_=BigInteger),
    bindparam("repetition_number", type_=Integer),
    bindparam("trace_id", type_=Text),
    bindparam("output", type_=JSONB),
    bindparam("start_time", type_=DateTime(timezone=True)),
    bindparam("end_time", type_=DateTime(timezone=True)),
    bindparam("error", type_=Text),
)
"""Insert a run, or replace a failed one; nothing if a successful run is there, the experiment
does not exist, or the example or repetition is not one of the experiment's."""

_WHY_NO_RUN = text(
    f"""
    SELECT x.repetitions,
        EXISTS (SELECT 1 FROM dataset_examples WHERE id = :example_id),
        EXISTS (SELECT 1 FROM {_EXAMPLE_REVISIONS_SQL}
                WHERE e.id = :example_id AND {_OF_EXPERIMENT_SQL}),
        (SELECT r.id FROM experiment_runs AS r
         WHERE r.experiment_id = x.id AND r.dataset_example_id = :example_id
           AND r.repetition_number = :repetition_number)
    FROM experiments AS x WHERE x.id = :experiment_id
    """
).bindparams(
    bindparam("experiment_id", type_=BigInteger),
    bindparam("example_id", type_=BigInteger),
    bindparam("repetition_number", type_=Integer),
)


@dataclass(frozen=True)
class RunRefusal:
    """Why :func:`create_run` wrote nothing."""

    experiment_exists: bool
    example_exists: bool = False
    example_in_experiment: bool = False
    repetitions: int = 0
    existing_run_id: int | None = None


async def create_run(
    connection: AsyncConnection,
    *,
    experiment_id: int,
    example_id: int,
    repetition_number: int,
    output: Any,
    start_time: datetime,
    end_time: datetime,
    trace_id: str | None,
    error: str | None,
) -> int | RunRefusal:
    """Store a run (output kept as ``{"task_output": output}``), replacing a failed run of the
    same (example, repetition); the run's id, or why nothing was written."""
    values = {
        "experiment_id": experiment_id,
        "example_id": example_id,
        "repetition_number": repetition_number,
    }
    result = await connection.execute(
        _CREATE_RUN,
        {
            **values,
            "trace_id": trace_id,
            "output": {"task_output": output},
            "start_time": start_time,
            "end_time": end_time,
            "error": error,
        },
    )
    run_id = result.scalar_one_or_none()
    if run_id is not None:
        return int(run_id)
    why = (await connection.execute(_WHY_NO_RUN, values)).one_or_none()
    if why is None:
        return RunRefusal(experiment_exists=False)
    return RunRefusal(True, bool(why[1]), bool(why[2]), int(why[0]), why[3])


_LIST_RUNS = text(
    f"""
    SELECT {_RUN_COLUMNS_SQL} FROM experiment_runs AS r
    WHERE r.experiment_id = :experiment_id AND r.id <= :start
    ORDER BY r.id DESC
    LIMIT :fetch
    """
).bindparams(
    bindparam("experiment_id", type_=BigInteger),
    bindparam("start", type_=BigInteger),
    bindparam("fetch", type_=BigInteger),
)


async def list_runs(
    connection: AsyncConnection, experiment_id: int, start: int | None, fetch: int | None
) -> list[RunRow]:
    """Up to ``fetch`` (None: all) of an experiment's runs, newest first, from id ``start``."""
    result = await connection.execute(
        _LIST_RUNS,
        {
            "experiment_id": experiment_id,
            "start": start if start is not None else 2**63 - 1,
            "fetch": fetch,  # LIMIT NULL: no limit
        },
    )
    return [RunRow(*row) for row in result]


async def stream_runs(
    connection: AsyncConnection, experiment_id: int
) -> AsyncIterator[list[RunRow]]:
    """All of an experiment's runs, newest first, in batches of ``EXPORT_BATCH`` read through a
    server-side cursor (one statement: one snapshot, memory bounded at any count)."""
    result = await connection.stream(
        _LIST_RUNS, {"experiment_id": experiment_id, "start": 2**63 - 1, "fetch": None}
    )
    async for batch in result.partitions(EXPORT_BATCH):
        yield [RunRow(*row) for row in batch]


_EXAMPLE_COLUMNS_SQL = "e.id, e.external_id, rv.input, rv.output, rv.metadata, rv.created_at"

_INCOMPLETE_RUNS = text(
    f"""
    SELECT {_EXAMPLE_COLUMNS_SQL}, missing.repetitions
    FROM experiments AS x CROSS JOIN {_EXAMPLE_REVISIONS_SQL}
    CROSS JOIN LATERAL (
        SELECT array_agg(n ORDER BY n) AS repetitions
        FROM generate_series(1, x.repetitions) AS n
        WHERE NOT EXISTS (
            SELECT 1 FROM experiment_runs AS r
            WHERE r.experiment_id = x.id AND r.dataset_example_id = e.id
              AND r.repetition_number = n AND r.error IS NULL)
    ) AS missing
    WHERE x.id = :experiment_id AND {_OF_EXPERIMENT_SQL} AND e.id >= :start
      AND missing.repetitions IS NOT NULL
    ORDER BY e.id
    LIMIT :fetch
    """
).bindparams(
    bindparam("experiment_id", type_=BigInteger),
    bindparam("start", type_=BigInteger),
    bindparam("fetch", type_=Integer),
)
"""An experiment's examples (id order, from ``start``) lacking a successful run for some
repetition: none yet, or only a failed one."""


async def list_incomplete_runs(
    connection: AsyncConnection, experiment_id: int, start: int | None, fetch: int
) -> list[IncompleteRunRow]:
    """Up to ``fetch`` examples with repetitions to (re)run, in example id order."""
    result = await connection.execute(
        _INCOMPLETE_RUNS,
        {"experiment_id": experiment_id, "start": start or 0, "fetch": fetch},
    )
    return [IncompleteRunRow(ExampleRow(*row[:6]), list(row[6])) for row in result]


_INCOMPLETE_EVALUATIONS = text(
    f"""
    SELECT {_RUN_COLUMNS_SQL}, {_EXAMPLE_COLUMNS_SQL}, missing.names
    FROM experiments AS x
    JOIN experiment_runs AS r ON r.experiment_id = x.id
    JOIN dataset_examples AS e ON e.id = r.dataset_example_id
    CROSS JOIN LATERAL ({_LATEST_REVISION_SQL}) AS rv
    CROSS JOIN LATERAL (
        SELECT array_agg(wanted.name ORDER BY wanted.name) AS names
        FROM unnest(CAST(:names AS text[])) AS wanted(name)
        WHERE NOT EXISTS (
            SELECT 1 FROM experiment_run_annotations AS a
            WHERE a.experiment_run_id = r.id AND a.name = wanted.name AND a.error IS NULL)
    ) AS missing
    WHERE x.id = :experiment_id AND r.id >= :start AND r.error IS NULL
      AND missing.names IS NOT NULL
    ORDER BY r.id
    LIMIT :fetch
    """
).bindparams(
    bindparam("experiment_id", type_=BigInteger),
    bindparam("names", type_=ARRAY(Text)),
    bindparam("start", type_=BigInteger),
    bindparam("fetch", type_=Integer),
)
"""An experiment's successful runs (id order, from ``start``) lacking a successful evaluation
of some of ``names``: none yet, or only a failed one."""


async def list_incomplete_evaluations(
    connection: AsyncConnection,
    experiment_id: int,
    names: Sequence[str],
    start: int | None,
    fetch: int,
) -> list[IncompleteEvaluationRow]:
    """Up to ``fetch`` runs with evaluations to (re)do, in run id order."""
    result = await connection.execute(
        _INCOMPLETE_EVALUATIONS,
        {"experiment_id": experiment_id, "names": list(names), "start": start or 0,
         "fetch": fetch},
    )  # fmt: skip
    return [
        IncompleteEvaluationRow(RunRow(*row[:9]), ExampleRow(*row[9:15]), list(row[15]))
        for row in result
    ]


# Evaluations ------------------------------------------------------------------------------------

_UPSERT_EVALUATION = text(
    """
    INSERT INTO experiment_run_annotations AS a
        (experiment_run_id, name, annotator_kind, label, score, explanation, trace_id, error,
         metadata, start_time, end_time)
    SELECT r.id, :name, :annotator_kind, :label, :score, :explanation, :trace_id, :error,
        :metadata, :start_time, :end_time
    FROM experiment_runs AS r WHERE r.id = :run_id
    ON CONFLICT (experiment_run_id, name) DO UPDATE SET
        annotator_kind = excluded.annotator_kind, label = excluded.label,
        score = excluded.score, explanation = excluded.explanation,
        trace_id = excluded.trace_id, error = excluded.error, metadata = excluded.metadata,
        start_time = excluded.start_time, end_time = excluded.end_time
    RETURNING a.id
    """
).bindparams(
    bindparam("run_id", type_=BigInteger),
    bindparam("name", type_=Text),
    bindparam("annotator_kind", type_=Text),
    bindparam("label", type_=Text),
    bindparam("score", type_=Double),
    bindparam("explanation", type_=Text),
    bindparam("trace_id", type_=Text),
    bindparam("error", type_=Text),
    bindparam("metadata", type_=JSONB),
    bindparam("start_time", type_=DateTime(timezone=True)),
    bindparam("end_time", type_=DateTime(timezone=True)),
)


async def upsert_evaluation(
    connection: AsyncConnection, run_id: int, values: dict[str, Any]
) -> int | None:
    """Store the evaluation ``values["name"]`` of run ``run_id``, replacing one of that name;
    its id, or None if there is no such run."""
    result = await connection.execute(_UPSERT_EVALUATION, {"run_id": run_id, **values})
    evaluation_id = result.scalar_one_or_none()
    return None if evaluation_id is None else int(evaluation_id)


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


# Exports ----------------------------------------------------------------------------------------

EXPORT_BATCH = 1000
"""Runs read (and written out) at a time by the exports: memory stays bounded at any size."""

_EXPORT_RUNS = text(
    f"""
    SELECT r.dataset_example_id, r.repetition_number, rv.input, rv.output AS reference_output,
        r.output -> 'task_output' AS output, r.error,
        CAST(EXTRACT(EPOCH FROM r.end_time - r.start_time) * 1000 AS double precision)
            AS latency_ms,
        r.start_time, r.end_time, r.trace_id, r.prompt_token_count, r.completion_token_count,
        COALESCE((
            SELECT jsonb_agg(jsonb_build_object(
                'name', a.name, 'annotator_kind', a.annotator_kind, 'label', a.label,
                'score', a.score, 'explanation', a.explanation, 'trace_id', a.trace_id,
                'error', a.error, 'metadata', a.metadata,
                'start_time', a.start_time, 'end_time', a.end_time) ORDER BY a.name)
            FROM experiment_run_annotations AS a WHERE a.experiment_run_id = r.id
        ), '[]'::jsonb) AS annotations
    FROM experiments AS x
    JOIN experiment_runs AS r ON r.experiment_id = x.id
    JOIN dataset_examples AS e ON e.id = r.dataset_example_id
    CROSS JOIN LATERAL ({_LATEST_REVISION_SQL}) AS rv
    WHERE x.id = :experiment_id
    ORDER BY r.dataset_example_id, r.repetition_number
    """
).bindparams(bindparam("experiment_id", type_=BigInteger))
"""Every run of an experiment with its example's content and its evaluations, in (example,
repetition) order (the runs' unique index), as Phoenix's exports list them."""

_EVALUATION_NAMES = text(
    """
    SELECT DISTINCT a.name FROM experiment_runs AS r
    JOIN experiment_run_annotations AS a ON a.experiment_run_id = r.id
    WHERE r.experiment_id = :experiment_id
    ORDER BY a.name
    """
).bindparams(bindparam("experiment_id", type_=BigInteger))

_HAS_RUNS = text(
    "SELECT EXISTS (SELECT 1 FROM experiment_runs WHERE experiment_id = :experiment_id)"
).bindparams(bindparam("experiment_id", type_=BigInteger))

_EXPERIMENT_NAME = text("SELECT name FROM experiments WHERE id = :experiment_id").bindparams(
    bindparam("experiment_id", type_=BigInteger)
)


async def get_export_header(
    connection: AsyncConnection, experiment_id: int
) -> tuple[str, bool] | None:
    """The experiment's name and whether it has runs; None if there is no such experiment."""
    name = (await connection.execute(_EXPERIMENT_NAME, {"experiment_id": experiment_id})).scalar()
    if name is None:
        return None
    has_runs = (await connection.execute(_HAS_RUNS, {"experiment_id": experiment_id})).scalar()
    return str(name), bool(has_runs)


async def get_experiment_name(connection: AsyncConnection, experiment_id: int) -> str | None:
    """The experiment's name; None if there is no such experiment."""
    result = await connection.execute(_EXPERIMENT_NAME, {"experiment_id": experiment_id})
    return result.scalar_one_or_none()


async def list_evaluation_names(connection: AsyncConnection, experiment_id: int) -> list[str]:
    """The names of the evaluations of an experiment's runs, sorted."""
    result = await connection.execute(_EVALUATION_NAMES, {"experiment_id": experiment_id})
    return [row[0] for row in result]


async def stream_export_rows(
    connection: AsyncConnection, experiment_id: int
) -> AsyncIterator[Sequence[Row[Any]]]:
    """The rows of ``_EXPORT_RUNS`` in batches of ``EXPORT_BATCH``, read through a server-side
    cursor (one statement: one snapshot, however long the reader takes)."""
    result = await connection.stream(_EXPORT_RUNS, {"experiment_id": experiment_id})
    async for batch in result.partitions(EXPORT_BATCH):
        yield batch
