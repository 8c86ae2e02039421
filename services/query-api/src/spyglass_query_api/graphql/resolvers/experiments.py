"""``Experiment``, its runs and evaluations, the comparison of experiments
(``compareExperiments``, Phoenix's name) and ``deleteExperiments``.

Ids are Phoenix's GlobalIDs: ``Experiment``, ``ExperimentRun``, ``ExperimentRunAnnotation``,
``DatasetExample``, ``Dataset``, ``DatasetVersion``. An experiment's figures (latency, tokens,
cost, evaluation summaries) and its place among its dataset's experiments read through
DataLoaders, so a list of experiments costs the same statements whatever its length.

A comparison's arguments are checked before it reads anything: 2 to 8 distinct experiments
(the baseline and 1 to 7 others), all existing and all of the baseline's dataset; each refusal
is ``BAD_USER_INPUT`` naming the argument. Its deltas are computed here from the means the
statement read, the same numbers its filter compared (``queries/experiment_pages.py``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from ariadne import MutationType, ObjectType, QueryType

from spyglass_query_api.graphql.arguments import (
    Sort,
    Window,
    encode_cursor,
    window,
)
from spyglass_query_api.graphql.context import Info, RequestContext, request_context
from spyglass_query_api.graphql.dataloader import DataLoader
from spyglass_query_api.graphql.errors import ArgumentError
from spyglass_query_api.queries import experiment_pages as store
from spyglass_query_api.queries.experiment_pages import (
    ComparisonRow,
    CostSummary,
    ExampleNode,
    ExperimentFigures,
    RunGroup,
    RunNode,
    ScoreFilter,
)
from spyglass_query_api.queries.experiments import ExperimentRow, list_experiments
from spyglass_query_api.queries.ids import global_id, rowid_of

experiment = ObjectType("Experiment")
experiment_run = ObjectType("ExperimentRun")
experiment_run_annotation = ObjectType("ExperimentRunAnnotation")
experiment_example = ObjectType("ExperimentExample")
experiment_comparison = ObjectType("ExperimentComparison")
dataset_experiments = ObjectType("Dataset")
experiment_query = QueryType()
experiment_mutation = MutationType()

MIN_COMPARED = 2
MAX_COMPARED = 8
MAX_COMPARISON_PAGE = 200
"""Examples a comparison page holds at most: each brings up to 8 experiments' repetitions."""
MAX_LOOKUP_IDS = 100

_RUN_ORDER = Sort("exampleRepetition", descending=False)
"""Runs in (example id, repetition) order; a cursor holds the example id as its value and the
repetition number as its row id."""
_EXAMPLE_ORDER = Sort("exampleId", descending=False)
_EXPERIMENT_ORDER = Sort("id", descending=True)

Value = TypeVar("Value")


def _loader(
    context: RequestContext,
    read: Callable[..., Awaitable[Mapping[int, Value]]],
    missing: Callable[[], Value],
) -> DataLoader[int, Value]:
    """The request's loader of ``read`` (a ``queries/`` function of a list of row ids)."""
    name = f"experiments.{read.__name__}"
    if name not in context.loaders:

        async def fetch(keys: Sequence[int]) -> Mapping[int, Value]:
            return await context.read(read, keys)

        context.loaders[name] = DataLoader(fetch, missing)
    loader: DataLoader[int, Value] = context.loaders[name]
    return loader


def experiments_loader(context: RequestContext) -> DataLoader[int, ExperimentRow | None]:
    """Experiments (with their counts) by row id."""
    return _loader(context, store.get_experiments, lambda: None)


def _figures(info: Info, row: ExperimentRow) -> Awaitable[ExperimentFigures]:
    return _loader(request_context(info), store.get_experiment_figures, ExperimentFigures).load(
        row.id
    )


def _cost_summary(cost: CostSummary) -> dict[str, Any]:
    return {
        "prompt": {"tokens": cost.prompt_tokens, "cost": cost.prompt_cost},
        "completion": {"tokens": cost.completion_tokens, "cost": cost.completion_cost},
        "total": {"tokens": cost.total_tokens, "cost": cost.total_cost},
    }


def _experiment_rowid(value: str, argument: str) -> int:
    rowid = rowid_of(value, "Experiment")
    if rowid is None:
        raise ArgumentError(argument, f"`{argument}` is not an experiment's id: {value}")
    return rowid


# Experiment -------------------------------------------------------------------------------------


@experiment.field("id")
def resolve_experiment_id(row: ExperimentRow, _: Info) -> str:
    return global_id("Experiment", row.id)


