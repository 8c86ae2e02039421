"""The query API's door with auth on: who may read, write and mutate, REST and GraphQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from spyglass_auth import AuthSettings, TokenCodec, TokenKind
from spyglass_core.settings import DbSettings
from spyglass_db import auth as store
from spyglass_db import create_engine, create_session_maker
from spyglass_query_api.app import QueryApiResources, create_app, statement_pool
from spyglass_query_api.settings import QueryApiSettings

SECRET = "a-long-enough-secret-with-digits-0123456789"
ADMIN_SECRET = "the-admin-secret-is-long-too-9876543210"


@dataclass
class Door:
    client: httpx.AsyncClient
    keys: dict[str, str]
    """A bearer token per role: viewer, member, admin, ingest (an ingest key of "shop")."""

    def as_(self, who: str) -> dict[str, str]:
        return {"authorization": f"Bearer {self.keys[who]}"}


@pytest.fixture
async def door(database_url: str) -> AsyncIterator[Door]:
    settings = QueryApiSettings(
        db=DbSettings(url=database_url),
        auth=AuthSettings(enabled=True, secret=SECRET, admin_secret=ADMIN_SECRET),
    )
    engine = create_engine(settings.db)
    statements = statement_pool(settings)
    app = create_app(
        settings, QueryApiResources(engine, create_session_maker(engine), statements=statements)
    )
    codec = TokenCodec(SECRET)
    keys: dict[str, str] = {"system": ADMIN_SECRET}
    async with engine.begin() as connection:
        for role in ("VIEWER", "MEMBER", "ADMIN"):
            user = await store.create_user(
                connection,
                email=f"{role.lower()}@example.com",
                username=role.lower(),
                role=role,
                password_hash=None,
                password_needs_reset=False,
            )
            key = await store.create_key(
                connection,
                user_id=user.id,
                kind="USER",
                name="test",
                description=None,
                project_name=None,
                expires_at=None,
            )
            keys[role.lower()] = codec.issue(TokenKind.API_KEY, key.id)
            if role == "MEMBER":
                ingest = await store.create_key(
                    connection,
                    user_id=user.id,
                    kind="INGEST",
                    name="collector",
                    description=None,
                    project_name="shop",
                    expires_at=None,
                )
                keys["ingest"] = codec.issue(TokenKind.API_KEY, ingest.id)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        yield Door(client, keys)
    for close in app.on_shutdown:
        await close()
    await statements.close()
    await engine.dispose()


async def test_without_a_valid_credential_only_public_routes_answer(door: Door) -> None:
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


async def test_viewers_read_members_write(door: Door) -> None:
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


async def test_a_viewers_graphql_mutation_is_refused_before_it_runs(door: Door) -> None:
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
