"""The authorization matrix: every operation of the REST API (from the OpenAPI document the
app serves) and every GraphQL field, tried by every kind of caller, with the answer each must
get. An operation with no row below fails the test: a new route must say who may call it.
The refusals checked are the door's own (its 401 and 403 and their words); what a handler
answers once let through (a refresh without its cookie is a 401 too) is the operation's.

The rows are written here, not read from the routes: they are what we promise (Phoenix's
rules: viewers read, members write, admins manage users, system keys and provider secrets),
and the test checks the routes keep it. An allowed call may still be a 404 or a 422 (the
requests name nothing that exists and carry empty bodies); a refused one must be the door's 401
(no valid credential: anonymous, an expired key, a revoked key) or 403, and a refused write
runs nothing (the guard answers before the handler).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from spyglass_auth import Access
from spyglass_query_api.graphql.executable import executable_schema
from tests.support.auth_callers import CALLERS, AuthedApi, authed_api

PUBLIC, SIGNED_IN, READ, WRITE, ADMIN = (
    Access.PUBLIC,
    Access.SIGNED_IN,
    Access.READ,
    Access.WRITE,
    Access.ADMIN,
)

REST: dict[tuple[str, str], Access] = {
    ("POST", "/auth/ldap/login"): PUBLIC,
    ("POST", "/auth/login"): PUBLIC,
    ("GET", "/auth/logout"): PUBLIC,
    ("POST", "/auth/logout"): PUBLIC,
    ("POST", "/auth/password-reset"): PUBLIC,
    ("POST", "/auth/password-reset-email"): PUBLIC,
    ("POST", "/auth/refresh"): PUBLIC,
    ("GET", "/oauth2/{idp_name}/login"): PUBLIC,
    ("POST", "/oauth2/{idp_name}/login"): PUBLIC,
    ("GET", "/oauth2/{idp_name}/tokens"): PUBLIC,
    ("GET", "/v1/ingest_keys"): WRITE,
    ("POST", "/v1/ingest_keys"): WRITE,
    ("DELETE", "/v1/ingest_keys/{ingest_key_id}"): WRITE,
    ("GET", "/v1/system/api_keys"): ADMIN,
    ("POST", "/v1/system/api_keys"): ADMIN,
    ("DELETE", "/v1/system/api_keys/{api_key_id}"): ADMIN,
    ("GET", "/v1/user"): SIGNED_IN,
    ("PATCH", "/v1/user"): SIGNED_IN,
    ("GET", "/v1/user/api_keys"): SIGNED_IN,
    ("POST", "/v1/user/api_keys"): SIGNED_IN,
    ("DELETE", "/v1/user/api_keys/{api_key_id}"): SIGNED_IN,
    ("GET", "/v1/users"): ADMIN,
    ("POST", "/v1/users"): ADMIN,
    ("GET", "/v1/users/api_keys"): ADMIN,
    ("DELETE", "/v1/users/{user_id}"): ADMIN,
    ("PATCH", "/v1/users/{user_id}"): ADMIN,
    ("POST", "/v1/users/{user_id}/password_reset"): ADMIN,
    ("GET", "/arize_phoenix_version"): PUBLIC,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/v1/annotation_configs"): READ,
    ("POST", "/v1/annotation_configs"): WRITE,
    ("GET", "/v1/annotation_configs/{config_identifier}"): READ,
    ("DELETE", "/v1/annotation_configs/{config_id}"): WRITE,
    ("PUT", "/v1/annotation_configs/{config_id}"): WRITE,
    ("POST", "/v1/chat/completions"): WRITE,
    ("GET", "/v1/dataset_labels"): READ,
    ("POST", "/v1/dataset_labels"): WRITE,
    ("DELETE", "/v1/dataset_labels/{label_id}"): WRITE,
    ("GET", "/v1/dataset_labels/{label_id}"): READ,
    ("PATCH", "/v1/dataset_labels/{label_id}"): WRITE,
    ("GET", "/v1/datasets"): READ,
    ("POST", "/v1/datasets/upload"): WRITE,
    ("GET", "/v1/datasets/{dataset_identifier}/labels"): READ,
    ("PUT", "/v1/datasets/{dataset_identifier}/labels"): WRITE,
    ("DELETE", "/v1/datasets/{dataset_identifier}/labels/{label_id}"): WRITE,
    ("PUT", "/v1/datasets/{dataset_identifier}/labels/{label_id}"): WRITE,
    ("POST", "/v1/datasets/{dataset_identifier}/splits"): WRITE,
    ("DELETE", "/v1/datasets/{dataset_identifier}/splits/{split_id}"): WRITE,
    ("PATCH", "/v1/datasets/{dataset_identifier}/splits/{split_id}"): WRITE,
    ("GET", "/v1/datasets/{dataset_id}/experiments"): READ,
    ("POST", "/v1/datasets/{dataset_id}/experiments"): WRITE,
    ("DELETE", "/v1/datasets/{id}"): WRITE,
    ("GET", "/v1/datasets/{id}"): READ,
    ("GET", "/v1/datasets/{id}/csv"): READ,
    ("GET", "/v1/datasets/{id}/evaluators"): READ,
    ("POST", "/v1/datasets/{id}/evaluators"): WRITE,
    ("DELETE", "/v1/datasets/{id}/evaluators/{dataset_evaluator_id}"): WRITE,
    ("GET", "/v1/datasets/{id}/examples"): READ,
    ("GET", "/v1/datasets/{id}/jsonl"): READ,
    ("GET", "/v1/datasets/{id}/jsonl/openai_evals"): READ,
    ("GET", "/v1/datasets/{id}/jsonl/openai_ft"): READ,
    ("GET", "/v1/datasets/{id}/versions"): READ,
    ("POST", "/v1/document_annotations"): WRITE,
    ("DELETE", "/v1/evaluation_rules/{rule_id}"): WRITE,
    ("GET", "/v1/evaluation_rules/{rule_id}"): READ,
    ("PATCH", "/v1/evaluation_rules/{rule_id}"): WRITE,
    ("GET", "/v1/evaluation_rules/{rule_id}/jobs"): READ,
    ("POST", "/v1/evaluation_rules/{rule_id}/pause"): WRITE,
    ("POST", "/v1/evaluation_rules/{rule_id}/resume"): WRITE,
    ("GET", "/v1/evaluators"): READ,
    ("POST", "/v1/evaluators"): WRITE,
    ("POST", "/v1/evaluators/test"): WRITE,
    ("DELETE", "/v1/evaluators/{evaluator_identifier}"): WRITE,
    ("GET", "/v1/evaluators/{evaluator_identifier}"): READ,
    ("PATCH", "/v1/evaluators/{evaluator_identifier}"): WRITE,
    ("GET", "/v1/evaluators/{evaluator_identifier}/versions"): READ,
    ("POST", "/v1/evaluators/{evaluator_identifier}/versions"): WRITE,
    ("POST", "/v1/experiment_evaluations"): WRITE,
    ("POST", "/v1/experiment_jobs"): WRITE,
    ("GET", "/v1/experiment_jobs/{job_id}"): READ,
    ("POST", "/v1/experiment_jobs/{job_id}/cancel"): WRITE,
    ("POST", "/v1/experiment_jobs/{job_id}/resume"): WRITE,
    ("DELETE", "/v1/experiments/{experiment_id}"): WRITE,
    ("GET", "/v1/experiments/{experiment_id}"): READ,
    ("PATCH", "/v1/experiments/{experiment_id}"): WRITE,
    ("GET", "/v1/experiments/{experiment_id}/csv"): READ,
    ("GET", "/v1/experiments/{experiment_id}/incomplete-evaluations"): READ,
    ("GET", "/v1/experiments/{experiment_id}/incomplete-runs"): READ,
    ("GET", "/v1/experiments/{experiment_id}/json"): READ,
    ("GET", "/v1/experiments/{experiment_id}/runs"): READ,
    ("POST", "/v1/experiments/{experiment_id}/runs"): WRITE,
    ("GET", "/v1/experiments/{experiment_id}/tags"): READ,
    ("POST", "/v1/experiments/{experiment_id}/tags"): WRITE,
    ("DELETE", "/v1/experiments/{experiment_id}/tags/{tag_identifier}"): WRITE,
    ("GET", "/v1/projects"): READ,
    ("POST", "/v1/projects"): WRITE,
    ("DELETE", "/v1/projects/{project_identifier}"): WRITE,
    ("GET", "/v1/projects/{project_identifier}"): READ,
    ("PUT", "/v1/projects/{project_identifier}"): WRITE,
    ("GET", "/v1/projects/{project_identifier}/annotation_configs"): READ,
    ("PUT", "/v1/projects/{project_identifier}/annotation_configs"): WRITE,
    ("DELETE", "/v1/projects/{project_identifier}/annotation_configs/{config_identifier}"): WRITE,
    ("PUT", "/v1/projects/{project_identifier}/annotation_configs/{config_identifier}"): WRITE,
    ("GET", "/v1/projects/{project_identifier}/evaluation_rules"): READ,
    ("POST", "/v1/projects/{project_identifier}/evaluation_rules"): WRITE,
    ("POST", "/v1/projects/{project_identifier}/evaluation_rules/dry_run"): WRITE,
    ("GET", "/v1/projects/{project_identifier}/retention"): READ,
    ("PUT", "/v1/projects/{project_identifier}/retention_policy"): WRITE,
    ("DELETE", "/v1/projects/{project_identifier}/session_annotations"): WRITE,
    ("GET", "/v1/projects/{project_identifier}/session_annotations"): READ,
    ("GET", "/v1/projects/{project_identifier}/sessions"): READ,
    ("DELETE", "/v1/projects/{project_identifier}/span_annotations"): WRITE,
    ("GET", "/v1/projects/{project_identifier}/span_annotations"): READ,
    ("GET", "/v1/projects/{project_identifier}/spans"): READ,
    ("POST", "/v1/projects/{project_identifier}/spans"): WRITE,
    ("GET", "/v1/projects/{project_identifier}/spans/otlpv1"): READ,
    ("GET", "/v1/projects/{project_identifier}/spans/{span_id}/evaluations"): READ,
    ("DELETE", "/v1/projects/{project_identifier}/trace_annotations"): WRITE,
    ("GET", "/v1/projects/{project_identifier}/trace_annotations"): READ,
    ("GET", "/v1/projects/{project_identifier}/traces"): READ,
    ("GET", "/v1/prompt_versions/{prompt_version_id}"): READ,
    ("GET", "/v1/prompt_versions/{prompt_version_id}/tags"): READ,
    ("POST", "/v1/prompt_versions/{prompt_version_id}/tags"): WRITE,
    ("DELETE", "/v1/prompt_versions/{prompt_version_id}/tags/{tag_name}"): WRITE,
    ("GET", "/v1/prompts"): READ,
    ("POST", "/v1/prompts"): WRITE,
    ("DELETE", "/v1/prompts/{prompt_identifier}"): WRITE,
    ("PATCH", "/v1/prompts/{prompt_identifier}"): WRITE,
    ("GET", "/v1/prompts/{prompt_identifier}/latest"): READ,
    ("GET", "/v1/prompts/{prompt_identifier}/tags/{tag_name}"): READ,
    ("GET", "/v1/prompts/{prompt_identifier}/versions"): READ,
    ("GET", "/v1/retention_policies"): READ,
    ("POST", "/v1/retention_policies"): WRITE,
    ("DELETE", "/v1/retention_policies/{policy_id}"): WRITE,
    ("GET", "/v1/retention_policies/{policy_id}"): READ,
    ("PATCH", "/v1/retention_policies/{policy_id}"): WRITE,
    ("GET", "/v1/secrets"): ADMIN,
    ("PUT", "/v1/secrets"): ADMIN,
    ("POST", "/v1/session_annotations"): WRITE,
    ("POST", "/v1/session_notes"): WRITE,
    ("POST", "/v1/sessions/delete"): WRITE,
    ("DELETE", "/v1/sessions/{session_identifier}"): WRITE,
    ("GET", "/v1/sessions/{session_identifier}"): READ,
    ("POST", "/v1/span_annotations"): WRITE,
    ("POST", "/v1/span_notes"): WRITE,
    ("DELETE", "/v1/spans/{span_identifier}"): WRITE,
    ("POST", "/v1/trace_annotations"): WRITE,
    ("POST", "/v1/trace_notes"): WRITE,
    ("POST", "/v1/traces/transfer"): WRITE,
    ("DELETE", "/v1/traces/{trace_identifier}"): WRITE,
}

GRAPHQL_QUERIES = (
    "compareExperiments",
    "dataset",
    "datasets",
    "experiment",
    "experiments",
    "project",
    "projectTraceRetentionPolicies",
    "projects",
    "prompt",
    "promptVersion",
    "prompts",
    "session",
    "span",
    "trace",
)
GRAPHQL_MUTATIONS: dict[str, Access] = {
    "addSpansToDataset": WRITE,
    "createDataset": WRITE,
    "createProjectTraceRetentionPolicy": WRITE,
    "deleteDataset": WRITE,
    "deleteDatasetExamples": WRITE,
    "deleteExperiments": WRITE,
    "deleteProjectTraceRetentionPolicy": WRITE,
    "patchDataset": WRITE,
    "patchDatasetExamples": WRITE,
    "patchProjectTraceRetentionPolicy": WRITE,
    "setProjectTraceRetentionPolicy": WRITE,
}

NOTHING = "UHJvamVjdDo5OTk5OTk5"
"""Every path parameter: a GlobalID (Project:9999999) that names nothing."""
UNAUTHENTICATED = ("anonymous", "expired key", "revoked key")


DOOR_MESSAGES = {
    401: ("Authentication required",),
    403: (
        "Viewers cannot perform this action",
        "Only admins can perform this action",
        "An ingest key can only send spans",
    ),
}
"""How the door words its refusals (a handler's own 401 or 403, such as a refresh without its
cookie, is the operation's answer, not the door's)."""


def door_refusal(answer: httpx.Response) -> int | None:
    """The status of the door's refusal in ``answer`` (None: the door let it through)."""
    if answer.status_code not in DOOR_MESSAGES:
        return None
    text = answer.text
    if answer.headers.get("content-type", "").startswith("application/json"):
        body = answer.json()
        if "error" in body:  # the OpenAI-shaped chat completions API
            text = str(body["error"].get("message", ""))
        else:  # GraphQL
            text = str((body.get("errors") or [{}])[0].get("message", ""))
    return answer.status_code if text.startswith(DOOR_MESSAGES[answer.status_code]) else None


