"""Issue 15's "Bad input" catalogue, done for real against the query API and PostgreSQL.

Each line of the catalogue and where it is tested:

- a malformed CSV or JSONL: 422 naming the line (and column): ``test_datasets.py``
  (``test_bad_csv_is_refused_naming_line_and_column``,
  ``test_bad_jsonl_is_refused_naming_the_line``) for a bad first chunk; here, a bad row after a
  chunk was written, for every action;
- missing input keys: 422 naming them: ``test_datasets.py`` (input keys); here, every kind of
  key at once, in CSV and JSONL;
- a taken dataset name: 409: ``test_datasets.py`` (JSON body); here, a file upload, with the
  dataset left as it was;
- a run for an example outside the experiment's version: 422: ``test_experiments.py`` (deleted,
  outside the splits, another dataset's); here, an example a later version added;
- a run posted twice: 409 with nothing changed: here, every column of the run and its
  evaluation compared;
- an evaluation for an unknown run: 404: ``test_experiments.py``; here, a run deleted with its
  dataset;
- an upload that fails leaves no version and no examples behind: here, checked in PostgreSQL;
- a dataset deleted while its experiment's runs are posted leaves no orphaned runs or
  evaluations: here.
"""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import asyncpg
import httpx
import orjson
import pytest

pytestmark = pytest.mark.slow

Client = httpx.AsyncClient

ROWS = 10_000
BAD_LINE = 9_000
"""The line (the header is line 1) of the bad row of a large file: after the upload's first
chunk of 5,000 examples was written."""


def _gid(type_name: str, rowid: int) -> str:
    return base64.b64encode(f"{type_name}:{rowid}".encode()).decode()


async def _upload(api: Client, name: str, action: str = "create", **body: Any) -> httpx.Response:
    return await api.post(
        "/v1/datasets/upload",
        params={"sync": "true"},
        json={"action": action, "name": name, **body},
    )


async def _upload_file(
    api: Client,
    content: bytes,
    name: str,
    *,
    action: str = "create",
    jsonl: bool = False,
    **keys: list[str],
) -> httpx.Response:
    file = (
        ("data.jsonl", content, "application/jsonl") if jsonl else ("data.csv", content, "text/csv")
    )
    fields = {f"{kind}[]": names for kind, names in keys.items()}
    return await api.post(
        "/v1/datasets/upload",
        params={"sync": "true"},
        data={"action": action, "name": name, **fields},
        files={"file": file},
    )


