"""API keys (Phoenix's shapes): a user's own (``/v1/user/api_keys``), every user's for admins
(``/v1/users/api_keys``), and system keys (``/v1/system/api_keys``).

A key is a signed token naming its row: the token (``key``) is answered once, by the request
that created it, and never stored or listed; deleting the row revokes it (at once in this
process, within ``SPYGLASS_AUTH_CACHE_SECONDS`` in the others). A user key acts as its user,
with its user's role as it is at each request; a system key acts as the system user (admin
rights). Any signed-in user manages their own keys (viewers too); admins also revoke other
users' through ``DELETE /v1/user/api_keys/{id}``, and manage system keys. With auth off there is
nothing to sign keys with: 403, as in Phoenix.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, TypeAlias

from litestar import Controller, Request, delete, get, post
from litestar.params import FromQuery, JSONBody, PathParameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from spyglass_auth import Access, Authenticator, Principal, Role, TokenKind
from spyglass_core.errors import ForbiddenError, NotFoundError
from spyglass_core.logging import get_logger
from spyglass_db import auth as store
from spyglass_db.auth import KeyRow
from spyglass_db.models.auth import SYSTEM_USER_ID
from spyglass_query_api.queries.ids import global_id
from spyglass_query_api.rest.auth_bodies import ApiKeyData, CreateApiKeyRequestBody
from spyglass_query_api.rest.auth_context import (
    AuthenticatorDependency,
    Engine,
    caller,
    codec_of,
    is_admin,
    not_signed_in,
    path_rowid,
    text_answer,
)
from spyglass_query_api.rest.pagination import page_request
from spyglass_query_api.rest.user_shapes import (
    KEY_TYPES,
    CreateApiKeyResponseBody,
    CreatedApiKey,
    GetAllUserApiKeysResponseBody,
    GetApiKeysResponseBody,
    api_key,
    user_api_key,
)

log = get_logger(__name__)

ApiKeyId: TypeAlias = Annotated[str, PathParameter(description="The GlobalID of the API key.")]
SystemApiKeyId: TypeAlias = Annotated[
    str, PathParameter(description="The GlobalID of the system API key.")
]
MAX_PAGE = 1000
_REFUSED_OR_OFF = text_answer("Not allowed, or authentication is not enabled")
_UNAUTHENTICATED = text_answer("No valid credential")


async def every_key(
    connection: AsyncConnection, kinds: list[str], user_id: int | None = None
) -> list[KeyRow]:
    """Every key of ``kinds`` (of ``user_id`` if given), by id."""
    keys: list[KeyRow] = []
    after: int | None = None
    while True:
        page, after = await store.list_keys(
            connection, kinds, user_id=user_id, after=after, limit=MAX_PAGE
        )
        keys.extend(page)
        if after is None:
            return keys


async def issue_key(
    engine: AsyncEngine,
    authenticator: Authenticator,
    *,
    owner: int,
    kind: str,
    name: str,
    description: str | None,
    project_name: str | None,
    expires_at: datetime | None,
) -> tuple[KeyRow, str]:
    """Store a key's row and sign its token.

    Raises:
        NotAuthorizedException: the owner was deleted a moment ago.
    """
    codec = codec_of(authenticator)
    try:
        async with engine.begin() as connection:
            row = await store.create_key(
                connection,
                user_id=owner,
                kind=kind,
                name=name,
                description=description,
                project_name=project_name,
                expires_at=expires_at,
            )
    except IntegrityError:
        raise not_signed_in() from None
    log.info("api_key_created", key_id=row.id, kind=kind, user_id=owner)
    return row, codec.issue(TokenKind.API_KEY, row.id, row.expires_at)


async def revoke_key(
    engine: AsyncEngine,
    authenticator: Authenticator,
    key_id: int,
    kind: str,
    principal: Principal,
    owner: int | None,
) -> None:
    """Delete key ``key_id`` of ``kind`` (``owner``'s, if given), then forget what this
    process trusted.

    Raises:
        NotFoundError: there is no such key (or it is not the owner's).
    """
    async with engine.begin() as connection:
        deleted = await store.delete_key(connection, key_id, [kind], owner)
    if not deleted:
        type_name = KEY_TYPES[kind]
        raise NotFoundError(f"{type_name} with ID {global_id(type_name, key_id)} does not exist")
    authenticator.forget_everything()
    log.info("api_key_revoked", key_id=key_id, kind=kind, by=principal.user_id)


def _created(row: KeyRow, key: str) -> CreateApiKeyResponseBody:
    return CreateApiKeyResponseBody(data=CreatedApiKey(**api_key(row).model_dump(), key=key))


def _user_keys_of(principal: Principal) -> int:
    if principal.role is Role.SYSTEM or principal.user_id in (None, SYSTEM_USER_ID):
        raise ForbiddenError(
            "The system user has no user API keys: use system keys (/v1/system/api_keys)"
        )
    return principal.user_id


class ApiKeyController(Controller):
    path = "/v1"
    tags = ["auth"]  # noqa: RUF012 (litestar declares it as an instance variable)

    @get(
        "/user/api_keys",
        operation_id="getUserApiKeys",
        summary="List my API keys",
        opt={"access": Access.SIGNED_IN},
        responses={401: _UNAUTHENTICATED, 403: _REFUSED_OR_OFF},
    )
    async def list_user_api_keys(
        self,
        request: Request[Any, Any, Any],
        engine: Engine,
        authenticator: AuthenticatorDependency,
    ) -> GetApiKeysResponseBody:
        """The caller's user keys (never their tokens)."""
        user_id = _user_keys_of(caller(request, authenticator))
        async with engine.connect() as connection:
            rows = await every_key(connection, ["USER"], user_id)
        return GetApiKeysResponseBody(data=[api_key(row) for row in rows])

    @post(
        "/user/api_keys",
        operation_id="createUserApiKey",
        summary="Create an API key for the current user",
        status_code=HTTP_201_CREATED,
        opt={"access": Access.SIGNED_IN},
        responses={401: _UNAUTHENTICATED},
    )
    async def create_user_api_key(
        self,
        request: Request[Any, Any, Any],
        engine: Engine,
        authenticator: AuthenticatorDependency,
        data: JSONBody[CreateApiKeyRequestBody],
    ) -> CreateApiKeyResponseBody:
        """A key acting as the caller; its token (``key``) is answered this once."""
        user_id = _user_keys_of(caller(request, authenticator))
        row, key = await _issue(engine, authenticator, user_id, "USER", data.data)
        return _created(row, key)

    @delete(
        "/user/api_keys/{api_key_id:str}",
        operation_id="deleteUserApiKey",
        summary="Delete an API key of the current user",
        status_code=HTTP_204_NO_CONTENT,
        opt={"access": Access.SIGNED_IN},
        responses={401: _UNAUTHENTICATED},
    )
    async def delete_user_api_key(
        self,
        request: Request[Any, Any, Any],
        engine: Engine,
        authenticator: AuthenticatorDependency,
        api_key_id: ApiKeyId,
    ) -> None:
        """Revoke one of the caller's keys (an admin: anyone's); 404 if there is none."""
        principal = caller(request, authenticator)
        key_id = path_rowid(api_key_id, "UserApiKey", "api_key_id")
        owner = None if is_admin(principal) else principal.user_id
        await revoke_key(engine, authenticator, key_id, "USER", principal, owner)

    @get(
        "/users/api_keys",
        operation_id="getAllUserApiKeys",
        summary="List every user's API keys",
        opt={"access": Access.ADMIN},
        responses={401: _UNAUTHENTICATED, 403: _REFUSED_OR_OFF},
    )
    async def list_all_user_api_keys(
        self,
        request: Request[Any, Any, Any],
        engine: Engine,
        authenticator: AuthenticatorDependency,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[int] = 100,
    ) -> GetAllUserApiKeysResponseBody:
        """Every user key with its user, by id, ``limit`` (at most 1000) at a time;
        ``next_cursor`` goes on from the last one."""
        caller(request, authenticator)
        page = page_request(cursor, limit, "UserApiKey", default=100, maximum=MAX_PAGE)
        async with engine.connect() as connection:
            rows, after = await store.list_keys(
                connection, ["USER"], after=page.start, limit=page.limit
            )
        return GetAllUserApiKeysResponseBody(
            data=[user_api_key(row) for row in rows],
            next_cursor=global_id("UserApiKey", after) if after is not None else None,
        )

    @get(
        "/system/api_keys",
        operation_id="getSystemApiKeys",
        summary="List system API keys",
        opt={"access": Access.ADMIN},
        responses={401: _UNAUTHENTICATED, 403: _REFUSED_OR_OFF},
    )
    async def list_system_api_keys(
        self,
        request: Request[Any, Any, Any],
        engine: Engine,
        authenticator: AuthenticatorDependency,
    ) -> GetApiKeysResponseBody:
        """Every system key (never their tokens)."""
        caller(request, authenticator)
        async with engine.connect() as connection:
            rows = await every_key(connection, ["SYSTEM"])
        return GetApiKeysResponseBody(data=[api_key(row) for row in rows])

    @post(
        "/system/api_keys",
        operation_id="createSystemApiKey",
        summary="Create a system API key",
        status_code=HTTP_201_CREATED,
        opt={"access": Access.ADMIN},
        responses={401: _UNAUTHENTICATED},
    )
    async def create_system_api_key(
        self,
        request: Request[Any, Any, Any],
        engine: Engine,
        authenticator: AuthenticatorDependency,
        data: JSONBody[CreateApiKeyRequestBody],
    ) -> CreateApiKeyResponseBody:
        """A key acting as the system user (admin rights); its token is answered this once."""
        caller(request, authenticator)
        row, key = await _issue(engine, authenticator, SYSTEM_USER_ID, "SYSTEM", data.data)
        return _created(row, key)

    @delete(
        "/system/api_keys/{api_key_id:str}",
        operation_id="deleteSystemApiKey",
        summary="Delete a system API key",
        status_code=HTTP_204_NO_CONTENT,
        opt={"access": Access.ADMIN},
        responses={401: _UNAUTHENTICATED},
    )
    async def delete_system_api_key(
        self,
        request: Request[Any, Any, Any],
        engine: Engine,
        authenticator: AuthenticatorDependency,
        api_key_id: SystemApiKeyId,
    ) -> None:
        """Revoke a system key; 404 if there is none."""
        principal = caller(request, authenticator)
        key_id = path_rowid(api_key_id, "SystemApiKey", "api_key_id")
        await revoke_key(engine, authenticator, key_id, "SYSTEM", principal, None)


async def _issue(
    engine: AsyncEngine, authenticator: Authenticator, owner: int, kind: str, data: ApiKeyData
) -> tuple[KeyRow, str]:
    return await issue_key(
        engine,
        authenticator,
        owner=owner,
        kind=kind,
        name=data.name,
        description=data.description,
        project_name=None,
        expires_at=data.expires_at,
    )
