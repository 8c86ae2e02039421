"""Signing in and out: ``/auth/*`` (Phoenix's paths, at the root), and the sign-ins we don't
offer yet (LDAP, OAuth2: 501, saying so).

A login makes a session (a row of ``auth_sessions``) and two cookies naming it, both
``HttpOnly`` and ``SameSite=Strict``, ``Secure`` when the request came over TLS (see
``SPYGLASS_AUTH_SECURE_COOKIES``):

* ``phoenix-access-token`` (``Path=/``): what the UI's requests carry, good for
  ``SPYGLASS_AUTH_ACCESS_TOKEN_MINUTES``;
* ``phoenix-refresh-token`` (``Path=/auth``, so only these endpoints ever see it): trades for a
  new pair at ``POST /auth/refresh``, which moves the session's end on.

Logging out deletes the session's row, so both tokens stop working, wherever they were copied.
CSRF: the cookies are ``SameSite=Strict`` (a browser sends them with no request another site
starts), and the browser guard in front refuses cross-site writes by their ``Origin`` and
content type.

A wrong password and an unknown login take the same path (the password is checked against a
throwaway hash) and get the same 401 with the same words. Failures are counted per account and
per client address (:mod:`~spyglass_query_api.rest.login_limits`): past the limit, 429 with
``Retry-After``. Passwords are hashed and checked in a worker thread, so that a login's tens
of milliseconds of CPU never stall other requests. Nothing here logs a password or a token:
user ids and session ids only.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, TypeAlias

from litestar import MediaType, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.exceptions import NotAuthorizedException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromQuery, JSONBody, PathParameter, QueryParameter
from litestar.response import Redirect
from litestar.status_codes import (
    HTTP_204_NO_CONTENT,
    HTTP_302_FOUND,
    HTTP_401_UNAUTHORIZED,
    HTTP_501_NOT_IMPLEMENTED,
    HTTP_503_SERVICE_UNAVAILABLE,
)
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncEngine

from spyglass_auth import (
    ACCESS_COOKIE,
    REFRESH_COOKIE,
    Access,
    Authenticator,
    AuthSettings,
    TokenCodec,
    TokenKind,
)
from spyglass_core.errors import OverloadedError
from spyglass_core.logging import get_logger
from spyglass_db import auth as store
from spyglass_query_api.access import principal_of
from spyglass_query_api.rest.auth_bodies import LoginRequestBody, PasswordResetRequestBody
from spyglass_query_api.rest.auth_context import (
    AuthenticatorDependency,
    Engine,
    Limits,
    codec_of,
    hashed,
    matches,
    text_answer,
)
from spyglass_query_api.rest.login_limits import client_address

log = get_logger(__name__)

LOGIN_FAILED = "Invalid email and/or password"
REFRESH_FAILED = "Your session has ended: sign in again"
RESET_FAILED = "This password reset link is invalid, used or expired: ask an admin for a new one"
NO_MAIL_SERVER = "No mail server is configured: ask an admin for a password reset link"
LOGIN_PAGE = "/login"
IdpName: TypeAlias = Annotated[str, PathParameter(description="The identity provider's name.")]
ReturnUrl: TypeAlias = Annotated[
    str | None, QueryParameter(name="returnUrl", description="Where to go after signing in.")
]

_AUTH_OFF_OR_REFUSED = text_answer("Authentication is not enabled")


def _cookies_set(description: str) -> ResponseSpec:
    """A 204 whose only news is in its Set-Cookie headers (documented with no body)."""
    return ResponseSpec(None, description=description, generate_examples=False)


def _secure(request: Request[Any, Any, Any], settings: AuthSettings) -> bool:
    """Whether cookies are marked Secure for this request."""
    if settings.secure_cookies != "auto":
        return settings.secure_cookies == "always"
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


def _cookie(name: str, value: str, path: str, seconds: int, secure: bool) -> Cookie:
    return Cookie(
        key=name,
        value=value,
        path=path,
        max_age=seconds,
        httponly=True,
        samesite="strict",
        secure=secure,
    )


def session_cookies(
    codec: TokenCodec, settings: AuthSettings, session_id: int, session_ends: datetime, secure: bool
) -> list[Cookie]:
    """A fresh access token and refresh token of session ``session_id``, as cookies."""
    now = datetime.now(UTC)
    access_ends = min(session_ends, now + timedelta(minutes=settings.access_token_minutes))
    access = codec.issue(TokenKind.ACCESS, session_id, access_ends)
    refresh = codec.issue(TokenKind.REFRESH, session_id, session_ends)
    return [
        _cookie(ACCESS_COOKIE, access, "/", round((access_ends - now).total_seconds()), secure),
        _cookie(
            REFRESH_COOKIE, refresh, "/auth", round((session_ends - now).total_seconds()), secure
        ),
    ]


def cleared_cookies(secure: bool) -> list[Cookie]:
    """Both cookies, emptied and expired (the browser drops them)."""
    return [
        _cookie(ACCESS_COOKIE, "", "/", 0, secure),
        _cookie(REFRESH_COOKIE, "", "/auth", 0, secure),
    ]


def _refresh_refused(secure: bool) -> Response[Any]:
    """401, and both cookies cleared: the session they named is over."""
    return Response(
        REFRESH_FAILED,
        status_code=HTTP_401_UNAUTHORIZED,
        media_type=MediaType.TEXT,
        cookies=cleared_cookies(secure),
    )


def _session_ends(settings: AuthSettings) -> datetime:
    return datetime.now(UTC) + timedelta(minutes=settings.refresh_token_minutes)


@post(
    "/auth/login",
    operation_id="login",
    summary="Sign in with an email (or username) and password",
    tags=["auth"],
    status_code=HTTP_204_NO_CONTENT,
    opt={"access": Access.PUBLIC},
    responses={
        204: _cookies_set("Signed in: the access and refresh cookies are set"),
        401: text_answer("Invalid email and/or password"),
        403: _AUTH_OFF_OR_REFUSED,
        429: text_answer("Too many failed logins for the account or from the address"),
    },
)
async def login(
    request: Request[Any, Any, Any],
    engine: Engine,
    authenticator: AuthenticatorDependency,
    login_limits: Limits,
    data: JSONBody[LoginRequestBody],
) -> Response[None]:
    """Check the password and start a session: 204 with the access and refresh cookies."""
    codec = codec_of(authenticator)
    settings = authenticator.settings
    async with engine.connect() as connection:
        user = await store.user_by_login(connection, data.login) if data.login else None
    account = user.email if user is not None else data.login
    address = client_address(request.headers, request.client.host if request.client else None)
    refusal = await login_limits.attempt(account, address)
    if refusal is not None:
        log.warning(
            "login_rate_limited",
            user_id=user.id if user is not None else None,
            counter=refusal.counter,
            retry_after=refusal.retry_after_seconds,
        )
        raise OverloadedError(
            f"Too many failed logins: try again in {refusal.retry_after_seconds} seconds",
            refusal.retry_after_seconds,
        )
    if not await matches(user.password_hash if user is not None else None, data.password):
        log.info("login_failed", user_id=user.id if user is not None else None)
        raise NotAuthorizedException(detail=LOGIN_FAILED)
    assert user is not None
    await login_limits.succeeded(account, address)
    session_ends = _session_ends(settings)
    async with engine.begin() as connection:
        session_id = await store.create_session(connection, user.id, session_ends)
    log.info("login_succeeded", user_id=user.id, session_id=session_id)
    cookies = session_cookies(codec, settings, session_id, session_ends, _secure(request, settings))
    return Response(None, status_code=HTTP_204_NO_CONTENT, cookies=cookies)


@post(
    "/auth/refresh",
    operation_id="refreshTokens",
    summary="Trade the refresh cookie for new cookies",
    tags=["auth"],
    status_code=HTTP_204_NO_CONTENT,
    opt={"access": Access.PUBLIC},
    responses={
        204: _cookies_set("New access and refresh cookies are set"),
        401: text_answer("No live session: the cookies are cleared"),
        403: _AUTH_OFF_OR_REFUSED,
    },
)
async def refresh_tokens(
    request: Request[Any, Any, Any], engine: Engine, authenticator: AuthenticatorDependency
) -> Response[None]:
    """New access and refresh cookies for the session the refresh cookie names, whose end
    moves on; 401 (and both cookies cleared) if it has ended or was never ours."""
    codec = codec_of(authenticator)
    settings = authenticator.settings
    secure = _secure(request, settings)
    claims = codec.read(request.cookies.get(REFRESH_COOKIE, ""), TokenKind.REFRESH)
    session_ends = _session_ends(settings)
    extended = False
    if claims is not None:
        async with engine.begin() as connection:
            extended = await store.extend_session(connection, claims.row_id, session_ends)
    if claims is None or not extended:
        return _refresh_refused(secure)
    log.info("session_refreshed", session_id=claims.row_id)
    cookies = session_cookies(codec, settings, claims.row_id, session_ends, secure)
    return Response(None, status_code=HTTP_204_NO_CONTENT, cookies=cookies)


async def _end_session(
    request: Request[Any, Any, Any], engine: AsyncEngine, authenticator: Authenticator
) -> None:
    """Delete the session the request's cookies (or bearer access token) name."""
    codec = authenticator.codec
    if not authenticator.enabled or codec is None:
        return
    session_ids = set()
    for name, kind in ((REFRESH_COOKIE, TokenKind.REFRESH), (ACCESS_COOKIE, TokenKind.ACCESS)):
        claims = codec.read(request.cookies.get(name, ""), kind)
        if claims is not None:
            session_ids.add(claims.row_id)
    principal = principal_of(request)
    if principal is not None and principal.session_id is not None:
        session_ids.add(principal.session_id)
    if not session_ids:
        return
    async with engine.begin() as connection:
        for session_id in session_ids:
            await store.delete_session(connection, session_id)
    authenticator.forget_everything()
    log.info("logged_out", session_ids=sorted(session_ids))


