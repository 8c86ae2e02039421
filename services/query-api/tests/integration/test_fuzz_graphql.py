"""Hypothesis over the GraphQL arguments: ids, strings, time ranges, filters, sorts and pages.

Whatever the arguments (GlobalIDs of any type and size, Unicode digits, NUL characters, times
from year 1 to 9999 in any UTC offset, garbage cursors and filters, any 32-bit ``first`` or
``interval``), the query API answers with data or a client error: never a 5xx, never
``Internal error``. The dataset and experiment fields and mutations get the same, and JSON
arguments past what PostgreSQL stores (integers past 64 bits, NaN, lone surrogates, nesting
past ``MAX_JSON_DEPTH``), over a seeded dataset whose rows most ids name.
"""

from __future__ import annotations

import asyncio
import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.slow

TYPE_NAMES = ["Project", "Trace", "Span", "ProjectSession", "SpanAnnotation", "Nope"]

digits = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.text(alphabet="0123456789\u0661\uff11\n ", min_size=1, max_size=25),
)
global_ids = st.builds(
    lambda type_name, rowid: base64.b64encode(f"{type_name}:{rowid}".encode()).decode(),
    st.sampled_from(TYPE_NAMES),
    digits,
)
ids = st.one_of(global_ids, st.text(max_size=40), st.just("support"))
offsets = st.timedeltas(
    min_value=-timedelta(hours=23, minutes=59), max_value=timedelta(hours=23, minutes=59)
).map(timezone)
moments = st.one_of(
    # hypothesis takes naive bounds and adds the time zone itself
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31),  # noqa: DTZ001
                 timezones=st.one_of(st.just(UTC), offsets)).map(datetime.isoformat),
    st.text(max_size=30),
)  # fmt: skip
time_ranges = st.one_of(
    st.none(), st.fixed_dictionaries({}, optional={"start": moments, "end": moments})
)
cursor_values = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    moments,
    st.none(),
)
cursors = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.builds(
        lambda column, value, rowid: base64.b64encode(
            json.dumps([column, value, rowid]).encode()
        ).decode(),
        st.sampled_from(["startTime", "latencyMs", "tokens", "cost", "id", "createdAt"]),
        cursor_values,
        st.one_of(st.integers(min_value=-(2**70), max_value=2**70), st.text(max_size=5)),
    ),
)
filters = st.one_of(
    st.none(),
    st.text(max_size=60),
    st.sampled_from([
        "span_kind == 'LLM'", "latency_ms > 1e308", "name == '\x00'", "metadata['tier'] == 'gold'",
        "cumulative_token_count_total > 99999999999999999999", "status_code == 'ERROR' or 1",
    ]),
)  # fmt: skip
firsts = st.one_of(st.none(), st.integers(min_value=-(2**31), max_value=2**31 - 1))
sorts = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {"column": st.sampled_from(["startTime", "latencyMs", "tokens", "cost"])},
        optional={"direction": st.sampled_from(["ASC", "DESC"])},
    ),
)

LIST_PAGE = "edges { cursor node { id } } pageInfo { hasNextPage endCursor }"

