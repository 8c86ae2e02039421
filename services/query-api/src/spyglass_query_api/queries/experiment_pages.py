"""What the UI's experiment pages read: a dataset's experiments with their figures, an
experiment's runs, and the comparison of 2 to 8 experiments example by example.

**An experiment's examples** are read through ``experiments.py``'s one definition
(``EXAMPLE_REVISIONS_SQL`` with ``OF_EXPERIMENT_SQL``), whatever it reads underneath.

**A run's tokens and cost** are its trace's, as ``traces.py`` defines them: tokens are the
trace's root span's cumulative counts (``ROOT_SPAN_JOIN_SQL``), cost the sum of its spans'
costs, summed as ``numeric``. **An experiment's tokens and cost** are its project's (every task
span goes to the experiment's own project, ``experiments.project_name``): the root spans'
counts and every span's costs, as the project stats read them.

**A mean score** is ``avg`` over ``numeric`` scores, cast back to ``double precision``
(``MEAN_SCORE_SQL``): exact whatever order the rows come in, so the mean a page shows and the
mean a comparison filter compared are the same number, and a delta is "equal" exactly when the
filter says so.

**The comparison** reads one page of the baseline's examples in id order (a keyset on the
example id), keeping only those that pass the search and the score filter, both conditions of
the same statement, before the ``LIMIT``: a filtered page costs the examples it walks past, never
the whole dataset unless the matches are that rare. It walks the dataset's examples by
``(dataset_id, id)`` from the cursor on and asks the definition, one example at a time (a
``LATERAL`` kept from being flattened by its ``LIMIT 1``), whether each is the baseline's and
passes: flattened, PostgreSQL merge-joined the whole list of the experiment's examples from its
first one to find the cursor (40 ms in the middle of 100,000 examples, against 1 ms).

The page's runs are index probes by example (``ix_experiment_runs_dataset_example_id``, or
the runs' unique key), their evaluations probes on ``(experiment_run_id, name)``, their traces
probes on ``traces.trace_id`` and ``(trace_rowid, parent_id)``: a page's work does not grow
with the dataset. One statement answers the page; runs and means come back as JSON per example.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import TextClause, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.types import BigInteger, Integer, Text

from spyglass_db.deletion import delete_projects
from spyglass_db.experiment_runs import EXAMPLE_REVISIONS_SQL, OF_EXPERIMENT_SQL
from spyglass_query_api.queries.experiments import (
    _EXPERIMENT_COLUMNS_SQL,
    ExperimentRow,
)
from spyglass_query_api.queries.tables import ROWIDS
from spyglass_query_api.queries.traces import ROOT_SPAN_JOIN_SQL

Comparison = Literal["REGRESSED", "IMPROVED", "EQUAL"]

COMPARISON_OPERATORS: dict[Comparison, str] = {"REGRESSED": "<", "IMPROVED": ">", "EQUAL": "="}
"""How a compared experiment's mean score stands to the baseline's, as SQL."""

MEAN_SCORE_SQL = "CAST(avg(CAST({score} AS numeric)) AS double precision)"
"""The mean of a group of scores (see the module's docstring)."""

LATENCY_MS_SQL = (
    "CAST(EXTRACT(EPOCH FROM {run}.end_time - {run}.start_time) * 1000 AS double precision)"
)
"""A run's latency in milliseconds."""


@dataclass(frozen=True)
class CostSummary:
    """Tokens and cost, split into prompt and completion (None: nothing was recorded)."""

    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    prompt_cost: float | None = None
    completion_cost: float | None = None
    total_cost: float | None = None

    @property
    def total_tokens(self) -> int | None:
        if self.prompt_tokens is None and self.completion_tokens is None:
            return None
        return (self.prompt_tokens or 0) + (self.completion_tokens or 0)


@dataclass(frozen=True)
class AnnotationSummaryRow:
    """The evaluations of one name over an experiment's runs."""

    experiment_id: int
    annotation_name: str
    min_score: float | None
    max_score: float | None
    mean_score: float | None
    count: int
    error_count: int
    score_count: int
    label_count: int


@dataclass(frozen=True)
class ExperimentFigures:
    """What an experiment's runs and its project add up to."""

    average_run_latency_ms: float | None = None
    cost: CostSummary = field(default_factory=CostSummary)
    annotation_summaries: list[AnnotationSummaryRow] = field(default_factory=list)


@dataclass(slots=True)
class ExampleNode:
    """An example as the experiment runs on it: ``output`` is the reference output."""

    id: int
    external_id: str | None
    input: Any
    output: Any
    metadata: Any


@dataclass(slots=True)
class RunNode:
    """A run with its example; ``fields`` is the run as GraphQL's ``ExperimentRun`` shows it
    (camelCase names, GlobalIDs, its trace's ``costSummary``, its evaluations as
    ``annotations`` by name), built by PostgreSQL (``_RUN_JSON_SQL``) so that a page of runs is
    passed on without a Python object per run and per evaluation."""

    experiment_id: int
    dataset_example_id: int
    repetition_number: int
    fields: dict[str, Any]
    example: ExampleNode

    @property
    def latency_ms(self) -> float:
        latency: float = self.fields["latencyMs"]
        return latency

    @property
    def failed(self) -> bool:
        return self.fields["error"] is not None

    @property
    def cost(self) -> dict[str, Any]:
        cost: dict[str, Any] = self.fields["costSummary"]
        return cost


@dataclass(slots=True)
class RunGroup:
    """The runs of one experiment on one example (its repetitions) and their mean scores."""

    experiment_id: int
    runs: list[RunNode]
    mean_scores: dict[str, float | None]


@dataclass(frozen=True)
class ComparisonRow:
    """An example of a comparison and a group of runs per compared experiment, in order."""

    example: ExampleNode
    groups: list[RunGroup]

    @property
    def id(self) -> int:
        """The example's id (what the next page's cursor names)."""
        return self.example.id


@dataclass(frozen=True)
class ScoreFilter:
    """Keep examples where a compared experiment's mean ``name`` score stands to the
    baseline's as ``comparison`` says (in any of ``experiment_ids``)."""

    name: str
    comparison: Comparison
    experiment_ids: Sequence[int]


# Experiments ------------------------------------------------------------------------------------

_EXPERIMENTS_BY_ID = text(
    f"SELECT {_EXPERIMENT_COLUMNS_SQL} FROM experiments AS x WHERE x.id = ANY(:experiment_ids)"
).bindparams(bindparam("experiment_ids", type_=ROWIDS))


async def get_experiments(
    connection: AsyncConnection, experiment_ids: Sequence[int]
) -> dict[int, ExperimentRow]:
    """``{id: experiment}`` of those of ``experiment_ids`` that exist."""
    if not experiment_ids:
        return {}
    result = await connection.execute(_EXPERIMENTS_BY_ID, {"experiment_ids": list(experiment_ids)})
    rows = [ExperimentRow(**row._mapping) for row in result]
    return {row.id: row for row in rows}


_LATENCIES = text(
    f"""
    SELECT r.experiment_id, avg({LATENCY_MS_SQL.format(run="r")})
    FROM experiment_runs AS r WHERE r.experiment_id = ANY(:experiment_ids)
    GROUP BY r.experiment_id
    """
).bindparams(bindparam("experiment_ids", type_=ROWIDS))

_PROJECT_COSTS = text(
    """
    SELECT x.id, roots.prompt, roots.completion, costs.total
    FROM experiments AS x
    JOIN projects AS p ON p.name = x.project_name
    CROSS JOIN LATERAL (
        SELECT sum(s.cumulative_llm_token_count_prompt) AS prompt,
            sum(s.cumulative_llm_token_count_completion) AS completion
        FROM spans AS s WHERE s.project_rowid = p.id AND s.parent_id IS NULL
    ) AS roots
    CROSS JOIN LATERAL (
        SELECT sum(s.llm_cost_total) AS total FROM spans AS s WHERE s.project_rowid = p.id
    ) AS costs
    WHERE x.id = ANY(:experiment_ids)
    """
).bindparams(bindparam("experiment_ids", type_=ROWIDS))
"""Each experiment's tokens (its root spans' cumulative counts) and cost (every span's), summed
as the project stats sum them, from the covering indexes they read
(``ix_spans_root_project_rowid_start_time``, ``ix_spans_project_rowid_start_time``); the
prompt and completion costs are not in them and are left out (a heap read of every span)."""

_ANNOTATION_SUMMARIES = text(
    """
    SELECT r.experiment_id, a.name, min(a.score), max(a.score), avg(a.score),
        count(*), count(a.error), count(a.score), count(a.label)
    FROM experiment_runs AS r
    JOIN experiment_run_annotations AS a ON a.experiment_run_id = r.id
    WHERE r.experiment_id = ANY(:experiment_ids)
    GROUP BY r.experiment_id, a.name
    ORDER BY r.experiment_id, a.name
    """
).bindparams(bindparam("experiment_ids", type_=ROWIDS))
"""Each experiment's evaluations by name. The mean is a plain ``avg``: no filter compares it,
and over 100,000 runs the exact ``numeric`` mean cost a third more."""


async def get_experiment_figures(
    connection: AsyncConnection, experiment_ids: Sequence[int]
) -> dict[int, ExperimentFigures]:
    """``{id: figures}`` of the experiments: mean run latency, tokens and cost, and a summary
    of the evaluations of each name (three statements, whatever the number of experiments)."""
    if not experiment_ids:
        return {}
    values = {"experiment_ids": list(experiment_ids)}
    latencies = {row[0]: row[1] for row in await connection.execute(_LATENCIES, values)}
    costs = {
        row[0]: CostSummary(
            None if row[1] is None else int(row[1]),
            None if row[2] is None else int(row[2]),
            total_cost=row[3],
        )
        for row in await connection.execute(_PROJECT_COSTS, values)
    }
    summaries: dict[int, list[AnnotationSummaryRow]] = {}
    for row in await connection.execute(_ANNOTATION_SUMMARIES, values):
        summaries.setdefault(row[0], []).append(AnnotationSummaryRow(*row))
    return {
        experiment_id: ExperimentFigures(
            latencies.get(experiment_id),
            costs.get(experiment_id, CostSummary()),
            summaries.get(experiment_id, []),
        )
        for experiment_id in experiment_ids
    }


_SEQUENCE_NUMBERS = text(
    """
    SELECT x.id, (SELECT count(*) FROM experiments AS o
                  WHERE o.dataset_id = x.dataset_id AND o.id <= x.id)
    FROM experiments AS x WHERE x.id = ANY(:experiment_ids)
    """
).bindparams(bindparam("experiment_ids", type_=ROWIDS))


async def get_sequence_numbers(
    connection: AsyncConnection, experiment_ids: Sequence[int]
) -> dict[int, int]:
    """``{id: n}``: each experiment is the n-th of its dataset's experiments, oldest first."""
    if not experiment_ids:
        return {}
    result = await connection.execute(_SEQUENCE_NUMBERS, {"experiment_ids": list(experiment_ids)})
    return {row[0]: row[1] for row in result}


_DELETE_EXPERIMENTS = text(
    "DELETE FROM experiments AS x WHERE x.id = ANY(:experiment_ids) RETURNING x.project_name"
).bindparams(bindparam("experiment_ids", type_=ROWIDS))

_PROJECT_IDS = text("SELECT id FROM projects WHERE name = ANY(:names)").bindparams(
    bindparam("names", type_=ARRAY(Text))
)


async def delete_experiments(
    connection: AsyncConnection, experiment_ids: Sequence[int]
) -> dict[int, ExperimentRow] | list[int]:
    """Delete the experiments with their runs, evaluations, tags and trace projects, as
    Phoenix's ``deleteExperiments`` does.

    Returns:
        The experiments as they were, or, if some of ``experiment_ids`` name no experiment,
        those ids (and nothing is deleted).
    """
    experiments = await get_experiments(connection, experiment_ids)
    unknown = [rowid for rowid in experiment_ids if rowid not in experiments]
    if unknown:
        return unknown
    result = await connection.execute(_DELETE_EXPERIMENTS, {"experiment_ids": list(experiments)})
    names = [row[0] for row in result if row[0] is not None]
    if names:
        projects = await connection.execute(_PROJECT_IDS, {"names": names})
        await delete_projects(connection, [row[0] for row in projects])
    return experiments


# Runs -------------------------------------------------------------------------------------------

_RUN_TRACE_SQL = f"""
    LEFT JOIN traces AS t ON t.trace_id = r.trace_id
    {ROOT_SPAN_JOIN_SQL}
    LEFT JOIN LATERAL (
        SELECT CAST(sum(CAST(c.llm_cost_prompt AS numeric)) AS double precision) AS prompt,
            CAST(sum(CAST(c.llm_cost_completion AS numeric)) AS double precision) AS completion,
            CAST(sum(CAST(c.llm_cost_total AS numeric)) AS double precision) AS total
        FROM spans AS c WHERE c.trace_rowid = t.id
    ) AS cost ON TRUE
"""
"""Run ``r``'s trace ``t``, its root span ``s`` (tokens) and its spans' costs ``cost``."""


def global_id_sql(type_name: str, rowid: str) -> str:
    """``ids.global_id(type_name, rowid)`` as SQL: base64 of ``Type:rowid`` (PostgreSQL breaks
    base64 lines at 76 characters; the longest id here, an ``ExperimentRunAnnotation`` with a
    19-digit row id, is 60)."""
    return f"encode(convert_to('{type_name}:' || {rowid}, 'UTF8'), 'base64')"


_EVALUATIONS_JSON_SQL = f"""
    COALESCE((
        SELECT json_agg(json_build_object(
            'id', {global_id_sql("ExperimentRunAnnotation", "a.id")}, 'name', a.name,
            'annotatorKind', a.annotator_kind, 'label', a.label, 'score', a.score,
            'explanation', a.explanation, 'error', a.error, 'metadata', a.metadata,
            'traceId', a.trace_id, 'startTime', a.start_time, 'endTime', a.end_time
        ) ORDER BY a.name)
        FROM experiment_run_annotations AS a WHERE a.experiment_run_id = r.id
    ), '[]'::json)
"""
"""Run ``r``'s evaluations by name, as GraphQL's ``ExperimentRunAnnotation`` shows them."""

_RUN_JSON_SQL = f"""
    json_build_array(r.experiment_id, r.dataset_example_id, r.repetition_number,
    json_build_object(
        'id', {global_id_sql("ExperimentRun", "r.id")},
        'experimentId', {global_id_sql("Experiment", "r.experiment_id")},
        'repetitionNumber', r.repetition_number, 'traceId', r.trace_id,
        'output', r.output -> 'task_output', 'error', r.error,
        'startTime', r.start_time, 'endTime', r.end_time,
        'latencyMs', {LATENCY_MS_SQL.format(run="r")},
        'costSummary', json_build_object(
            'prompt', json_build_object(
                'tokens', s.cumulative_llm_token_count_prompt, 'cost', cost.prompt),
            'completion', json_build_object(
                'tokens', s.cumulative_llm_token_count_completion, 'cost', cost.completion),
            'total', json_build_object(
                'tokens', s.cumulative_llm_token_count_prompt
                    + s.cumulative_llm_token_count_completion,
                'cost', cost.total)),
        'annotations', {_EVALUATIONS_JSON_SQL}))
"""
"""Run ``r`` (with ``_RUN_TRACE_SQL``'s ``s`` and ``cost``) as ``[experiment id, example id,
repetition, the run as GraphQL's ExperimentRun shows it]`` (``_run``). Built with ``json_*``,
not ``jsonb_*``: the value is written once and read once, and building ``jsonb`` made the
comparison page's statement half as slow again (29 ms against 19 ms for 50 examples of 5
experiments)."""

_RUNS = text(
    f"""
    SELECT e.id, e.external_id, rv.input, rv.output, rv.metadata, {_RUN_JSON_SQL}
    FROM experiments AS x
    JOIN LATERAL (
        SELECT * FROM experiment_runs AS page
        WHERE page.experiment_id = x.id
          AND (page.dataset_example_id, page.repetition_number) > (:after_example, :after_repetition)
        ORDER BY page.dataset_example_id, page.repetition_number
        LIMIT :fetch
    ) AS r ON TRUE
    CROSS JOIN {EXAMPLE_REVISIONS_SQL}
    {_RUN_TRACE_SQL}
    WHERE x.id = :experiment_id AND {OF_EXPERIMENT_SQL} AND e.id = r.dataset_example_id
    ORDER BY r.dataset_example_id, r.repetition_number
    """  # noqa: E501
).bindparams(
    bindparam("experiment_id", type_=BigInteger),
    bindparam("after_example", type_=BigInteger),
    bindparam("after_repetition", type_=BigInteger),  # a cursor may hold any bigint
    bindparam("fetch", type_=Integer),
)
"""A page of an experiment's runs in (example, repetition) order, after a position."""


def _run(values: list[Any], example: ExampleNode) -> RunNode:
    """A run from ``_RUN_JSON_SQL``'s array."""
    experiment_id, example_id, repetition, fields = values
    return RunNode(experiment_id, example_id, repetition, fields, example)


async def list_runs(
    connection: AsyncConnection, experiment_id: int, after: tuple[int, int] | None, fetch: int
) -> list[RunNode]:
    """Up to ``fetch`` of the experiment's runs in (example id, repetition) order, after the
    run of ``after`` (example id, repetition), each with its example, evaluations, tokens and
    cost."""
    after_example, after_repetition = after or (0, 0)
    result = await connection.execute(
        _RUNS,
        {"experiment_id": experiment_id, "after_example": after_example,
         "after_repetition": after_repetition, "fetch": fetch},
    )  # fmt: skip
    return [_run(row[5], ExampleNode(*row[:5])) for row in result]


# Comparison -------------------------------------------------------------------------------------


def _mean_score_of(experiment: str) -> str:
    """The mean ``:filter_name`` score of ``experiment``'s runs on example ``e``."""
    return f"""(
        SELECT {MEAN_SCORE_SQL.format(score="a.score")}
        FROM experiment_runs AS r
        JOIN experiment_run_annotations AS a ON a.experiment_run_id = r.id
        WHERE r.experiment_id = {experiment} AND r.dataset_example_id = e.id
          AND a.name = :filter_name)"""


def _comparison_statement(operator: str | None, searched: bool) -> TextClause:
    conditions = []
    if searched:
        conditions.append("strpos(lower(CAST(rv.input AS text)), lower(:search)) > 0")
    if operator is not None:
        conditions.append(
            "EXISTS (SELECT 1 FROM unnest(CAST(:filter_experiment_ids AS bigint[])) AS c(id)"
            f" WHERE {_mean_score_of('c.id')} {operator} {_mean_score_of('x.id')})"
        )
    where = "".join(f" AND {condition}" for condition in conditions)
    statement = text(
        f"""
        WITH page AS (
            SELECT m.*
            FROM experiments AS x
            JOIN dataset_examples AS candidate
              ON candidate.dataset_id = x.dataset_id AND candidate.id > :after
            CROSS JOIN LATERAL (
                SELECT e.id, e.external_id, rv.input, rv.output, rv.metadata
                FROM {EXAMPLE_REVISIONS_SQL}
                WHERE {OF_EXPERIMENT_SQL} AND e.id = candidate.id{where}
                LIMIT 1
            ) AS m
            WHERE x.id = :base_id
            ORDER BY candidate.id
            LIMIT :fetch
        ),
        page_runs AS MATERIALIZED (
            SELECT compared.position, r.*
            FROM page AS p
            CROSS JOIN unnest(CAST(:experiment_ids AS bigint[])) WITH ORDINALITY
                AS compared(id, position)
            JOIN experiment_runs AS r
              ON r.experiment_id = compared.id AND r.dataset_example_id = p.id
        ),
        runs AS (
            SELECT r.dataset_example_id,
                json_agg({_RUN_JSON_SQL} ORDER BY r.position, r.repetition_number) AS runs
            FROM page_runs AS r
            {_RUN_TRACE_SQL}
            GROUP BY r.dataset_example_id
        ),
        means AS (
            SELECT m.dataset_example_id,
                json_agg(json_build_array(m.experiment_id, m.name, m.mean)) AS means
            FROM (
                SELECT r.dataset_example_id, r.experiment_id, a.name,
                    {MEAN_SCORE_SQL.format(score="a.score")} AS mean
                FROM page_runs AS r
                JOIN experiment_run_annotations AS a ON a.experiment_run_id = r.id
                GROUP BY r.dataset_example_id, r.experiment_id, a.name
            ) AS m
            GROUP BY m.dataset_example_id
        )
        SELECT p.id, p.external_id, p.input, p.output, p.metadata,
            COALESCE(runs.runs, '[]'::json), COALESCE(means.means, '[]'::json)
        FROM page AS p
        LEFT JOIN runs ON runs.dataset_example_id = p.id
        LEFT JOIN means ON means.dataset_example_id = p.id
        ORDER BY p.id
        """
    )
    parameters: list[BindParameter[Any]] = [
        bindparam("base_id", type_=BigInteger),
        bindparam("experiment_ids", type_=ROWIDS),
        bindparam("after", type_=BigInteger),
        bindparam("fetch", type_=Integer),
    ]
    if searched:
        parameters.append(bindparam("search", type_=Text))
    if operator is not None:
        parameters += [
            bindparam("filter_name", type_=Text),
            bindparam("filter_experiment_ids", type_=ROWIDS),
        ]
    return statement.bindparams(*parameters)


_COMPARISONS = {
    (operator, searched): _comparison_statement(operator, searched)
    for operator in (None, *COMPARISON_OPERATORS.values())
    for searched in (False, True)
}
"""The comparison statement of each shape: (the filter's operator or None, searched)."""


async def compare_experiments(
    connection: AsyncConnection,
    experiment_ids: Sequence[int],
    *,
    after: int | None,
    fetch: int,
    search: str | None = None,
    score_filter: ScoreFilter | None = None,
) -> list[ComparisonRow]:
    """Up to ``fetch`` examples of the baseline (``experiment_ids[0]``) after example id
    ``after``, in id order, each with the runs of every experiment of ``experiment_ids`` on it
    (groups in that order) and their mean scores by evaluation name.

    Only examples whose input contains ``search`` (case-insensitive) and that pass
    ``score_filter`` are read. The experiments must exist and belong to one dataset (the
    caller checks).
    """
    operator = None if score_filter is None else COMPARISON_OPERATORS[score_filter.comparison]
    statement = _COMPARISONS[operator, bool(search)]
    values: dict[str, Any] = {
        "base_id": experiment_ids[0],
        "experiment_ids": list(experiment_ids),
        "after": after if after is not None else -1,
        "fetch": fetch,
    }
    if search:
        values["search"] = search
    if score_filter is not None:
        values["filter_name"] = score_filter.name
        values["filter_experiment_ids"] = list(score_filter.experiment_ids)
    result = await connection.execute(statement, values)
    rows = []
    for example_id, external_id, input, output, metadata, runs, means in result:
        example = ExampleNode(example_id, external_id, input, output, metadata)
        groups = {rowid: RunGroup(rowid, [], {}) for rowid in experiment_ids}
        for values_of_run in runs:
            run = _run(values_of_run, example)
            groups[run.experiment_id].runs.append(run)
        for experiment_id, name, mean in means:
            groups[experiment_id].mean_scores[name] = mean
        rows.append(ComparisonRow(example, list(groups.values())))
    return rows


_DATASETS_OF = text(
    "SELECT id, dataset_id FROM experiments WHERE id = ANY(:experiment_ids)"
).bindparams(bindparam("experiment_ids", type_=ROWIDS))


async def get_dataset_ids(
    connection: AsyncConnection, experiment_ids: Sequence[int]
) -> dict[int, int]:
    """``{experiment id: dataset id}`` of those of ``experiment_ids`` that exist."""
    result = await connection.execute(_DATASETS_OF, {"experiment_ids": list(experiment_ids)})
    return {row[0]: row[1] for row in result}


_EXPERIMENT_COUNTS = text(
    "SELECT dataset_id, count(*) FROM experiments WHERE dataset_id = ANY(:dataset_ids) "
    "GROUP BY dataset_id"
).bindparams(bindparam("dataset_ids", type_=ROWIDS))


async def count_experiments(
    connection: AsyncConnection, dataset_ids: Sequence[int]
) -> dict[int, int]:
    """``{dataset id: its number of experiments}`` (datasets without any are left out)."""
    result = await connection.execute(_EXPERIMENT_COUNTS, {"dataset_ids": list(dataset_ids)})
    return {row[0]: row[1] for row in result}