def refusal(access: Access, caller: str) -> int | None:
    """The status ``caller`` must get for an operation that needs ``access`` (None: it may)."""
    if access is PUBLIC:
        return None
    if caller in UNAUTHENTICATED:
        return 401
    if caller == "ingest key":
        return 403  # it only sends spans, to the ingest receiver
    if access in (SIGNED_IN, READ):
        return None
    if access is WRITE:
        return 403 if caller == "viewer" else None
    return None if caller in ("admin", "system key") else 403


@pytest.fixture
async def api(database_url: str) -> AsyncIterator[AuthedApi]:
    async with authed_api(database_url) as api:
        yield api


def _path(template: str) -> str:
    parts = [NOTHING if part.startswith("{") else part for part in template.split("/")]
    return "/".join(parts)


async def test_every_operation_has_a_row(api: AuthedApi) -> None:
    document = (await api.client.get("/openapi.json")).json()
    served = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
        if method in ("get", "post", "put", "patch", "delete")
    }
    assert sorted(served - set(REST)) == [], "operations without a row in the matrix"
    assert sorted(set(REST) - served) == [], "rows of operations that no longer exist"
    schema = executable_schema()
    assert sorted(schema.query_type.fields) == sorted(GRAPHQL_QUERIES)
    assert schema.mutation_type is not None
    assert sorted(schema.mutation_type.fields) == sorted(GRAPHQL_MUTATIONS)