@post(
    "/auth/logout",
    operation_id="logout",
    summary="Sign out: end the session and clear the cookies",
    tags=["auth"],
    status_code=HTTP_204_NO_CONTENT,
    opt={"access": Access.PUBLIC},
    responses={204: _cookies_set("Signed out: the cookies are cleared")},
)
async def logout(
    request: Request[Any, Any, Any], engine: Engine, authenticator: AuthenticatorDependency
) -> Response[None]:
    """End the session (its tokens stop working everywhere) and clear both cookies."""
    await _end_session(request, engine, authenticator)
    secure = _secure(request, authenticator.settings)
    return Response(None, status_code=HTTP_204_NO_CONTENT, cookies=cleared_cookies(secure))


@get(
    "/auth/logout",
    operation_id="logoutAndRedirect",
    summary="Sign out, then go to the login page (Phoenix's)",
    tags=["auth"],
    status_code=HTTP_302_FOUND,
    opt={"access": Access.PUBLIC},
)
async def logout_and_redirect(
    request: Request[Any, Any, Any], engine: Engine, authenticator: AuthenticatorDependency
) -> Redirect:
    """As ``POST /auth/logout``, answered with a redirect to the login page."""
    await _end_session(request, engine, authenticator)
    secure = _secure(request, authenticator.settings)
    return Redirect(LOGIN_PAGE, status_code=HTTP_302_FOUND, cookies=cleared_cookies(secure))


