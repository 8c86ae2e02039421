"""Ingest keys (ours): ``/v1/ingest_keys``, keys that can only send spans, into one project.

What an OTLP collector should hold: the receiver takes spans with it for ``project_name`` and
nothing else (403 for another project), and every other endpoint refuses it (403). Members
and admins make them (viewers can't write); a member sees and revokes their own, an admin
every one. The token (``key``) is answered once, by the request that created it. The project
need not exist yet: its first spans make it, as they would with any key.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeAlias

from litestar import Controller, Request, delete, get, post
from litestar.params import JSONBody, PathParameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from spyglass_auth import Access
from spyglass_query_api.rest.api_keys import every_key, issue_key, revoke_key
from spyglass_query_api.rest.auth_bodies import CreateIngestKeyRequestBody
from spyglass_query_api.rest.auth_context import (
    AuthenticatorDependency,
    Engine,
    acting_user_id,
    caller,
    is_admin,
    path_rowid,
    text_answer,
)
from spyglass_query_api.rest.user_shapes import (
    CreatedIngestKey,
    CreateIngestKeyResponseBody,
    GetIngestKeysResponseBody,
    ingest_key,
)

IngestKeyId: TypeAlias = Annotated[
    str, PathParameter(description="The GlobalID of the ingest key (`IngestKey:N`).")
]


class IngestKeyController(Controller):
    path = "/v1/ingest_keys"
    tags = ["auth"]  # noqa: RUF012 (litestar declares it as an instance variable)

    @get(
        "",
        operation_id="getIngestKeys",
        summary="List ingest keys",
        opt={"access": Access.WRITE},
        responses={
            401: text_answer("No valid credential"),
            403: text_answer("A viewer, or authentication is not enabled"),
        },
    )
    async def list_ingest_keys(
        self,
        request: Request[Any, Any, Any],
        engine: Engine,
        authenticator: AuthenticatorDependency,
    ) -> GetIngestKeysResponseBody:
        """The caller's ingest keys (an admin: every one), by id, never their tokens."""
        principal = caller(request, authenticator)
        owner = None if is_admin(principal) else principal.user_id
        async with engine.connect() as connection:
            rows = await every_key(connection, ["INGEST"], owner)
        return GetIngestKeysResponseBody(data=[ingest_key(row) for row in rows])

    @post(
        "",
        operation_id="createIngestKey",
        summary="Create an ingest key for one project",
        status_code=HTTP_201_CREATED,
        opt={"access": Access.WRITE},
        responses={401: text_answer("No valid credential")},
    )
    async def create_ingest_key(
        self,
        request: Request[Any, Any, Any],
        engine: Engine,
        authenticator: AuthenticatorDependency,
        data: JSONBody[CreateIngestKeyRequestBody],
    ) -> CreateIngestKeyResponseBody:
        """A key that sends spans into ``project_name`` only; its token is answered this
        once."""
        principal = caller(request, authenticator)
        key_data = data.data
        row, key = await issue_key(
            engine,
            authenticator,
            owner=acting_user_id(principal),
            kind="INGEST",
            name=key_data.name,
            description=key_data.description,
            project_name=key_data.project_name,
            expires_at=key_data.expires_at,
        )
        return CreateIngestKeyResponseBody(
            data=CreatedIngestKey(**ingest_key(row).model_dump(), key=key)
        )

    @delete(
        "/{ingest_key_id:str}",
        operation_id="deleteIngestKey",
        summary="Revoke an ingest key",
        status_code=HTTP_204_NO_CONTENT,
        opt={"access": Access.WRITE},
        responses={401: text_answer("No valid credential")},
    )
    async def delete_ingest_key(
        self,
        request: Request[Any, Any, Any],
        engine: Engine,
        authenticator: AuthenticatorDependency,
        ingest_key_id: IngestKeyId,
    ) -> None:
        """Revoke one of the caller's ingest keys (an admin: any); 404 if there is none."""
        principal = caller(request, authenticator)
        key_id = path_rowid(ingest_key_id, "IngestKey", "ingest_key_id")
        owner = None if is_admin(principal) else principal.user_id
        await revoke_key(engine, authenticator, key_id, "INGEST", principal, owner)
