"""GraphQL of the dataset pages: the list, a dataset's versions and examples (as of a version, in
splits, searched), one example with its splits and source span, the difference between two
versions, and the mutations that edit a dataset, including every hostile input they refuse."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

GraphqlClient = Any  # the `graphql_api` fixture's client (conftest.py)

pytestmark = pytest.mark.slow

DATASETS = """query ($first: Int, $after: String, $sort: DatasetSort, $filter: DatasetFilter) {
  datasets(first: $first, after: $after, sort: $sort, filter: $filter) {
    edges { node { id name description exampleCount latestVersion { id } } }
    pageInfo { hasNextPage endCursor } } }"""

EXAMPLES = """query ($id: ID!, $version: ID, $splits: [ID!], $filter: String, $first: Int,
                     $after: String) {
  dataset(id: $id) {
    exampleCount(datasetVersionId: $version, splitIds: $splits)
    examples(datasetVersionId: $version, splitIds: $splits, filter: $filter, first: $first,
             after: $after) {
      edges { node { id externalId revision { input output metadata revisionKind } } }
      pageInfo { hasNextPage endCursor } } } }"""

EXAMPLE = """query ($id: ID!, $example: ID!, $version: ID) {
  dataset(id: $id) {
    example(id: $example, datasetVersionId: $version) {
      id externalId
      revision { input output metadata revisionKind datasetVersionId }
      datasetSplits { id name color }
      span { spanId traceId name } } } }"""

VERSIONS = """query ($id: ID!, $first: Int, $after: String) {
  dataset(id: $id) {
    latestVersion { id }
    versions(first: $first, after: $after) {
      edges { node { id description metadata exampleCount
                     changes { created patched deleted } } }
      pageInfo { hasNextPage endCursor } } } }"""

DIFF = """query ($id: ID!, $from: ID!, $to: ID!, $first: Int, $after: String) {
  dataset(id: $id) {
    versionDiff(fromVersionId: $from, toVersionId: $to) {
      fromVersion { id } toVersion { id } addedCount deletedCount patchedCount
      changes(first: $first, after: $after) {
        edges { node { kind example { id } before { input output } after { input output } } }
        pageInfo { hasNextPage endCursor } } } } }"""

PATCH_EXAMPLES = """mutation ($input: PatchDatasetExamplesInput!) {
  patchDatasetExamples(input: $input) {
    dataset { id exampleCount latestVersion { id description } } } }"""

DELETE_EXAMPLES = """mutation ($input: DeleteDatasetExamplesInput!) {
  deleteDatasetExamples(input: $input) { dataset { id exampleCount latestVersion { id } } } }"""

PATCH_DATASET = """mutation ($input: PatchDatasetInput!) {
  patchDataset(input: $input) { dataset { id name description metadata } } }"""

DELETE_DATASET = """mutation ($input: DeleteDatasetInput!) {
  deleteDataset(input: $input) { dataset { id name } } }"""


async def upload(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    """A JSON upload through REST, as Phoenix's client makes it; answers its ids and counts."""
    response = await client.post("/v1/datasets/upload", params={"sync": "true"}, json=body)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def qa_dataset(client: httpx.AsyncClient, name: str = "qa") -> dict[str, Any]:
    """Three examples, two in split `train`, one with a client id."""
    return await upload(
        client,
        name=name,
        description="questions",
        inputs=[{"q": "2+2?"}, {"q": "Capital of France?"}, {"q": "Largest ocean?"}],
        outputs=[{"a": "4"}, {"a": "Paris"}, {"a": "Pacific"}],
        metadata=[{"topic": "math"}, {"topic": "geography"}, {"topic": "geography"}],
        splits=["train", "train", "test"],
        example_ids=["ex-math", None, None],
    )