QUERIES: list[tuple[str, st.SearchStrategy[dict[str, Any]]]] = [
    (
        ("query($first: Int, $after: String, $nameContains: String) { projects(first: $first, "
        f"after: $after, nameContains: $nameContains) {{ {LIST_PAGE} }} }}"),
        st.fixed_dictionaries({"first": firsts, "after": cursors,
                               "nameContains": st.one_of(st.none(), st.text(max_size=20))}),
    ),
    (
        ("query($id: ID, $range: TimeRange) { project(id: $id) { name stats(timeRange: $range) "
        "{ traceCount latencyMsP50 } } }"),
        st.fixed_dictionaries({"id": ids, "range": time_ranges}),
    ),
    (
        ("query($name: String, $range: TimeRange, $filter: String, $sort: SpanSort, $first: Int, "
        "$after: String) { project(name: $name) { traces(timeRange: $range, filter: $filter, "
        f"sort: $sort, first: $first, after: $after) {{ {LIST_PAGE} }} }} }}"),
        st.fixed_dictionaries({"name": st.one_of(st.just("support"), st.text(max_size=20)),
                               "range": time_ranges, "filter": filters, "sort": sorts,
                               "first": firsts, "after": cursors}),
    ),
    (
        ("query($range: TimeRange, $filter: String, $sort: SpanSort, $first: Int, $after: String, "
        '$roots: Boolean) { project(name: "support") { spans(timeRange: $range, filter: $filter, '
        "sort: $sort, first: $first, after: $after, rootSpansOnly: $roots) "
        f"{{ {LIST_PAGE} }} }} }}"),
        st.fixed_dictionaries({"range": time_ranges, "filter": filters, "sort": sorts,
                               "first": firsts, "after": cursors,
                               "roots": st.one_of(st.none(), st.booleans())}),
    ),
    (
        ('query($range: TimeRange, $first: Int, $after: String) { project(name: "support") { '
        f"sessions(timeRange: $range, first: $first, after: $after) {{ {LIST_PAGE} }} }} }}"),
        st.fixed_dictionaries({"range": time_ranges, "first": firsts, "after": cursors}),
    ),
    (
        ('query($range: TimeRange!, $interval: Int!) { project(name: "support") { '
        "timeSeries(timeRange: $range, interval: $interval) { timestamp traceCount } } }"),
        st.fixed_dictionaries({"range": st.fixed_dictionaries({"start": moments, "end": moments}),
                               "interval": st.integers(min_value=-(2**31), max_value=2**31 - 1)}),
    ),
    (
        ("query($id: ID, $traceId: ID) { trace(id: $id, traceId: $traceId) { traceId "
        "spans { spanId } } }"),
        st.fixed_dictionaries({"id": st.one_of(st.none(), ids),
                               "traceId": st.one_of(st.none(), ids)}),
    ),
    (
        ("query($id: ID, $spanId: ID) { span(id: $id, spanId: $spanId) { spanId annotations "
        "{ name } } }"),
        st.fixed_dictionaries({"id": st.one_of(st.none(), ids),
                               "spanId": st.one_of(st.none(), ids)}),
    ),
    (
        ("query($id: ID, $sessionId: ID) { session(id: $id, sessionId: $sessionId) { sessionId "
        "turns { trace { traceId } } } }"),
        st.fixed_dictionaries({"id": st.one_of(st.none(), ids),
                               "sessionId": st.one_of(st.none(), ids)}),
    ),
]  # fmt: skip


def _internal_errors(response: httpx.Response) -> list[Any]:
    body = response.json()
    return [
        error
        for error in body.get("errors") or []
        if error.get("message") == "Internal error"
        or (error.get("extensions") or {}).get("code") == "INTERNAL_SERVER_ERROR"
    ]


def _fuzz_requests(
    api: httpx.AsyncClient,
    loop: asyncio.AbstractEventLoop,
    documents: list[tuple[str, st.SearchStrategy[dict[str, Any]]]],
    examples: int,
) -> None:
    """Post ``examples`` requests drawn from ``documents``; none may be a server error. The body
    is encoded here (``ensure_ascii``, NaN allowed) so that lone surrogates and NaN reach the
    server as a hostile client would send them."""
    drawn = st.one_of([st.tuples(st.just(document), values) for document, values in documents])

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(request=drawn)
    def fuzz(request: tuple[str, dict[str, Any]]) -> None:
        document, variables = request
        content = json.dumps({"query": document, "variables": variables}).encode()
        future = asyncio.run_coroutine_threadsafe(
            api.post("/graphql", content=content, headers={"content-type": "application/json"}),
            loop,
        )
        response = future.result(timeout=60)
        assert response.status_code < 500, (document, variables, response.text)
        assert not _internal_errors(response), (document, variables, response.text)

    fuzz()


@pytest.mark.timeout(600)
async def test_no_graphql_argument_is_an_internal_error(
    api: httpx.AsyncClient, support_project: str
) -> None:
    loop = asyncio.get_running_loop()

    await asyncio.to_thread(_fuzz_requests, api, loop, QUERIES, 300)


