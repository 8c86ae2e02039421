"""Experiment runs and their evaluations: writing them, listing them, what is left to run or
evaluate, and the rows the exports stream.

A run is inserted, or replaces a failed run of the same (example, repetition), in one
``INSERT ... ON CONFLICT DO UPDATE ... WHERE error IS NOT NULL``; an evaluation is upserted on
(run, name); both on asyncpg directly (``driver.py``: a running experiment posts them by the
thousand). When a write changes nothing, a second read says why (no experiment, an example
outside its version, a successful run already there), so the common path never reads before
it writes. Long reads (every run, the exports) go through a server-side cursor in batches.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Row, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import BigInteger, Integer, Text

from spyglass_db.driver import BatchedStatement, DriverStatement
from spyglass_db.experiment_runs import (
    CREATE_RUN_ON_DRIVER,
    EXAMPLE_REVISIONS_SQL,
    OF_EXPERIMENT_SQL,
    UPSERT_EVALUATION,
    UPSERT_EVALUATIONS,
)
from spyglass_db.pool import LazyPool
from spyglass_query_api.queries.experiments import (
    RUN_EXAMPLE_SQL,
)
from spyglass_query_api.queries.pages import newest_first, page_start

BATCH = 1000
"""Runs read (and written out) at a time by the long reads (every run, the exports): memory
stays bounded at any size."""


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


# Runs -------------------------------------------------------------------------------------------

_RUN_COLUMNS_SQL = (
    "r.id, r.experiment_id, r.dataset_example_id, r.repetition_number, "
    "r.output -> 'task_output', r.start_time, r.end_time, r.trace_id, r.error"
)

_WHY_NO_RUN = text(
    f"""
    SELECT x.repetitions,
        EXISTS (SELECT 1 FROM dataset_examples WHERE id = :example_id),
        EXISTS (SELECT 1 FROM {EXAMPLE_REVISIONS_SQL}
                WHERE e.id = :example_id AND {OF_EXPERIMENT_SQL}),
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
_WHY_NO_RUN_ON_DRIVER = DriverStatement.of(_WHY_NO_RUN)


@dataclass(frozen=True)
class RunRefusal:
    """Why :func:`create_run` wrote nothing."""

    experiment_exists: bool
    example_exists: bool = False
    example_in_experiment: bool = False
    repetitions: int = 0
    existing_run_id: int | None = None


async def create_run(
    statements: LazyPool,
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
    run_id = await CREATE_RUN_ON_DRIVER.fetchval(
        statements,
        {
            **values,
            "trace_id": trace_id,
            "output": orjson.dumps({"task_output": output}).decode(),
            "start_time": start_time,
            "end_time": end_time,
            "error": error,
            "prompt_token_count": None,
            "completion_token_count": None,
        },
    )
    if run_id is not None:
        return int(run_id)
    why = await _WHY_NO_RUN_ON_DRIVER.fetchrow(statements, values)
    if why is None:
        return RunRefusal(experiment_exists=False)
    return RunRefusal(True, bool(why[1]), bool(why[2]), int(why[0]), why[3])


_LIST_RUNS = newest_first(
    f"SELECT {_RUN_COLUMNS_SQL} FROM experiment_runs AS r",
    "r.id",
    "r.experiment_id = :experiment_id",
    experiment_id=BigInteger(),
)


async def list_runs(
    connection: AsyncConnection, experiment_id: int, start: int | None, fetch: int | None
) -> list[RunRow]:
    """Up to ``fetch`` (None: all) of an experiment's runs, newest first, from id ``start``."""
    result = await connection.execute(
        _LIST_RUNS,
        {"experiment_id": experiment_id, "start": page_start(start), "fetch": fetch},
    )
    return [RunRow(*row) for row in result]


async def stream_runs(
    connection: AsyncConnection, experiment_id: int
) -> AsyncIterator[list[RunRow]]:
    """All of an experiment's runs, newest first, in batches of ``BATCH`` read through a
    server-side cursor (one statement: one snapshot, memory bounded at any count)."""
    result = await connection.stream(
        _LIST_RUNS, {"experiment_id": experiment_id, "start": page_start(None), "fetch": None}
    )
    async for batch in result.partitions(BATCH):
        yield [RunRow(*row) for row in batch]


_EXAMPLE_COLUMNS_SQL = "e.id, e.external_id, rv.input, rv.output, rv.metadata, rv.created_at"

_INCOMPLETE_RUNS = text(
    f"""
    SELECT {_EXAMPLE_COLUMNS_SQL}, missing.repetitions
    FROM experiments AS x CROSS JOIN {EXAMPLE_REVISIONS_SQL}
    CROSS JOIN LATERAL (
        SELECT array_agg(n ORDER BY n) AS repetitions
        FROM generate_series(1, x.repetitions) AS n
        WHERE NOT EXISTS (
            SELECT 1 FROM experiment_runs AS r
            WHERE r.experiment_id = x.id AND r.dataset_example_id = e.id
              AND r.repetition_number = n AND r.error IS NULL)
    ) AS missing
    WHERE x.id = :experiment_id AND {OF_EXPERIMENT_SQL} AND e.id >= :start
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
    {RUN_EXAMPLE_SQL}
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

_UPSERT_EVALUATION_ON_DRIVER = BatchedStatement(
    DriverStatement.of(UPSERT_EVALUATION),
    DriverStatement.of(UPSERT_EVALUATIONS),
    ("run_id", "name"),
)


async def upsert_evaluation(
    statements: LazyPool, run_id: int, values: dict[str, Any]
) -> int | None:
    """Store the evaluation ``values["name"]`` of run ``run_id``, replacing one of that name;
    its id, or None if there is no such run."""
    evaluation_id = await _UPSERT_EVALUATION_ON_DRIVER.fetchval(
        statements,
        {"run_id": run_id, **values, "metadata": orjson.dumps(values["metadata"]).decode()},
    )
    return None if evaluation_id is None else int(evaluation_id)


# Exports ----------------------------------------------------------------------------------------


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
    {RUN_EXAMPLE_SQL}
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


async def has_runs(connection: AsyncConnection, experiment_id: int) -> bool:
    """Whether the experiment has any run."""
    return bool((await connection.execute(_HAS_RUNS, {"experiment_id": experiment_id})).scalar())


async def list_evaluation_names(connection: AsyncConnection, experiment_id: int) -> list[str]:
    """The names of the evaluations of an experiment's runs, sorted."""
    result = await connection.execute(_EVALUATION_NAMES, {"experiment_id": experiment_id})
    return [row[0] for row in result]


async def stream_export_rows(
    connection: AsyncConnection, experiment_id: int
) -> AsyncIterator[Sequence[Row[Any]]]:
    """The rows of ``_EXPORT_RUNS`` in batches of ``BATCH``, read through a server-side
    cursor (one statement: one snapshot, however long the reader takes)."""
    result = await connection.stream(_EXPORT_RUNS, {"experiment_id": experiment_id})
    async for batch in result.partitions(BATCH):
        yield batch