@experiment.field("datasetId")
def resolve_dataset_id(row: ExperimentRow, _: Info) -> str:
    return global_id("Dataset", row.dataset_id)


@experiment.field("datasetVersionId")
def resolve_dataset_version_id(row: ExperimentRow, _: Info) -> str:
    return global_id("DatasetVersion", row.dataset_version_id)


@experiment.field("sequenceNumber")
async def resolve_sequence_number(row: ExperimentRow, info: Info) -> int:
    loader = _loader(request_context(info), store.get_sequence_numbers, lambda: 0)
    return await loader.load(row.id)


@experiment.field("expectedRunCount")
def resolve_expected_run_count(row: ExperimentRow, _: Info) -> int:
    return row.example_count * row.repetitions


@experiment.field("errorCount")
def resolve_error_count(row: ExperimentRow, _: Info) -> int:
    return row.failed_run_count


@experiment.field("errorRate")
def resolve_error_rate(row: ExperimentRow, _: Info) -> float | None:
    return row.failed_run_count / row.run_count if row.run_count else None


@experiment.field("averageRunLatencyMs")
async def resolve_average_run_latency(row: ExperimentRow, info: Info) -> float | None:
    return (await _figures(info, row)).average_run_latency_ms


@experiment.field("costSummary")
async def resolve_experiment_cost(row: ExperimentRow, info: Info) -> dict[str, Any]:
    return _cost_summary((await _figures(info, row)).cost)


@experiment.field("annotationSummaries")
async def resolve_annotation_summaries(row: ExperimentRow, info: Info) -> list[Any]:
    return list((await _figures(info, row)).annotation_summaries)


@experiment.field("runs")
async def resolve_runs(
    row: ExperimentRow, info: Info, first: int | None = None, after: str | None = None
) -> dict[str, Any]:
    """A page of the experiment's runs in (example, repetition) order."""
    page = window(first, after, _RUN_ORDER)
    position = None
    if page.after is not None:
        if not isinstance(page.after.value, int):
            raise ArgumentError("after", f"Invalid cursor: {after!r}")
        position = (page.after.value, page.after.rowid)
    runs = await request_context(info).read(store.list_runs, row.id, position, page.fetch)
    return _connection(
        runs, page, lambda run: encode_cursor(_RUN_ORDER, run.dataset_example_id,
                                              run.repetition_number)
    )  # fmt: skip


def _connection(rows: Sequence[Any], page: Window, cursor: Callable[[Any], str]) -> dict[str, Any]:
    shown = rows[: page.first]
    edges = [{"node": row, "cursor": cursor(row)} for row in shown]
    return {
        "edges": edges,
        "page_info": {
            "has_next_page": len(rows) > page.first,
            "end_cursor": edges[-1]["cursor"] if edges else None,
        },
    }


@dataset_experiments.field("experiments")
async def resolve_dataset_experiments(
    dataset: Any, info: Info, first: int | None = None, after: str | None = None
) -> dict[str, Any]:
    """A page of a dataset's experiments, newest first."""
    context = request_context(info)
    page = window(first, after, _EXPERIMENT_ORDER)
    dataset_id: int = dataset.id
    start = None if page.after is None else max(page.after.rowid - 1, -1)  # within bigint
    rows = await context.read(list_experiments, dataset_id, start, page.fetch)
    loader = experiments_loader(context)
    for row in rows:
        loader.prime(row.id, row)
    return _connection(rows, page, lambda row: encode_cursor(_EXPERIMENT_ORDER, row.id, row.id))


@dataset_experiments.field("experimentCount")
async def resolve_experiment_count(dataset: Any, info: Info) -> int:
    loader = _loader(request_context(info), store.count_experiments, lambda: 0)
    return await loader.load(dataset.id)


# Runs and evaluations ---------------------------------------------------------------------------

_RUN_FIELDS = (
    "id", "experimentId", "repetitionNumber", "traceId", "output", "error", "startTime",
    "endTime", "latencyMs", "costSummary", "annotations",
)  # fmt: skip
"""``ExperimentRun``'s fields that PostgreSQL writes into ``RunNode.fields``."""

_EVALUATION_FIELDS = (
    "id", "name", "annotatorKind", "label", "score", "explanation", "error", "metadata",
    "traceId", "startTime", "endTime",
)  # fmt: skip
"""``ExperimentRunAnnotation``'s fields, the keys of each of a run's ``annotations``."""


