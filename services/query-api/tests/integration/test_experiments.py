"""Experiments, runs, evaluations and tags over ``/v1`` as Phoenix's clients use them.

Datasets are written straight into PostgreSQL here (``seed``): two versions, a deleted example
and a split, so that "the experiment's examples" is tested against a version's history.
"""

from __future__ import annotations

import asyncio
import base64
import csv
import io
import re
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import orjson
import pytest

pytestmark = pytest.mark.slow

Client = httpx.AsyncClient


def gid(type_name: str, rowid: int) -> str:
    return base64.b64encode(f"{type_name}:{rowid}".encode()).decode()


@dataclass(frozen=True)
class Seeded:
    """Dataset ``qa``: v1 creates a, b, c; v2 creates d and deletes c. Split ``train``: a, d.
    Dataset ``other`` (one version) has example ``x``."""

    dataset: str
    v1: str
    v2: str
    examples: dict[str, str]
    other_dataset: str
    other_version: str


async def _insert(connection: asyncpg.Connection, sql: str, *args: Any) -> int:
    rowid: int = await connection.fetchval(sql + " RETURNING id", *args)
    return rowid


async def _example(
    connection: asyncpg.Connection, dataset_id: int, version_id: int, question: str, kind: str
) -> int:
    example_id = await _insert(
        connection, "INSERT INTO dataset_examples (dataset_id) VALUES ($1)", dataset_id
    )
    await _revise(connection, example_id, version_id, question, kind)
    return example_id


async def _revise(
    connection: asyncpg.Connection, example_id: int, version_id: int, question: str, kind: str
) -> None:
    await connection.execute(
        "INSERT INTO dataset_example_revisions (dataset_example_id, dataset_version_id, input,"
        " output, metadata, revision_kind) VALUES ($1, $2, $3::jsonb, $4::jsonb, '{}', $5)",
        example_id,
        version_id,
        orjson.dumps({"question": question}).decode(),
        orjson.dumps({"answer": question.upper()}).decode(),
        kind,
    )


@pytest.fixture
async def seed(database_url: str) -> Seeded:
    connection = await asyncpg.connect(database_url)
    try:
        dataset = await _insert(connection, "INSERT INTO datasets (name) VALUES ('qa')")
        v1 = await _insert(
            connection, "INSERT INTO dataset_versions (dataset_id) VALUES ($1)", dataset
        )
        examples = {name: await _example(connection, dataset, v1, name, "CREATE") for name in "abc"}
        v2 = await _insert(
            connection, "INSERT INTO dataset_versions (dataset_id) VALUES ($1)", dataset
        )
        examples["d"] = await _example(connection, dataset, v2, "d", "CREATE")
        await _revise(connection, examples["c"], v2, "c", "DELETE")
        split = await _insert(
            connection, "INSERT INTO dataset_splits (name, color) VALUES ('train', '#000')"
        )
        for name in "ad":
            await connection.execute(
                "INSERT INTO dataset_splits_dataset_examples VALUES ($1, $2)",
                split,
                examples[name],
            )
        other = await _insert(connection, "INSERT INTO datasets (name) VALUES ('other')")
        other_version = await _insert(
            connection, "INSERT INTO dataset_versions (dataset_id) VALUES ($1)", other
        )
        examples["x"] = await _example(connection, other, other_version, "x", "CREATE")
    finally:
        await connection.close()
    return Seeded(
        dataset=gid("Dataset", dataset),
        v1=gid("DatasetVersion", v1),
        v2=gid("DatasetVersion", v2),
        examples={name: gid("DatasetExample", rowid) for name, rowid in examples.items()},
        other_dataset=gid("Dataset", other),
        other_version=gid("DatasetVersion", other_version),
    )