@pytest.mark.parametrize("caller", CALLERS)
async def test_rest_answers_each_caller_as_the_matrix_says(api: AuthedApi, caller: str) -> None:
    wrong = []
    for (method, template), access in sorted(REST.items()):
        body = {} if method in ("POST", "PUT", "PATCH") else None
        answer = await api.client.request(
            method, _path(template), json=body, headers=api.as_(caller)
        )
        expected, refused = refusal(access, caller), door_refusal(answer)
        if refused != expected:
            wrong.append(f"{method} {template}: {answer.status_code} {answer.text[:80]!r}")
    assert wrong == []


@pytest.mark.parametrize("caller", CALLERS)
async def test_graphql_answers_each_caller_as_the_matrix_says(api: AuthedApi, caller: str) -> None:
    wrong = []
    fields = [("query", name, READ) for name in GRAPHQL_QUERIES] + [
        ("mutation", name, access) for name, access in GRAPHQL_MUTATIONS.items()
    ]
    for kind, name, access in fields:
        # No arguments, no selection: an allowed caller gets a validation error (400), a
        # refused one its 401 or 403 before validation matters.
        answer = await api.client.post(
            "/graphql", json={"query": f"{kind} {{ {name} }}"}, headers=api.as_(caller)
        )
        expected, refused = refusal(access, caller), door_refusal(answer)
        if refused != expected:
            wrong.append(f"{kind} {name}: {answer.status_code} {answer.text[:80]!r}")
    assert wrong == []
