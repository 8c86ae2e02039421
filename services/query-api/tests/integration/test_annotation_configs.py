"""``/v1/annotation_configs`` and project assignments: the three kinds, names, bad configs."""

from __future__ import annotations

import base64
from typing import Any

import httpx

CATEGORICAL = {
    "name": "verdict",
    "type": "CATEGORICAL",
    "description": "Is the answer right?",
    "optimization_direction": "MAXIMIZE",
    "values": [{"label": "right", "score": 1}, {"label": "wrong", "score": 0}],
}
CONTINUOUS = {
    "name": "relevance",
    "type": "CONTINUOUS",
    "optimization_direction": "MAXIMIZE",
    "lower_bound": 0,
    "upper_bound": 1,
}
FREEFORM = {"name": "comment", "type": "FREEFORM", "threshold": 0.5}


def _type_name(global_id: str) -> str:
    return base64.b64decode(global_id).decode().split(":")[0]


async def _create(api: httpx.AsyncClient, config: dict[str, Any]) -> dict[str, Any]:
    response = await api.post("/v1/annotation_configs", json=config)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def test_the_three_kinds_are_created_with_their_own_global_id_types(
    api: httpx.AsyncClient,
) -> None:
    categorical = await _create(api, CATEGORICAL)
    continuous = await _create(api, CONTINUOUS)
    freeform = await _create(api, FREEFORM)

    assert _type_name(categorical["id"]) == "CategoricalAnnotationConfig"
    assert _type_name(continuous["id"]) == "ContinuousAnnotationConfig"
    assert _type_name(freeform["id"]) == "FreeformAnnotationConfig"
    assert categorical["values"] == [
        {"label": "right", "score": 1.0},
        {"label": "wrong", "score": 0.0},
    ]
    assert (continuous["lower_bound"], continuous["upper_bound"]) == (0.0, 1.0)
    assert (freeform["threshold"], freeform["optimization_direction"]) == (0.5, None)
    by_name = await api.get("/v1/annotation_configs/verdict")
    by_id = await api.get(f"/v1/annotation_configs/{continuous['id']}")
    assert by_name.json()["data"] == categorical
    assert by_id.json()["data"] == continuous


async def test_list_pages_newest_first(api: httpx.AsyncClient) -> None:
    created = [await _create(api, config) for config in (CATEGORICAL, CONTINUOUS, FREEFORM)]

    first = await api.get("/v1/annotation_configs", params={"limit": 2})
    second = await api.get(
        "/v1/annotation_configs", params={"limit": 2, "cursor": first.json()["next_cursor"]}
    )

    names = [item["name"] for item in first.json()["data"] + second.json()["data"]]
    assert names == [config["name"] for config in reversed(created)]
    assert second.json()["next_cursor"] is None
    bad_cursor = await api.get("/v1/annotation_configs", params={"cursor": "UHJvamVjdDox"})
    zero = await api.get("/v1/annotation_configs", params={"limit": 0})
    assert bad_cursor.status_code == 422 and "cursor" in bad_cursor.text
    assert zero.status_code == 422 and "limit" in zero.text


async def test_update_replaces_a_config_and_delete_answers_what_it_was(
    api: httpx.AsyncClient,
) -> None:
    config = await _create(api, CONTINUOUS)

    updated = await api.put(
        f"/v1/annotation_configs/{config['id']}",
        json={**CONTINUOUS, "name": "relevance-2", "upper_bound": 10},
    )
    deleted = await api.delete(f"/v1/annotation_configs/{config['id']}")
    again = await api.delete(f"/v1/annotation_configs/{config['id']}")
    gone = await api.get(f"/v1/annotation_configs/{config['id']}")

    assert updated.status_code == 200, updated.text
    assert (updated.json()["data"]["name"], updated.json()["data"]["upper_bound"]) == (
        "relevance-2",
        10.0,
    )
    assert deleted.status_code == 200
    assert deleted.json()["data"]["name"] == "relevance-2"
    assert again.status_code == 404 and gone.status_code == 404
    assert "Annotation configuration not found" in gone.text


async def test_names_are_unique_and_note_is_reserved(api: httpx.AsyncClient) -> None:
    first = await _create(api, CATEGORICAL)
    other = await _create(api, FREEFORM)

    duplicate = await api.post("/v1/annotation_configs", json=CATEGORICAL)
    renamed_onto = await api.put(
        f"/v1/annotation_configs/{other['id']}", json={**FREEFORM, "name": "verdict"}
    )
    note = await api.post("/v1/annotation_configs", json={**FREEFORM, "name": "note"})

    assert duplicate.status_code == 409 and "already taken" in duplicate.text
    assert renamed_onto.status_code == 409
    assert note.status_code == 409 and "reserved" in note.text
    assert (await api.get(f"/v1/annotation_configs/{first['id']}")).json()["data"] == first