async def _create(api: Client, dataset: str, **body: Any) -> dict[str, Any]:
    response = await api.post(f"/v1/datasets/{dataset}/experiments", json=body)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def _run(example: str, repetition: int = 1, **fields: Any) -> dict[str, Any]:
    return {
        "dataset_example_id": example,
        "output": fields.pop("output", {"text": "ok"}),
        "repetition_number": repetition,
        "start_time": "2026-11-01T12:00:00Z",
        "end_time": "2026-11-01T12:00:01.5Z",
        "trace_id": "ab" * 16,
        "id": "temp-0001",  # the client sends extra keys; they are ignored
        **fields,
    }


def _evaluation(run_id: str, name: str = "accuracy", **fields: Any) -> dict[str, Any]:
    return {
        "experiment_run_id": run_id,
        "name": name,
        "annotator_kind": "CODE",
        "start_time": "2026-11-01T12:00:02Z",
        "end_time": "2026-11-01T12:00:03Z",
        "result": {"score": 1.0, "label": "True", "explanation": None},
        "error": None,
        "metadata": {},
        "trace_id": "cd" * 16,
        **fields,
    }


# Experiments ------------------------------------------------------------------------------------


async def test_create_uses_the_latest_version_and_names_a_project(
    api: Client, seed: Seeded
) -> None:
    experiment = await _create(
        api, seed.dataset, name="e1", description="first", metadata={"model": "m"}, repetitions=2
    )
    projects = await api.get("/v1/projects", params={"include_experiment_projects": "true"})
    default_list = await api.get("/v1/projects")

    assert experiment["dataset_id"] == seed.dataset
    assert experiment["dataset_version_id"] == seed.v2
    assert (experiment["name"], experiment["description"]) == ("e1", "first")
    assert experiment["metadata"] == {"model": "m"}
    assert re.fullmatch(r"Experiment-[0-9a-f]{24}", experiment["project_name"])
    # v2 holds a, b and d (c was deleted): 3 examples, 2 repetitions each, nothing run yet
    assert (experiment["example_count"], experiment["repetitions"]) == (3, 2)
    assert (experiment["successful_run_count"], experiment["failed_run_count"]) == (0, 0)
    assert experiment["missing_run_count"] == 6
    assert experiment["project_name"] in [p["name"] for p in projects.json()["data"]]
    # as in Phoenix, experiments' projects are listed only when asked for
    assert experiment["project_name"] not in [p["name"] for p in default_list.json()["data"]]


async def test_create_over_a_version_and_splits(api: Client, seed: Seeded) -> None:
    old = await _create(api, seed.dataset, version_id=seed.v1)
    train = await _create(api, seed.dataset, version_id=seed.v1, splits=["train"])
    unnamed = await _create(api, seed.dataset)

    assert (old["dataset_version_id"], old["example_count"]) == (seed.v1, 3)  # a, b, c
    assert train["example_count"] == 1  # a (d is not in v1)
    assert re.fullmatch(r"qa-[0-9a-f]{8}", unnamed["name"])


async def test_an_experiment_keeps_its_examples_when_splits_change_later(
    api: Client, seed: Seeded, database_url: str
) -> None:
    train = await _create(api, seed.dataset, splits=["train"])  # a and d
    connection = await asyncpg.connect(database_url)
    try:  # b joins the split and d leaves it, after the experiment was created
        await connection.execute(
            "INSERT INTO dataset_splits_dataset_examples"
            " SELECT id, $1 FROM dataset_splits WHERE name = 'train'",
            _rowid(seed.examples["b"]),
        )
        await connection.execute(
            "DELETE FROM dataset_splits_dataset_examples WHERE dataset_example_id = $1",
            _rowid(seed.examples["d"]),
        )
    finally:
        await connection.close()
    path = f"/v1/experiments/{train['id']}"

    incomplete = (await api.get(f"{path}/incomplete-runs")).json()["data"]
    refused = await api.post(f"{path}/runs", json=_run(seed.examples["b"]))
    accepted = await api.post(f"{path}/runs", json=_run(seed.examples["d"]))

    assert [item["dataset_example"]["node_id"] for item in incomplete] == [
        seed.examples["a"],
        seed.examples["d"],
    ]
    assert (await api.get(path)).json()["data"]["example_count"] == 2
    assert refused.status_code == 422, refused.text
    assert accepted.status_code == 200, accepted.text


