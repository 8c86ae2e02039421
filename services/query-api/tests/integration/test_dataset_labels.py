"""Dataset labels as Phoenix serves them: ``/v1/dataset_labels`` CRUD and the labels a dataset
carries (``/v1/datasets/{dataset_identifier}/labels``), with every refusal's status and message."""

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


async def _dataset(api: Client, name: str = "qa") -> str:
    response = await api.post(
        "/v1/datasets/upload", params={"sync": "true"}, json={"name": name, "inputs": [{"q": 1}]}
    )
    assert response.status_code == 200, response.text
    dataset_id: str = response.json()["data"]["dataset_id"]
    return dataset_id


async def _label(api: Client, name: str, color: str = "#00cc88", **fields: Any) -> dict[str, Any]:
    response = await api.post("/v1/dataset_labels", json={"name": name, "color": color, **fields})
    assert response.status_code == 201, response.text
    label: dict[str, Any] = response.json()["data"]
    return label


def _detail(response: httpx.Response) -> tuple[int, list[str], str]:
    [item] = response.json()["detail"]
    return response.status_code, item["loc"], item["msg"]


async def _post_text(api: Client, method: str, url: str, body: str) -> httpx.Response:
    """Send a body as JSON text (NaN and huge integers included, as a hostile client may)."""
    return await api.request(
        method, url, content=body, headers={"content-type": "application/json"}
    )


async def test_create_get_list_update_and_delete_a_label(api: Client) -> None:
    gold = await _label(api, "gold", description="the best")
    silver = await _label(api, "silver", "#aabbcc")

    got = await api.get(f"/v1/dataset_labels/{gold['id']}")
    first_page = (await api.get("/v1/dataset_labels", params={"limit": 1})).json()
    second_page = (
        await api.get(
            "/v1/dataset_labels", params={"limit": 1, "cursor": first_page["next_cursor"]}
        )
    ).json()
    renamed = await api.patch(f"/v1/dataset_labels/{gold['id']}", json={"name": "platinum"})
    cleared = await api.patch(f"/v1/dataset_labels/{gold['id']}", json={"description": None})
    kept = await api.patch(
        f"/v1/dataset_labels/{gold['id']}", json={"name": None, "color": "#123456"}
    )
    deleted = await api.delete(f"/v1/dataset_labels/{silver['id']}")

    assert base64.b64decode(gold["id"]).decode().startswith("DatasetLabel:")
    assert got.json()["data"] == {
        "id": gold["id"], "name": "gold", "description": "the best", "color": "#00cc88"
    }  # fmt: skip
    assert [label["name"] for label in first_page["data"]] == ["silver"]  # newest first
    assert [label["name"] for label in second_page["data"]] == ["gold"]
    assert second_page["next_cursor"] is None
    assert renamed.json()["data"]["name"] == "platinum"
    assert cleared.json()["data"]["description"] is None
    assert kept.json()["data"] == {
        "id": gold["id"], "name": "platinum", "description": None, "color": "#123456"
    }  # fmt: skip
    assert deleted.status_code == 204
    assert (await api.get(f"/v1/dataset_labels/{silver['id']}")).status_code == 404


