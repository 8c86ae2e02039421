"""The query API's door with auth on: who may read, write and mutate, REST and GraphQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.auth_callers import ADMIN_SECRET, AuthedApi, authed_api


@pytest.fixture
async def door(database_url: str) -> AsyncIterator[AuthedApi]:
    async with authed_api(database_url) as api:
        api.tokens["system"] = ADMIN_SECRET  # the admin secret acts as the system user
        api.tokens["ingest"] = api.tokens["ingest key"]
        yield api


async def test_without_a_valid_credential_only_public_routes_answer(door: AuthedApi) -> None:
    client = door.client
    refused = await client.get("/v1/projects")
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == 'Bearer realm="Spyglass"'
    assert "Authentication required" in refused.text
    for garbage in ("Bearer nonsense", "Bearer " + "x" * 5000, "Basic YWRtaW46YWRtaW4="):
        answer = await client.get("/v1/projects", headers={"authorization": garbage})
        assert answer.status_code == 401, garbage
    assert (await client.get("/arize_phoenix_version")).status_code == 200
    assert (await client.get("/healthz")).status_code == 200
    graphql = await client.post(
        "/graphql", json={"query": "{ projects { edges { node { name } } } }"}
    )
    assert graphql.status_code == 401


async def test_viewers_read_members_write(door: AuthedApi) -> None:
    client = door.client
    assert (await client.get("/v1/projects", headers=door.as_("viewer"))).status_code == 200
    refused = await client.post(
        "/v1/projects", json={"name": "from-viewer"}, headers=door.as_("viewer")
    )
    assert (refused.status_code, refused.text) == (403, "Viewers cannot perform this action")
    made = await client.post(
        "/v1/projects", json={"name": "from-member"}, headers=door.as_("member")
    )
    assert made.status_code == 200, made.text
    names = {
        project["name"]
        for project in (await client.get("/v1/projects", headers=door.as_("admin"))).json()["data"]
    }
    assert "from-member" in names and "from-viewer" not in names
    by_secret = await client.get("/v1/projects", headers=door.as_("system"))
    assert by_secret.status_code == 200
    # An ingest key can only send spans: the REST API is closed to it.
    ingest = await client.get("/v1/projects", headers=door.as_("ingest"))
    assert (ingest.status_code, ingest.text) == (403, "An ingest key can only send spans")


async def test_a_viewers_graphql_mutation_is_refused_before_it_runs(door: AuthedApi) -> None:
    client = door.client
    query = {"query": "{ projects { edges { node { name } } } }"}
    read = await client.post("/graphql", json=query, headers=door.as_("viewer"))
    assert read.status_code == 200 and "errors" not in read.json()

    def mutation(name: str) -> dict[str, str]:
        return {
            "query": f'mutation {{ createProjectTraceRetentionPolicy(input: {{name: "{name}", '
            'cronExpression: "0 0 * * 0", maxDays: 3}) { name } }'
        }

    refused = await client.post("/graphql", json=mutation("viewers"), headers=door.as_("viewer"))
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["message"] == "Viewers cannot perform this action"
    made = await client.post("/graphql", json=mutation("members"), headers=door.as_("member"))
    assert made.json() == {"data": {"createProjectTraceRetentionPolicy": {"name": "members"}}}
    listed = await client.post(
        "/graphql",
        json={"query": "{ projectTraceRetentionPolicies { name } }"},
        headers=door.as_("viewer"),
    )
    names = [policy["name"] for policy in listed.json()["data"]["projectTraceRetentionPolicies"]]
    assert "members" in names and "viewers" not in names
