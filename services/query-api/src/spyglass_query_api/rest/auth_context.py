"""What the user, API key and login endpoints share: who is calling, the dependencies they
take, ids in paths, and password hashing kept off the event loop.

With auth off there are no users and no keys to sign: those endpoints answer 403
"Authentication is not enabled", as Phoenix's do.
"""

from __future__ import annotations

import asyncio
from typing import Any, TypeAlias

from litestar import MediaType
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException
from litestar.openapi.datastructures import ResponseSpec
from sqlalchemy.ext.asyncio import AsyncEngine

from spyglass_auth import (
    Authenticator,
    Principal,
    Role,
    TokenCodec,
    hash_password,
    password_matches,
)
from spyglass_core.errors import ForbiddenError
from spyglass_query_api.access import WWW_AUTHENTICATE, principal_of
from spyglass_query_api.queries.ids import rowid_of
from spyglass_query_api.rest.errors import UnprocessableParameterError
from spyglass_query_api.rest.login_limits import LoginLimits

AuthenticatorDependency: TypeAlias = NamedDependency[Authenticator]
Engine: TypeAlias = NamedDependency[AsyncEngine]
"""For handlers that hash a password: no transaction is held open while they do."""
Limits: TypeAlias = NamedDependency[LoginLimits]

AUTH_OFF = "Authentication is not enabled"


def text_answer(description: str) -> ResponseSpec:
    """An answer documented as plain text (our errors' form)."""
    return ResponseSpec(
        str, description=description, media_type=MediaType.TEXT, generate_examples=False
    )


def not_signed_in(
    message: str = "Authentication required: sign in, or send an API key",
) -> NotAuthorizedException:
    """A 401 saying who to be (with ``WWW-Authenticate``)."""
    return NotAuthorizedException(detail=message, headers={"WWW-Authenticate": WWW_AUTHENTICATE})


def codec_of(authenticator: Authenticator) -> TokenCodec:
    """The codec tokens are issued with.

    Raises:
        ForbiddenError: auth is off (nothing is signed then).
    """
    if not authenticator.enabled or authenticator.codec is None:
        raise ForbiddenError(AUTH_OFF)
    return authenticator.codec


def caller(
    connection: ASGIConnection[Any, Any, Any, Any], authenticator: Authenticator
) -> Principal:
    """The signed-in caller of an endpoint that only makes sense with auth on.

    Raises:
        ForbiddenError: auth is off.
        NotAuthorizedException: nobody is signed in (the door lets no such request through
            to a route that is not public).
    """
    if not authenticator.enabled:
        raise ForbiddenError(AUTH_OFF)
    principal = principal_of(connection)
    if principal is None or principal.user_id is None:
        raise not_signed_in()
    return principal


def acting_user_id(principal: Principal) -> int:
    """The user an action is recorded against (the system user for the admin secret)."""
    assert principal.user_id is not None
    return principal.user_id


def is_admin(principal: Principal) -> bool:
    """Whether the caller manages every user's keys (admins and the system)."""
    return principal.role in (Role.ADMIN, Role.SYSTEM)


def path_rowid(value: str, type_name: str, parameter: str) -> int:
    """The row id a path's GlobalID names.

    Raises:
        UnprocessableParameterError: ``value`` is not a GlobalID of ``type_name`` (another
            type's, past ``bigint``, or no GlobalID at all).
    """
    rowid = rowid_of(value, type_name)
    if rowid is None:
        raise UnprocessableParameterError(
            parameter,
            f"`{parameter}` must be a GlobalID of type {type_name}, got {value[:100]!r}",
            "path",
        )
    return rowid


async def hashed(password: str) -> str:
    """``password``'s argon2id hash, made in a worker thread (it takes tens of milliseconds
    of CPU, which would stall every other request on the event loop)."""
    return await asyncio.to_thread(hash_password, password)


async def matches(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` is the one hashed (None: no such user, same time taken), checked
    in a worker thread."""
    return await asyncio.to_thread(password_matches, password_hash, password)
