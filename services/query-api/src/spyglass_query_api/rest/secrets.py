"""Provider secrets: Phoenix's ``PUT /v1/secrets``, and our ``GET /v1/secrets`` for the UI.

``PUT /v1/secrets`` stores API keys and the like (``OPENAI_API_KEY``, ``ANTHROPIC_BASE_URL``)
encrypted with the deployment's key (:mod:`spyglass_llm.secrets`), all or nothing: an entry with
a string ``value`` is created or replaced, one with ``value: null`` deleted (an absent key is
fine), the last entry of a key wins. As in Phoenix, a key is a letter or ``_`` then letters,
digits and ``_`` (surrounding spaces are dropped), a value is non-blank (surrounding spaces are
dropped), ``value`` must be present (null to delete) and at least one entry is given: else 422
naming the entry. Values are never answered, logged or put in an error message. The process
that made a change forgets its cached credentials at once (other replicas within the
resolver's cache period, 5 s), so the playground's next call uses the new key.

``GET /v1/secrets`` lists the stored keys with their times, never their values, and says
whether secrets can be stored here (``writable``) and, if not, what to set.

With no ``SPYGLASS_SECRETS_KEY`` (or ``PHOENIX_SECRET``) configured, ``PUT`` answers **503**,
naming the variable. Not 422: the request is right, and the same request succeeds, unchanged,
once an operator configures the key; a 4xx would tell the client to change its request, while
a 5xx says the server can't do it as it is set up. No ``Retry-After`` is given: retrying alone
won't help.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, TypeAlias

from litestar import Controller, MediaType, Request, Response, get, put
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_503_SERVICE_UNAVAILABLE
from pydantic import BaseModel, Field, field_validator
from sqlalchemy.ext.asyncio import AsyncEngine

from spyglass_auth import Access
from spyglass_llm.credentials import CredentialResolver
from spyglass_llm.secrets import (
    MAX_SECRET_KEY_LENGTH,
    MAX_SECRETS_PER_CHANGE,
    MIN_KEY_LENGTH,
    SecretBox,
    list_secrets,
    upsert_or_delete_secrets,
)
from spyglass_query_api.dependencies import Db

Engine: TypeAlias = NamedDependency[AsyncEngine]
Resolver: TypeAlias = NamedDependency[CredentialResolver]
Box: TypeAlias = NamedDependency[SecretBox | None]

NO_KEY_MESSAGE = (
    "secrets can't be stored: this server has no SPYGLASS_SECRETS_KEY (or PHOENIX_SECRET); "
    f"set it to a random string of at least {MIN_KEY_LENGTH} characters and restart it, or "
    "give provider keys as environment variables"
)

_KEY_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class SecretsNotConfiguredError(Exception):
    """No key to encrypt secrets with is configured (503, naming the variable to set)."""


def _not_configured(_: Request[Any, Any, Any], error: SecretsNotConfiguredError) -> Response[str]:
    return Response(str(error), status_code=HTTP_503_SERVICE_UNAVAILABLE, media_type=MediaType.TEXT)


class SecretKeyValue(BaseModel):
    """A single secret entry specifying a key and a required nullable value."""

    key: str = Field(max_length=MAX_SECRET_KEY_LENGTH)
    value: str | None = Field(
        description=(
            "Provide a string to create or update the secret, or explicit null to delete it. "
            "This field is required; omitting it returns 422."
        )
    )

    @field_validator("key")
    @classmethod
    def _key(cls, key: str) -> str:
        key = key.strip()
        if not key:
            raise ValueError("Key cannot be empty")
        if not _KEY_PATTERN.fullmatch(key):
            raise ValueError(
                "Key must start with a letter or underscore and contain only letters, digits, "
                "and underscores"
            )
        return key

    @field_validator("value")
    @classmethod
    def _value(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if not value:
            raise ValueError("Value cannot be empty")
        return value


class UpsertOrDeleteSecretsRequest(BaseModel):
    """Request body for the PUT /secrets endpoint."""

    secrets: list[SecretKeyValue] = Field(max_length=MAX_SECRETS_PER_CHANGE)

    @field_validator("secrets")
    @classmethod
    def _some(cls, secrets: list[SecretKeyValue]) -> list[SecretKeyValue]:
        if not secrets:
            raise ValueError("At least one secret is required")
        return secrets


class UpsertOrDeleteSecretsResult(BaseModel):
    """Result payload listing which keys were upserted and which were deleted."""

    upserted_keys: list[str]
    deleted_keys: list[str]


class UpsertOrDeleteSecretsResponseBody(BaseModel):
    data: UpsertOrDeleteSecretsResult


class StoredSecretKey(BaseModel):
    """A stored secret's key and times (never its value)."""

    key: str
    created_at: datetime
    updated_at: datetime


class ListSecretsResponseBody(BaseModel):
    data: list[StoredSecretKey]
    writable: bool = Field(
        description="Whether this server can store secrets (it has SPYGLASS_SECRETS_KEY)."
    )
    reason: str | None = Field(default=None, description="Why not, and what to set, if not.")


class SecretController(Controller):
    path = "/v1/secrets"
    tags = ["secrets"]  # noqa: RUF012 (litestar declares it as an instance variable)
    exception_handlers = {SecretsNotConfiguredError: _not_configured}  # noqa: RUF012 (likewise)
    # Provider credentials spend the team's money: only admins see or change them.
    opt = {"access": Access.ADMIN}  # noqa: RUF012 (likewise)

    @put(
        "",
        operation_id="upsertOrDeleteSecrets",
        summary="Upsert or delete secrets",
        description=(
            "Atomically upsert or delete a batch of secrets. Entries with a non-null `value` "
            "are created or updated; entries with `value: null` are deleted. The `value` field "
            "is required for every entry, and omitting it returns 422. When the same key "
            "appears more than once, the last occurrence wins. Deleting a non-existent key "
            "succeeds silently. Secret values are never returned in the response. Without "
            "SPYGLASS_SECRETS_KEY configured, 503 naming it."
        ),
        status_code=200,
    )
    async def upsert_or_delete_secrets(
        self,
        engine: Engine,
        credentials: Resolver,
        secret_box: Box,
        data: JSONBody[UpsertOrDeleteSecretsRequest],
    ) -> UpsertOrDeleteSecretsResponseBody:
        """Store, replace or delete secrets in one transaction; the keys are answered."""
        if secret_box is None:
            raise SecretsNotConfiguredError(NO_KEY_MESSAGE)
        entries = [(entry.key, entry.value) for entry in data.secrets]
        # Committed before the resolver forgets its cache, so that no read between the two
        # caches what is about to change.
        async with engine.begin() as connection:
            change = await upsert_or_delete_secrets(connection, secret_box, entries)
        credentials.invalidate()
        return UpsertOrDeleteSecretsResponseBody(
            data=UpsertOrDeleteSecretsResult(
                upserted_keys=change.upserted_keys, deleted_keys=change.deleted_keys
            )
        )

    @get(
        "", operation_id="listSecrets", summary="List stored secrets (keys and times, never values)"
    )
    async def list_secrets(self, connection: Db, secret_box: Box) -> ListSecretsResponseBody:
        """Every stored secret's key, by key, and whether secrets can be stored here."""
        stored = await list_secrets(connection)
        return ListSecretsResponseBody(
            data=[
                StoredSecretKey(key=row.key, created_at=row.created_at, updated_at=row.updated_at)
                for row in stored
            ],
            writable=secret_box is not None,
            reason=None if secret_box is not None else NO_KEY_MESSAGE,
        )