def _rowid(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().rsplit(":", 1)[1])


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"version_id": "other"}, 404, "DatasetVersion with ID other does not exist"),
        ({"splits": ["nope"]}, 404, "Dataset split nope does not exist"),
        ({"repetitions": 0}, 422, "repetitions"),
    ],
)
async def test_create_refusals(
    api: Client, seed: Seeded, body: dict[str, Any], status: int, message: str
) -> None:
    response = await api.post(f"/v1/datasets/{seed.dataset}/experiments", json=body)

    assert response.status_code == status
    assert message in response.text


async def test_create_refuses_unknown_datasets_and_versions_of_another(
    api: Client, seed: Seeded
) -> None:
    unknown = await api.post(f"/v1/datasets/{gid('Dataset', 999)}/experiments", json={})
    foreign = await api.post(
        f"/v1/datasets/{seed.dataset}/experiments", json={"version_id": seed.other_version}
    )

    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("text/plain")
    assert f"Dataset with ID {gid('Dataset', 999)} does not exist" == unknown.text
    assert foreign.status_code == 404
    assert f"DatasetVersion with ID {seed.other_version} does not exist" == foreign.text


async def test_list_newest_first_in_pages(api: Client, seed: Seeded) -> None:
    created = [(await _create(api, seed.dataset, name=f"e{i}"))["id"] for i in range(3)]
    await _create(api, seed.other_dataset, name="elsewhere")

    first = (await api.get(f"/v1/datasets/{seed.dataset}/experiments", params={"limit": 2})).json()
    second = (
        await api.get(
            f"/v1/datasets/{seed.dataset}/experiments",
            params={"limit": 2, "cursor": first["next_cursor"]},
        )
    ).json()
    bad_cursor = await api.get(
        f"/v1/datasets/{seed.dataset}/experiments", params={"cursor": "nonsense"}
    )

    assert [e["id"] for e in first["data"]] == created[:0:-1]
    assert first["next_cursor"] == created[0]
    assert [e["id"] for e in second["data"]] == created[:1]
    assert second["next_cursor"] is None
    assert bad_cursor.status_code == 422


async def test_get_update_delete(api: Client, seed: Seeded, database_url: str) -> None:
    experiment = await _create(api, seed.dataset, name="before", description="d")
    path = f"/v1/experiments/{experiment['id']}"

    got = await api.get(path)
    renamed = await api.patch(path, json={"name": "after", "metadata": {"k": 1}})
    cleared = await api.patch(path, json={"description": None})
    null_name = await api.patch(path, json={"name": None})
    deleted = await api.delete(path, params={"delete_project": "true"})
    gone = await api.get(path)
    deleted_again = await api.delete(path)

    assert got.json()["data"] == experiment
    assert renamed.json()["data"]["name"] == "after"
    assert renamed.json()["data"]["description"] == "d"
    assert renamed.json()["data"]["metadata"] == {"k": 1}
    assert renamed.json()["data"]["updated_at"] > experiment["updated_at"]
    assert cleared.json()["data"]["description"] is None
    assert cleared.json()["data"]["name"] == "after"
    assert null_name.status_code == 422
    assert "`name` must not be null" in null_name.text
    assert deleted.status_code == 204
    assert gone.status_code == 404
    assert gone.text == f"Experiment with ID {experiment['id']} does not exist"
    assert deleted_again.status_code == 404
    connection = await asyncpg.connect(database_url)
    try:
        project = await connection.fetchval(
            "SELECT count(*) FROM projects WHERE name = $1", experiment["project_name"]
        )
    finally:
        await connection.close()
    assert project == 0


async def test_unknown_experiment_ids_are_404(api: Client, seed: Seeded) -> None:
    for identifier in (gid("Experiment", 12345), gid("Dataset", 1), "not-an-id"):
        response = await api.get(f"/v1/experiments/{identifier}")
        assert response.status_code == 404
        assert response.text == f"Experiment with ID {identifier} does not exist"