async def test_label_refusals(api: Client) -> None:
    gold = await _label(api, "gold")
    await _label(api, "silver")
    unknown = _global_id("DatasetLabel:999999")

    taken = await api.post("/v1/dataset_labels", json={"name": "gold", "color": "#000000"})
    renamed_onto = await api.patch(f"/v1/dataset_labels/{gold['id']}", json={"name": "silver"})
    nothing = await api.patch(f"/v1/dataset_labels/{gold['id']}", json={})
    upper = await api.post("/v1/dataset_labels", json={"name": "x", "color": "#00CC88"})
    empty = await api.post("/v1/dataset_labels", json={"name": "", "color": "#00cc88"})
    malformed = await api.get("/v1/dataset_labels/not-an-id")
    of_another_type = await api.get(f"/v1/dataset_labels/{_global_id('Dataset:1')}")

    assert (taken.status_code, taken.text) == (409, "A dataset label named 'gold' already exists")
    assert (renamed_onto.status_code, renamed_onto.text) == (
        409, "A dataset label named 'silver' already exists"
    )  # fmt: skip
    assert (nothing.status_code, nothing.text) == (422, "No fields to update")
    assert _detail(upper)[:2] == (422, ["body", "color"])
    assert _detail(empty)[:2] == (422, ["body", "name"])
    assert _detail(malformed) == (
        422, ["path", "label_id"], "Invalid dataset label ID: not-an-id"
    )  # fmt: skip
    assert _detail(of_another_type)[0] == 422
    for response in (
        await api.get(f"/v1/dataset_labels/{unknown}"),
        await api.patch(f"/v1/dataset_labels/{unknown}", json={"name": "x"}),
        await api.delete(f"/v1/dataset_labels/{unknown}"),
    ):
        assert (response.status_code, response.text) == (404, "Dataset label not found")
    assert [label["name"] for label in (await api.get("/v1/dataset_labels")).json()["data"]] == [
        "silver", "gold"
    ]  # fmt: skip


async def test_labels_on_a_dataset_by_id_and_by_name(api: Client) -> None:
    dataset_id = await _dataset(api, "qa")
    gold, silver, bronze = [await _label(api, name) for name in ("gold", "silver", "bronze")]

    applied = await api.put(f"/v1/datasets/{dataset_id}/labels/{gold['id']}")
    again = await api.put(f"/v1/datasets/qa/labels/{gold['id']}")
    await api.put(f"/v1/datasets/qa/labels/{silver['id']}")
    both = (await api.get("/v1/datasets/qa/labels")).json()["data"]
    replaced = await api.put(
        f"/v1/datasets/{dataset_id}/labels",
        json={"dataset_label_ids": [bronze["id"], gold["id"], bronze["id"]]},
    )
    removed = await api.delete(f"/v1/datasets/qa/labels/{gold['id']}")
    removed_again = await api.delete(f"/v1/datasets/qa/labels/{gold['id']}")
    after_remove = (await api.get(f"/v1/datasets/{dataset_id}/labels")).json()["data"]
    await api.delete(f"/v1/dataset_labels/{bronze['id']}")
    after_label_deleted = (await api.get(f"/v1/datasets/{dataset_id}/labels")).json()["data"]
    emptied = await api.put("/v1/datasets/qa/labels", json={"dataset_label_ids": []})

    assert (applied.status_code, applied.json()["data"]) == (200, gold)
    assert (again.status_code, again.json()["data"]) == (200, gold)
    assert [label["name"] for label in both] == ["silver", "gold"]
    assert [label["name"] for label in replaced.json()["data"]] == ["bronze", "gold"]
    assert (removed.status_code, removed_again.status_code) == (204, 204)
    assert [label["name"] for label in after_remove] == ["bronze"]
    assert after_label_deleted == []
    assert (emptied.status_code, emptied.json()) == (200, {"data": []})