@post(
    "/auth/password-reset",
    operation_id="resetPassword",
    summary="Set a new password with a reset link's token",
    tags=["auth"],
    status_code=HTTP_204_NO_CONTENT,
    opt={"access": Access.PUBLIC},
    responses={
        401: text_answer("The token is invalid, used or expired"),
        403: _AUTH_OFF_OR_REFUSED,
    },
)
async def reset_password(
    engine: Engine,
    authenticator: AuthenticatorDependency,
    data: JSONBody[PasswordResetRequestBody],
) -> None:
    """Spend the token (once) on a new password; the user's sessions end. A weak password is a
    422 and leaves the token unspent."""
    codec = codec_of(authenticator)
    claims = codec.read(data.token, TokenKind.PASSWORD_RESET)
    if claims is None:
        raise NotAuthorizedException(detail=RESET_FAILED)
    password_hash = await hashed(data.password)
    async with engine.begin() as connection:
        user_id = await store.use_reset_token(connection, claims.row_id)
        if user_id is None:
            raise NotAuthorizedException(detail=RESET_FAILED)
        await store.update_user(
            connection, user_id, password_hash=password_hash, password_needs_reset=False
        )
        await store.delete_sessions_of(connection, user_id)
    authenticator.forget_everything()
    log.info("password_reset_used", user_id=user_id, reset_id=claims.row_id)