# Runs -------------------------------------------------------------------------------------------


async def test_runs_are_stored_once_per_example_and_repetition(
    api: Client, seed: Seeded, database_url: str
) -> None:
    experiment = await _create(api, seed.dataset, repetitions=2)
    runs = f"/v1/experiments/{experiment['id']}/runs"

    first = await api.post(runs, json=_run(seed.examples["a"], output="first"))
    again = await api.post(runs, json=_run(seed.examples["a"], output="second"))
    listed = (await api.get(runs)).json()

    assert first.status_code == 200
    run_id = first.json()["data"]["id"]
    assert base64.b64decode(run_id).decode().startswith("ExperimentRun:")
    assert again.status_code == 409
    assert again.text == (
        f"Experiment run {run_id} already exists with a successful result and cannot be updated"
    )
    assert [(r["id"], r["output"]) for r in listed["data"]] == [(run_id, "first")]
    run = listed["data"][0]
    assert run["experiment_id"] == experiment["id"]
    assert run["dataset_example_id"] == seed.examples["a"]
    assert (run["repetition_number"], run["trace_id"], run["error"]) == (1, "ab" * 16, None)
    connection = await asyncpg.connect(database_url)
    try:
        stored = await connection.fetchval("SELECT output::text FROM experiment_runs")
    finally:
        await connection.close()
    assert orjson.loads(stored) == {"task_output": "first"}


async def test_a_failed_run_is_replaced(api: Client, seed: Seeded) -> None:
    experiment = await _create(api, seed.dataset)
    runs = f"/v1/experiments/{experiment['id']}/runs"

    failed = await api.post(runs, json=_run(seed.examples["b"], output=None, error="boom"))
    counts_failed = (await api.get(f"/v1/experiments/{experiment['id']}")).json()["data"]
    retried = await api.post(runs, json=_run(seed.examples["b"], output=42))
    counts_retried = (await api.get(f"/v1/experiments/{experiment['id']}")).json()["data"]
    listed = (await api.get(runs)).json()["data"]

    assert failed.status_code == retried.status_code == 200
    assert retried.json() == failed.json()  # the same run, now successful
    assert [(r["output"], r["error"]) for r in listed] == [(42, None)]
    assert (counts_failed["failed_run_count"], counts_failed["successful_run_count"]) == (1, 0)
    assert counts_failed["missing_run_count"] == 2
    assert (counts_retried["failed_run_count"], counts_retried["successful_run_count"]) == (0, 1)


async def test_concurrent_posts_of_one_run_store_it_once(api: Client, seed: Seeded) -> None:
    experiment = await _create(api, seed.dataset)
    runs = f"/v1/experiments/{experiment['id']}/runs"

    answers = await asyncio.gather(
        *(api.post(runs, json=_run(seed.examples["d"], output=i)) for i in range(12))
    )
    listed = (await api.get(runs)).json()["data"]

    assert sorted(answer.status_code for answer in answers) == [200] + [409] * 11
    winner = next(answer for answer in answers if answer.status_code == 200)
    assert [r["id"] for r in listed] == [winner.json()["data"]["id"]]