async def test_labels_on_a_dataset_refusals(api: Client) -> None:
    dataset_id = await _dataset(api, "qa")
    gold = await _label(api, "gold")
    unknown_label = _global_id("DatasetLabel:999999")
    unknown_dataset = _global_id("Dataset:999999")

    no_dataset = await api.get(f"/v1/datasets/{unknown_dataset}/labels")
    no_name = await api.put(f"/v1/datasets/nope/labels/{gold['id']}")
    no_label = await api.put(f"/v1/datasets/{dataset_id}/labels/{unknown_label}")
    set_unknown = await api.put(
        f"/v1/datasets/{dataset_id}/labels",
        json={"dataset_label_ids": [gold["id"], unknown_label]},
    )
    set_malformed = await api.put(
        f"/v1/datasets/{dataset_id}/labels", json={"dataset_label_ids": [gold["id"], "x"]}
    )
    remove_malformed = await api.delete(f"/v1/datasets/{dataset_id}/labels/x")

    assert (no_dataset.status_code, no_dataset.text) == (
        404, f"Dataset with ID {unknown_dataset} not found"
    )  # fmt: skip
    assert (no_name.status_code, no_name.text) == (404, "Dataset with name nope not found")
    assert (no_label.status_code, no_label.text) == (404, "Dataset label not found")
    assert (set_unknown.status_code, set_unknown.text) == (
        404, f"Dataset labels not found: {unknown_label}"
    )  # fmt: skip
    assert _detail(set_malformed) == (
        422, ["body", "dataset_label_ids", "1"], "Invalid dataset label ID: x"
    )  # fmt: skip
    assert _detail(remove_malformed)[:2] == (422, ["path", "label_id"])
    # nothing was applied by the refused requests
    assert (await api.get(f"/v1/datasets/{dataset_id}/labels")).json() == {"data": []}


# --- hostile values: each decided before PostgreSQL sees it ----------------------------------


async def test_hostile_label_names_descriptions_and_ids(api: Client) -> None:
    dataset_id = await _dataset(api, "qa")
    gold = await _label(api, "gold")
    long_name = await api.post(
        "/v1/dataset_labels", json={"name": "n" * 10_000, "color": "#000000"}
    )
    long_description = await api.post(
        "/v1/dataset_labels", json={"name": "long", "color": "#000000", "description": "d" * 10_000}
    )
    nul_name = await api.post("/v1/dataset_labels", json={"name": "a\x00b", "color": "#000000"})
    nul_color = await api.patch(f"/v1/dataset_labels/{gold['id']}", json={"color": "#00\x00000"})
    long_id = await api.get(f"/v1/dataset_labels/{'A' * 10_000}")
    bigint_id = await api.get(f"/v1/dataset_labels/{_global_id(f'DatasetLabel:{2**63}')}")
    nul_path = await api.get("/v1/datasets/q%00a/labels")
    long_dataset_name = await api.get(f"/v1/datasets/{'n' * 10_000}/labels")
    deep = await api.put(
        f"/v1/datasets/{dataset_id}/labels", json={"dataset_label_ids": [[[[gold["id"]]]]]}
    )
    nan_description = await _post_text(
        api, "POST", "/v1/dataset_labels", '{"name": "n", "color": "#000000", "description": NaN}'
    )
    huge_number = await _post_text(
        api, "POST", "/v1/dataset_labels",
        json.dumps({"name": "n", "color": "#000000", "description": 2**63}),
    )  # fmt: skip

    assert _detail(long_name) == (
        422, ["body", "name"], "`name` must be at most 256 characters, got 10000"
    )  # fmt: skip
    assert long_description.status_code == 201
    assert long_description.json()["data"]["description"] == "d" * 10_000
    assert _detail(nul_name) == (422, ["body", "name"], "`name` must not contain NUL characters")
    assert _detail(nul_color) == (422, ["body", "color"], "`color` must not contain NUL characters")
    assert _detail(long_id)[:2] == (422, ["path", "label_id"])
    assert _detail(bigint_id)[:2] == (422, ["path", "label_id"])
    assert _detail(nul_path) == (
        422, ["path", "dataset_identifier"], "`dataset_identifier` must not contain NUL characters"
    )  # fmt: skip
    assert long_dataset_name.status_code == 404
    assert _detail(deep)[:2] == (422, ["body", "dataset_label_ids", "0"])
    # JSON has no NaN: the parser refuses the body before any handler
    assert nan_description.status_code == 400
    assert nan_description.text.startswith("JSON is malformed")
    assert _detail(huge_number)[:2] == (422, ["body", "description"])
    names = [label["name"] for label in (await api.get("/v1/dataset_labels")).json()["data"]]
    assert names == ["long", "gold"]
