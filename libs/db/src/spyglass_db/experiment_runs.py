"""What the query API and the experiment runner both write and read of experiment runs.

A run is inserted, or replaces a failed run of the same (example, repetition), in one
``INSERT ... ON CONFLICT DO UPDATE ... WHERE error IS NOT NULL``: a successful run is never
overwritten, so a task that is retried or redelivered finds its run instead of writing a
second (``experiment_runs`` is unique on (experiment, example, repetition)). Rows written
together share one statement (:class:`spyglass_db.driver.BatchedStatement`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import BigInteger, DateTime, Integer, Text, TypeEngine

from spyglass_db.driver import BatchedStatement, DriverStatement, typed_parameters

EXAMPLE_REVISIONS_SQL = """
    experiments_dataset_examples AS xe
    JOIN dataset_examples AS e ON e.id = xe.dataset_example_id
    JOIN dataset_example_revisions AS rv ON rv.id = xe.dataset_example_revision_id
"""
"""Experiments' examples ``e`` with the revisions ``rv`` they run on (``xe``: the list each
experiment took when it was created); with ``OF_EXPERIMENT_SQL``, those of experiment ``x``."""

OF_EXPERIMENT_SQL = "xe.experiment_id = x.id"
"""``e`` is one of experiment ``x``'s examples (``x`` must be in scope)."""

RUN_VALUES: dict[str, TypeEngine[Any]] = {
    "experiment_id": BigInteger(),
    "example_id": BigInteger(),
    "repetition_number": Integer(),
    "trace_id": Text(),
    "output": JSONB(),
    "start_time": DateTime(timezone=True),
    "end_time": DateTime(timezone=True),
    "error": Text(),
    "prompt_token_count": Integer(),
    "completion_token_count": Integer(),
}
"""The values of a run as it is written, one row or many."""

CREATE_RUN = text(
    """
    INSERT INTO experiment_runs AS run
        (experiment_id, dataset_example_id, repetition_number, trace_id, output,
         start_time, end_time, error, prompt_token_count, completion_token_count)
    SELECT x.id, xe.dataset_example_id, :repetition_number, :trace_id, :output, :start_time,
        :end_time, :error, :prompt_token_count, :completion_token_count
    FROM experiments AS x
    JOIN experiments_dataset_examples AS xe
      ON xe.experiment_id = x.id AND xe.dataset_example_id = :example_id
    WHERE x.id = :experiment_id AND :repetition_number <= x.repetitions
    ON CONFLICT (experiment_id, dataset_example_id, repetition_number) DO UPDATE SET
        trace_id = excluded.trace_id, output = excluded.output,
        start_time = excluded.start_time, end_time = excluded.end_time, error = excluded.error,
        prompt_token_count = excluded.prompt_token_count,
        completion_token_count = excluded.completion_token_count
    WHERE run.error IS NOT NULL
    RETURNING run.id
    """
).bindparams(*typed_parameters(RUN_VALUES))
"""Insert a run, or replace a failed one; nothing if a successful run is there, the experiment
does not exist, or the example or repetition is not one of the experiment's."""

CREATE_RUNS = text(
    """
    INSERT INTO experiment_runs AS run
        (experiment_id, dataset_example_id, repetition_number, trace_id, output,
         start_time, end_time, error, prompt_token_count, completion_token_count)
    SELECT x.id, xe.dataset_example_id, v.repetition_number, v.trace_id, v.output,
        v.start_time, v.end_time, v.error, v.prompt_token_count, v.completion_token_count
    FROM unnest(:experiment_id, :example_id, :repetition_number, :trace_id, :output,
                :start_time, :end_time, :error, :prompt_token_count, :completion_token_count)
        AS v(experiment_id, example_id, repetition_number, trace_id, output, start_time,
             end_time, error, prompt_token_count, completion_token_count)
    JOIN experiments AS x ON x.id = v.experiment_id
    -- A lateral lookup of each row's (experiment, example) in the primary key. As a plain
    -- join the planner scanned every example of the experiment for each row, matching the
    -- example as a filter (a freshly created experiment's statistics say it has a handful):
    -- more than a millisecond of PostgreSQL's CPU a run by the end of a 10,000-example job.
    CROSS JOIN LATERAL (
        SELECT xe.dataset_example_id FROM experiments_dataset_examples AS xe
        WHERE xe.experiment_id = v.experiment_id AND xe.dataset_example_id = v.example_id
        LIMIT 1
    ) AS xe
    WHERE v.repetition_number <= x.repetitions
    ON CONFLICT (experiment_id, dataset_example_id, repetition_number) DO UPDATE SET
        trace_id = excluded.trace_id, output = excluded.output,
        start_time = excluded.start_time, end_time = excluded.end_time, error = excluded.error,
        prompt_token_count = excluded.prompt_token_count,
        completion_token_count = excluded.completion_token_count
    WHERE run.error IS NOT NULL
    RETURNING run.experiment_id, run.dataset_example_id, run.repetition_number, run.id
    """
).bindparams(*typed_parameters(RUN_VALUES, arrays=True))
"""``CREATE_RUN`` for many runs of distinct (experiment, example, repetition)."""
CREATE_RUN_ON_DRIVER = BatchedStatement(
    DriverStatement.of(CREATE_RUN),
    DriverStatement.of(CREATE_RUNS),
    ("experiment_id", "example_id", "repetition_number"),
)
