"""The query API's door: who is calling, and whether the operation is theirs to call.

Both doors (REST and GraphQL) sit behind one guard. It reads the caller's credential
(``spyglass_auth.credential_from``), proves it (``Authenticator``), and applies the one policy
(``spyglass_auth.denial``) to the :class:`~spyglass_auth.Access` the route declares in its
``opt`` (``opt={"access": Access.ADMIN}``); a route that declares none needs READ if it only
reads (GET, HEAD) and WRITE otherwise. GraphQL's endpoint needs READ; its mutations need WRITE
(:func:`mutation_denial`, checked before anything runs).

401 when no valid credential came (with ``WWW-Authenticate``), 403 when the caller may not;
with auth off every caller is :data:`~spyglass_auth.ANONYMOUS` and may do anything. Handlers
read the caller with :func:`principal_of` (to record who did something, or to scope what they
see to their own).
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers import BaseRouteHandler
from litestar.types import Guard

from spyglass_auth import ANONYMOUS, Access, Authenticator, Principal, credential_from, denial

PRINCIPAL_SCOPE_KEY = "spyglass.principal"
WWW_AUTHENTICATE = 'Bearer realm="Spyglass"'
_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def access_of(handler: BaseRouteHandler) -> Access:
    """What calling ``handler`` needs: its declared ``opt["access"]``, else READ for a route
    that only reads and WRITE for any other."""
    declared = handler.opt.get("access")
    if declared is not None:
        return Access(declared)
    methods = getattr(handler, "http_methods", None) or set()
    return Access.READ if methods and set(methods) <= _READ_METHODS else Access.WRITE


def principal_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
    """Who is calling (None: nobody signed in, on a public route)."""
    principal = connection.scope.get(PRINCIPAL_SCOPE_KEY)
    return principal if isinstance(principal, Principal) else None


def requester_id(connection: ASGIConnection[Any, Any, Any, Any]) -> int | None:
    """The user a job or rule set up now runs on behalf of (None with auth off)."""
    principal = principal_of(connection)
    return principal.user_id if principal is not None else None


def door(authenticator: Authenticator) -> Guard:
    """The guard every REST and GraphQL route sits behind."""

    async def guard(
        connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
    ) -> None:
        if not authenticator.enabled:
            connection.scope[PRINCIPAL_SCOPE_KEY] = ANONYMOUS  # type: ignore[literal-required]
            return
        access = access_of(handler)
        credential = credential_from(connection.headers, connection.cookies)
        principal = await authenticator.principal(credential) if credential else None
        connection.scope[PRINCIPAL_SCOPE_KEY] = principal  # type: ignore[literal-required]
        refused = denial(principal, access)
        if refused is None:
            return
        if refused.status == 401:
            raise NotAuthorizedException(
                detail=refused.message, headers={"WWW-Authenticate": WWW_AUTHENTICATE}
            )
        raise PermissionDeniedException(detail=refused.message)

    return guard


def mutation_denial(principal: Principal | None) -> str | None:
    """Why ``principal`` may not run a GraphQL mutation (None: it may)."""
    refused = denial(principal, Access.WRITE)
    return refused.message if refused is not None else None