def _run_field(name: str) -> Callable[[RunNode, Info], Any]:
    def resolve(run: RunNode, _: Info) -> Any:
        return run.fields[name]

    return resolve


def _evaluation_field(name: str) -> Callable[[dict[str, Any], Info], Any]:
    def resolve(evaluation: dict[str, Any], _: Info) -> Any:
        return evaluation[name]

    return resolve


for _name in _RUN_FIELDS:
    experiment_run.set_field(_name, _run_field(_name))
for _name in _EVALUATION_FIELDS:
    experiment_run_annotation.set_field(_name, _evaluation_field(_name))


@experiment_example.field("id")
def resolve_example_id(example: ExampleNode, _: Info) -> str:
    return global_id("DatasetExample", example.id)


# Comparison -------------------------------------------------------------------------------------

_COST_PARTS = ("prompt", "completion", "total")


def _comparison_of(mean: float, baseline: float) -> str:
    if mean < baseline:
        return "REGRESSED"
    return "IMPROVED" if mean > baseline else "EQUAL"


def _summed_costs(runs: list[RunNode]) -> dict[str, dict[str, Any]]:
    """The runs' tokens and costs added up (None where no run has any)."""
    sums: dict[str, dict[str, Any]] = {part: {"tokens": None, "cost": None} for part in _COST_PARTS}
    for run in runs:
        for part, breakdown in sums.items():
            for key, value in run.cost[part].items():
                if value is not None:
                    breakdown[key] = value if breakdown[key] is None else breakdown[key] + value
    return sums


def _group(group: RunGroup, baseline: RunGroup, names: list[str]) -> dict[str, Any]:
    """A group of runs with its figures and its means against the baseline's (the names of
    ``ExperimentRepeatedRunGroup``'s fields in snake case)."""
    runs = group.runs
    is_baseline = group is baseline
    summaries = []
    for name in names:
        mean = group.mean_scores.get(name)
        base = baseline.mean_scores.get(name)
        compared = not is_baseline and mean is not None and base is not None
        summaries.append(
            {
                "annotation_name": name,
                "mean_score": mean,
                "baseline_delta": mean - base if compared else None,  # type: ignore[operator]
                "comparison": _comparison_of(mean, base) if compared else None,  # type: ignore[arg-type]
            }
        )
    return {
        "experiment_id": global_id("Experiment", group.experiment_id),
        "is_baseline": is_baseline,
        "runs": runs,
        "average_latency_ms": sum(run.latency_ms for run in runs) / len(runs) if runs else None,
        "error_count": sum(run.failed for run in runs),
        "cost_summary": _summed_costs(runs),
        "annotation_summaries": summaries,
    }


@experiment_comparison.field("id")
def resolve_comparison_id(row: ComparisonRow, _: Info) -> str:
    return global_id("DatasetExample", row.example.id)


@experiment_comparison.field("repeatedRunGroups")
def resolve_run_groups(row: ComparisonRow, _: Info) -> list[dict[str, Any]]:
    names = sorted({name for group in row.groups for name in group.mean_scores})
    baseline = row.groups[0]
    return [_group(group, baseline, names) for group in row.groups]


@experiment_comparison.field("repeatedRunGroupsJson")
def resolve_run_groups_json(row: ComparisonRow, info: Info) -> list[dict[str, Any]]:
    """``repeatedRunGroups`` as one JSON value, with the same names (see the schema); the
    runs are passed on as PostgreSQL wrote them."""
    return [
        {
            "experimentId": group["experiment_id"],
            "isBaseline": group["is_baseline"],
            "averageLatencyMs": group["average_latency_ms"],
            "errorCount": group["error_count"],
            "costSummary": group["cost_summary"],
            "annotationSummaries": [
                {
                    "annotationName": summary["annotation_name"],
                    "meanScore": summary["mean_score"],
                    "baselineDelta": summary["baseline_delta"],
                    "comparison": summary["comparison"],
                }
                for summary in group["annotation_summaries"]
            ],
            "runs": [run.fields for run in group["runs"]],
        }
        for group in resolve_run_groups(row, info)
    ]


def _compared_ids(base_experiment_id: str, compare_experiment_ids: list[str]) -> list[int]:
    """The row ids of the compared experiments, the baseline first, checked for shape."""
    compared = [_experiment_rowid(base_experiment_id, "baseExperimentId")]
    compared += [
        _experiment_rowid(value, "compareExperimentIds") for value in compare_experiment_ids
    ]
    if not MIN_COMPARED <= len(compared) <= MAX_COMPARED:
        raise ArgumentError(
            "compareExperimentIds",
            f"Compare {MIN_COMPARED} to {MAX_COMPARED} experiments (the baseline and 1 to "
            f"{MAX_COMPARED - 1} others); got {len(compared)}",
        )
    if len(set(compared)) != len(compared):
        raise ArgumentError(
            "compareExperimentIds", "Each experiment can be compared once (the baseline included)"
        )
    return compared


