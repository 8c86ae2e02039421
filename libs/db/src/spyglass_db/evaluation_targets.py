"""What an evaluation job needs to run: its evaluator version and settings, and its target's rows.

Read in one statement per batch of jobs (:func:`load_job_work`) and one per target kind
(:func:`load_spans`, :func:`load_traces`, :func:`load_sessions`, :func:`load_runs`); the
worker turns the rows into an evaluator's material (``spyglass_evals.material``). A target
that is no longer stored (retention, a deleted project or experiment) is simply absent.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import BigInteger, Text

MAX_SESSION_TURNS = 200
"""The traces of a session an evaluation reads (the latest ones)."""


@dataclass(frozen=True)
class JobWork:
    """A job's evaluator version and where its score goes."""

    job_id: int
    annotation_name: str | None
    input_mapping: dict[str, Any]
    evaluator_version_id: int | None
    evaluator_name: str | None
    evaluator_kind: str | None
    version: int | None
    definition: dict[str, Any] | None
    max_tokens_per_day: int | None
    max_cost_per_day: float | None
    requested_by: int | None = None
    """The user the rule or dataset evaluator runs for (None: auth was off when it was set up)."""
    requester_name: str | None = None
    requester_role: str | None = None
    """That user's role now (None: the user no longer exists)."""


_JOB_WORK = text(
    """
    SELECT j.id AS job_id, COALESCE(r.annotation_name, de.name) AS annotation_name,
        COALESCE(r.input_mapping, de.input_mapping, '{}'::jsonb) AS input_mapping,
        ev.id AS evaluator_version_id, e.name AS evaluator_name, e.kind AS evaluator_kind,
        ev.version, ev.definition, r.max_tokens_per_day, r.max_cost_per_day,
        COALESCE(r.requested_by, de.requested_by) AS requested_by,
        u.username AS requester_name, u.role AS requester_role
    FROM evaluation_jobs AS j
    LEFT JOIN evaluation_rules AS r ON r.id = j.rule_id
    LEFT JOIN dataset_evaluators AS de ON de.id = j.dataset_evaluator_id
    LEFT JOIN users AS u ON u.id = COALESCE(r.requested_by, de.requested_by)
    LEFT JOIN evaluator_versions AS ev ON ev.id = j.evaluator_version_id
    LEFT JOIN evaluators AS e ON e.id = ev.evaluator_id
    WHERE j.id = ANY(:ids)
    """
).bindparams(bindparam("ids", type_=ARRAY(BigInteger())))


async def load_job_work(connection: AsyncConnection, job_ids: Sequence[int]) -> dict[int, JobWork]:
    """The work of each job of ``job_ids`` that still exists."""
    result = await connection.execute(_JOB_WORK, {"ids": list(job_ids)})
    return {
        int(row.job_id): JobWork(
            job_id=int(row.job_id),
            annotation_name=row.annotation_name,
            input_mapping=dict(row.input_mapping or {}),
            evaluator_version_id=row.evaluator_version_id,
            evaluator_name=row.evaluator_name,
            evaluator_kind=row.evaluator_kind,
            version=row.version,
            definition=row.definition,
            max_tokens_per_day=row.max_tokens_per_day,
            max_cost_per_day=row.max_cost_per_day,
            requested_by=row.requested_by,
            requester_name=row.requester_name,
            requester_role=row.requester_role,
        )
        for row in result
    }


_SPANS = text(
    """
    SELECT k.span_id, s.attributes
    FROM unnest(CAST(:ids AS text[])) AS k(span_id)
    -- Each span by its id (the (span_id, start_time) key of every partition): as a filter on
    -- the project, the planner walked the project's spans by time.
    CROSS JOIN LATERAL (
        SELECT s.attributes, s.project_rowid FROM spans AS s
        WHERE s.span_id = k.span_id
        ORDER BY s.start_time DESC LIMIT 1
    ) AS s
    WHERE s.project_rowid = :project_id
    """
)


async def load_spans(
    connection: AsyncConnection, project_id: int, span_ids: Sequence[str]
) -> dict[str, Any]:
    """Each stored span's attributes, by span id."""
    result = await connection.execute(_SPANS, {"ids": list(span_ids), "project_id": project_id})
    return {str(row.span_id): row.attributes for row in result}


_TRACES = text(
    """
    SELECT t.trace_id, root.attributes
    FROM traces AS t
    CROSS JOIN LATERAL (
        SELECT s.attributes FROM spans AS s
        WHERE s.trace_rowid = t.id AND s.parent_id IS NULL
          AND s.start_time BETWEEN t.start_time AND t.end_time
        ORDER BY s.start_time LIMIT 1
    ) AS root
    WHERE t.trace_id = ANY(:ids)
    """
).bindparams(bindparam("ids", type_=ARRAY(Text())))


async def load_traces(connection: AsyncConnection, trace_ids: Sequence[str]) -> dict[str, Any]:
    """Each stored trace's root span's attributes, by trace id (a trace whose root has not
    arrived is absent)."""
    result = await connection.execute(_TRACES, {"ids": list(trace_ids)})
    return {str(row.trace_id): row.attributes for row in result}


_SESSIONS = text(
    f"""
    SELECT ps.session_id, turn.attributes
    FROM project_sessions AS ps
    CROSS JOIN LATERAL (
        SELECT t.id, t.start_time, t.end_time FROM traces AS t
        WHERE t.project_session_rowid = ps.id
        ORDER BY t.start_time DESC LIMIT {MAX_SESSION_TURNS}
    ) AS t
    CROSS JOIN LATERAL (
        SELECT s.attributes, s.start_time FROM spans AS s
        WHERE s.trace_rowid = t.id AND s.parent_id IS NULL
          AND s.start_time BETWEEN t.start_time AND t.end_time
        ORDER BY s.start_time LIMIT 1
    ) AS turn
    WHERE ps.session_id = ANY(:ids)
    ORDER BY ps.session_id, turn.start_time
    """
).bindparams(bindparam("ids", type_=ARRAY(Text())))


async def load_sessions(
    connection: AsyncConnection, session_ids: Sequence[str]
) -> dict[str, list[Any]]:
    """Each stored session's turns (its traces' root spans' attributes, oldest first)."""
    turns: dict[str, list[Any]] = defaultdict(list)
    for row in await connection.execute(_SESSIONS, {"ids": list(session_ids)}):
        turns[str(row.session_id)].append(row.attributes)
    return dict(turns)


@dataclass(frozen=True)
class RunTarget:
    """An experiment run and the example revision it ran on."""

    output: Any
    error: str | None
    example_input: Any
    expected: Any
    metadata: Any


_RUNS = text(
    """
    SELECT r.id, r.output, r.error, rv.input, rv.output AS expected, rv.metadata
    FROM experiment_runs AS r
    JOIN experiments_dataset_examples AS xe
      ON xe.experiment_id = r.experiment_id AND xe.dataset_example_id = r.dataset_example_id
    JOIN dataset_example_revisions AS rv ON rv.id = xe.dataset_example_revision_id
    WHERE r.id = ANY(:ids)
    """
).bindparams(bindparam("ids", type_=ARRAY(BigInteger())))


async def load_runs(connection: AsyncConnection, run_ids: Sequence[int]) -> dict[int, RunTarget]:
    """Each stored run, by its row id."""
    result = await connection.execute(_RUNS, {"ids": list(run_ids)})
    return {
        int(row.id): RunTarget(row.output, row.error, row.input, row.expected, row.metadata)
        for row in result
    }