# Datasets and experiments -----------------------------------------------------------------------

DATASET_TYPE_NAMES = [
    "Dataset", "DatasetVersion", "DatasetExample", "DatasetSplit", "Experiment", "ExperimentRun",
    "Span", "Nope",
]  # fmt: skip
unknown_ids = st.one_of(
    st.builds(
        lambda type_name, rowid: base64.b64encode(f"{type_name}:{rowid}".encode()).decode(),
        st.sampled_from(DATASET_TYPE_NAMES),
        st.one_of(st.integers(min_value=0, max_value=40).map(str), digits),
    ),
    st.text(max_size=40),
)
"""Ids of any type, mostly naming no row."""


def _mostly(
    benign: st.SearchStrategy[Any], hostile: st.SearchStrategy[Any]
) -> st.SearchStrategy[Any]:
    """``benign`` about two times in three, else ``hostile``: most requests then get past the
    argument checks to the statements (with real rows), and the rest try the checks."""
    return st.sampled_from([True, True, False]).flatmap(lambda ok: benign if ok else hostile)


def _nested(depth: int) -> dict[str, Any]:
    document: dict[str, Any] = {"leaf": 1}
    for _ in range(depth - 1):
        document = {"a": document}
    return document


hostile_json = st.one_of(
    st.recursive(
        st.one_of(
            st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
            st.floats(), st.text(max_size=10),
            st.text(alphabet=st.characters(categories=["Cs"]), min_size=1, max_size=2),
        ),
        lambda children: st.one_of(
            st.lists(children, max_size=3),
            st.dictionaries(st.text(max_size=5), children, max_size=3),
        ),
        max_leaves=10,
    ),
    st.integers(min_value=90, max_value=300).map(_nested),
)  # fmt: skip
"""Any JSON, hostile too: integers past 64 bits, NaN and infinities, lone surrogates, objects
nested past ``MAX_JSON_DEPTH``."""
json_values = _mostly(
    st.dictionaries(
        st.text(max_size=5), st.one_of(st.text(max_size=8), st.integers(-999, 999)), max_size=3
    ),
    hostile_json,
)
texts = st.one_of(st.none(), st.text(max_size=30), st.text(min_size=250, max_size=300))
hostile_cursors = st.one_of(
    cursors,
    st.builds(
        lambda column, value, rowid: base64.b64encode(
            json.dumps([column, value, rowid]).encode()
        ).decode(),
        st.sampled_from(["id", "name", "createdAt", "example", "run"]),
        st.one_of(cursor_values, st.lists(st.integers(), max_size=3)),
        st.one_of(st.integers(min_value=-(2**70), max_value=2**70), st.text(max_size=5)),
    ),
)
dataset_cursors = _mostly(st.none(), hostile_cursors)
page_firsts = _mostly(st.one_of(st.none(), st.integers(min_value=0, max_value=60)), firsts)
searches = _mostly(st.none(), st.text(max_size=20))
dataset_sorts = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {"col": st.sampled_from(["createdAt", "name"]), "dir": st.sampled_from(["ASC", "DESC"])}
    ),
)
DATASET_NAME = "fuzzed"
CHANGE_PAGE = "edges { cursor node { kind example { id } } } pageInfo { hasNextPage endCursor }"
PAYLOAD = "{ dataset { id name exampleCount latestVersion { id exampleCount } } }"


@dataclass(frozen=True)
class Seeded:
    """The GlobalIDs of what ``_seed_dataset`` made, for arguments that name real rows."""

    dataset: str
    versions: list[str]
    examples: list[str]
    splits: list[str]
    experiments: list[str]
    runs: list[str]
    spans: list[str]


def _known(values: list[str]) -> st.SearchStrategy[str]:
    """One of ``values`` mostly, else an id that names no row of its kind."""
    return _mostly(st.sampled_from(values), unknown_ids)