async def test_inconsistent_or_malformed_configs_are_refused(api: httpx.AsyncClient) -> None:
    cases = [
        ({**CATEGORICAL, "values": []}, 400, "values"),
        ({**CATEGORICAL, "values": [{"label": "a"}, {"label": "a"}]}, 400, '"a"'),
        ({**CATEGORICAL, "values": [{"label": ""}]}, 400, "label"),
        ({**CONTINUOUS, "lower_bound": 2, "upper_bound": 1}, 400, "lower_bound"),
        ({**FREEFORM, "lower_bound": 1, "upper_bound": 1}, 400, "lower_bound"),
        ({**CONTINUOUS, "optimization_direction": "SIDEWAYS"}, 422, "optimization_direction"),
        ({**FREEFORM, "type": "NUMERIC"}, 422, "type"),
        ({key: value for key, value in CATEGORICAL.items() if key != "values"}, 422, "values"),
        ({**FREEFORM, "name": ""}, 422, "name"),
    ]
    for body, status, fragment in cases:
        response = await api.post("/v1/annotation_configs", json=body)
        assert response.status_code == status, (body, response.text)
        assert fragment in response.text, (body, response.text)
    listed = await api.get("/v1/annotation_configs")
    assert listed.json()["data"] == []


async def test_unknown_and_malformed_ids(api: httpx.AsyncClient) -> None:
    missing_global_id = base64.b64encode(b"FreeformAnnotationConfig:999").decode()

    unknown = await api.get(f"/v1/annotation_configs/{missing_global_id}")
    unknown_name = await api.get("/v1/annotation_configs/nothing-by-this-name")
    update_unknown = await api.put(f"/v1/annotation_configs/{missing_global_id}", json=FREEFORM)
    update_malformed = await api.put("/v1/annotation_configs/not-an-id", json=FREEFORM)
    delete_project_id = await api.delete("/v1/annotation_configs/UHJvamVjdDox")

    assert unknown.status_code == 404 and unknown_name.status_code == 404
    assert update_unknown.status_code == 404
    assert update_malformed.status_code == 400 and "not-an-id" in update_malformed.text
    assert delete_project_id.status_code == 400


async def test_project_assignments(api: httpx.AsyncClient) -> None:
    categorical = await _create(api, CATEGORICAL)
    continuous = await _create(api, CONTINUOUS)
    path = "/v1/projects/default/annotation_configs"

    assigned = await api.put(f"{path}/verdict")
    twice = await api.put(f"{path}/{categorical['id']}")
    listed = await api.get(path)
    replaced = await api.put(path, json={"annotation_config_ids": [continuous["id"]]})
    after_replace = await api.get(path)
    unassigned = await api.delete(f"{path}/relevance")
    unassigned_again = await api.delete(f"{path}/relevance")
    finally_listed = await api.get(path)

    assert assigned.json()["data"] == categorical and twice.status_code == 200
    assert listed.json() == {"data": [categorical], "next_cursor": None}
    assert replaced.json() == {"data": [continuous], "next_cursor": None}
    assert after_replace.json()["data"] == [continuous]
    assert (unassigned.status_code, unassigned_again.status_code) == (204, 204)
    assert finally_listed.json()["data"] == []
    assert (await api.get("/v1/annotation_configs/relevance")).status_code == 200


async def test_bad_project_assignments(api: httpx.AsyncClient) -> None:
    await _create(api, CATEGORICAL)
    path = "/v1/projects/default/annotation_configs"
    missing = base64.b64encode(b"CategoricalAnnotationConfig:12345").decode()

    unknown_project = await api.get("/v1/projects/nowhere/annotation_configs")
    unknown_config = await api.put(f"{path}/not-a-config")
    bad_set = await api.put(path, json={"annotation_config_ids": ["garbage"]})
    missing_set = await api.put(path, json={"annotation_config_ids": [missing]})
    no_body = await api.put(path, json={})

    assert unknown_project.status_code == 404 and "nowhere" in unknown_project.text
    assert unknown_config.status_code == 404 and "not-a-config" in unknown_config.text
    assert bad_set.status_code == 400 and "garbage" in bad_set.text
    assert missing_set.status_code == 404 and missing in missing_set.text
    assert no_body.status_code == 422 and "annotation_config_ids" in no_body.text
    assert (await api.get(path)).json()["data"] == []


async def test_deleting_a_config_unassigns_it(api: httpx.AsyncClient) -> None:
    config = await _create(api, FREEFORM)
    await api.put("/v1/projects/default/annotation_configs/comment")

    await api.delete(f"/v1/annotation_configs/{config['id']}")

    listed = await api.get("/v1/projects/default/annotation_configs")
    assert listed.json()["data"] == []
