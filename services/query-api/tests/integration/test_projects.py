"""``/v1/projects`` as Phoenix's clients use it, plus the version endpoint and header."""

from __future__ import annotations

import base64

import httpx
import pytest

pytestmark = pytest.mark.slow

Client = httpx.AsyncClient


async def test_version_endpoint_and_header(api: Client) -> None:
    response = await api.get("/arize_phoenix_version")

    assert response.status_code == 200
    major, minor, _ = (int(part) for part in response.text.split("."))
    assert (major, minor) >= (20, 8)  # the highest feature gate of arize-phoenix-client 3.x
    assert response.headers["x-phoenix-server-version"] == response.text


async def test_default_project_exists_and_cannot_be_deleted(api: Client) -> None:
    listed = (await api.get("/v1/projects")).json()
    deleted = await api.delete("/v1/projects/default")

    assert [project["name"] for project in listed["data"]] == ["default"]
    assert base64.b64decode(listed["data"][0]["id"]).decode().startswith("Project:")
    assert deleted.status_code == 403
    assert "default project cannot be deleted" in deleted.text


async def test_create_get_update_delete(api: Client) -> None:
    created = await api.post("/v1/projects", json={"name": "chatbot", "description": "v1"})
    project_id = created.json()["data"]["id"]

    by_id = await api.get(f"/v1/projects/{project_id}")
    by_name = await api.get("/v1/projects/chatbot")
    updated = await api.put(f"/v1/projects/{project_id}", json={"description": "v2"})
    deleted = await api.delete("/v1/projects/chatbot")
    gone = await api.get(f"/v1/projects/{project_id}")

    assert created.status_code == 200
    assert (
        by_id.json()
        == by_name.json()
        == {"data": {"name": "chatbot", "description": "v1", "id": project_id}}
    )
    assert updated.json()["data"]["description"] == "v2"
    assert deleted.status_code == 204
    assert gone.status_code == 404
    assert gone.headers["content-type"].startswith("text/plain")
    assert project_id in gone.text


async def test_duplicate_name_is_a_conflict(api: Client) -> None:
    await api.post("/v1/projects", json={"name": "twice"})
    again = await api.post("/v1/projects", json={"name": "twice"})

    assert again.status_code == 409
    assert "twice" in again.text


async def test_pages_follow_next_cursor_newest_first(api: Client) -> None:
    for number in range(5):
        await api.post("/v1/projects", json={"name": f"p{number}"})
    names: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        body = (await api.get("/v1/projects", params=params)).json()
        names += [project["name"] for project in body["data"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break

    assert names == ["p4", "p3", "p2", "p1", "p0", "default"]
    assert pages == 3


async def test_name_contains_filters(api: Client) -> None:
    for name in ("support-bot", "Support-eval", "search"):
        await api.post("/v1/projects", json={"name": name})

    body = (await api.get("/v1/projects", params={"name_contains": "support"})).json()

    assert sorted(project["name"] for project in body["data"]) == ["Support-eval", "support-bot"]


@pytest.mark.parametrize(
    ("params", "parameter"),
    [({"cursor": "not-a-cursor"}, "cursor"), ({"limit": 0}, "limit"), ({"limit": "x"}, "limit")],
)
async def test_bad_cursor_or_limit_is_422_naming_it(
    api: Client, params: dict[str, object], parameter: str
) -> None:
    response = await api.get("/v1/projects", params=params)

    assert response.status_code == 422
    assert parameter in response.text


async def test_oversized_limit_is_capped(api: Client) -> None:
    response = await api.get("/v1/projects", params={"limit": 10**9})

    assert response.status_code == 200


async def test_bad_body_is_422_and_unknown_route_is_404(api: Client) -> None:
    empty_name = await api.post("/v1/projects", json={"name": ""})
    not_json = await api.post(
        "/v1/projects", content=b"{", headers={"content-type": "application/json"}
    )
    unknown = await api.get("/v1/nothing-here")

    assert empty_name.status_code == 422
    assert "name" in empty_name.text
    assert not_json.status_code in (400, 422)
    assert unknown.status_code == 404
