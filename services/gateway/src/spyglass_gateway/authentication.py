"""Authentication at the edge: an API request without a valid credential stops at the gateway.

With auth on (``SPYGLASS_ENABLE_AUTH``), a request the gateway forwards to the query API must
carry a credential that proves a user or the system (``Authorization: Bearer``, an ``api_key``
header or the ``phoenix-access-token`` cookie, :func:`spyglass_auth.credential_from`); without
one it is answered 401 here and never reaches the upstream. The gateway only authenticates:
what each principal may do (403) is decided by the query API, which checks the same credential
again (it arrives unchanged, headers and cookies).

Public, whatever the credential:

* the UI's files and its pages (the login page must load), and the probes: the gateway
  serves them itself and never asks;
* ``/auth/*`` and ``/oauth2/*``: login, refresh, logout, password reset;
* ``/arize_phoenix_version`` (Phoenix's clients ask it before signing in), ``/openapi.json``
  and ``/docs``: the contract, which is public;
* ``POST /v1/traces``: the ingest receiver checks its keys itself (ingest keys are scoped to a
  project, which only it knows), so the gateway does not check them twice.

A credential is checked against its row through :class:`spyglass_auth.Authenticator`, which
remembers the answer for ``SPYGLASS_AUTH_CACHE_SECONDS``: a busy client costs a dictionary
lookup per request. A database that can't be read while checking a credential not remembered
is a 503 with ``Retry-After``, never a 500. Credentials are never logged.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import Counter
from sqlalchemy.exc import SQLAlchemyError

from spyglass_auth import ACCESS_COOKIE, API_KEY_HEADER, UNAUTHENTICATED, Authenticator
from spyglass_auth import credential_from as _credential_from
from spyglass_core.logging import get_logger
from spyglass_gateway.proxy import Answer

log = get_logger(__name__)

PUBLIC_PREFIXES = ("/auth/", "/oauth2/", "/docs/")
"""Forwarded paths under these prefixes are answered whoever asks."""

PUBLIC_PATHS = frozenset({"/arize_phoenix_version", "/openapi.json", "/docs"})
"""Forwarded paths answered whoever asks."""

WWW_AUTHENTICATE = b'Bearer realm="Spyglass"'

REQUESTS_UNAUTHENTICATED = Counter(
    "spyglass_gateway_requests_unauthenticated_total",
    "API requests the gateway answered 401 (no valid credential), by whether one was sent.",
    ["credential"],
)
AUTH_DATABASE_FAILURES = Counter(
    "spyglass_gateway_auth_database_failures_total",
    "Credentials that could not be checked because the database could not be read (503).",
)

_HEADER_NAMES = {b"authorization": "authorization", API_KEY_HEADER.encode(): API_KEY_HEADER}


def is_public(path: str) -> bool:
    """Whether a forwarded ``path`` needs no credential (ingest's ``POST /v1/traces`` is
    decided by the caller: the receiver checks it)."""
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def request_credential(headers: Iterable[tuple[bytes, bytes]]) -> str:
    """The credential an ASGI request's headers carry, ``""`` if none (the order of
    :func:`spyglass_auth.credential_from`: bearer, ``api_key``, then the access cookie)."""
    found: dict[str, str] = {}
    cookie_headers: list[bytes] = []
    for name, value in headers:
        known = _HEADER_NAMES.get(name)
        if known is not None:
            found.setdefault(known, value.decode("latin-1"))
        elif name == b"cookie":
            cookie_headers.append(value)
    cookies = None
    if not found and cookie_headers:
        cookies = _access_cookie(b"; ".join(cookie_headers).decode("latin-1"))
    return _credential_from(found, cookies)


def _access_cookie(cookie_header: str) -> dict[str, str]:
    """The access cookie of a ``Cookie`` header, as a one-entry mapping (or an empty one). The
    first of that name wins: browsers send the one of the most specific path first."""
    for pair in cookie_header.split(";"):
        name, separator, value = pair.strip().partition("=")
        if separator and name == ACCESS_COOKIE:
            return {ACCESS_COOKIE: value.strip().strip('"')}
    return {}


class EdgeAuthentication:
    """The gateway's credential check: :meth:`refusal` answers a request that may not go on."""

    def __init__(self, authenticator: Authenticator) -> None:
        self._authenticator = authenticator

    async def refusal(
        self, method: str, path: str, headers: Iterable[tuple[bytes, bytes]]
    ) -> Answer | None:
        """The 401 or 503 answer to a request for a non-public forwarded path, or None when
        its credential proves a user or the system."""
        credential = request_credential(headers)
        try:
            principal = await self._authenticator.principal(credential)
        except (SQLAlchemyError, OSError) as error:
            AUTH_DATABASE_FAILURES.inc()
            log.warning(
                "auth_database_unavailable", method=method, path=path, error=type(error).__name__
            )
            return _text_answer(
                503,
                "Credentials can't be checked: the database is unreachable; retry later",
                [(b"retry-after", b"2")],
            )
        if principal is not None:
            return None
        REQUESTS_UNAUTHENTICATED.labels("given" if credential else "none").inc()
        log.info(
            "request_unauthenticated", method=method, path=path, credential_given=bool(credential)
        )
        return _text_answer(401, UNAUTHENTICATED.message, [(b"www-authenticate", WWW_AUTHENTICATE)])


def _text_answer(status: int, message: str, headers: Iterable[tuple[bytes, bytes]]) -> Answer:
    body = message.encode()
    return Answer(
        status,
        [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store"),
            (b"x-content-type-options", b"nosniff"),
            *headers,
        ],
        body,
    )
