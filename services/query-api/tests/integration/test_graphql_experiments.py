"""GraphQL: experiments, their runs, the comparison of experiments, and deleting experiments.

Everything is written over ``/v1`` as Phoenix's client writes it (dataset upload, experiments,
runs, evaluations); the task traces are stored as the ingest writer stores them. The scores are
made by hand so that every delta and filter result below is known.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import pytest

pytestmark = pytest.mark.slow

Client = httpx.AsyncClient

ACCURACY = {
    # example: (baseline's two repetitions, better's one, mixed's one or None: no run)
    "q1": ((1.0, 0.0), 1.0, 0.5),
    "q2": ((1.0, 1.0), 0.0, 1.0),
    "q3": ((0.0, 0.0), 0.0, 0.25),
    "q4": ((1.0, 0.0), 0.5, 0.0),
    "q5": ((1.0, 1.0), None, None),
}
"""Mean accuracy vs the baseline's: q1 better +0.5, mixed equal; q2 better -1 (regressed), mixed
equal; q3 better equal, mixed +0.25; q4 better equal, mixed -0.5; q5 better failed (no score),
mixed has no run."""

COMPARE = """
query ($base: ID!, $others: [ID!]!, $first: Int, $after: String, $search: String,
       $filter: ExperimentComparisonFilter) {
  compareExperiments(baseExperimentId: $base, compareExperimentIds: $others, first: $first,
                     after: $after, search: $search, filter: $filter) {
    edges { cursor node { id
      example { id input output }
      repeatedRunGroups { experimentId isBaseline averageLatencyMs errorCount
        costSummary { total { tokens cost } }
        runs { id repetitionNumber output error latencyMs traceId
               annotations { name score label explanation } }
        annotationSummaries { annotationName meanScore baselineDelta comparison } } } }
    pageInfo { hasNextPage endCursor } } }
