"""Users: ``/v1/user`` (the caller) and ``/v1/users`` (an admin's), Phoenix's shapes.

* ``GET /v1/user``: the caller as a ``LocalUser`` (``{"auth_method": "ANONYMOUS"}`` while auth
  is off); ``PATCH /v1/user`` (ours) changes their own username or password. A password change
  needs the current password (its failures count against the account as a login's do) and ends
  the user's other sessions.
* ``GET/POST /v1/users``, ``PATCH/DELETE /v1/users/{user_id}``: admins only. A password an
  admin sets must be changed at the user's next login (``password_needs_reset``) and ends their
  sessions. No change may leave the deployment without an admin (409, saying why): the last
  admin can't be demoted or deleted, and nobody deletes themselves.
* ``POST /v1/users/{user_id}/password_reset`` (ours): a one-time token and link to hand to the
  user; there is no mail server to send it.

A change to users is committed before this process forgets the credentials it trusts, so a
deleted user's keys and sessions, or a demoted one's rights, stop here at once (in other
processes within ``SPYGLASS_AUTH_CACHE_SECONDS``). The system user is never listed, changed
or deleted (404).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, TypeAlias

from litestar import Controller, Request, delete, get, patch, post
from litestar.params import FromQuery, JSONBody, PathParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT
from sqlalchemy.ext.asyncio import AsyncEngine

from spyglass_auth import Access, Role, TokenKind
from spyglass_core.errors import ConflictError, ForbiddenError, NotFoundError, OverloadedError
from spyglass_core.logging import get_logger
from spyglass_db import auth as store
from spyglass_db.auth import EmailTakenError, UserRow
from spyglass_db.models.auth import SYSTEM_USER_ID
from spyglass_query_api.access import principal_of
from spyglass_query_api.queries.ids import global_id
from spyglass_query_api.rest.auth_bodies import (
    CreateUserRequestBody,
    PatchUserRequestBody,
    PatchViewerRequestBody,
)
from spyglass_query_api.rest.auth_context import (
    AuthenticatorDependency,
    Engine,
    Limits,
    acting_user_id,
    caller,
    codec_of,
    hashed,
    matches,
    not_signed_in,
    path_rowid,
    text_answer,
)
from spyglass_query_api.rest.errors import UnprocessableEntityError, UnprocessableParameterError
from spyglass_query_api.rest.login_limits import LoginLimits, client_address
from spyglass_query_api.rest.pagination import page_request
from spyglass_query_api.rest.user_shapes import (
    AnonymousUser,
    CreateUserResponseBody,
    GetUsersResponseBody,
    GetViewerResponseBody,
    PasswordReset,
    PasswordResetResponseBody,
    UserResponseBody,
    local_user,
)

log = get_logger(__name__)

UserId: TypeAlias = Annotated[
    str, PathParameter(description="The GlobalID of the user (e.g. 'VXNlcjox').")
]
MAX_PAGE = 1000
"""The most users a page lists."""
RESET_PAGE = "/reset-password-with-token"
"""The UI's page where a reset token is used."""


def _taken(email: str | None, username: str | None) -> ConflictError:
    if email is None:
        return ConflictError(f"The username {username!r} is taken")
    return ConflictError(f"A user with the email {email!r} or the username {username!r} exists")


def _no_user(user_id: str) -> NotFoundError:
    return NotFoundError(f"User with ID {user_id[:100]} does not exist")


def _is_changeable(row: UserRow | None) -> bool:
    return row is not None and row.id != SYSTEM_USER_ID and row.role != Role.SYSTEM