def data(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body["errors"]
    result: dict[str, Any] = body["data"]
    return result


def error(body: dict[str, Any]) -> dict[str, Any]:
    assert body.get("errors"), body
    first: dict[str, Any] = body["errors"][0]
    return first


async def example_ids(graphql_api: GraphqlClient, dataset_id: str, **variables: Any) -> list[str]:
    found = data(await graphql_api.query(EXAMPLES, id=dataset_id, **variables))
    return [edge["node"]["id"] for edge in found["dataset"]["examples"]["edges"]]


async def test_datasets_are_listed_searched_sorted_and_paged(graphql_api: GraphqlClient) -> None:
    created = [await qa_dataset(graphql_api.client, name) for name in ("beta-qa", "alpha-qa")]
    await upload(graphql_api.client, name="gamma", inputs=[{"q": "x"}])

    newest = data(await graphql_api.query(DATASETS, first=2))["datasets"]
    rest = (await graphql_api.client.get("/v1/datasets")).json()["data"]
    by_name = {"col": "name", "dir": "ASC"}
    first = data(await graphql_api.query(DATASETS, first=1, sort=by_name))["datasets"]
    second = data(
        await graphql_api.query(
            DATASETS, first=1, sort=by_name, after=first["pageInfo"]["endCursor"]
        )
    )["datasets"]
    searched = data(await graphql_api.query(DATASETS, filter={"col": "name", "value": "QA"}))

    assert [edge["node"]["name"] for edge in newest["edges"]] == ["gamma", "alpha-qa"]
    assert newest["pageInfo"]["hasNextPage"] is True
    assert {d["id"]: d["name"] for d in rest} == {
        edge["node"]["id"]: edge["node"]["name"]
        for edge in data(await graphql_api.query(DATASETS))["datasets"]["edges"]
    }
    assert [edge["node"]["name"] for edge in first["edges"] + second["edges"]] == [
        "alpha-qa",
        "beta-qa",
    ]
    assert sorted(edge["node"]["name"] for edge in searched["datasets"]["edges"]) == [
        "alpha-qa",
        "beta-qa",
    ]
    alpha = first["edges"][0]["node"]
    assert alpha["id"] == created[1]["dataset_id"]
    assert alpha["exampleCount"] == 3
    assert alpha["latestVersion"]["id"] == created[1]["version_id"]


async def test_a_dataset_by_id_or_name_and_unknown_ones_are_null(
    graphql_api: GraphqlClient,
) -> None:
    created = await qa_dataset(graphql_api.client)
    query = "query ($id: ID, $name: String) { dataset(id: $id, name: $name) { id name } }"

    by_name = data(await graphql_api.query(query, name="qa"))["dataset"]
    by_id = data(await graphql_api.query(query, id=created["dataset_id"]))["dataset"]

    assert by_name == by_id == {"id": created["dataset_id"], "name": "qa"}
    for variables in ({"name": "nope"}, {"id": "RGF0YXNldDo5OTk5"}, {"id": "garbage"}):
        assert data(await graphql_api.query(query, **variables))["dataset"] is None
    both = error(await graphql_api.query(query, id=created["dataset_id"], name="qa"))
    assert both["extensions"]["code"] == "BAD_USER_INPUT"


async def test_examples_as_of_a_version_in_splits_searched_and_paged(
    graphql_api: GraphqlClient,
) -> None:
    first = await qa_dataset(graphql_api.client)
    second = await upload(
        graphql_api.client, action="append", name="qa", inputs=[{"q": "Speed of light?"}]
    )
    dataset_id = first["dataset_id"]
    splits = data(
        await graphql_api.query(
            "query ($id: ID!) { dataset(id: $id) { splits { id name } } }", id=dataset_id
        )
    )["dataset"]["splits"]
    train = next(split["id"] for split in splits if split["name"] == "train")

    latest = data(await graphql_api.query(EXAMPLES, id=dataset_id))["dataset"]
    at_first = data(await graphql_api.query(EXAMPLES, id=dataset_id, version=first["version_id"]))[
        "dataset"
    ]
    in_train = data(await graphql_api.query(EXAMPLES, id=dataset_id, splits=[train]))["dataset"]
    searched = data(await graphql_api.query(EXAMPLES, id=dataset_id, filter="GEOGRAPHY"))
    page_one = data(await graphql_api.query(EXAMPLES, id=dataset_id, first=3))["dataset"]
    page_two = data(
        await graphql_api.query(
            EXAMPLES,
            id=dataset_id,
            first=3,
            after=page_one["examples"]["pageInfo"]["endCursor"],
        )
    )["dataset"]

    assert sorted(split["name"] for split in splits) == ["test", "train"]
    assert latest["exampleCount"] == 4
    assert [edge["node"]["revision"]["input"] for edge in latest["examples"]["edges"]] == [
        {"q": "2+2?"},
        {"q": "Capital of France?"},
        {"q": "Largest ocean?"},
        {"q": "Speed of light?"},
    ]
    assert latest["examples"]["edges"][0]["node"]["externalId"] == "ex-math"
    assert at_first["exampleCount"] == 3
    assert len(at_first["examples"]["edges"]) == 3
    assert in_train["exampleCount"] == 2
    assert [edge["node"]["revision"]["output"] for edge in in_train["examples"]["edges"]] == [
        {"a": "4"},
        {"a": "Paris"},
    ]
    assert [
        edge["node"]["revision"]["input"]["q"] for edge in searched["dataset"]["examples"]["edges"]
    ] == ["Capital of France?", "Largest ocean?"]
    assert page_one["examples"]["pageInfo"]["hasNextPage"] is True
    assert page_two["examples"]["pageInfo"]["hasNextPage"] is False
    assert [edge["node"]["id"] for edge in page_one["examples"]["edges"]] + [
        edge["node"]["id"] for edge in page_two["examples"]["edges"]
    ] == [edge["node"]["id"] for edge in latest["examples"]["edges"]]
    assert second["num_created_examples"] == 1


async def test_a_search_matches_literally_and_a_version_of_another_dataset_is_refused(
    graphql_api: GraphqlClient,
) -> None:
    qa = await qa_dataset(graphql_api.client)
    other = await upload(graphql_api.client, name="other", inputs=[{"q": "100% sure_thing"}])
    await upload(graphql_api.client, action="append", name="other", inputs=[{"q": "100x"}])

    percent = await example_ids(graphql_api, other["dataset_id"], filter="0% s")
    underscore = await example_ids(graphql_api, other["dataset_id"], filter="e_t")
    wildcard = await example_ids(graphql_api, other["dataset_id"], filter="1_0")
    foreign = error(
        await graphql_api.query(EXAMPLES, id=qa["dataset_id"], version=other["version_id"])
    )
    garbage = error(await graphql_api.query(EXAMPLES, id=qa["dataset_id"], splits=["nope"]))

    assert len(percent) == len(underscore) == 1
    assert wildcard == []
    assert foreign["extensions"] == {"code": "BAD_USER_INPUT", "argument": "datasetVersionId"}
    assert "not a version of this dataset" in foreign["message"]
    assert garbage["extensions"] == {"code": "BAD_USER_INPUT", "argument": "splitIds"}


async def test_one_example_with_its_splits_and_the_span_it_came_from(
    graphql_api: GraphqlClient, store_spans: Any
) -> None:
    trace_id, span_id = "a" * 32, "b" * 16
    await store_spans("support", {"trace": trace_id, "span": span_id, "name": "answer"})
    created = await upload(
        graphql_api.client,
        name="from-spans",
        inputs=[{"q": "hi"}, {"q": "bye"}],
        splits=[["train", "hard"], None],
        span_ids=[span_id, None],
    )
    dataset_id = created["dataset_id"]
    linked, plain = await example_ids(graphql_api, dataset_id)

    example = data(await graphql_api.query(EXAMPLE, id=dataset_id, example=linked))["dataset"][
        "example"
    ]
    other = data(await graphql_api.query(EXAMPLE, id=dataset_id, example=plain))["dataset"][
        "example"
    ]
    unknown = data(
        await graphql_api.query(EXAMPLE, id=dataset_id, example="RGF0YXNldEV4YW1wbGU6OTk5")
    )

    assert example["revision"] == {
        "input": {"q": "hi"},
        "output": {},
        "metadata": {},
        "revisionKind": "CREATE",
        "datasetVersionId": created["version_id"],
    }
    assert [split["name"] for split in example["datasetSplits"]] == ["hard", "train"]
    assert example["span"] == {"spanId": span_id, "traceId": trace_id, "name": "answer"}
    assert other["span"] is None
    assert other["datasetSplits"] == []
    assert unknown["dataset"]["example"] is None


async def test_editing_an_example_makes_a_version_and_the_diff_shows_it(
    graphql_api: GraphqlClient,
) -> None:
    created = await qa_dataset(graphql_api.client)
    dataset_id, first_version = created["dataset_id"], created["version_id"]
    math, france, ocean = await example_ids(graphql_api, dataset_id)

    patched = data(
        await graphql_api.query(
            PATCH_EXAMPLES,
            input={
                "patches": [{"exampleId": france, "output": {"a": "Paris, France"}}],
                "versionDescription": "fix the capital",
            },
        )
    )["patchDatasetExamples"]["dataset"]
    second_version = patched["latestVersion"]["id"]
    deleted = data(await graphql_api.query(DELETE_EXAMPLES, input={"exampleIds": [ocean]}))[
        "deleteDatasetExamples"
    ]["dataset"]
    third_version = deleted["latestVersion"]["id"]
    diff = data(
        await graphql_api.query(DIFF, id=dataset_id, **{"from": first_version, "to": third_version})
    )["dataset"]["versionDiff"]
    backwards = data(
        await graphql_api.query(DIFF, id=dataset_id, **{"from": third_version, "to": first_version})
    )["dataset"]["versionDiff"]
    versions = data(await graphql_api.query(VERSIONS, id=dataset_id))["dataset"]
    old = data(
        await graphql_api.query(EXAMPLE, id=dataset_id, example=france, version=first_version)
    )
    now = data(await graphql_api.query(EXAMPLE, id=dataset_id, example=france))
    gone = data(await graphql_api.query(EXAMPLE, id=dataset_id, example=ocean))

    assert patched["exampleCount"] == 3
    assert patched["latestVersion"]["description"] == "fix the capital"
    assert second_version != first_version
    assert deleted["exampleCount"] == 2
    assert (diff["addedCount"], diff["deletedCount"], diff["patchedCount"]) == (0, 1, 1)
    assert [
        (edge["node"]["kind"], edge["node"]["example"]["id"], edge["node"]["before"],
         edge["node"]["after"])
        for edge in diff["changes"]["edges"]
    ] == [
        ("PATCHED", france, {"input": {"q": "Capital of France?"}, "output": {"a": "Paris"}},
         {"input": {"q": "Capital of France?"}, "output": {"a": "Paris, France"}}),
        ("DELETED", ocean, {"input": {"q": "Largest ocean?"}, "output": {"a": "Pacific"}}, None),
    ]  # fmt: skip
    assert [edge["node"]["kind"] for edge in backwards["changes"]["edges"]] == [
        "PATCHED",
        "ADDED",
    ]
    assert [
        (
            edge["node"]["id"],
            edge["node"]["exampleCount"],
            edge["node"]["changes"],
        )
        for edge in versions["versions"]["edges"]
    ] == [
        (third_version, 2, {"created": 0, "patched": 0, "deleted": 1}),
        (second_version, 3, {"created": 0, "patched": 1, "deleted": 0}),
        (first_version, 3, {"created": 3, "patched": 0, "deleted": 0}),
    ]
    assert old["dataset"]["example"]["revision"]["output"] == {"a": "Paris"}
    assert now["dataset"]["example"]["revision"]["output"] == {"a": "Paris, France"}
    assert now["dataset"]["example"]["revision"]["revisionKind"] == "PATCH"
    assert gone["dataset"]["example"]["revision"]["revisionKind"] == "DELETE"
    assert await example_ids(graphql_api, dataset_id) == [math, france]
    assert await example_ids(graphql_api, dataset_id, version=first_version) == [
        math,
        france,
        ocean,
    ]
    rest = (await graphql_api.client.get(f"/v1/datasets/{dataset_id}/examples")).json()["data"]
    assert [example["output"] for example in rest["examples"]] == [
        {"a": "4"},
        {"a": "Paris, France"},
    ]


async def test_a_patch_keeps_the_parts_it_leaves_out(graphql_api: GraphqlClient) -> None:
    created = await qa_dataset(graphql_api.client)
    math, *_ = await example_ids(graphql_api, created["dataset_id"])

    data(
        await graphql_api.query(
            PATCH_EXAMPLES,
            input={"patches": [{"exampleId": math, "metadata": {"topic": "arithmetic"}}]},
        )
    )
    example = data(await graphql_api.query(EXAMPLE, id=created["dataset_id"], example=math))

    assert example["dataset"]["example"]["revision"] | {"datasetVersionId": None} == {
        "input": {"q": "2+2?"},
        "output": {"a": "4"},
        "metadata": {"topic": "arithmetic"},
        "revisionKind": "PATCH",
        "datasetVersionId": None,
    }


async def test_rename_describe_and_delete_a_dataset(graphql_api: GraphqlClient) -> None:
    qa = await qa_dataset(graphql_api.client)
    await upload(graphql_api.client, name="taken", inputs=[{"q": "x"}])

    renamed = data(
        await graphql_api.query(
            PATCH_DATASET,
            input={"datasetId": qa["dataset_id"], "name": "qa-v2", "metadata": {"owner": "me"}},
        )
    )["patchDataset"]["dataset"]
    undescribed = data(
        await graphql_api.query(
            PATCH_DATASET, input={"datasetId": qa["dataset_id"], "description": None}
        )
    )["patchDataset"]["dataset"]
    taken = error(
        await graphql_api.query(
            PATCH_DATASET, input={"datasetId": qa["dataset_id"], "name": "taken"}
        )
    )
    deleted = data(await graphql_api.query(DELETE_DATASET, input={"datasetId": qa["dataset_id"]}))
    again = error(await graphql_api.query(DELETE_DATASET, input={"datasetId": qa["dataset_id"]}))

    assert renamed == {
        "id": qa["dataset_id"],
        "name": "qa-v2",
        "description": "questions",
        "metadata": {"owner": "me"},
    }
    assert undescribed["description"] is None
    assert taken["extensions"]["code"] == "CONFLICT"
    assert "taken" in taken["message"]
    assert deleted["deleteDataset"]["dataset"]["name"] == "qa-v2"
    assert again["extensions"]["code"] == "NOT_FOUND"
    assert (await graphql_api.client.get(f"/v1/datasets/{qa['dataset_id']}")).status_code == 404


def _nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth - 1):
        value = {"k": value}
    return value


