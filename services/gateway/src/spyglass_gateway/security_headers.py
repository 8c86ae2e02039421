"""What the gateway's own answers tell browsers about themselves, and cross-origin requests.

**The UI** (its page, its assets, and anything else the gateway answers itself) goes out with
headers that keep the page from doing what it never meant to:

* ``Content-Security-Policy`` (:data:`CONTENT_SECURITY_POLICY`): scripts, styles, fonts and
  requests from the gateway's own origin only; images also as ``data:`` URLs (the favicon in
  ``index.html`` is one); no plugins, no ``<base>``, and no framing by any site. It fits Vite's
  build as it is: ``index.html`` has no inline script or style (the entry script and the
  stylesheet are files under ``/assets/``), React sets ``style`` props through the CSSOM, which
  a CSP does not govern, and the UI talks only to its own origin (fetch; no WebSocket, no
  worker). A change to the UI that loads something from elsewhere, or inlines a script or a
  stylesheet, must change this policy too (the browser tests look for violations).
* ``X-Frame-Options: DENY`` (for browsers without ``frame-ancestors``), ``X-Content-Type-Options:
  nosniff``, ``Referrer-Policy: strict-origin-when-cross-origin``, a ``Permissions-Policy``
  turning off what the UI never uses, and ``Cross-Origin-Opener-Policy: same-origin``.
* ``Strict-Transport-Security`` only when the request came over TLS (``https``, or
  ``X-Forwarded-Proto: https`` from the proxy in front that ends TLS): over plain HTTP it
  would be ignored, or pin a local address to a TLS it does not have.

The referrer policy must not be ``no-referrer``: a browser then sends ``Origin: null`` with
the page's own POSTs, which the cross-site guard refuses as a foreign page's.

**API answers** (forwarded) keep the upstream's headers, plus ``nosniff`` (and HSTS over TLS);
they get no CSP, so the query API's ``/docs`` page still loads what it loads.

**Cross-origin requests.** The UI is served from the gateway's own origin, so it needs no
CORS; SDKs and collectors are not browsers. The gateway therefore allows no other origin to
read its answers, and never with credentials: no answer carries ``Access-Control-Allow-*``
headers (an upstream's are dropped), and a CORS preflight (``OPTIONS`` with
``Access-Control-Request-Method``), whatever its origin, is refused with 403 and no allow
headers, never forwarded. ``SPYGLASS_GATEWAY_ALLOWED_ORIGINS`` lets the pages of the origins it
lists write through the gateway (the cross-site guard), which a proxy in front that changes the
``Host`` needs; it grants them no cross-origin reads.
"""

from __future__ import annotations

from collections.abc import Iterable

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; "
    "script-src 'self'; "
    "style-src 'self'; "
    "img-src 'self' data:; "
    "font-src 'self'; "
    "connect-src 'self'; "
    "object-src 'none'; "
    "base-uri 'none'; "
    "frame-ancestors 'none'"
)
"""The UI's content security policy (see the module's docstring for why each part)."""

PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
"""Powerful features the UI never uses, turned off for it and anything it might embed."""

HSTS = b"max-age=31536000"
"""A year; without ``includeSubDomains``, which would bind the operator's other hosts too."""

UI_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"permissions-policy", PERMISSIONS_POLICY.encode()),
    (b"cross-origin-opener-policy", b"same-origin"),
)

CORS_HEADERS = frozenset(
    {
        b"access-control-allow-origin",
        b"access-control-allow-credentials",
        b"access-control-allow-methods",
        b"access-control-allow-headers",
        b"access-control-expose-headers",
        b"access-control-max-age",
        b"access-control-allow-private-network",
    }
)
"""Headers that would let another origin read an answer: the gateway never sends them."""

_CSP = b"content-security-policy"
_PREFLIGHT_REFUSED = (
    b"cross-origin requests are not allowed: the gateway serves the UI from its own origin and "
    b"grants no other origin access to its APIs (call them from a server or an SDK instead)"
)


def over_tls(scope: Scope) -> bool:
    """Whether the request came over TLS, here or to the proxy in front
    (``X-Forwarded-Proto: https``)."""
    if scope.get("scheme") == "https":
        return True
    for name, value in scope["headers"]:
        if name == b"x-forwarded-proto":
            return value.split(b",", 1)[0].strip().lower() == b"https"
    return False


def is_preflight(method: str, headers: Iterable[tuple[bytes, bytes]]) -> bool:
    """Whether a request is a CORS preflight: ``OPTIONS`` naming the method it is about."""
    return method == "OPTIONS" and any(
        name == b"access-control-request-method" for name, _ in headers
    )


async def refuse_preflight(send: Send) -> None:
    """Answer a preflight 403, with none of the headers that would allow the request."""
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(_PREFLIGHT_REFUSED)).encode()),
                (b"x-content-type-options", b"nosniff"),
                (b"vary", b"Origin"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": _PREFLIGHT_REFUSED, "more_body": False})


class UiSecurityHeaders:
    """ASGI middleware adding the UI's headers to every answer of ``app``: those of
    :data:`UI_HEADERS`, the CSP unless the answer has its own, and HSTS over TLS."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run ``app`` with the headers added to its answer's start."""
        if scope["type"] != ScopeType.HTTP:
            await self._app(scope, receive, send)
            return
        tls = over_tls(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (name, value)
                    for name, value in message.get("headers", ())
                    if name.lower() not in CORS_HEADERS
                ]
                if not any(name.lower() == _CSP for name, _ in headers):
                    headers.append((_CSP, CONTENT_SECURITY_POLICY.encode()))
                headers.extend(UI_HEADERS)
                if tls:
                    headers.append((b"strict-transport-security", HSTS))
                message = {**message, "headers": headers}
            await send(message)

        await self._app(scope, receive, send_with_headers)
