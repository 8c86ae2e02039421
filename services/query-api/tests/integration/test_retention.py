"""Retention policies through REST and GraphQL: round trips, a project's policy and data volume,
the default policy, and bad input refused with the field or argument named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from tests.support.trace_rows import create_project, create_trace

WEEKLY = {"name": "a week", "cron_expression": "0 3 * * *", "rule": {"max_days": 7}}


async def _create(api: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    response = await api.post("/v1/retention_policies", json=body)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def test_a_policy_round_trips_through_rest(api: httpx.AsyncClient) -> None:
    created = await _create(api, WEEKLY)
    assert created["rule"] == {"max_days": 7, "max_count": None}
    assert created["is_default"] is False

    patched = await api.patch(
        f"/v1/retention_policies/{created['id']}",
        json={"rule": {"max_days": 30, "max_count": 1000}, "name": "a month"},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["data"]["rule"] == {"max_days": 30, "max_count": 1000}
    assert patched.json()["data"]["cron_expression"] == "0 3 * * *"

    listed = (await api.get("/v1/retention_policies")).json()["data"]
    assert [policy["name"] for policy in listed] == ["Default", "a month"]
    assert listed[0]["is_default"] is True
    assert listed[0]["rule"] == {"max_days": None, "max_count": None}

    deleted = await api.delete(f"/v1/retention_policies/{created['id']}")
    assert deleted.status_code == 200
    missing = await api.get(f"/v1/retention_policies/{created['id']}")
    assert missing.status_code == 404


async def test_the_default_policy_can_be_edited_but_not_deleted(api: httpx.AsyncClient) -> None:
    default = (await api.get("/v1/retention_policies")).json()["data"][0]

    refused = await api.delete(f"/v1/retention_policies/{default['id']}")
    edited = await api.patch(
        f"/v1/retention_policies/{default['id']}", json={"rule": {"max_days": 90}}
    )

    assert refused.status_code == 403
    assert edited.json()["data"]["rule"]["max_days"] == 90


async def test_a_project_shows_its_policy_and_data_volume_and_can_change_policy(
    api: httpx.AsyncClient, database_url: str
) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        project = await create_project(connection, "volume")
        now = datetime.now(UTC)
        await create_trace(connection, project, [now - timedelta(days=3), now - timedelta(days=3)])
        await create_trace(connection, project, [now - timedelta(hours=1)])
    finally:
        await connection.close()

    before = (await api.get("/v1/projects/volume/retention")).json()["data"]
    assert before["policy"]["is_default"] is True
    assert before["volume"]["trace_count"] == 2
    assert before["volume"]["span_count"] == 3
    assert before["volume"]["approximate_bytes"] >= 0
    oldest = datetime.fromisoformat(before["volume"]["oldest_start_time"])
    assert abs(oldest - (now - timedelta(days=3))) < timedelta(seconds=1)

    policy = await _create(api, WEEKLY)
    chosen = await api.put("/v1/projects/volume/retention_policy", json={"policy_id": policy["id"]})
    assert chosen.status_code == 200, chosen.text
    after = (await api.get("/v1/projects/volume/retention")).json()["data"]
    assert after["policy"]["name"] == "a week"

    await api.delete(f"/v1/retention_policies/{policy['id']}")
    back = (await api.get("/v1/projects/volume/retention")).json()["data"]
    assert back["policy"]["is_default"] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**WEEKLY, "rule": {"max_days": 0}}, ["body", "rule", "max_days"]),
        ({**WEEKLY, "rule": {"max_days": -3}}, ["body", "rule", "max_days"]),
        ({**WEEKLY, "rule": {"max_count": 0}}, ["body", "rule", "max_count"]),
        ({**WEEKLY, "cron_expression": "every sunday"}, ["body", "cron_expression"]),
        ({**WEEKLY, "cron_expression": "0 0 * *"}, ["body", "cron_expression"]),
        ({**WEEKLY, "cron_expression": "99 0 * * *"}, ["body", "cron_expression"]),
    ],
)
async def test_bad_policies_are_422_naming_the_field(
    api: httpx.AsyncClient, body: dict[str, Any], field: list[str]
) -> None:
    response = await api.post("/v1/retention_policies", json=body)

    assert response.status_code == 422, response.text
    assert [error["loc"] for error in response.json()["detail"]] == [field]
    assert len((await api.get("/v1/retention_policies")).json()["data"]) == 1


async def test_a_taken_name_is_409(api: httpx.AsyncClient) -> None:
    await _create(api, WEEKLY)
    assert (await api.post("/v1/retention_policies", json=WEEKLY)).status_code == 409


POLICY_FIELDS = "id name cronExpression maxDays maxCount isDefault projectCount nextRunAt"


async def test_policies_round_trip_through_graphql(graphql_api: Any, database_url: str) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        await create_project(connection, "graphs")
    finally:
        await connection.close()
    project = await graphql_api.query('{ project(name: "graphs") { id } }')
    project_id = project["data"]["project"]["id"]

    created = await graphql_api.query(
        f"mutation($input: CreateProjectTraceRetentionPolicyInput!) {{ "
        f"createProjectTraceRetentionPolicy(input: $input) {{ {POLICY_FIELDS} }} }}",
        input={
            "name": "hundred",
            "cronExpression": "0 * * * *",
            "maxCount": 100,
            "addProjects": [project_id],
        },
    )
    policy = created["data"]["createProjectTraceRetentionPolicy"]
    assert (policy["maxDays"], policy["maxCount"], policy["projectCount"]) == (None, 100, 1)

    patched = await graphql_api.query(
        f"mutation($input: PatchProjectTraceRetentionPolicyInput!) {{ "
        f"patchProjectTraceRetentionPolicy(input: $input) {{ {POLICY_FIELDS} }} }}",
        input={"id": policy["id"], "maxDays": 14},
    )
    assert patched["data"]["patchProjectTraceRetentionPolicy"]["maxDays"] == 14
    assert patched["data"]["patchProjectTraceRetentionPolicy"]["maxCount"] == 100

    shown = await graphql_api.query(
        '{ project(name: "graphs") { usesDefaultRetentionPolicy '
        "traceRetentionPolicy { name } dataVolume { traceCount spanCount approximateBytes } } "
        "projectTraceRetentionPolicies { name } }"
    )
    assert shown["data"]["project"]["traceRetentionPolicy"]["name"] == "hundred"
    assert shown["data"]["project"]["usesDefaultRetentionPolicy"] is False
    assert shown["data"]["project"]["dataVolume"]["traceCount"] == 0
    assert [p["name"] for p in shown["data"]["projectTraceRetentionPolicies"]] == [
        "Default",
        "hundred",
    ]

    reset = await graphql_api.query(
        "mutation($id: ID!) { setProjectTraceRetentionPolicy(projectId: $id, policyId: null) "
        "{ usesDefaultRetentionPolicy } }",
        id=project_id,
    )
    assert reset["data"]["setProjectTraceRetentionPolicy"]["usesDefaultRetentionPolicy"] is True
    deleted = await graphql_api.query(
        "mutation($id: ID!) { deleteProjectTraceRetentionPolicy(id: $id) }", id=policy["id"]
    )
    assert deleted["data"]["deleteProjectTraceRetentionPolicy"] == policy["id"]


@pytest.mark.parametrize(
    ("fields", "argument"),
    [
        ({"maxDays": 0}, "input.maxDays"),
        ({"maxCount": -1}, "input.maxCount"),
        ({"cronExpression": "soon"}, "input.cronExpression"),
    ],
)
async def test_bad_policies_are_graphql_errors_naming_the_argument(
    graphql_api: Any, fields: dict[str, Any], argument: str
) -> None:
    result = await graphql_api.query(
        "mutation($input: CreateProjectTraceRetentionPolicyInput!) { "
        "createProjectTraceRetentionPolicy(input: $input) { id } }",
        input={"name": "bad", "cronExpression": "0 0 * * 0", **fields},
    )

    error = result["errors"][0]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": argument}
    assert argument.split(".")[1] in error["message"]
    listed = await graphql_api.query("{ projectTraceRetentionPolicies { name } }")
    assert [p["name"] for p in listed["data"]["projectTraceRetentionPolicies"]] == ["Default"]