async def _fetch(database_url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(database_url)
    try:
        return list(await connection.fetch(sql, *args))
    finally:
        await connection.close()


async def _table_counts(database_url: str) -> dict[str, int]:
    """Rows of every dataset and experiment table."""
    tables = (
        "datasets",
        "dataset_versions",
        "dataset_examples",
        "dataset_example_revisions",
        "dataset_splits",
        "dataset_splits_dataset_examples",
        "experiments",
        "experiment_runs",
        "experiment_run_annotations",
    )
    rows = await _fetch(
        database_url,
        " UNION ALL ".join(f"SELECT '{table}', count(*) FROM {table}" for table in tables),
    )
    return {row[0]: row[1] for row in rows}


# A large upload that fails late -----------------------------------------------------------------


def _csv(bad_line: int | None) -> bytes:
    lines = ["question,answer,split"]
    for index in range(ROWS):
        answer = "a\x00b" if index + 2 == bad_line else f"a{index}"
        lines.append(f"q{index},{answer},{'train' if index % 2 else 'test'}")
    return ("\n".join(lines) + "\n").encode()


def _jsonl(bad_line: int | None) -> bytes:
    lines = []
    for index in range(ROWS):
        row = orjson.dumps({"question": f"q{index}", "answer": f"a{index}", "split": "train"})
        lines.append(row[:-1] + b"," if index + 1 == bad_line else row)
    return b"\n".join(lines) + b"\n"


_KEYS = {"input_keys": ["question"], "output_keys": ["answer"], "split_keys": ["split"]}


@pytest.mark.parametrize("action", ["create", "append", "update"])
async def test_a_csv_refused_at_line_9000_leaves_nothing_behind(
    api: Client, database_url: str, action: str
) -> None:
    kept = None
    if action != "create":
        kept = (await _upload(api, "big", inputs=[{"question": "kept"}])).json()["data"]
    before = await _table_counts(database_url)

    refused = await _upload_file(api, _csv(BAD_LINE), "big", action=action, **_KEYS)

    assert refused.status_code == 422
    assert refused.text == (
        f"CSV line {BAD_LINE}, column 2 ('answer'): NUL characters can't be stored"
    )
    assert await _table_counts(database_url) == before
    if kept is not None:
        dataset = (await api.get(f"/v1/datasets/{kept['dataset_id']}")).json()["data"]
        versions = (await api.get(f"/v1/datasets/{kept['dataset_id']}/versions")).json()["data"]
        assert dataset["example_count"] == 1
        assert [version["version_id"] for version in versions] == [kept["version_id"]]
    else:
        assert (await api.get("/v1/datasets")).json()["data"] == []
    if action != "update":  # update stages its rows first; create and append write them
        # The first chunk was written before the bad row was read: its ids were drawn.
        drawn = await _fetch(
            database_url,
            "SELECT pg_sequence_last_value("
            "    CAST(pg_get_serial_sequence('dataset_examples', 'id') AS regclass))",
        )
        assert drawn[0][0] >= 5_000


async def test_a_jsonl_refused_at_line_9000_leaves_nothing_behind(
    api: Client, database_url: str
) -> None:
    refused = await _upload_file(api, _jsonl(BAD_LINE), "big", jsonl=True, **_KEYS)

    assert refused.status_code == 422
    assert refused.text.startswith(f"JSONL line {BAD_LINE}, column ")
    assert set((await _table_counts(database_url)).values()) == {0}


async def test_the_same_file_without_the_bad_row_is_stored(api: Client) -> None:
    """The refusals above are the bad row's: the file is taken whole without it."""
    stored = await _upload_file(api, _csv(None), "big", **_KEYS)

    assert stored.status_code == 200, stored.text
    dataset_id = stored.json()["data"]["dataset_id"]
    dataset = (await api.get(f"/v1/datasets/{dataset_id}")).json()["data"]
    assert dataset["example_count"] == ROWS


# Keys and names ---------------------------------------------------------------------------------


async def test_missing_keys_of_every_kind_are_named(api: Client, database_url: str) -> None:
    keys = {
        "input_keys": ["question", "prompt"],
        "output_keys": ["answer", "reference"],
        "metadata_keys": ["source"],
        "split_keys": ["fold"],
    }
    csv_refused = await _upload_file(api, b"question,answer\nq,a\n", "keys", **keys)
    jsonl_refused = await _upload_file(
        api, b'{"question": "q", "answer": "a"}\n', "keys", jsonl=True, **keys
    )

    assert (csv_refused.status_code, csv_refused.text) == (
        422,
        "Keys not found in the file's columns: 'prompt', 'reference', 'source', 'fold'",
    )
    assert (jsonl_refused.status_code, jsonl_refused.text) == (
        422,
        "JSONL line 1: keys not found: 'prompt', 'reference', 'source', 'fold'",
    )
    assert set((await _table_counts(database_url)).values()) == {0}


async def test_a_file_upload_to_a_taken_name_is_a_conflict(api: Client) -> None:
    kept = (await _upload(api, "taken", inputs=[{"question": "kept"}])).json()["data"]

    refused = await _upload_file(api, b"question\nnew\n", "taken", input_keys=["question"])
    examples = (await api.get(f"/v1/datasets/{kept['dataset_id']}/examples")).json()["data"]

    assert (refused.status_code, refused.text) == (
        409,
        "Dataset with the same name already exists: name='taken'",
    )
    assert examples["version_id"] == kept["version_id"]
    assert [example["input"] for example in examples["examples"]] == [{"question": "kept"}]


# Runs and evaluations ---------------------------------------------------------------------------


async def _experiment(api: Client, examples: int) -> tuple[str, str, list[str]]:
    """A dataset of ``examples`` examples and an experiment over it: their ids and the
    example ids."""
    uploaded = await _upload(
        api, "runs", inputs=[{"question": f"q{index}"} for index in range(examples)]
    )
    dataset_id = uploaded.json()["data"]["dataset_id"]
    created = await api.post(f"/v1/datasets/{dataset_id}/experiments", json={"name": "exp"})
    assert created.status_code == 200, created.text
    listed = (await api.get(f"/v1/datasets/{dataset_id}/examples")).json()["data"]["examples"]
    return dataset_id, created.json()["data"]["id"], [example["node_id"] for example in listed]


def _run(example_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "dataset_example_id": example_id,
        "output": {"answer": "first"},
        "repetition_number": 1,
        "start_time": "2026-11-01T12:00:00Z",
        "end_time": "2026-11-01T12:00:01Z",
        "trace_id": "ab" * 16,
        **fields,
    }


def _evaluation(run_id: str) -> dict[str, Any]:
    return {
        "experiment_run_id": run_id,
        "name": "correct",
        "annotator_kind": "CODE",
        "start_time": "2026-11-01T12:00:02Z",
        "end_time": "2026-11-01T12:00:03Z",
        "result": {"score": 1.0, "label": "yes"},
    }


async def test_a_run_for_an_example_a_later_version_added_is_refused(
    api: Client, database_url: str
) -> None:
    dataset_id, experiment_id, _ = await _experiment(api, 2)
    await _upload(api, "runs", action="append", inputs=[{"question": "later"}])
    examples = (await api.get(f"/v1/datasets/{dataset_id}/examples")).json()["data"]["examples"]
    later = next(e["node_id"] for e in examples if e["input"] == {"question": "later"})

    refused = await api.post(f"/v1/experiments/{experiment_id}/runs", json=_run(later))

    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "dataset_example_id"]
    assert f"DatasetExample {later} is not an example of the dataset version" in refused.text
    assert (await _table_counts(database_url))["experiment_runs"] == 0