"""


def gid(type_name: str, rowid: int) -> str:
    return base64.b64encode(f"{type_name}:{rowid}".encode()).decode()


def _error(body: dict[str, Any]) -> dict[str, Any]:
    assert body.get("errors"), body
    error: dict[str, Any] = body["errors"][0]
    return error


@dataclass(frozen=True)
class Experiments:
    """Dataset ``qa`` (q1..q5) and three experiments over it; ``other`` is of another dataset."""

    dataset: str
    examples: dict[str, str]
    baseline: str
    better: str
    mixed: str
    other: str
    runs: dict[tuple[str, str, int], str]
    """Run ids by (experiment name, question, repetition)."""


async def _upload(api: Client, name: str, questions: list[str]) -> dict[str, Any]:
    response = await api.post(
        "/v1/datasets/upload",
        params={"sync": "true"},
        json={
            "action": "create",
            "name": name,
            "inputs": [{"question": question.upper()} for question in questions],
            "outputs": [{"answer": f"answer to {question}"} for question in questions],
        },
    )
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def _experiment(api: Client, dataset: str, name: str, repetitions: int) -> dict[str, Any]:
    response = await api.post(
        f"/v1/datasets/{dataset}/experiments",
        json={"name": name, "description": f"{name} run", "repetitions": repetitions,
              "metadata": {"model": name}},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def _run(
    api: Client, experiment: dict[str, Any], example: str, repetition: int, **fields: Any
) -> str:
    response = await api.post(
        f"/v1/experiments/{experiment['id']}/runs",
        json={
            "dataset_example_id": example,
            "output": fields.pop("output", "ok"),
            "repetition_number": repetition,
            "start_time": "2026-11-01T12:00:00Z",
            "end_time": fields.pop("end_time", "2026-11-01T12:00:01Z"),
            "trace_id": fields.pop("trace_id", None),
            **fields,
        },
    )
    assert response.status_code == 200, response.text
    run_id: str = response.json()["data"]["id"]
    return run_id


async def _evaluate(api: Client, run_id: str, name: str, score: float, **result: Any) -> None:
    response = await api.post(
        "/v1/experiment_evaluations",
        json={
            "experiment_run_id": run_id,
            "name": name,
            "annotator_kind": "CODE",
            "start_time": "2026-11-01T12:00:02Z",
            "end_time": "2026-11-01T12:00:03Z",
            "result": {"score": score, "label": result.get("label"),
                       "explanation": result.get("explanation")},
            "error": None,
            "metadata": {},
        },
    )  # fmt: skip
    assert response.status_code == 200, response.text


@pytest.fixture
async def experiments(
    api: Client, store_decoded_spans: Callable[..., Awaitable[None]], span_message: Any
) -> Experiments:
    uploaded = await _upload(api, "qa", list(ACCURACY))
    dataset = uploaded["dataset_id"]
    listed = (await api.get(f"/v1/datasets/{dataset}/examples")).json()["data"]["examples"]
    examples = {example["input"]["question"].lower(): example["id"] for example in listed}
    baseline = await _experiment(api, dataset, "baseline", repetitions=2)
    better = await _experiment(api, dataset, "better", repetitions=1)
    mixed = await _experiment(api, dataset, "mixed", repetitions=1)
    runs: dict[tuple[str, str, int], str] = {}
    for question, (base_scores, better_score, mixed_score) in ACCURACY.items():
        example = examples[question]
        for repetition, score in enumerate(base_scores, start=1):
            run_id = await _run(api, baseline, example, repetition, output=f"base {question}")
            runs["baseline", question, repetition] = run_id
            await _evaluate(api, run_id, "accuracy", score, explanation=f"base {repetition}")
        if better_score is None:
            runs["better", question, 1] = await _run(
                api, better, example, 1, output=None, error="task failed"
            )
        else:
            trace = "b1" * 16 if question == "q1" else None
            run_id = await _run(
                api, better, example, 1, output=f"better {question}", trace_id=trace,
                end_time="2026-11-01T12:00:03Z",
            )  # fmt: skip
            runs["better", question, 1] = run_id
            await _evaluate(api, run_id, "accuracy", better_score, label="ok", explanation="why")
        if mixed_score is not None:
            run_id = await _run(api, mixed, example, 1, output=f"mixed {question}")
            runs["mixed", question, 1] = run_id
            await _evaluate(api, run_id, "accuracy", mixed_score)
            await _evaluate(api, run_id, "brevity", 1.0)
    # better's q1 task trace: a root and an LLM call (100 + 20 tokens, $0.5)
    await store_decoded_spans(
        better["project_name"],
        [
            span_message("b1" * 16, "b100000000000001", name="task", duration=2.0),
            span_message("b1" * 16, "b100000000000002", parent="b100000000000001",
                         kind="LLM", prompt=100, completion=20, cost=0.5),
        ],
    )  # fmt: skip
    other_dataset = (await _upload(api, "other", ["x1"]))["dataset_id"]
    other = await _experiment(api, other_dataset, "elsewhere", repetitions=1)
    return Experiments(
        dataset, examples, baseline["id"], better["id"], mixed["id"], other["id"], runs
    )


async def _compare(graphql_api: Any, base: str, others: list[str], **variables: Any) -> Any:
    body = await graphql_api.query(COMPARE, base=base, others=others, **variables)
    assert "errors" not in body, body
    return body["data"]["compareExperiments"]


def _questions(page: dict[str, Any]) -> list[str]:
    return [edge["node"]["example"]["input"]["question"].lower() for edge in page["edges"]]


def _summary(group: dict[str, Any], name: str) -> dict[str, Any]:
    (summary,) = [s for s in group["annotationSummaries"] if s["annotationName"] == name]
    return summary


# The comparison ---------------------------------------------------------------------------------


async def test_comparison_rows_hold_every_experiments_runs_and_deltas(
    graphql_api: Any, experiments: Experiments
) -> None:
    page = await _compare(
        graphql_api, experiments.baseline, [experiments.better, experiments.mixed]
    )

    assert _questions(page) == ["q1", "q2", "q3", "q4", "q5"]
    q1, q2, _, q4, q5 = (edge["node"] for edge in page["edges"])
    assert q1["id"] == q1["example"]["id"] == experiments.examples["q1"]
    assert q1["example"]["output"] == {"answer": "answer to q1"}
    base, better, mixed = q1["repeatedRunGroups"]
    assert [group["experimentId"] for group in (base, better, mixed)] == [
        experiments.baseline, experiments.better, experiments.mixed
    ]  # fmt: skip
    assert [group["isBaseline"] for group in (base, better, mixed)] == [True, False, False]
    # repetitions are shown as repetitions, each with its own evaluation
    assert [run["repetitionNumber"] for run in base["runs"]] == [1, 2]
    assert [run["annotations"][0]["score"] for run in base["runs"]] == [1.0, 0.0]
    assert [run["annotations"][0]["explanation"] for run in base["runs"]] == ["base 1", "base 2"]
    assert base["runs"][0]["id"] == experiments.runs["baseline", "q1", 1]
    assert base["runs"][0]["output"] == "base q1"
    assert _summary(base, "accuracy") == {
        "annotationName": "accuracy", "meanScore": 0.5, "baselineDelta": None, "comparison": None
    }  # fmt: skip
    assert _summary(better, "accuracy") == {
        "annotationName": "accuracy", "meanScore": 1.0, "baselineDelta": 0.5,
        "comparison": "IMPROVED",
    }  # fmt: skip
    assert _summary(mixed, "accuracy")["comparison"] == "EQUAL"
    assert _summary(mixed, "accuracy")["baselineDelta"] == 0.0
    # an evaluation only one experiment has is listed for every group, without a delta
    assert _summary(base, "brevity")["meanScore"] is None
    assert _summary(mixed, "brevity") == {
        "annotationName": "brevity", "meanScore": 1.0, "baselineDelta": None, "comparison": None
    }  # fmt: skip
    # latency, tokens and cost of the runs' traces
    assert base["averageLatencyMs"] == 1000.0
    assert better["runs"][0]["latencyMs"] == 3000.0
    assert better["runs"][0]["traceId"] == "b1" * 16
    assert better["costSummary"]["total"] == {"tokens": 120.0, "cost": 0.5}
    assert base["costSummary"]["total"] == {"tokens": None, "cost": None}
    assert _summary(q2["repeatedRunGroups"][1], "accuracy")["comparison"] == "REGRESSED"
    assert _summary(q2["repeatedRunGroups"][1], "accuracy")["baselineDelta"] == -1.0
    assert _summary(q4["repeatedRunGroups"][2], "accuracy")["baselineDelta"] == -0.5
    # q5: better's task failed (no score), mixed has no run there
    _, failed, missing = q5["repeatedRunGroups"]
    assert failed["errorCount"] == 1
    assert failed["runs"][0]["error"] == "task failed"
    assert _summary(failed, "accuracy") == {
        "annotationName": "accuracy", "meanScore": None, "baselineDelta": None, "comparison": None
    }  # fmt: skip
    assert missing["runs"] == []
    assert missing["averageLatencyMs"] is None


@pytest.mark.parametrize(
    ("comparison", "only", "expected"),
    [
        ("REGRESSED", None, ["q2", "q4"]),
        ("REGRESSED", "better", ["q2"]),
        ("REGRESSED", "mixed", ["q4"]),
        ("IMPROVED", None, ["q1", "q3"]),
        ("EQUAL", None, ["q1", "q2", "q3", "q4"]),
        ("EQUAL", "better", ["q3", "q4"]),
    ],
)
async def test_the_score_filter_keeps_examples_by_their_delta(
    graphql_api: Any, experiments: Experiments, comparison: str, only: str | None,
    expected: list[str],
) -> None:  # fmt: skip
    score_filter: dict[str, Any] = {"annotationName": "accuracy", "comparison": comparison}
    if only is not None:
        score_filter["experimentId"] = getattr(experiments, only)

    page = await _compare(
        graphql_api, experiments.baseline, [experiments.better, experiments.mixed],
        filter=score_filter,
    )  # fmt: skip

    assert _questions(page) == expected
    for edge in page["edges"]:
        groups = edge["node"]["repeatedRunGroups"][1:]
        if only is not None:
            groups = [g for g in groups if g["experimentId"] == score_filter["experimentId"]]
        comparisons = [_summary(group, "accuracy")["comparison"] for group in groups]
        assert comparison in comparisons


async def test_a_filtered_search_pages_through_the_matches(
    graphql_api: Any, experiments: Experiments
) -> None:
    others = [experiments.better, experiments.mixed]
    equal = {"annotationName": "accuracy", "comparison": "EQUAL"}

    first = await _compare(graphql_api, experiments.baseline, others, first=1, filter=equal)
    cursor = first["pageInfo"]["endCursor"]
    second = await _compare(
        graphql_api, experiments.baseline, others, first=2, after=cursor, filter=equal
    )
    last = await _compare(
        graphql_api, experiments.baseline, others, first=2,
        after=second["pageInfo"]["endCursor"], filter=equal,
    )  # fmt: skip
    searched = await _compare(graphql_api, experiments.baseline, others, search="q3")
    searched_and_filtered = await _compare(
        graphql_api, experiments.baseline, others, search="Q", filter=equal | {
            "comparison": "REGRESSED"}
    )  # fmt: skip
    nothing = await _compare(graphql_api, experiments.baseline, others, search="absent")

    assert (_questions(first), first["pageInfo"]["hasNextPage"]) == (["q1"], True)
    assert (_questions(second), second["pageInfo"]["hasNextPage"]) == (["q2", "q3"], True)
    assert (_questions(last), last["pageInfo"]["hasNextPage"]) == (["q4"], False)
    assert _questions(searched) == ["q3"]  # the input is "Q3": any case
    assert _questions(searched_and_filtered) == ["q2", "q4"]
    assert nothing == {"edges": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}


async def test_pages_of_the_whole_comparison_cover_every_example_once(
    graphql_api: Any, experiments: Experiments
) -> None:
    seen: list[str] = []
    after = None
    while True:
        page = await _compare(
            graphql_api, experiments.baseline, [experiments.mixed], first=2, after=after
        )
        seen += _questions(page)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    assert seen == ["q1", "q2", "q3", "q4", "q5"]


async def test_the_baseline_can_be_any_of_the_experiments(
    graphql_api: Any, experiments: Experiments
) -> None:
    page = await _compare(
        graphql_api, experiments.better, [experiments.baseline],
        filter={"annotationName": "accuracy", "comparison": "IMPROVED"},
    )  # fmt: skip

    # the old baseline did better than "better" on q2 only; q5 has no score in "better"
    assert _questions(page) == ["q2"]
    (edge,) = page["edges"]
    assert edge["node"]["repeatedRunGroups"][0]["experimentId"] == experiments.better
    assert _summary(edge["node"]["repeatedRunGroups"][1], "accuracy")["baselineDelta"] == 1.0


@pytest.mark.parametrize(
    ("count", "message"),
    [
        (1, "Compare 2 to 8 experiments (the baseline and 1 to 7 others); got 1"),
        (9, "Compare 2 to 8 experiments (the baseline and 1 to 7 others); got 9"),
    ],
)
async def test_one_or_nine_experiments_are_refused(
    graphql_api: Any, experiments: Experiments, count: int, message: str
) -> None:
    others = [gid("Experiment", 1000 + n) for n in range(count - 1)]

    error = _error(await graphql_api.query(COMPARE, base=experiments.baseline, others=others))

    assert error["message"] == message
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "compareExperimentIds"}


async def test_unknown_foreign_and_repeated_experiments_are_refused(
    graphql_api: Any, experiments: Experiments
) -> None:
    unknown = gid("Experiment", 999)

    async def refusal(base: str, others: list[str], **variables: Any) -> tuple[str, Any]:
        error = _error(await graphql_api.query(COMPARE, base=base, others=others, **variables))
        return error["message"], error["extensions"].get("argument")

    assert await refusal(experiments.baseline, [unknown]) == (
        f"No experiment has the id {unknown}", "compareExperimentIds"
    )  # fmt: skip
    assert await refusal(unknown, [experiments.baseline]) == (
        f"No experiment has the id {unknown}", "baseExperimentId"
    )  # fmt: skip
    foreign = "Experiments of another dataset than the baseline's can't be compared: {}"
    assert await refusal(experiments.baseline, [experiments.other]) == (
        foreign.format(experiments.other), "compareExperimentIds"
    )  # fmt: skip
    assert await refusal(experiments.baseline, [experiments.baseline]) == (
        "Each experiment can be compared once (the baseline included)", "compareExperimentIds"
    )  # fmt: skip
    assert await refusal(experiments.baseline, [experiments.dataset]) == (
        f"`compareExperimentIds` is not an experiment's id: {experiments.dataset}",
        "compareExperimentIds",
    )
    assert await refusal(
        experiments.baseline, [experiments.better],
        filter={"annotationName": "accuracy", "comparison": "EQUAL",
                "experimentId": experiments.mixed},
    ) == (
        "`filter.experimentId` must be one of `compareExperimentIds`", "filter.experimentId"
    )  # fmt: skip


# Experiments and runs ---------------------------------------------------------------------------

EXPERIMENT = """
query ($id: ID!, $first: Int, $after: String) { experiment(id: $id) {
  id name description metadata repetitions datasetId sequenceNumber exampleCount
  expectedRunCount runCount errorCount errorRate averageRunLatencyMs
  costSummary { prompt { tokens cost } completion { tokens cost } total { tokens cost } }
  annotationSummaries { annotationName meanScore minScore maxScore count scoreCount labelCount }
  runs(first: $first, after: $after) {
    edges { node { id repetitionNumber output error latencyMs traceId
      example { id input output }
      annotations { name score label explanation annotatorKind } } }
    pageInfo { hasNextPage endCursor } } } }