@post(
    "/auth/password-reset-email",
    operation_id="initiatePasswordReset",
    summary="Email a password reset link (no mail server: 503)",
    tags=["auth"],
    status_code=HTTP_503_SERVICE_UNAVAILABLE,
    media_type=MediaType.TEXT,
    opt={"access": Access.PUBLIC},
)
async def initiate_password_reset() -> Response[str]:
    """There is no mail server to send a link with: say so (an admin makes the link)."""
    return Response(
        NO_MAIL_SERVER, status_code=HTTP_503_SERVICE_UNAVAILABLE, media_type=MediaType.TEXT
    )


def _not_supported(what: str) -> Response[str]:
    return Response(
        f"{what} is not supported yet: sign in with an email and password, or use an API key",
        status_code=HTTP_501_NOT_IMPLEMENTED,
        media_type=MediaType.TEXT,
    )


@post(
    "/auth/ldap/login",
    operation_id="ldapLogin",
    summary="Sign in with LDAP (not supported yet: 501)",
    tags=["auth"],
    status_code=HTTP_501_NOT_IMPLEMENTED,
    media_type=MediaType.TEXT,
    opt={"access": Access.PUBLIC},
)
async def ldap_login() -> Response[str]:
    """LDAP sign-in is not offered yet."""
    return _not_supported("LDAP sign-in")


@get(
    "/oauth2/{idp_name:str}/login",
    operation_id="oauth2LoginGet",
    summary="Sign in with an OAuth2 provider (not supported yet: 501)",
    tags=["auth"],
    status_code=HTTP_501_NOT_IMPLEMENTED,
    media_type=MediaType.TEXT,
    opt={"access": Access.PUBLIC},
)
async def oauth2_login_get(idp_name: IdpName, return_url: ReturnUrl = None) -> Response[str]:
    """OAuth2 sign-in is not offered yet."""
    return _not_supported("OAuth2 sign-in")


@post(
    "/oauth2/{idp_name:str}/login",
    operation_id="oauth2LoginPost",
    summary="Sign in with an OAuth2 provider (not supported yet: 501)",
    tags=["auth"],
    status_code=HTTP_501_NOT_IMPLEMENTED,
    media_type=MediaType.TEXT,
    opt={"access": Access.PUBLIC},
)
async def oauth2_login_post(idp_name: IdpName, return_url: ReturnUrl = None) -> Response[str]:
    """OAuth2 sign-in is not offered yet."""
    return _not_supported("OAuth2 sign-in")


@get(
    "/oauth2/{idp_name:str}/tokens",
    operation_id="oauth2Tokens",
    summary="An OAuth2 provider's callback (not supported yet: 501)",
    tags=["auth"],
    status_code=HTTP_501_NOT_IMPLEMENTED,
    media_type=MediaType.TEXT,
    opt={"access": Access.PUBLIC},
)
async def oauth2_tokens(
    idp_name: IdpName,
    oauth2_state: Annotated[str | None, QueryParameter(name="state")] = None,
    code: FromQuery[str | None] = None,
    error: FromQuery[str | None] = None,
    error_description: FromQuery[str | None] = None,
) -> Response[str]:
    """OAuth2 sign-in is not offered yet."""
    return _not_supported("OAuth2 sign-in")


AUTH_HANDLERS: list[ControllerRouterHandler] = [
    login,
    refresh_tokens,
    logout,
    logout_and_redirect,
    reset_password,
    initiate_password_reset,
    ldap_login,
    oauth2_login_get,
    oauth2_login_post,
    oauth2_tokens,
]
"""Every ``/auth`` and ``/oauth2`` route."""
