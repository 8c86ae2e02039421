"""Dataset splits as Phoenix serves them: create, update (fields and examples) and delete through
``/v1/datasets/{dataset_identifier}/splits``, read back through the examples' split filter."""

from __future__ import annotations

import base64
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


async def _dataset(api: Client, name: str, count: int) -> tuple[str, list[str]]:
    """A dataset of ``count`` examples: its id and its examples' GlobalIDs."""
    response = await api.post(
        "/v1/datasets/upload",
        params={"sync": "true"},
        json={"name": name, "inputs": [{"n": n} for n in range(count)]},
    )
    assert response.status_code == 200, response.text
    dataset_id: str = response.json()["data"]["dataset_id"]
    examples = (await api.get(f"/v1/datasets/{dataset_id}/examples")).json()["data"]["examples"]
    return dataset_id, [example["node_id"] for example in examples]


async def _inputs_in_split(api: Client, dataset_id: str, split: str) -> list[int]:
    response = await api.get(f"/v1/datasets/{dataset_id}/examples", params={"split": split})
    return [example["input"]["n"] for example in response.json()["data"]["examples"]]


async def test_create_update_and_delete_a_split(api: Client) -> None:
    dataset_id, examples = await _dataset(api, "qa", 4)

    created = await api.post(
        "/v1/datasets/qa/splits",
        json={"name": "  hard  ", "description": "tricky", "metadata": {"owner": "me"},
              "example_ids": [examples[0], examples[2], examples[0]]},
    )  # fmt: skip
    split = created.json()["data"]
    in_hard = await _inputs_in_split(api, dataset_id, "hard")
    updated = await api.patch(
        f"/v1/datasets/{dataset_id}/splits/{split['id']}",
        json={"name": "harder", "color": "#ff0000", "metadata": {"owner": "you"},
              "add_example_ids": [examples[1], examples[2], examples[3]],
              "remove_example_ids": [examples[0], examples[3]]},
    )  # fmt: skip
    in_harder = await _inputs_in_split(api, dataset_id, "harder")
    cleared = await api.patch(f"/v1/datasets/qa/splits/{split['id']}", json={"description": None})
    deleted = await api.delete(f"/v1/datasets/qa/splits/{split['id']}")
    deleted_again = await api.delete(f"/v1/datasets/qa/splits/{split['id']}")
    examples_after = (await api.get(f"/v1/datasets/{dataset_id}/examples")).json()["data"]

    assert created.status_code == 201, created.text
    assert base64.b64decode(split["id"]).decode().startswith("DatasetSplit:")
    assert (split["name"], split["description"], split["color"]) == ("hard", "tricky", "#33c5e8")
    assert (split["metadata"], split["example_count"]) == ({"owner": "me"}, 2)
    assert in_hard == [0, 2]
    assert updated.status_code == 200, updated.text
    data = updated.json()["data"]
    assert (data["name"], data["color"], data["description"]) == ("harder", "#ff0000", "tricky")
    assert (data["metadata"], data["example_count"]) == ({"owner": "you"}, 2)
    assert data["updated_at"] >= split["updated_at"]
    assert in_harder == [1, 2]  # 3 was added and removed: removal wins
    assert cleared.json()["data"]["description"] is None
    assert cleared.json()["data"]["name"] == "harder"
    assert (deleted.status_code, deleted_again.status_code) == (204, 404)
    assert len(examples_after["examples"]) == 4  # the examples stay


async def test_example_count_is_the_datasets_own(api: Client) -> None:
    first_id, first_examples = await _dataset(api, "first", 2)
    second_id, second_examples = await _dataset(api, "second", 3)
    split = (
        await api.post(f"/v1/datasets/{first_id}/splits", json={"name": "shared",
                                                                 "example_ids": first_examples})
    ).json()["data"]  # fmt: skip

    seen_from_second = await api.patch(
        f"/v1/datasets/{second_id}/splits/{split['id']}", json={"add_example_ids": second_examples}
    )
    seen_from_first = await api.patch(f"/v1/datasets/{first_id}/splits/{split['id']}", json={})

    assert seen_from_second.json()["data"]["example_count"] == 3
    assert seen_from_first.json()["data"]["example_count"] == 2