def _score_filter(value: dict[str, Any] | None, compared: list[int]) -> ScoreFilter | None:
    if value is None:
        return None
    name = value["annotation_name"]
    if not name.strip():
        raise ArgumentError("filter.annotationName", "`annotationName` must not be empty")
    targets = compared[1:]
    if value.get("experiment_id") is not None:
        target = _experiment_rowid(value["experiment_id"], "filter.experimentId")
        if target not in targets:
            raise ArgumentError(
                "filter.experimentId",
                "`filter.experimentId` must be one of `compareExperimentIds`",
            )
        targets = [target]
    return ScoreFilter(name, value["comparison"], targets)


@experiment_query.field("compareExperiments")
async def resolve_compare_experiments(
    _: Any,
    info: Info,
    base_experiment_id: str,
    compare_experiment_ids: list[str],
    first: int | None = None,
    after: str | None = None,
    search: str | None = None,
    filter: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A page of the baseline's examples with every compared experiment's runs on each."""
    compared = _compared_ids(base_experiment_id, compare_experiment_ids)
    score_filter = _score_filter(filter, compared)
    page = window(first, after, _EXAMPLE_ORDER)
    page = Window(min(page.first, MAX_COMPARISON_PAGE), page.after, page.sort)
    context = request_context(info)
    datasets = await context.read(store.get_dataset_ids, compared)
    for position, rowid in enumerate(compared):
        argument = "baseExperimentId" if position == 0 else "compareExperimentIds"
        if rowid not in datasets:
            raise ArgumentError(
                argument, f"No experiment has the id {global_id('Experiment', rowid)}"
            )
    base_dataset = datasets[compared[0]]
    foreign = [rowid for rowid in compared[1:] if datasets[rowid] != base_dataset]
    if foreign:
        names = ", ".join(global_id("Experiment", rowid) for rowid in foreign)
        raise ArgumentError(
            "compareExperimentIds",
            f"Experiments of another dataset than the baseline's can't be compared: {names}",
        )
    rows = await context.read(
        store.compare_experiments,
        compared,
        after=None if page.after is None else page.after.rowid,
        fetch=page.fetch,
        search=search or None,
        score_filter=score_filter,
    )
    return _connection(rows, page, lambda row: encode_cursor(_EXAMPLE_ORDER, row.id, row.id))


# Lookups and deletion ---------------------------------------------------------------------------


@experiment_query.field("experiment")
async def resolve_experiment(_: Any, info: Info, id: str) -> ExperimentRow | None:
    """An experiment by GlobalID; null if there is none."""
    rowid = rowid_of(id, "Experiment")
    return None if rowid is None else await experiments_loader(request_context(info)).load(rowid)


@experiment_query.field("experiments")
async def resolve_experiments(_: Any, info: Info, ids: list[str]) -> list[ExperimentRow | None]:
    """Experiments by GlobalID, in order; null for an id that names none."""
    if len(ids) > MAX_LOOKUP_IDS:
        raise ArgumentError("ids", f"At most {MAX_LOOKUP_IDS} ids, got {len(ids)}")
    loader = experiments_loader(request_context(info))
    rowids = [rowid_of(value, "Experiment") for value in ids]
    found = await asyncio.gather(*(loader.load(rowid) for rowid in rowids if rowid is not None))
    by_rowid = {row.id: row for row in found if row is not None}
    return [None if rowid is None else by_rowid.get(rowid) for rowid in rowids]


@experiment_mutation.field("deleteExperiments")
async def resolve_delete_experiments(
    _: Any, info: Info, input: dict[str, Any]
) -> dict[str, list[ExperimentRow]]:
    """Delete every experiment named, with its trace project, or none if one is unknown."""
    values = input["experiment_ids"]
    rowids = [_experiment_rowid(value, "input.experimentIds") for value in values]
    deleted = await request_context(info).read(store.delete_experiments, rowids)
    if isinstance(deleted, list):
        names = ", ".join(global_id("Experiment", rowid) for rowid in deleted)
        raise ArgumentError("input.experimentIds", f"No experiment has the id {names}")
    return {"experiments": [deleted[rowid] for rowid in dict.fromkeys(rowids)]}