async def test_hostile_mutations_are_refused_clearly_and_change_nothing(
    graphql_api: GraphqlClient,
) -> None:
    qa = await qa_dataset(graphql_api.client)
    other = await qa_dataset(graphql_api.client, "other")
    math, france, _ = await example_ids(graphql_api, qa["dataset_id"])
    (foreign, *_) = await example_ids(graphql_api, other["dataset_id"])
    gone = (await example_ids(graphql_api, other["dataset_id"]))[-1]
    data(await graphql_api.query(DELETE_EXAMPLES, input={"exampleIds": [gone]}))
    unknown_example = "RGF0YXNldEV4YW1wbGU6OTk5OTk="  # DatasetExample:99999
    before = data(await graphql_api.query(VERSIONS, id=qa["dataset_id"]))

    def patch(**fields: Any) -> dict[str, Any]:
        return {"patches": [{"exampleId": math, **fields}]}

    refused = {
        "input.patches.0.input": patch(input=_nested(600)),
        "input.patches.0.output": patch(output="not json"),
        "input.patches.0.metadata": patch(metadata=[1, 2]),
        "input.versionMetadata": {**patch(input={}), "versionMetadata": 3},
        "input.patches.0": patch(),
        "input.patches": {"patches": []},
        "input.patches.0.exampleId": {"patches": [{"exampleId": "x" * 10_000, "input": {}}]},
    }
    for argument, value in refused.items():
        answer = error(await graphql_api.query(PATCH_EXAMPLES, input=value))
        assert answer["extensions"] == {"code": "BAD_USER_INPUT", "argument": argument}, answer
    big_integer = error(await graphql_api.query(PATCH_EXAMPLES, input=patch(input={"n": 2**70})))
    assert "can't be stored" in big_integer["message"]
    twice = error(
        await graphql_api.query(
            PATCH_EXAMPLES,
            input={"patches": [{"exampleId": math, "input": {}}, {"exampleId": math, "input": {}}]},
        )
    )
    assert twice["extensions"]["argument"] == "input.patches"

    unknown = error(
        await graphql_api.query(DELETE_EXAMPLES, input={"exampleIds": [unknown_example]})
    )
    deleted = error(await graphql_api.query(DELETE_EXAMPLES, input={"exampleIds": [gone]}))
    mixed = error(await graphql_api.query(DELETE_EXAMPLES, input={"exampleIds": [france, foreign]}))
    assert unknown["extensions"]["code"] == "NOT_FOUND"
    assert unknown_example in unknown["message"]
    assert deleted["extensions"]["code"] == "NOT_FOUND"
    assert "deleted" in deleted["message"]
    assert mixed["extensions"]["code"] == "BAD_USER_INPUT"
    assert "one dataset" in mixed["message"]

    long_name = error(
        await graphql_api.query(
            PATCH_DATASET, input={"datasetId": qa["dataset_id"], "name": "n" * 10_000}
        )
    )
    blank_name = error(
        await graphql_api.query(PATCH_DATASET, input={"datasetId": qa["dataset_id"], "name": "  "})
    )
    nothing = error(await graphql_api.query(PATCH_DATASET, input={"datasetId": qa["dataset_id"]}))
    not_a_dataset = error(await graphql_api.query(PATCH_DATASET, input={"datasetId": math}))
    unknown_dataset = error(
        await graphql_api.query(DELETE_DATASET, input={"datasetId": "RGF0YXNldDo5OTk5OQ=="})
    )
    assert long_name["extensions"] == {"code": "BAD_USER_INPUT", "argument": "input.name"}
    assert "256 characters" in long_name["message"]
    assert blank_name["extensions"]["argument"] == "input.name"
    assert nothing["extensions"]["argument"] == "input"
    assert not_a_dataset["extensions"] == {"code": "BAD_USER_INPUT", "argument": "input.datasetId"}
    assert unknown_dataset["extensions"]["code"] == "NOT_FOUND"

    assert data(await graphql_api.query(VERSIONS, id=qa["dataset_id"])) == before
    named = data(
        await graphql_api.query(
            "query ($id: ID) { dataset(id: $id) { name } }", id=qa["dataset_id"]
        )
    )
    assert named["dataset"]["name"] == "qa"