async def test_split_refusals(api: Client) -> None:
    dataset_id, examples = await _dataset(api, "qa", 2)
    _, other_examples = await _dataset(api, "other", 1)
    split = (await api.post("/v1/datasets/qa/splits", json={"name": "train"})).json()["data"]
    await api.post("/v1/datasets/qa/splits", json={"name": "test"})
    unknown_split = _global_id("DatasetSplit:999999")
    unknown_example = _global_id("DatasetExample:999999")

    taken = await api.post("/v1/datasets/qa/splits", json={"name": "train"})
    renamed_onto = await api.patch(f"/v1/datasets/qa/splits/{split['id']}", json={"name": "test"})
    blank = await api.post("/v1/datasets/qa/splits", json={"name": "   "})
    blank_color = await api.post("/v1/datasets/qa/splits", json={"name": "x", "color": " "})
    null_name = await api.patch(f"/v1/datasets/qa/splits/{split['id']}", json={"name": None})
    no_dataset = await api.post("/v1/datasets/nope/splits", json={"name": "x"})
    no_split = await api.patch(f"/v1/datasets/qa/splits/{unknown_split}", json={"name": "y"})
    malformed_split = await api.delete("/v1/datasets/qa/splits/train")
    foreign = await api.post(
        "/v1/datasets/qa/splits", json={"name": "x", "example_ids": [examples[0], *other_examples]}
    )
    unknown = await api.patch(
        f"/v1/datasets/qa/splits/{split['id']}", json={"remove_example_ids": [unknown_example]}
    )
    malformed_example = await api.patch(
        f"/v1/datasets/qa/splits/{split['id']}", json={"add_example_ids": [examples[0], "e-1"]}
    )

    assert (taken.status_code, taken.text) == (409, "A dataset split named 'train' already exists")
    assert (renamed_onto.status_code, renamed_onto.text) == (
        409, "A dataset split named 'test' already exists"
    )  # fmt: skip
    assert _detail(blank) == (422, ["body", "name"], "Dataset split name cannot be empty")
    assert _detail(blank_color) == (422, ["body", "color"], "Dataset split color cannot be empty")
    assert _detail(null_name) == (422, ["body", "name"], "Dataset split name cannot be empty")
    assert (no_dataset.status_code, no_dataset.text) == (404, "Dataset with name nope not found")
    assert (no_split.status_code, no_split.text) == (
        404, f"Dataset split with ID {unknown_split} not found"
    )  # fmt: skip
    assert _detail(malformed_split) == (
        422, ["path", "split_id"], "Invalid dataset split ID: train"
    )  # fmt: skip
    assert (foreign.status_code, foreign.text) == (
        404, f"Dataset examples not found in this dataset: {other_examples[0]}"
    )  # fmt: skip
    assert (unknown.status_code, unknown.text) == (
        404, f"Dataset examples not found in this dataset: {unknown_example}"
    )  # fmt: skip
    assert _detail(malformed_example) == (
        422, ["body", "add_example_ids", "1"], "Invalid dataset example ID: e-1"
    )  # fmt: skip
    # the refused requests changed nothing
    assert await _inputs_in_split(api, dataset_id, "train") == []
    assert (await api.patch(f"/v1/datasets/qa/splits/{split['id']}", json={})).json()["data"][
        "name"
    ] == "train"


# --- hostile values: each decided before PostgreSQL sees it ----------------------------------


def _nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"k": 1}
    for _ in range(depth - 1):
        value = {"k": value}
    return value


async def test_hostile_split_values(api: Client) -> None:
    dataset_id, examples = await _dataset(api, "qa", 1)
    split = (await api.post("/v1/datasets/qa/splits", json={"name": "train"})).json()["data"]
    url = f"/v1/datasets/{dataset_id}/splits"

    long_name = await api.post(url, json={"name": "n" * 10_000})
    long_text = await api.post(
        url, json={"name": "long", "description": "d" * 10_000, "metadata": {"k": "v" * 10_000}}
    )
    nul_name = await api.post(url, json={"name": "a\x00b"})
    nul_metadata_key = await api.patch(f"{url}/{split['id']}", json={"metadata": {"a\x00": 1}})
    huge_number = await api.post(url, content=json.dumps({"name": "x", "metadata": {"n": 2**63}}),
                                 headers={"content-type": "application/json"})  # fmt: skip
    nan = await api.post(url, content='{"name": "x", "metadata": {"n": NaN}}',
                         headers={"content-type": "application/json"})  # fmt: skip
    too_deep = await api.post(url, json={"name": "x", "metadata": _nested(150)})
    long_example_id = await api.post(url, json={"name": "x", "example_ids": ["E" * 10_000]})
    bigint_example = await api.post(
        url, json={"name": "x", "example_ids": [_global_id(f"DatasetExample:{2**63}")]}
    )
    bigint_split = await api.delete(f"{url}/{_global_id(f'DatasetSplit:{2**63}')}")
    nul_split_path = await api.delete(f"{url}/a%00b")

    assert _detail(long_name) == (
        422, ["body", "name"], "`name` must be at most 256 characters, got 10000"
    )  # fmt: skip
    assert long_text.status_code == 201
    assert long_text.json()["data"]["description"] == "d" * 10_000
    assert _detail(nul_name) == (422, ["body", "name"], "`name` must not contain NUL characters")
    assert _detail(nul_metadata_key)[:2] == (422, ["body", "metadata", "a\\x00"])
    assert _detail(huge_number) == (
        422, ["body", "metadata", "n"],
        "`metadata.n` must be an integer between -9223372036854775808 and 9223372036854775807",
    )  # fmt: skip
    assert nan.status_code == 400  # JSON has no NaN: the parser refuses the body
    assert _detail(too_deep) == (
        422, ["body", "metadata", "k", "k"],
        "`metadata.k.k` must not nest objects and arrays deeper than 100 levels",
    )  # fmt: skip
    assert _detail(long_example_id)[:2] == (422, ["body", "example_ids", "0"])
    assert _detail(bigint_example)[:2] == (422, ["body", "example_ids", "0"])
    assert _detail(bigint_split)[:2] == (422, ["path", "split_id"])
    assert _detail(nul_split_path) == (
        422, ["path", "split_id"], "`split_id` must not contain NUL characters"
    )  # fmt: skip
    assert [example["node_id"] for example in
            (await api.get(f"/v1/datasets/{dataset_id}/examples")).json()["data"]["examples"]
            ] == examples  # fmt: skip