async def test_run_refusals(api: Client, seed: Seeded) -> None:
    experiment = await _create(api, seed.dataset, splits=["train"])
    runs = f"/v1/experiments/{experiment['id']}/runs"

    deleted = await api.post(runs, json=_run(seed.examples["c"]))  # deleted in v2
    outside_split = await api.post(runs, json=_run(seed.examples["b"]))
    foreign = await api.post(runs, json=_run(seed.examples["x"]))
    unknown_example = await api.post(runs, json=_run(gid("DatasetExample", 9999)))
    not_an_example = await api.post(runs, json=_run(seed.examples["a"].replace("=", "")[:4]))
    repetition = await api.post(runs, json=_run(seed.examples["a"], repetition=2))
    zero = await api.post(runs, json=_run(seed.examples["a"], repetition=0))
    unknown_experiment = await api.post(
        f"/v1/experiments/{gid('Experiment', 999)}/runs", json=_run(seed.examples["a"])
    )
    listed = (await api.get(runs)).json()["data"]

    for refused in (deleted, outside_split, foreign):
        assert refused.status_code == 422
        assert refused.json()["detail"][0]["loc"] == ["body", "dataset_example_id"]
        assert "is not an example of the dataset version" in refused.text
    assert unknown_example.status_code == 404
    assert unknown_example.text == (
        f"DatasetExample with ID {gid('DatasetExample', 9999)} does not exist"
    )
    assert not_an_example.status_code == 404
    assert repetition.status_code == 422
    assert "repetition_number must be at most the experiment's repetitions (1), got 2" in (
        repetition.text
    )
    assert zero.status_code == 422
    assert unknown_experiment.status_code == 404
    assert listed == []


async def test_list_runs_in_pages(api: Client, seed: Seeded) -> None:
    experiment = await _create(api, seed.dataset, repetitions=3)
    runs = f"/v1/experiments/{experiment['id']}/runs"
    created = []
    for repetition in (1, 2, 3):
        response = await api.post(runs, json=_run(seed.examples["a"], repetition))
        created.append(response.json()["data"]["id"])

    first = (await api.get(runs, params={"limit": 2})).json()
    second = (await api.get(runs, params={"limit": 2, "cursor": first["next_cursor"]})).json()
    everything = (await api.get(runs)).json()
    unknown = await api.get(f"/v1/experiments/{gid('Experiment', 999)}/runs")

    assert [r["id"] for r in first["data"]] == created[:0:-1]
    assert first["next_cursor"] == created[0]
    assert ([r["id"] for r in second["data"]], second["next_cursor"]) == (created[:1], None)
    assert ([r["id"] for r in everything["data"]], everything["next_cursor"]) == (
        created[::-1],
        None,
    )
    assert unknown.status_code == 404


async def test_incomplete_runs_are_missing_and_failed_repetitions(
    api: Client, seed: Seeded
) -> None:
    experiment = await _create(api, seed.dataset, repetitions=2)
    path = f"/v1/experiments/{experiment['id']}"
    await api.post(f"{path}/runs", json=_run(seed.examples["a"], 1))
    await api.post(f"{path}/runs", json=_run(seed.examples["a"], 2, error="boom"))
    await api.post(f"{path}/runs", json=_run(seed.examples["b"], 1))
    await api.post(f"{path}/runs", json=_run(seed.examples["b"], 2))

    first = (await api.get(f"{path}/incomplete-runs", params={"limit": 1})).json()
    second = (
        await api.get(
            f"{path}/incomplete-runs", params={"limit": 1, "cursor": first["next_cursor"]}
        )
    ).json()
    everything = (await api.get(f"{path}/incomplete-runs")).json()

    assert [
        (item["dataset_example"]["node_id"], item["repetition_numbers"])
        for item in everything["data"]
    ] == [(seed.examples["a"], [2]), (seed.examples["d"], [1, 2])]
    assert everything["next_cursor"] is None
    example = everything["data"][1]["dataset_example"]
    assert example["id"] == seed.examples["d"]  # no external id: the GlobalID
    assert (example["input"], example["output"]) == ({"question": "d"}, {"answer": "D"})
    assert [item["dataset_example"]["node_id"] for item in first["data"]] == [seed.examples["a"]]
    assert first["next_cursor"] == seed.examples["d"]
    assert [item["dataset_example"]["node_id"] for item in second["data"]] == [seed.examples["d"]]
    assert second["next_cursor"] is None


# Evaluations ------------------------------------------------------------------------------------


async def _run_ids(api: Client, experiment: dict[str, Any], *runs: dict[str, Any]) -> list[str]:
    ids = []
    for run in runs:
        response = await api.post(f"/v1/experiments/{experiment['id']}/runs", json=run)
        assert response.status_code == 200, response.text
        ids.append(response.json()["data"]["id"])
    return ids


