"""Our OpenAPI document offers Phoenix's user and API key operations as Phoenix's contract
(phoenix-openapi.json) has them: the same paths, parameters and success statuses, and bodies
under Phoenix's schema names with Phoenix's fields (the extract below). ``LocalUser.password``
alone is left out: a password is never answered."""

from __future__ import annotations

import json
from typing import Any

import pytest

from spyglass_query_api.contracts import openapi_document

OPERATIONS: dict[tuple[str, str], tuple[set[str], str]] = {
    ("/v1/user", "get"): (set(), "200"),
    ("/v1/users", "get"): ({"cursor", "limit"}, "200"),
    ("/v1/users", "post"): (set(), "201"),
    ("/v1/users/{user_id}", "delete"): ({"user_id"}, "204"),
    ("/v1/user/api_keys", "get"): (set(), "200"),
    ("/v1/user/api_keys", "post"): (set(), "201"),
    ("/v1/user/api_keys/{api_key_id}", "delete"): ({"api_key_id"}, "204"),
    ("/v1/users/api_keys", "get"): ({"cursor", "limit"}, "200"),
    ("/v1/system/api_keys", "get"): (set(), "200"),
    ("/v1/system/api_keys", "post"): (set(), "201"),
    ("/v1/system/api_keys/{api_key_id}", "delete"): ({"api_key_id"}, "204"),
    ("/auth/login", "post"): (set(), "204"),
    ("/auth/logout", "get"): (set(), "302"),
    ("/auth/refresh", "post"): (set(), "204"),
    ("/auth/password-reset", "post"): (set(), "204"),
    ("/oauth2/{idp_name}/login", "get"): ({"idp_name", "returnUrl"}, "501"),
    ("/oauth2/{idp_name}/tokens", "get"): ({"idp_name", "state", "code", "error"}, "501"),
}
"""Each operation: Phoenix's parameters, and our success status (Phoenix's document says 200
for its ``/auth`` routes, which answer 204 and 302 as ours do)."""

USER_FIELDS = {
    "id",
    "created_at",
    "updated_at",
    "email",
    "username",
    "role",
    "auth_method",
    "password_needs_reset",
}
SCHEMAS: dict[str, tuple[set[str], set[str]]] = {
    "LocalUser": (USER_FIELDS, USER_FIELDS),
    "AnonymousUser": ({"auth_method"}, {"auth_method"}),
    "GetViewerResponseBody": ({"data"}, {"data"}),
    "GetUsersResponseBody": ({"data", "next_cursor"}, {"data", "next_cursor"}),
    "CreateUserRequestBody": ({"user", "send_welcome_email"}, {"user"}),
    "LocalUserData": (
        {"email", "username", "role", "auth_method", "password"},
        {"email", "username", "role", "auth_method"},
    ),
    "CreateUserResponseBody": ({"data"}, {"data"}),
    "ApiKey": (
        {"id", "name", "description", "created_at", "expires_at"},
        {"id", "name", "created_at"},
    ),
    "CreatedApiKey": (
        {"id", "name", "description", "created_at", "expires_at", "key"},
        {"id", "name", "created_at", "key"},
    ),
    "UserApiKey": (
        {"id", "name", "description", "created_at", "expires_at", "user"},
        {"id", "name", "created_at", "user"},
    ),
    "ApiKeyUser": ({"id", "username", "email"}, {"id", "username", "email"}),
    "ApiKeyData": ({"name", "description", "expires_at"}, {"name"}),
    "CreateApiKeyRequestBody": ({"data"}, {"data"}),
    "CreateApiKeyResponseBody": ({"data"}, {"data"}),
    "GetApiKeysResponseBody": ({"data"}, {"data"}),
    "GetAllUserApiKeysResponseBody": ({"data", "next_cursor"}, {"data", "next_cursor"}),
}
"""Each schema: Phoenix's properties (``LocalUser.password`` aside) and required ones."""


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(openapi_document())
    return parsed


@pytest.mark.parametrize(
    ("path", "method"), list(OPERATIONS), ids=[f"{m.upper()} {p}" for p, m in OPERATIONS]
)
def test_phoenixs_auth_operations_are_served(
    document: dict[str, Any], path: str, method: str
) -> None:
    parameters, success = OPERATIONS[(path, method)]
    operation = document["paths"].get(path, {}).get(method)
    assert operation is not None, f"{method.upper()} {path} is not served"
    assert parameters <= {parameter["name"] for parameter in operation.get("parameters", [])}
    assert success in operation["responses"]


@pytest.mark.parametrize("name", list(SCHEMAS))
def test_bodies_have_phoenixs_names_and_fields(document: dict[str, Any], name: str) -> None:
    properties, required = SCHEMAS[name]
    schema = document["components"]["schemas"].get(name)
    assert schema is not None, f"no schema named {name}"
    assert set(schema["properties"]) == properties
    assert set(schema.get("required", [])) == required