"""


async def test_an_experiment_with_its_figures_and_runs_page_by_page(
    graphql_api: Any, experiments: Experiments
) -> None:
    body = await graphql_api.query(EXPERIMENT, id=experiments.better, first=3)
    better = body["data"]["experiment"]
    second = (
        await graphql_api.query(
            EXPERIMENT,
            id=experiments.better,
            first=3,
            after=better["runs"]["pageInfo"]["endCursor"],
        )
    )["data"]["experiment"]["runs"]

    assert (better["name"], better["description"], better["metadata"]) == (
        "better", "better run", {"model": "better"}
    )  # fmt: skip
    assert (better["datasetId"], better["sequenceNumber"]) == (experiments.dataset, 2)
    assert (better["exampleCount"], better["expectedRunCount"], better["runCount"]) == (5, 5, 5)
    assert (better["errorCount"], better["errorRate"]) == (1, 0.2)
    assert better["averageRunLatencyMs"] == 2600.0  # four runs of 3 s, the failed one 1 s
    assert better["costSummary"] == {
        "prompt": {"tokens": 100.0, "cost": None},
        "completion": {"tokens": 20.0, "cost": None},
        "total": {"tokens": 120.0, "cost": 0.5},
    }
    assert better["annotationSummaries"] == [
        {"annotationName": "accuracy", "meanScore": 0.375, "minScore": 0.0, "maxScore": 1.0,
         "count": 4, "scoreCount": 4, "labelCount": 4}
    ]  # fmt: skip
    runs = [edge["node"] for edge in better["runs"]["edges"] + second["edges"]]
    assert better["runs"]["pageInfo"]["hasNextPage"] is True
    assert second["pageInfo"]["hasNextPage"] is False
    assert [run["example"]["input"]["question"] for run in runs] == ["Q1", "Q2", "Q3", "Q4", "Q5"]
    assert runs[0]["example"]["output"] == {"answer": "answer to q1"}
    assert runs[0]["annotations"] == [
        {"name": "accuracy", "score": 1.0, "label": "ok", "explanation": "why",
         "annotatorKind": "CODE"}
    ]  # fmt: skip
    assert (runs[0]["traceId"], runs[0]["latencyMs"]) == ("b1" * 16, 3000.0)
    assert (runs[4]["error"], runs[4]["output"], runs[4]["annotations"]) == (
        "task failed", None, []
    )  # fmt: skip


async def test_runs_of_repetitions_page_in_example_then_repetition_order(
    graphql_api: Any, experiments: Experiments
) -> None:
    seen = []
    after = None
    while True:
        body = await graphql_api.query(EXPERIMENT, id=experiments.baseline, first=3, after=after)
        runs = body["data"]["experiment"]["runs"]
        seen += [
            (edge["node"]["example"]["input"]["question"], edge["node"]["repetitionNumber"])
            for edge in runs["edges"]
        ]
        if not runs["pageInfo"]["hasNextPage"]:
            break
        after = runs["pageInfo"]["endCursor"]

    assert seen == [(f"Q{n}", repetition) for n in range(1, 6) for repetition in (1, 2)]


async def test_unknown_experiments_are_null(graphql_api: Any, experiments: Experiments) -> None:
    lookup = "query ($ids: [ID!]!) { experiments(ids: $ids) { id name } }"

    one = await graphql_api.query(EXPERIMENT, id=gid("Experiment", 999))
    many = await graphql_api.query(
        lookup, ids=[experiments.mixed, gid("Experiment", 999), "garbage", experiments.baseline]
    )

    assert one == {"data": {"experiment": None}}
    assert many["data"]["experiments"] == [
        {"id": experiments.mixed, "name": "mixed"}, None, None,
        {"id": experiments.baseline, "name": "baseline"},
    ]  # fmt: skip


async def test_a_datasets_experiments_newest_first(
    graphql_api: Any, experiments: Experiments
) -> None:
    query = """query ($id: ID!, $after: String) { dataset(id: $id) { experimentCount
      experiments(first: 2, after: $after) {
        edges { node { name runCount errorRate
          annotationSummaries { annotationName meanScore } } }
        pageInfo { hasNextPage endCursor } } } }"""

    first = (await graphql_api.query(query, id=experiments.dataset))["data"]["dataset"]
    cursor = first["experiments"]["pageInfo"]["endCursor"]
    second = (await graphql_api.query(query, id=experiments.dataset, after=cursor))["data"][
        "dataset"
    ]["experiments"]

    assert first["experimentCount"] == 3
    nodes = [edge["node"] for edge in first["experiments"]["edges"] + second["edges"]]
    assert [node["name"] for node in nodes] == ["mixed", "better", "baseline"]
    assert second["pageInfo"]["hasNextPage"] is False
    assert nodes[0]["annotationSummaries"] == [
        {"annotationName": "accuracy", "meanScore": 0.4375},
        {"annotationName": "brevity", "meanScore": 1.0},
    ]
    assert (nodes[2]["runCount"], nodes[2]["errorRate"]) == (10, 0.0)


async def test_delete_experiments_all_or_none(
    graphql_api: Any, experiments: Experiments, api: Client
) -> None:
    mutation = """mutation ($ids: [ID!]!) { deleteExperiments(input: {experimentIds: $ids}) {
      experiments { id name } } }"""
    better = (await api.get(f"/v1/experiments/{experiments.better}")).json()["data"]

    refused = await graphql_api.query(mutation, ids=[experiments.mixed, gid("Experiment", 999)])
    deleted = await graphql_api.query(mutation, ids=[experiments.better, experiments.mixed])

    assert _error(refused)["message"] == f"No experiment has the id {gid('Experiment', 999)}"
    assert deleted["data"]["deleteExperiments"]["experiments"] == [
        {"id": experiments.better, "name": "better"}, {"id": experiments.mixed, "name": "mixed"}
    ]  # fmt: skip
    assert (await api.get(f"/v1/experiments/{experiments.mixed}")).status_code == 404
    assert (await api.get(f"/v1/experiments/{experiments.baseline}")).status_code == 200
    project = await api.get(f"/v1/projects/{better['project_name']}")
    assert project.status_code == 404  # its task traces went with it


async def test_the_json_groups_are_the_typed_groups(
    graphql_api: Any, experiments: Experiments
) -> None:
    cost = "{ prompt { tokens cost } completion { tokens cost } total { tokens cost } }"
    query = f"""query ($base: ID!, $others: [ID!]!) {{
      compareExperiments(baseExperimentId: $base, compareExperimentIds: $others) {{
        edges {{ node {{ repeatedRunGroupsJson repeatedRunGroups {{
          experimentId isBaseline averageLatencyMs errorCount costSummary {cost}
          annotationSummaries {{ annotationName meanScore baselineDelta comparison }}
          runs {{ id experimentId repetitionNumber traceId output error startTime endTime
            latencyMs costSummary {cost}
            annotations {{ id name annotatorKind label score explanation error metadata traceId
              startTime endTime }} }} }} }} }} }} }}"""

    body = await graphql_api.query(
        query, base=experiments.baseline, others=[experiments.better, experiments.mixed]
    )

    nodes = [edge["node"] for edge in body["data"]["compareExperiments"]["edges"]]
    assert len(nodes) == 5
    for node in nodes:
        assert node["repeatedRunGroupsJson"] == node["repeatedRunGroups"]


RUNS = """query ($id: ID!, $after: String) { experiment(id: $id) {
  runs(after: $after) { edges { node { id } } } } }"""
"""Runs alone: a refused argument beside fields still reading fails the request (reported)."""


def _cursor(column: str, value: Any, rowid: Any) -> str:
    return base64.b64encode(orjson.dumps([column, value, rowid])).decode()


async def test_hostile_arguments_are_refused_by_name_or_find_nothing(
    graphql_api: Any, experiments: Experiments
) -> None:
    compare = {"base": experiments.baseline, "others": [experiments.better]}
    runs_cursor = _cursor("exampleRepetition", 1, 1)
    refusals = [
        (COMPARE, {**compare, "first": -1}, "first"),
        (COMPARE, {**compare, "after": "garbage"}, "after"),
        (COMPARE, {**compare, "after": runs_cursor}, "after"),
        (COMPARE, {**compare, "filter": {"annotationName": " ", "comparison": "EQUAL"}},
         "filter.annotationName"),
        (RUNS, {"id": experiments.baseline, "after": _cursor("exampleRepetition", 1.5, 1)},
         "after"),
    ]  # fmt: skip
    for document, variables, argument in refusals:
        error = _error(await graphql_api.query(document, **variables))
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": argument}, variables

    far = _cursor("exampleRepetition", 2**62, 2**62)
    past = await graphql_api.query(RUNS, id=experiments.baseline, after=far)
    wildcard = await _compare(graphql_api, experiments.baseline, [experiments.better], search="%")
    huge = await _compare(
        graphql_api, experiments.baseline, [experiments.better], first=10**6,
        after=_cursor("exampleId", 2**63 - 1, 2**63 - 1),
    )  # fmt: skip

    lowest = await graphql_api.query(
        "query ($id: ID!, $after: String) { dataset(id: $id) { experiments(after: $after) "
        "{ edges { node { id } } } } }",
        id=experiments.dataset, after=_cursor("id", -(2**63), -(2**63)),
    )  # fmt: skip

    assert lowest["data"]["dataset"]["experiments"]["edges"] == []
    assert past["data"]["experiment"]["runs"]["edges"] == []
    assert wildcard["edges"] == []  # "%" is a character, not a pattern
    assert huge["edges"] == []