async def test_evaluations_are_upserted_by_run_and_name(api: Client, seed: Seeded) -> None:
    experiment = await _create(api, seed.dataset, name="exported")
    (run_id,) = await _run_ids(api, experiment, _run(seed.examples["a"]))

    first = await api.post("/v1/experiment_evaluations", json=_evaluation(run_id))
    replaced = await api.post(
        "/v1/experiment_evaluations",
        json=_evaluation(
            run_id, result={"score": 0.25, "label": "False", "explanation": "wrong"},
            metadata={"judge": "j"},
        ),
    )  # fmt: skip
    exported = (await api.get(f"/v1/experiments/{experiment['id']}/json")).json()

    assert first.status_code == replaced.status_code == 200
    assert replaced.json() == first.json()
    assert base64.b64decode(first.json()["data"]["id"]).decode().startswith("ExperimentEvaluation:")
    (annotation,) = exported[0]["annotations"]
    assert annotation["name"] == "accuracy"
    assert (annotation["score"], annotation["label"], annotation["explanation"]) == (
        0.25,
        "False",
        "wrong",
    )
    assert annotation["metadata"] == {"judge": "j"}


async def test_evaluation_refusals(api: Client, seed: Seeded) -> None:
    unknown = await api.post(
        "/v1/experiment_evaluations", json=_evaluation(gid("ExperimentRun", 999))
    )
    wrong_kind = await api.post(
        "/v1/experiment_evaluations", json=_evaluation(gid("ExperimentRun", 1), annotator_kind="X")
    )

    assert unknown.status_code == 404
    assert unknown.text == f"ExperimentRun with ID {gid('ExperimentRun', 999)} does not exist"
    assert wrong_kind.status_code == 422


async def test_incomplete_evaluations(api: Client, seed: Seeded) -> None:
    experiment = await _create(api, seed.dataset)
    path = f"/v1/experiments/{experiment['id']}/incomplete-evaluations"
    done, half, failed_eval = await _run_ids(
        api,
        experiment,
        _run(seed.examples["a"]),
        _run(seed.examples["b"]),
        _run(seed.examples["d"]),
    )
    await api.post("/v1/experiment_evaluations", json=_evaluation(done, "accuracy"))
    await api.post("/v1/experiment_evaluations", json=_evaluation(done, "relevance"))
    await api.post("/v1/experiment_evaluations", json=_evaluation(half, "accuracy"))
    await api.post(
        "/v1/experiment_evaluations",
        json=_evaluation(failed_eval, "accuracy", result=None, error="judge down"),
    )

    names = {"evaluation_name": ["relevance", "accuracy", "accuracy"]}
    everything = (await api.get(path, params=names)).json()
    first = (await api.get(path, params={**names, "limit": 1})).json()
    no_names = await api.get(path)

    assert [
        (item["experiment_run"]["id"], item["evaluation_names"]) for item in everything["data"]
    ] == [(half, ["relevance"]), (failed_eval, ["accuracy", "relevance"])]
    assert everything["data"][0]["dataset_example"]["node_id"] == seed.examples["b"]
    assert everything["data"][0]["experiment_run"]["output"] == {"text": "ok"}
    assert [item["experiment_run"]["id"] for item in first["data"]] == [half]
    assert first["next_cursor"] == failed_eval
    assert no_names.status_code == 400
    assert no_names.text == "At least one evaluation_name must be provided"


# Exports ----------------------------------------------------------------------------------------


