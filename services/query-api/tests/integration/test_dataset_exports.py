"""Dataset exports as Phoenix writes them: CSV, JSONL, OpenAI fine-tuning and OpenAI evals files
of a version's examples, named after the dataset, and their refusals."""

from __future__ import annotations

import base64
import csv
import io
import json
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.slow

Client = httpx.AsyncClient


def _global_id(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _detail(response: httpx.Response) -> tuple[int, list[str], str]:
    [item] = response.json()["detail"]
    return response.status_code, item["loc"], item["msg"]


async def _upload(api: Client, **body: Any) -> dict[str, Any]:
    response = await api.post("/v1/datasets/upload", params={"sync": "true"}, json=body)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def _node_ids(api: Client, dataset_id: str) -> list[str]:
    examples = (await api.get(f"/v1/datasets/{dataset_id}/examples")).json()["data"]["examples"]
    return [example["node_id"] for example in examples]


async def test_csv_and_jsonl_of_the_latest_and_an_older_version(api: Client) -> None:
    first = await _upload(
        api,
        name="Café qa/1",
        inputs=[{"q": "2+2?", "ctx": {"lang": "en", "tags": ["math", "é"]}}, {"q": "x"}],
        outputs=[{"a": 4}, {"a": None}],
        metadata=[{"ok": True}, {"score": 0.5}],
        splits=[["train", "hard"], None],
        example_ids=["ex-1", None],
    )
    dataset_id = first["dataset_id"]
    second = await _upload(api, action="append", name="Café qa/1", inputs=[{"new": "yes"}])
    node_ids = await _node_ids(api, dataset_id)

    csv_latest = await api.get(f"/v1/datasets/{dataset_id}/csv")
    csv_first = await api.get(
        f"/v1/datasets/{dataset_id}/csv", params={"version_id": first["version_id"]}
    )
    jsonl = await api.get(f"/v1/datasets/{dataset_id}/jsonl")
    jsonl_first = await api.get(
        f"/v1/datasets/{dataset_id}/jsonl", params={"version_id": first["version_id"]}
    )

    assert csv_latest.status_code == 200, csv_latest.text
    assert csv_latest.headers["content-type"].startswith("text/csv")
    assert csv_latest.headers["content-disposition"] == (
        "attachment; filename*=UTF-8''Caf%C3%A9%20qa/1.csv"
    )
    rows = list(csv.reader(io.StringIO(csv_latest.text)))
    assert rows == [
        ["id", "node_id", "input.q", "input.ctx.lang", "input.ctx.tags", "output.a",
         "metadata.ok", "splits", "metadata.score", "input.new"],
        ["ex-1", node_ids[0], "2+2?", "en", '["math", "é"]', "4", "True", '["hard", "train"]',
         "", ""],
        [node_ids[1], node_ids[1], "x", "", "", "", "", "[]", "0.5", ""],
        [node_ids[2], node_ids[2], "", "", "", "", "", "[]", "", "yes"],
    ]  # fmt: skip
    assert len(list(csv.reader(io.StringIO(csv_first.text)))) == 3  # header and two examples
    assert jsonl.headers["content-type"] == "text/plain; charset=utf-8"
    assert jsonl.headers["content-disposition"].endswith(".jsonl")
    lines = jsonl.text.splitlines()
    assert [json.loads(line) for line in lines] == [
        {"id": "ex-1", "node_id": node_ids[0],
         "input": {"q": "2+2?", "ctx": {"lang": "en", "tags": ["math", "é"]}},
         "output": {"a": 4}, "metadata": {"ok": True}, "splits": ["hard", "train"]},
        {"id": node_ids[1], "node_id": node_ids[1], "input": {"q": "x"}, "output": {"a": None},
         "metadata": {"score": 0.5}, "splits": []},
        {"id": node_ids[2], "node_id": node_ids[2], "input": {"new": "yes"}, "output": {},
         "metadata": {}, "splits": []},
    ]  # fmt: skip
    # Python's json.dumps layout (", " and ": "), non-ASCII kept
    assert lines[2] == (
        f'{{"id": "{node_ids[2]}", "node_id": "{node_ids[2]}", "input": {{"new": "yes"}}, '
        '"output": {}, "metadata": {}, "splits": []}'
    )
    assert '"é"' in lines[0]
    assert len(jsonl_first.text.splitlines()) == 2
    assert second["version_id"] != first["version_id"]


async def test_a_csv_without_splits_has_no_splits_column(api: Client) -> None:
    data = await _upload(api, name="plain", inputs=[{"q": "a"}], outputs=[{"a": [1, 2]}])

    response = await api.get(f"/v1/datasets/{data['dataset_id']}/csv")

    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["id", "node_id", "input.q", "output.a"]
    assert rows[1][2:] == ["a", "[1, 2]"]


async def test_openai_fine_tuning_and_evals_lines(api: Client) -> None:
    system = {"role": "system", "content": "be brief"}
    user = {"role": "user", "content": "hi"}
    answer = {"role": "assistant", "content": "hello"}
    tool = {"type": "function", "function": {"name": "f"}}
    data = await _upload(
        api,
        name="chat",
        inputs=[{"messages": [system, user], "tools": [tool]}, {"messages": "not a list",
                "tools": []}, {"prompt": "x"}],
        outputs=[{"messages": [answer]}, {"messages": [{"role": "assistant", "content": 3}]}, {}],
    )  # fmt: skip
    dataset_id = data["dataset_id"]

    fine_tuning = await api.get(f"/v1/datasets/{dataset_id}/jsonl/openai_ft")
    evals = await api.get(f"/v1/datasets/{dataset_id}/jsonl/openai_evals")

    assert fine_tuning.headers["content-disposition"] == "attachment; filename*=UTF-8''chat.jsonl"
    assert [json.loads(line) for line in fine_tuning.text.splitlines()] == [
        {"messages": [system, user, answer], "tools": [tool]},
        {"messages": [{"role": "assistant", "content": 3}]},
        {"messages": []},
    ]
    assert fine_tuning.text.splitlines()[2] == '{"messages": []}'
    assert [json.loads(line) for line in evals.text.splitlines()] == [
        {"messages": [system, user], "ideal": "hello"},
        {"messages": [], "ideal": ""},
        {"messages": [], "ideal": ""},
    ]


async def test_an_export_streams_every_example_of_a_large_version(api: Client) -> None:
    count = 2_500  # more than two of the cursor's batches
    data = await _upload(
        api, name="large", inputs=[{"n": n} for n in range(count)], splits=["s"] * count
    )

    jsonl = await api.get(f"/v1/datasets/{data['dataset_id']}/jsonl")
    csv_text = (await api.get(f"/v1/datasets/{data['dataset_id']}/csv")).text

    assert [json.loads(line)["input"]["n"] for line in jsonl.text.splitlines()] == list(
        range(count)
    )
    rows = list(csv.reader(io.StringIO(csv_text)))
    assert rows[0] == ["id", "node_id", "input.n", "splits"]
    assert [int(row[2]) for row in rows[1:]] == list(range(count))


async def test_export_refusals(api: Client) -> None:
    data = await _upload(api, name="qa", inputs=[{"q": 1}])
    other = await _upload(api, name="other", inputs=[{"q": 2}])
    dataset_id = data["dataset_id"]
    unknown = _global_id("Dataset:999999")

    for suffix in ("csv", "jsonl", "jsonl/openai_ft", "jsonl/openai_evals"):
        malformed = await api.get(f"/v1/datasets/qa/{suffix}")
        missing = await api.get(f"/v1/datasets/{unknown}/{suffix}")
        foreign_version = await api.get(
            f"/v1/datasets/{dataset_id}/{suffix}", params={"version_id": other["version_id"]}
        )
        malformed_version = await api.get(
            f"/v1/datasets/{dataset_id}/{suffix}", params={"version_id": "v1"}
        )

        assert _detail(malformed) == (422, ["path", "id"], "Invalid dataset ID format: qa")
        assert _detail(missing) == (422, ["path", "id"], "Dataset does not exist.")
        assert _detail(foreign_version) == (
            422,
            ["query", "version_id"],
            f"Dataset version {other['version_id']} is not a version of dataset {dataset_id}",
        )
        assert _detail(malformed_version) == (
            422, ["query", "version_id"], "Invalid dataset version ID format: v1"
        )  # fmt: skip


async def test_hostile_export_parameters(api: Client) -> None:
    data = await _upload(api, name="qa", inputs=[{"q": "a" * 10_000}])
    dataset_id = data["dataset_id"]

    nul_version = await api.get(f"/v1/datasets/{dataset_id}/csv?version_id=a%00b")
    long_version = await api.get(
        f"/v1/datasets/{dataset_id}/jsonl", params={"version_id": "V" * 10_000}
    )
    bigint_version = await api.get(
        f"/v1/datasets/{dataset_id}/jsonl",
        params={"version_id": _global_id(f"DatasetVersion:{2**63}")},
    )
    bigint_dataset = await api.get(f"/v1/datasets/{_global_id(f'Dataset:{2**63}')}/csv")
    nul_id = await api.get("/v1/datasets/a%00b/jsonl/openai_ft")
    long_value = await api.get(f"/v1/datasets/{dataset_id}/csv")

    assert _detail(nul_version) == (
        422, ["query", "version_id"], "`version_id` must not contain NUL characters"
    )  # fmt: skip
    assert _detail(long_version)[:2] == (422, ["query", "version_id"])
    assert _detail(bigint_version)[:2] == (422, ["query", "version_id"])
    assert _detail(bigint_dataset)[:2] == (422, ["path", "id"])
    assert _detail(nul_id) == (422, ["path", "id"], "`id` must not contain NUL characters")
    assert list(csv.reader(io.StringIO(long_value.text)))[1][2] == "a" * 10_000
