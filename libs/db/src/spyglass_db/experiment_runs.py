"""What the query API and the experiment runner both write and read of experiment runs.

A run is inserted, or replaces a failed run of the same (example, repetition), in one
``INSERT ... ON CONFLICT DO UPDATE ... WHERE error IS NOT NULL``: a successful run is never
overwritten, so a task that is retried or redelivered finds its run instead of writing a
second (``experiment_runs`` is unique on (experiment, example, repetition)). Rows written
together share one statement (:class:`spyglass_db.driver.BatchedStatement`).

The same statement records, for a run written successful, one evaluation job per evaluator
attached to its dataset (``dataset_evaluators``): the run is scored without anyone asking, and
a run and its jobs are written together or not at all (a crash between them can't leave a run
that is never scored). A retried write finds the jobs already recorded and adds none.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import BigInteger, DateTime, Double, Integer, Text, TypeEngine

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

DATASET_EVALUATOR_VERSION_SQL = """
    LEFT JOIN LATERAL (
        SELECT ev.id FROM evaluator_versions AS ev
        WHERE ev.evaluator_id = de.evaluator_id
          AND (de.evaluator_version IS NULL OR ev.version = de.evaluator_version)
        ORDER BY ev.version DESC LIMIT 1
    ) AS ev ON TRUE
"""
"""The evaluator version ``ev`` that dataset evaluator ``de`` runs (its pinned one, or the
latest)."""

_SCORE_WRITTEN_RUNS = f"""
    , scored AS (
        INSERT INTO evaluation_jobs
            (dataset_evaluator_id, target_kind, target_id, evaluator_version_id, state, due_at)
        SELECT de.id, 'RUN', written.id::text, ev.id, 'PENDING', now()
        FROM written
        JOIN experiments AS wx ON wx.id = written.experiment_id
        JOIN dataset_evaluators AS de ON de.dataset_id = wx.dataset_id
        {DATASET_EVALUATOR_VERSION_SQL}
        WHERE written.error IS NULL
        ORDER BY de.id, written.id
        ON CONFLICT DO NOTHING
    )
"""
"""Queue the scoring of every successful run just ``written``: PENDING and due now, so the
dispatcher's releaser queues them within a second."""

CREATE_RUN = text(
    """
    WITH written AS (
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
    RETURNING run.id, run.experiment_id, run.error
    )"""
    + _SCORE_WRITTEN_RUNS
    + "SELECT id FROM written"
).bindparams(*typed_parameters(RUN_VALUES))
"""Insert a run, or replace a failed one; nothing if a successful run is there, the experiment
does not exist, or the example or repetition is not one of the experiment's."""

CREATE_RUNS = text(
    """
    WITH written AS (
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
    RETURNING run.experiment_id, run.dataset_example_id, run.repetition_number, run.id,
        run.error
    )"""
    + _SCORE_WRITTEN_RUNS
    + "SELECT experiment_id, dataset_example_id, repetition_number, id FROM written"
).bindparams(*typed_parameters(RUN_VALUES, arrays=True))
"""``CREATE_RUN`` for many runs of distinct (experiment, example, repetition)."""
CREATE_RUN_ON_DRIVER = BatchedStatement(
    DriverStatement.of(CREATE_RUN),
    DriverStatement.of(CREATE_RUNS),
    ("experiment_id", "example_id", "repetition_number"),
)


EVALUATION_VALUES: dict[str, TypeEngine[Any]] = {
    "run_id": BigInteger(),
    "name": Text(),
    "annotator_kind": Text(),
    "label": Text(),
    "score": Double(),
    "explanation": Text(),
    "trace_id": Text(),
    "error": Text(),
    "metadata": JSONB(),
    "start_time": DateTime(timezone=True),
    "end_time": DateTime(timezone=True),
}
"""The values of a run's evaluation as it is written, one row or many."""

UPSERT_EVALUATION = text(
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
).bindparams(*typed_parameters(EVALUATION_VALUES))

UPSERT_EVALUATIONS = text(
    """
    INSERT INTO experiment_run_annotations AS a
        (experiment_run_id, name, annotator_kind, label, score, explanation, trace_id, error,
         metadata, start_time, end_time)
    SELECT r.id, v.name, v.annotator_kind, v.label, v.score, v.explanation, v.trace_id,
        v.error, v.metadata, v.start_time, v.end_time
    FROM unnest(:run_id, :name, :annotator_kind, :label, :score, :explanation, :trace_id,
                :error, :metadata, :start_time, :end_time)
        AS v(run_id, name, annotator_kind, label, score, explanation, trace_id, error,
             metadata, start_time, end_time)
    JOIN experiment_runs AS r ON r.id = v.run_id
    ON CONFLICT (experiment_run_id, name) DO UPDATE SET
        annotator_kind = excluded.annotator_kind, label = excluded.label,
        score = excluded.score, explanation = excluded.explanation,
        trace_id = excluded.trace_id, error = excluded.error, metadata = excluded.metadata,
        start_time = excluded.start_time, end_time = excluded.end_time
    RETURNING a.experiment_run_id, a.name, a.id
    """
).bindparams(*typed_parameters(EVALUATION_VALUES, arrays=True))
"""``UPSERT_EVALUATION`` for many evaluations of distinct (run, name)."""