async def test_json_and_csv_exports(api: Client, seed: Seeded) -> None:
    experiment = await _create(api, seed.dataset, name='my "exp"', repetitions=2)
    path = f"/v1/experiments/{experiment['id']}"
    empty = await api.get(f"{path}/json")
    _, run_a1, _ = await _run_ids(
        api,
        experiment,
        _run(seed.examples["a"], 2, output={"text": "two"}),
        _run(seed.examples["a"], 1, output="one"),
        _run(seed.examples["b"], 1, output=None, error="boom"),
    )
    await api.post("/v1/experiment_evaluations", json=_evaluation(run_a1, "accuracy"))

    exported = await api.get(f"{path}/json")
    as_csv = await api.get(f"{path}/csv")

    assert empty.status_code == 404
    assert empty.text == f"Experiment with ID {experiment['id']} has no runs"
    assert exported.status_code == 200
    assert exported.headers["content-disposition"] == 'attachment; filename="my _exp_.json"'
    records = exported.json()
    assert [(r["example_id"], r["repetition_number"]) for r in records] == [
        (seed.examples["a"], 1),
        (seed.examples["a"], 2),
        (seed.examples["b"], 1),
    ]
    first = records[0]
    assert (first["input"], first["reference_output"]) == ({"question": "a"}, {"answer": "A"})
    assert (first["output"], first["error"], first["latency_ms"]) == ("one", None, 1500.0)
    assert first["start_time"].startswith("2026-11-01T12:00:00")
    assert first["trace_id"] == "ab" * 16
    assert [(a["name"], a["score"]) for a in first["annotations"]] == [("accuracy", 1.0)]
    assert '"score":1.0,' in exported.text  # a float, as the evaluator gave it
    assert records[1]["output"] == {"text": "two"}
    assert (records[2]["error"], records[2]["annotations"]) == ("boom", [])
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [(row["example_id"], row["repetition_number"]) for row in rows] == [
        (seed.examples["a"], "1"),
        (seed.examples["a"], "2"),
        (seed.examples["b"], "1"),
    ]
    assert orjson.loads(rows[0]["input"]) == {"question": "a"}
    assert (rows[0]["output"], rows[1]["output"]) == ("one", '{"text":"two"}')
    assert (rows[0]["annotation_accuracy_score"], rows[0]["annotation_accuracy_label"]) == (
        "1.0",
        "True",
    )
    assert rows[1]["annotation_accuracy_score"] == ""
    assert rows[2]["error"] == "boom"


async def test_export_of_an_unknown_experiment_is_404(api: Client) -> None:
    for suffix in ("json", "csv"):
        response = await api.get(f"/v1/experiments/{gid('Experiment', 77)}/{suffix}")
        assert response.status_code == 404


# Tags -------------------------------------------------------------------------------------------


async def test_tags_move_between_a_datasets_experiments(api: Client, seed: Seeded) -> None:
    first = await _create(api, seed.dataset)
    second = await _create(api, seed.dataset)
    other = await _create(api, seed.other_dataset)

    tagged = await api.post(
        f"/v1/experiments/{first['id']}/tags", json={"name": "baseline", "description": "b"}
    )
    await api.post(f"/v1/experiments/{first['id']}/tags", json={"name": "v-1"})
    await api.post(f"/v1/experiments/{other['id']}/tags", json={"name": "baseline"})
    moved = await api.post(f"/v1/experiments/{second['id']}/tags", json={"name": "baseline"})
    first_tags = (await api.get(f"/v1/experiments/{first['id']}/tags")).json()["data"]
    second_tags = (await api.get(f"/v1/experiments/{second['id']}/tags")).json()["data"]
    other_tags = (await api.get(f"/v1/experiments/{other['id']}/tags")).json()["data"]

    assert tagged.status_code == 200
    assert tagged.json()["data"]["name"] == "baseline"
    assert tagged.json()["data"]["description"] == "b"
    assert moved.json()["data"]["id"] == tagged.json()["data"]["id"]
    assert moved.json()["data"]["description"] is None
    assert [t["name"] for t in first_tags] == ["v-1"]
    assert [t["name"] for t in second_tags] == ["baseline"]
    assert [t["name"] for t in other_tags] == ["baseline"]  # another dataset's own tag

    by_name = await api.delete(f"/v1/experiments/{first['id']}/tags/v-1")
    by_id = await api.delete(f"/v1/experiments/{second['id']}/tags/{moved.json()['data']['id']}")
    missing = await api.delete(f"/v1/experiments/{second['id']}/tags/baseline")

    assert by_name.status_code == by_id.status_code == 204
    assert (await api.get(f"/v1/experiments/{second['id']}/tags")).json()["data"] == []
    assert missing.status_code == 404
    assert missing.text == f"Tag baseline is not on experiment {second['id']}"