async def test_what_graphql_refuses_before_running_never_reaches_the_database(
    graphql_api: GraphqlClient,
) -> None:
    qa = await qa_dataset(graphql_api.client)
    math, *_ = await example_ids(graphql_api, qa["dataset_id"])
    post = graphql_api.client.post

    nul = await post(
        "/graphql",
        json={"query": PATCH_EXAMPLES, "variables": {"input": {"patches": [
            {"exampleId": math, "input": {"q": "a\x00b"}}]}}},
    )  # fmt: skip
    literal = "{k: " * 600 + "1" + "}" * 600
    deep_literal = await post(
        "/graphql",
        json={"query": "mutation { patchDatasetExamples(input: {patches: "
              f'[{{exampleId: "{math}", input: {literal}}}]}}) {{ dataset {{ id }} }} }}'},
    )  # fmt: skip
    not_json = await post(
        "/graphql", content=b'{"query": "mutation { x }", "variables": {', headers={
            "content-type": "application/json"})  # fmt: skip
    nul_cursor = await post(
        "/graphql",
        json={"query": DATASETS, "variables": {"sort": {"col": "name", "dir": "ASC"},
              "after": "WyJuYW1lIiwiYVx1MDAwMCIsMV0="}},
    )  # fmt: skip

    assert nul.status_code == 400
    assert nul.json()["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "input"}
    assert deep_literal.status_code == 400
    assert "nested too deeply" in deep_literal.json()["errors"][0]["message"]
    assert not_json.status_code == 400
    assert nul_cursor.status_code == 200
    assert nul_cursor.json()["errors"][0]["extensions"] == {
        "code": "BAD_USER_INPUT",
        "argument": "after",
    }
    versions = data(await graphql_api.query(VERSIONS, id=qa["dataset_id"]))
    assert len(versions["dataset"]["versions"]["edges"]) == 1


async def test_long_text_is_stored_whole(graphql_api: GraphqlClient) -> None:
    qa = await qa_dataset(graphql_api.client)
    math, *_ = await example_ids(graphql_api, qa["dataset_id"])
    text = "é" * 10_000

    patched = data(
        await graphql_api.query(
            PATCH_EXAMPLES,
            input={"patches": [{"exampleId": math, "output": {"a": text}}],
                   "versionDescription": text},
        )
    )  # fmt: skip
    example = data(await graphql_api.query(EXAMPLE, id=qa["dataset_id"], example=math))

    assert patched["patchDatasetExamples"]["dataset"]["latestVersion"]["description"] == text
    assert example["dataset"]["example"]["revision"]["output"] == {"a": text}


async def test_statements_do_not_grow_with_the_page(graphql_api: GraphqlClient) -> None:
    await upload(
        graphql_api.client,
        name="many",
        inputs=[{"q": n} for n in range(40)],
        splits=[["train"] if n % 2 else None for n in range(40)],
    )
    for name in ("a", "b", "c", "d", "e", "f"):
        await qa_dataset(graphql_api.client, name)
    dataset_id = data(await graphql_api.query(DATASETS, first=100))["datasets"]["edges"][-1][
        "node"
    ]["id"]
    examples = """query ($id: ID!, $first: Int) { dataset(id: $id) { examples(first: $first) {
      edges { node { id revision { input } datasetSplits { name } span { spanId } } } } } }"""
    counts = []
    for first in (2, 40):
        graphql_api.statements.clear()
        data(await graphql_api.query(examples, id=dataset_id, first=first))
        counts.append(len(graphql_api.statements))
    lists = []
    for first in (2, 7):
        graphql_api.statements.clear()
        data(await graphql_api.query(DATASETS, first=first))
        lists.append(len(graphql_api.statements))

    assert counts[0] == counts[1]
    assert lists[0] == lists[1]


async def test_two_deletes_of_one_example_racing_make_one_version(
    graphql_api: GraphqlClient,
) -> None:
    created = await qa_dataset(graphql_api.client)
    math, *_ = await example_ids(graphql_api, created["dataset_id"])

    answers = await asyncio.gather(
        *(graphql_api.query(DELETE_EXAMPLES, input={"exampleIds": [math]}) for _ in range(2))
    )

    refused = [answer for answer in answers if answer.get("errors")]
    assert len(refused) == 1
    assert refused[0]["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert "deleted meanwhile" in refused[0]["errors"][0]["message"]
    versions = data(await graphql_api.query(VERSIONS, id=created["dataset_id"]))["dataset"]
    assert [edge["node"]["changes"] for edge in versions["versions"]["edges"]] == [
        {"created": 0, "patched": 0, "deleted": 1},
        {"created": 3, "patched": 0, "deleted": 0},
    ]