def _compared(experiment_ids: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """``base`` and ``compare`` experiments: mostly distinct ones of the dataset (what a
    comparison takes), else any ids, repeated or unknown, too many or too few."""
    distinct = st.builds(
        lambda order, size: {"base": order[0], "compare": list(order[1:size])},
        st.permutations(experiment_ids),
        st.integers(min_value=2, max_value=len(experiment_ids)),
    )
    known = _known(experiment_ids)
    anything = st.fixed_dictionaries({"base": known, "compare": st.lists(known, max_size=9)})
    return st.one_of(distinct, distinct, anything)


def _dataset_reads(seeded: Seeded) -> list[tuple[str, st.SearchStrategy[dict[str, Any]]]]:
    versions, examples = _known(seeded.versions), _known(seeded.examples)
    experiments = _known(seeded.experiments)
    split_lists = st.one_of(st.none(), st.lists(_known(seeded.splits), max_size=4))
    comparison_filters = _mostly(
        st.none(),
        st.fixed_dictionaries(
            {"annotationName": st.one_of(st.just("correct"), st.text(max_size=10)),
             "comparison": st.sampled_from(["IMPROVED", "REGRESSED", "EQUAL"])},
            optional={"experimentId": st.one_of(st.none(), experiments)},
        ),
    )  # fmt: skip
    return [
        (
            ("query($first: Int, $after: String, $sort: DatasetSort, $filter: DatasetFilter) { "
             "datasets(first: $first, after: $after, sort: $sort, filter: $filter) "
             f"{{ {LIST_PAGE} }} }}"),
            st.fixed_dictionaries({
                "first": page_firsts, "after": dataset_cursors, "sort": dataset_sorts,
                "filter": st.one_of(st.none(), st.fixed_dictionaries(
                    {"col": st.just("name"), "value": st.text(max_size=20)})),
            }),
        ),
        (
            ("query($id: ID, $name: String, $version: ID, $splits: [ID!], $example: ID!, "
             "$first: Int, $after: String) { dataset(id: $id, name: $name) { id "
             "exampleCount(datasetVersionId: $version, splitIds: $splits) "
             f"versions(first: $first, after: $after) {{ {LIST_PAGE} }} "
             "example(id: $example, datasetVersionId: $version) { id "
             "revision(datasetVersionId: $version) { revisionKind } datasetSplits { name } } "
             f"experiments(first: $first, after: $after) {{ {LIST_PAGE} }} experimentCount }} }}"),
            st.fixed_dictionaries({
                "id": st.one_of(st.none(), _known([seeded.dataset])),
                "name": st.one_of(st.none(), st.just(DATASET_NAME), st.text(max_size=20)),
                "version": st.one_of(st.none(), versions), "splits": split_lists,
                "example": examples, "first": page_firsts, "after": dataset_cursors,
            }),
        ),
        (
            ("query($version: ID, $splits: [ID!], $filter: String, $first: Int, $after: String) "
             f'{{ dataset(name: "{DATASET_NAME}") {{ examples(datasetVersionId: $version, '
             "splitIds: $splits, filter: $filter, first: $first, after: $after) "
             f"{{ {LIST_PAGE} }} }} }}"),
            st.fixed_dictionaries({
                "version": st.one_of(st.none(), versions), "splits": split_lists,
                "filter": searches, "first": page_firsts,
                "after": dataset_cursors,
            }),
        ),
        (
            ("query($from: ID!, $to: ID!, $first: Int, $after: String) { "
             f'dataset(name: "{DATASET_NAME}") {{ versionDiff(fromVersionId: $from, '
             "toVersionId: $to) { addedCount deletedCount patchedCount fromVersion { id } "
             f"changes(first: $first, after: $after) {{ {CHANGE_PAGE} }} }} }} }}"),
            st.fixed_dictionaries({"from": versions, "to": versions, "first": page_firsts,
                                   "after": dataset_cursors}),
        ),
        (
            ("query($id: ID!, $first: Int, $after: String) { experiment(id: $id) { id "
             "sequenceNumber exampleCount runCount errorRate averageRunLatencyMs "
             "costSummary { total { tokens cost } } "
             "annotationSummaries { annotationName meanScore } "
             f"runs(first: $first, after: $after) {{ {LIST_PAGE} }} }} }}"),
            st.fixed_dictionaries(
                {"id": experiments, "first": page_firsts, "after": dataset_cursors}
            ),
        ),
        (
            "query($ids: [ID!]!) { experiments(ids: $ids) { id name } }",
            st.fixed_dictionaries({"ids": st.lists(experiments, max_size=120)}),
        ),
        (
            ("query($base: ID!, $compare: [ID!]!, $first: Int, $after: String, $search: String, "
             "$filter: ExperimentComparisonFilter) { compareExperiments(baseExperimentId: $base, "
             "compareExperimentIds: $compare, first: $first, after: $after, search: $search, "
             "filter: $filter) { edges { cursor node { id repeatedRunGroupsJson "
             "repeatedRunGroups { experimentId annotationSummaries { baselineDelta comparison } "
             "} } } pageInfo { hasNextPage endCursor } } }"),
            st.builds(
                lambda compared, rest: {**compared, **rest},
                _compared(seeded.experiments),
                st.fixed_dictionaries({
                    "first": page_firsts, "after": dataset_cursors,
                    "search": searches,
                    "filter": comparison_filters,
                }),
            ),
        ),
    ]  # fmt: skip


def _dataset_writes(seeded: Seeded) -> list[tuple[str, st.SearchStrategy[dict[str, Any]]]]:
    dataset, examples = _known([seeded.dataset]), _known(seeded.examples)
    patches = st.fixed_dictionaries(
        {"exampleId": examples, "input": json_values},
        optional={"output": json_values, "metadata": json_values},
    )
    return [
        (
            ("mutation($input: PatchDatasetExamplesInput!) { patchDatasetExamples(input: $input) "
             f"{PAYLOAD} }}"),
            st.fixed_dictionaries({"input": st.fixed_dictionaries(
                {"patches": _mostly(
                    st.lists(patches, min_size=1, max_size=4, unique_by=lambda p: p["exampleId"]),
                    st.lists(patches, max_size=4),
                )},
                optional={"versionDescription": texts, "versionMetadata": json_values},
            )}),
        ),
        (
            f"mutation($input: PatchDatasetInput!) {{ patchDataset(input: $input) {PAYLOAD} }}",
            st.fixed_dictionaries({"input": st.fixed_dictionaries(
                {"datasetId": dataset},
                optional={"description": texts, "metadata": json_values,
                          "name": st.one_of(st.just(DATASET_NAME), texts)},
            )}),
        ),
        (
            f"mutation($input: CreateDatasetInput!) {{ createDataset(input: $input) {PAYLOAD} }}",
            st.fixed_dictionaries({"input": st.fixed_dictionaries(
                {"name": st.one_of(st.just(DATASET_NAME), st.text(max_size=300))},
                optional={"description": texts, "metadata": json_values},
            )}),
        ),
        (
            ("mutation($input: AddSpansToDatasetInput!) { addSpansToDataset(input: $input) "
             f"{PAYLOAD} }}"),
            st.fixed_dictionaries({"input": st.fixed_dictionaries(
                {"datasetId": dataset, "spanIds": st.lists(_known(seeded.spans), max_size=4)},
                optional={"datasetVersionDescription": texts,
                          "datasetVersionMetadata": json_values},
            )}),
        ),
    ]  # fmt: skip


def _dataset_deletes(seeded: Seeded) -> list[tuple[str, st.SearchStrategy[dict[str, Any]]]]:
    examples = _known(seeded.examples)
    return [
        (
            ("mutation($input: DeleteDatasetExamplesInput!) { "
             f"deleteDatasetExamples(input: $input) {PAYLOAD} }}"),
            st.fixed_dictionaries({"input": st.fixed_dictionaries(
                {"exampleIds": st.lists(examples, max_size=3)},
                optional={"datasetVersionDescription": texts,
                          "datasetVersionMetadata": json_values},
            )}),
        ),
        (
            ("mutation($input: DeleteExperimentsInput!) { deleteExperiments(input: $input) "
             "{ experiments { id name } } }"),
            st.fixed_dictionaries({"input": st.fixed_dictionaries(
                {"experimentIds": st.lists(_known(seeded.experiments), max_size=3)}
            )}),
        ),
    ]  # fmt: skip


async def _graphql_data(api: httpx.AsyncClient, document: str) -> dict[str, Any]:
    response = await api.post("/graphql", json={"query": document})
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, response.text
    data: dict[str, Any] = body["data"]
    return data


async def _seed_dataset(api: httpx.AsyncClient) -> Seeded:
    """Dataset ``fuzzed``: two versions of examples in splits, three experiments over it with
    runs (two repetitions, some failed) and evaluations; with the support project's spans."""
    upload = "/v1/datasets/upload?sync=true"
    body = {"action": "create", "name": DATASET_NAME,
            "inputs": [{"question": f"q{index}"} for index in range(6)],
            "outputs": [{"answer": f"a{index}"} for index in range(6)],
            "splits": [["train"] if index % 2 else ["test"] for index in range(6)]}  # fmt: skip
    created = (await api.post(upload, json=body)).json()["data"]
    appended = await api.post(upload, json={**body, "action": "append", "inputs": [{"q": 1}],
                                            "outputs": [{}], "splits": [["train"]]})  # fmt: skip
    dataset_id = created["dataset_id"]
    examples = await api.get(f"/v1/datasets/{dataset_id}/examples")
    example_ids = [example["node_id"] for example in examples.json()["data"]["examples"]]
    experiment_ids, run_ids = [], []
    for number in range(3):
        experiment = await api.post(
            f"/v1/datasets/{dataset_id}/experiments",
            json={"name": f"e{number}", "repetitions": 2},
        )
        experiment_ids.append(experiment.json()["data"]["id"])
        for index, example_id in enumerate(example_ids):
            for repetition in (1, 2):
                run = await api.post(f"/v1/experiments/{experiment_ids[-1]}/runs", json={
                    "dataset_example_id": example_id, "output": {"answer": index},
                    "repetition_number": repetition, "start_time": "2026-11-01T12:00:00Z",
                    "end_time": "2026-11-01T12:00:01Z",
                    "error": "boom" if (index + number) % 4 == 0 else None,
                })  # fmt: skip
                run_ids.append(run.json()["data"]["id"])
                evaluation = await api.post("/v1/experiment_evaluations", json={
                    "experiment_run_id": run_ids[-1], "name": "correct",
                    "annotator_kind": "CODE", "start_time": "2026-11-01T12:00:02Z",
                    "end_time": "2026-11-01T12:00:03Z",
                    "result": {"score": (index + repetition + number) % 3 / 2, "label": "x"},
                })  # fmt: skip
                assert evaluation.status_code == 200, evaluation.text
    dataset = await _graphql_data(
        api,
        f'{{ dataset(name: "{DATASET_NAME}") {{ splits {{ id }} '
        "versions { edges { node { id } } } } }",
    )
    spans = await _graphql_data(
        api, '{ project(name: "support") { spans(first: 20) { edges { node { id } } } } }'
    )
    assert appended.status_code == 200, appended.text
    return Seeded(
        dataset=dataset_id,
        versions=[edge["node"]["id"] for edge in dataset["dataset"]["versions"]["edges"]],
        examples=example_ids,
        splits=[split["id"] for split in dataset["dataset"]["splits"]],
        experiments=experiment_ids,
        runs=run_ids,
        spans=[edge["node"]["id"] for edge in spans["project"]["spans"]["edges"]],
    )


@pytest.mark.timeout(900)
async def test_no_dataset_or_experiment_argument_is_an_internal_error(
    api: httpx.AsyncClient, support_project: str
) -> None:
    """The dataset and experiment fields and mutations over a dataset with versions, splits,
    experiments, runs and evaluations, most ids naming its rows: reads first, then the edits,
    then the deletions (each phase would take away what the one before it needs)."""
    seeded = await _seed_dataset(api)
    loop = asyncio.get_running_loop()

    await asyncio.to_thread(_fuzz_requests, api, loop, _dataset_reads(seeded), 500)
    await asyncio.to_thread(_fuzz_requests, api, loop, _dataset_writes(seeded), 400)
    await asyncio.to_thread(_fuzz_requests, api, loop, _dataset_deletes(seeded), 150)