class UserController(Controller):
    path = "/v1"
    tags = ["users"]  # noqa: RUF012 (litestar declares it as an instance variable)

    @get(
        "/user",
        operation_id="getViewer",
        summary="Get the authenticated user",
        opt={"access": Access.SIGNED_IN},
        responses={
            401: text_answer("No valid credential"),
            403: text_answer("An ingest key (it can only send spans)"),
        },
    )
    async def get_viewer(
        self,
        request: Request[Any, Any, Any],
        engine: Engine,
        authenticator: AuthenticatorDependency,
    ) -> GetViewerResponseBody:
        """The caller as a user; while auth is off, ``{"auth_method": "ANONYMOUS"}``."""
        if not authenticator.enabled:
            return GetViewerResponseBody(data=AnonymousUser(auth_method="ANONYMOUS"))
        principal = principal_of(request)
        if principal is None or principal.user_id is None:
            raise not_signed_in()
        async with engine.connect() as connection:
            row = await store.user_by_id(connection, principal.user_id)
        if row is None:
            raise not_signed_in()
        return GetViewerResponseBody(data=local_user(row))

    @patch(
        "/user",
        operation_id="patchViewer",
        summary="Change your own username or password",
        status_code=HTTP_200_OK,
        opt={"access": Access.SIGNED_IN},
        responses={401: text_answer("No valid credential")},
    )
    async def patch_viewer(
        self,
        request: Request[Any, Any, Any],
        engine: Engine,
        authenticator: AuthenticatorDependency,
        login_limits: Limits,
        data: JSONBody[PatchViewerRequestBody],
    ) -> UserResponseBody:
        """Change the caller's username and/or password (``current_password`` required for a
        new one: a wrong one is a 422 under it, and counts as a failed login)."""
        principal = caller(request, authenticator)
        if principal.role is Role.SYSTEM:
            raise ForbiddenError("The system user has no profile to change")
        user_id = acting_user_id(principal)
        if data.username is None and data.new_password is None:
            raise UnprocessableEntityError("No fields to update")
        new_hash = None
        if data.new_password is not None:
            assert data.current_password is not None
            await _check_current_password(
                request, engine, login_limits, user_id, data.current_password
            )
            new_hash = await hashed(data.new_password)
        try:
            async with engine.begin() as connection:
                row = await store.update_user(
                    connection,
                    user_id,
                    username=data.username,
                    password_hash=new_hash,
                    password_needs_reset=False if new_hash is not None else None,
                )
                if row is None:
                    raise not_signed_in()
                if new_hash is not None:
                    await store.delete_other_sessions(connection, user_id, principal.session_id)
        except EmailTakenError:
            raise _taken(None, data.username) from None
        authenticator.forget_everything()
        log.info("user_changed_own", user_id=user_id, password=new_hash is not None)
        return UserResponseBody(data=local_user(row))

    @get(
        "/users",
        operation_id="getUsers",
        summary="List all users",
        opt={"access": Access.ADMIN},
        responses={403: text_answer("Not an admin, or auth is off")},
    )
    async def list_users(
        self,
        request: Request[Any, Any, Any],
        engine: Engine,
        authenticator: AuthenticatorDependency,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[int] = 100,
    ) -> GetUsersResponseBody:
        """Users by id, oldest first, ``limit`` at a time (the system user left out);
        ``next_cursor`` goes on from the last one."""
        caller(request, authenticator)
        page = page_request(cursor, limit, "User", default=100, maximum=MAX_PAGE)
        async with engine.connect() as connection:
            rows, after = await store.list_users(connection, page.start, page.limit)
        return GetUsersResponseBody(
            data=[local_user(row) for row in rows],
            next_cursor=global_id("User", after) if after is not None else None,
        )

    @post(
        "/users",
        operation_id="createUser",
        summary="Create a user",
        status_code=HTTP_201_CREATED,
        opt={"access": Access.ADMIN},
    )
    async def create_user(
        self,
        request: Request[Any, Any, Any],
        engine: Engine,
        authenticator: AuthenticatorDependency,
        data: JSONBody[CreateUserRequestBody],
    ) -> CreateUserResponseBody:
        """A new user; they must change the password given here at their first login. 409 if
        the email (whatever its case) or the username is taken. No mail is sent."""
        principal = caller(request, authenticator)
        user = data.user
        password_hash = await hashed(user.password)
        try:
            async with engine.begin() as connection:
                row = await store.create_user(
                    connection,
                    email=user.email,
                    username=user.username,
                    role=user.role,
                    password_hash=password_hash,
                    password_needs_reset=True,
                )
        except EmailTakenError:
            raise _taken(user.email, user.username) from None
        log.info("user_created", user_id=row.id, role=row.role, by=principal.user_id)
        return CreateUserResponseBody(data=local_user(row))

    @patch(
        "/users/{user_id:str}",
        operation_id="patchUser",
        summary="Change a user's role, username or password",
        status_code=HTTP_200_OK,
        opt={"access": Access.ADMIN},
    )
    async def patch_user(
        self,
        request: Request[Any, Any, Any],
        engine: Engine,
        authenticator: AuthenticatorDependency,
        user_id: UserId,
        data: JSONBody[PatchUserRequestBody],
    ) -> UserResponseBody:
        """Change what is given. A password set here must be changed at the user's next login
        and ends their sessions; the last admin can't be demoted (409)."""
        principal = caller(request, authenticator)
        rowid = path_rowid(user_id, "User", "user_id")
        if data.role is None and data.username is None and data.password is None:
            raise UnprocessableEntityError("No fields to update")
        password_hash = await hashed(data.password) if data.password is not None else None
        try:
            async with engine.begin() as connection:
                if data.role is not None:
                    await store.lock_admins(connection)
                current = await store.user_by_id(connection, rowid)
                if current is None or not _is_changeable(current):
                    raise _no_user(user_id)
                if (
                    data.role is not None
                    and data.role != Role.ADMIN
                    and current.role == Role.ADMIN
                    and await store.count_admins(connection) <= 1
                ):
                    raise ConflictError(
                        f"{current.username} is the last admin: make another user an admin "
                        "before changing their role"
                    )
                row = await store.update_user(
                    connection,
                    rowid,
                    username=data.username,
                    role=data.role,
                    password_hash=password_hash,
                    password_needs_reset=True if password_hash is not None else None,
                )
                if row is None:
                    raise _no_user(user_id)
                if password_hash is not None:
                    await store.delete_sessions_of(connection, rowid)
        except EmailTakenError:
            raise _taken(None, data.username) from None
        authenticator.forget_everything()
        log.info(
            "user_changed",
            user_id=rowid,
            role=data.role,
            password=password_hash is not None,
            by=principal.user_id,
        )
        return UserResponseBody(data=local_user(row))

    @delete(
        "/users/{user_id:str}",
        operation_id="deleteUser",
        summary="Delete a user by ID",
        status_code=HTTP_204_NO_CONTENT,
        opt={"access": Access.ADMIN},
    )
    async def delete_user(
        self,
        request: Request[Any, Any, Any],
        engine: Engine,
        authenticator: AuthenticatorDependency,
        user_id: UserId,
    ) -> None:
        """Delete a user with their keys and sessions (which stop working at once). Yourself,
        or the last admin: 409."""
        principal = caller(request, authenticator)
        rowid = path_rowid(user_id, "User", "user_id")
        if rowid == principal.user_id:
            raise ConflictError("You can't delete your own account: ask another admin to")
        async with engine.begin() as connection:
            await store.lock_admins(connection)
            current = await store.user_by_id(connection, rowid)
            if current is None or not _is_changeable(current):
                raise _no_user(user_id)
            if current.role == Role.ADMIN and await store.count_admins(connection) <= 1:
                raise ConflictError(
                    f"{current.username} is the last admin: make another user an admin first"
                )
            await store.delete_user(connection, rowid)
        authenticator.forget_everything()
        log.info("user_deleted", user_id=rowid, by=principal.user_id)

    @post(
        "/users/{user_id:str}/password_reset",
        operation_id="createPasswordReset",
        summary="Make a one-time password reset link for a user",
        status_code=HTTP_201_CREATED,
        opt={"access": Access.ADMIN},
    )
    async def create_password_reset(
        self,
        request: Request[Any, Any, Any],
        engine: Engine,
        authenticator: AuthenticatorDependency,
        user_id: UserId,
    ) -> PasswordResetResponseBody:
        """A token (and the UI's link with it) with which the user sets a new password once,
        within ``SPYGLASS_AUTH_PASSWORD_RESET_MINUTES``; an earlier one stops working. Hand it
        to the user: no mail server sends it."""
        principal = caller(request, authenticator)
        codec = codec_of(authenticator)
        rowid = path_rowid(user_id, "User", "user_id")
        minutes = authenticator.settings.password_reset_minutes
        expires_at = datetime.now(UTC) + timedelta(minutes=minutes)
        async with engine.begin() as connection:
            current = await store.user_by_id(connection, rowid)
            if current is None or not _is_changeable(current):
                raise _no_user(user_id)
            reset_id = await store.create_reset_token(connection, rowid, expires_at)
        token = codec.issue(TokenKind.PASSWORD_RESET, reset_id, expires_at)
        log.info("password_reset_issued", user_id=rowid, reset_id=reset_id, by=principal.user_id)
        return PasswordResetResponseBody(
            data=PasswordReset(
                token=token, expires_at=expires_at, url=f"{RESET_PAGE}?token={token}"
            )
        )


async def _check_current_password(
    request: Request[Any, Any, Any],
    engine: AsyncEngine,
    login_limits: LoginLimits,
    user_id: int,
    password: str,
) -> None:
    """Refuse a password change whose ``current_password`` is wrong (422 under it), counting
    the failure against the account and address as a login's.

    Raises:
        OverloadedError: too many failures already (429).
        UnprocessableParameterError: the password is wrong.
    """
    async with engine.connect() as connection:
        user = await store.user_by_id(connection, user_id)
    if user is None:
        raise not_signed_in()
    address = client_address(request.headers, request.client.host if request.client else None)
    refusal = await login_limits.attempt(user.email, address)
    if refusal is not None:
        raise OverloadedError(
            "Too many wrong passwords: try again later", refusal.retry_after_seconds
        )
    if not await matches(user.password_hash, password):
        log.info("password_change_refused", user_id=user_id)
        raise UnprocessableParameterError(
            "current_password", "`current_password` is not your current password", "body"
        )
    await login_limits.succeeded(user.email, address)