async def test_a_run_posted_twice_is_a_conflict_that_changes_nothing(
    api: Client, database_url: str
) -> None:
    _, experiment_id, example_ids = await _experiment(api, 1)
    runs = f"/v1/experiments/{experiment_id}/runs"
    first = await api.post(runs, json=_run(example_ids[0]))
    run_id = first.json()["data"]["id"]
    evaluated = await api.post("/v1/experiment_evaluations", json=_evaluation(run_id))
    assert (first.status_code, evaluated.status_code) == (200, 200)
    stored_sql = "SELECT * FROM experiment_runs ORDER BY id"
    evaluations_sql = "SELECT * FROM experiment_run_annotations ORDER BY id"
    runs_before = await _fetch(database_url, stored_sql)
    evaluations_before = await _fetch(database_url, evaluations_sql)
    experiment_before = (await api.get(f"/v1/experiments/{experiment_id}")).json()["data"]

    again = await api.post(
        runs,
        json=_run(
            example_ids[0],
            output={"answer": "second"},
            start_time="2026-11-02T00:00:00Z",
            end_time="2026-11-02T00:00:05Z",
            trace_id="ef" * 16,
            error="a retry that failed",
        ),
    )

    assert (again.status_code, again.text) == (
        409,
        f"Experiment run {run_id} already exists with a successful result and cannot be updated",
    )
    assert await _fetch(database_url, stored_sql) == runs_before
    assert await _fetch(database_url, evaluations_sql) == evaluations_before
    experiment = (await api.get(f"/v1/experiments/{experiment_id}")).json()["data"]
    assert experiment == experiment_before
    listed = (await api.get(runs)).json()["data"]
    assert [(run["id"], run["output"], run["error"]) for run in listed] == [
        (run_id, {"answer": "first"}, None)
    ]


async def test_deleting_a_dataset_while_runs_are_posted_leaves_no_orphans(
    api: Client, database_url: str
) -> None:
    dataset_id, experiment_id, example_ids = await _experiment(api, 120)
    runs = f"/v1/experiments/{experiment_id}/runs"
    posted_before_delete = 12
    some_posted = asyncio.Event()
    deleted = asyncio.Event()
    answers: list[tuple[str, bool, int, str]] = []
    """(what, started after the delete answered, status, body)"""

    async def post(what: str, url: str, body: dict[str, Any]) -> httpx.Response:
        after_delete = deleted.is_set()
        response = await api.post(url, json=body)
        answers.append((what, after_delete, response.status_code, response.text))
        return response

    async def poster(examples: list[str]) -> None:
        for example_id in examples:
            run = await post("run", runs, _run(example_id))
            if run.status_code == 200:
                evaluation = _evaluation(run.json()["data"]["id"])
                await post("evaluation", "/v1/experiment_evaluations", evaluation)
            if sum(status == 200 for *_, status, _ in answers) >= posted_before_delete:
                some_posted.set()

    async def delete_when_runs_arrive() -> httpx.Response:
        await some_posted.wait()
        response = await api.delete(f"/v1/datasets/{dataset_id}")
        deleted.set()
        return response

    posters = [poster(example_ids[start::6]) for start in range(6)]
    *_, delete = await asyncio.gather(*posters, delete_when_runs_arrive())

    assert delete.status_code == 204
    unexpected = [
        (what, status, text) for what, _, status, text in answers if status not in (200, 404)
    ]
    assert unexpected == []
    late = [answer for answer in answers if answer[1]]
    assert late, "no post started after the delete answered"
    assert {status for _, _, status, _ in late} == {404}
    assert any(status == 200 for _, _, status, _ in answers)
    for what, _, status, text in late:
        assert text.endswith("does not exist"), (what, status, text)
    counts = await _table_counts(database_url)
    assert counts["experiments"] == counts["experiment_runs"] == 0
    assert counts["experiment_run_annotations"] == counts["dataset_examples"] == 0
    assert (await api.get(f"/v1/experiments/{experiment_id}")).status_code == 404
    unknown_run = await api.post(
        "/v1/experiment_evaluations", json=_evaluation(_gid("ExperimentRun", 1))
    )
    assert unknown_run.status_code == 404