async def test_tag_refusals(api: Client, seed: Seeded) -> None:
    experiment = await _create(api, seed.dataset)
    unknown = gid("Experiment", 999)

    bad_name = await api.post(f"/v1/experiments/{experiment['id']}/tags", json={"name": "Base"})
    listed = await api.get(f"/v1/experiments/{unknown}/tags")
    tagged = await api.post(f"/v1/experiments/{unknown}/tags", json={"name": "baseline"})
    removed = await api.delete(f"/v1/experiments/{unknown}/tags/baseline")

    assert bad_name.status_code == 422
    assert listed.status_code == tagged.status_code == removed.status_code == 404
    assert removed.text == f"Experiment with ID {unknown} does not exist"


def _nested(depth: int) -> object:
    value: object = "leaf"
    for _ in range(depth):
        value = {"k": value}
    return value


@pytest.mark.parametrize(
    ("fields", "status", "named"),
    [
        ({"repetition_number": 2**63}, 422, "repetition_number"),
        ({"error": "boom\x00"}, 422, "error"),
        ({"trace_id": "ab\x00"}, 422, "trace_id"),
        ({"output": _nested(600)}, 422, "output"),
        ({"start_time": "9999-12-31T23:59:59Z", "end_time": "9999-12-31T23:59:59Z"}, 200, ""),
        ({"output": "x" * 10_000, "error": "e" * 10_000}, 200, ""),
    ],
)
async def test_hostile_run_values_are_refused_naming_the_field_or_stored_whole(
    api: Client, seed: Seeded, fields: dict[str, Any], status: int, named: str
) -> None:
    experiment = await _create(api, seed.dataset)
    runs = f"/v1/experiments/{experiment['id']}/runs"

    response = await api.post(runs, json=_run(seed.examples["a"], **fields))
    clean = await api.post(runs, json=_run(seed.examples["b"]))

    assert response.status_code == status, response.text
    assert named in response.text
    assert clean.status_code == 200, clean.text  # nothing else harmed
    stored = (await api.get(runs)).json()["data"]
    assert len(stored) == (2 if status == 200 else 1)
    if "output" in fields and status == 200:
        [run] = [item for item in stored if item["dataset_example_id"] == seed.examples["a"]]
        assert run["output"] == fields["output"]


_EVALUATION_OF_SCORE = (
    b'{"experiment_run_id": "RUN", "name": "n", "annotator_kind": "CODE", "result": {"score": %s}}'
)


@pytest.mark.parametrize(
    ("body", "named"),
    [
        (
            _EVALUATION_OF_SCORE % b"NaN",
            "JSON is malformed",
        ),  # NaN is not JSON
        (b'{"experiment_run_id": "RUN", "name": "n\\u0000", "annotator_kind": "CODE"}', "name"),
        (
            _EVALUATION_OF_SCORE % b"1e400",
            "Number out of range",
        ),
    ],
)
async def test_hostile_evaluation_values_are_refused_naming_the_field(
    api: Client, seed: Seeded, body: bytes, named: str
) -> None:
    experiment = await _create(api, seed.dataset)
    [run_id] = await _run_ids(api, experiment, _run(seed.examples["a"]))
    payload = body.replace(b"RUN", run_id.encode())
    payload = payload.replace(
        b'"CODE"',
        b'"CODE", "start_time": "2026-11-01T12:00:02Z", "end_time": "2026-11-01T12:00:03Z"',
    )

    response = await api.post(
        "/v1/experiment_evaluations",
        content=payload,
        headers={"content-type": "application/json"},
    )

    assert 400 <= response.status_code < 500, response.text
    assert named in response.text
    fine = await api.post("/v1/experiment_evaluations", json=_evaluation(run_id))
    assert fine.status_code == 200, fine.text
