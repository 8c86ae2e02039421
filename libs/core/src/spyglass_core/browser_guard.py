"""No writes from other sites: what a web page elsewhere could make a browser send, refused.

A browser lets any page send some requests to any address, ``http://localhost:6006`` included,
without asking the server first (no CORS preflight): GET and HEAD, and POST with a body whose
content type is ``application/x-www-form-urlencoded``, ``multipart/form-data``, ``text/plain``
or none at all (a no-cors ``fetch`` of bytes). The page can't read the answer, but the request
is carried out; JSON sent as ``text/plain`` would create or delete data. And a page can make its
own host name resolve to 127.0.0.1 (DNS rebinding): the browser then takes our server for that
page's own site and lets it read and write everything.

Every app that mounts :func:`browser_guard` applies three rules, in this order:

1. **Host.** The ``Host`` header must name a host the server is configured to answer to
   (``*_ALLOWED_HOSTS``; by default the loopback names, any port), else 400 naming the
   setting. A rebinding page's requests carry its own host name, so they stop here.
2. **Origin.** A POST, PUT, PATCH or DELETE that carries ``Origin`` must come from the server's
   own origin (the ``Host`` it was sent to) or one listed in ``*_ALLOWED_ORIGINS``, else 403.
   Browsers send ``Origin`` on every such request; SDKs, scripts and collectors send none and
   are not checked.
3. **Content type.** A POST whose content type a browser sends cross-site without a preflight
   is refused with 415 naming the type to send, except where the REST contract takes it
   (``POST /v1/datasets/upload`` takes ``multipart/form-data``). PUT, PATCH and DELETE are not
   checked: a browser asks before sending them to another site, and no Spyglass server answers
   that preflight, so they never leave the browser.

Health and metrics paths (``/healthz``, ``/readyz``, ``/metrics``) pass untouched, whatever the
host: kubelet probes and Prometheus use the pod's IP. Refusals are answered as ``text/plain``
(like the query API's REST errors), logged, and counted in
``spyglass_http_requests_refused_total`` by reason.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Protocol

from litestar.enums import ScopeType
from litestar.middleware import DefineMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send
from prometheus_client import Counter
from pydantic import AfterValidator, BeforeValidator
from pydantic_settings import BaseSettings, NoDecode

from spyglass_core.logging import get_logger
from spyglass_core.settings import env_name

log = get_logger(__name__)

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")
"""The default allowed hosts: a server on a laptop answers only to its loopback names."""

ANY_HOST = "*"
"""The allowed-hosts entry that allows every host (for a proxy in front that checks it)."""

PROBE_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
"""Paths served whatever the request: probes and scrapers address pods by IP."""

STATE_CHANGING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

SIMPLE_CONTENT_TYPES = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}
)
"""The content types a browser POSTs to another site without a preflight (Fetch standard,
CORS-safelisted request headers)."""

FORM_BODY_PATHS: Mapping[str, frozenset[str]] = {
    "/v1/datasets/upload": frozenset({"multipart/form-data"}),
}
"""Where Phoenix's REST contract takes a body of a simple content type: those paths and types
pass the content-type rule (the Origin rule still applies)."""

REQUESTS_REFUSED = Counter(
    "spyglass_http_requests_refused_total",
    "Requests refused as a browser could send them from another site, by reason.",
    ["reason"],
)

_DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST_NAME = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*")
_IPV6 = re.compile(r"\[[0-9a-f:.]+\]")
_REMEMBERED_DECISIONS = 1024
"""Host and Origin headers whose decision is kept (:class:`BrowserGuardPolicy`)."""
_SHOWN_CHARACTERS = 100
"""How much of a header value a refusal's message repeats."""


# --- settings ----------------------------------------------------------------------------------


def _comma_separated(value: object) -> object:
    """An environment variable's ``a, b,c`` as a tuple; empty entries are skipped."""
    if isinstance(value, str):
        return tuple(item.strip() for item in value.split(",") if item.strip())
    return value


def _host_patterns(patterns: tuple[str, ...]) -> tuple[str, ...]:
    normalized = []
    for pattern in patterns:
        entry = pattern.strip().lower().rstrip(".")
        name = entry.removeprefix("*.")
        if entry == ANY_HOST or _HOST_NAME.fullmatch(name) or _IPV6.fullmatch(entry):
            normalized.append(entry)
        elif "://" in entry or "/" in entry:
            raise ValueError(f"list host names, not URLs: got {pattern!r}")
        elif entry.count(":") == 1 or (entry.startswith("[") and "]:" in entry):
            raise ValueError(
                f"list host names without a port (any port is served): got {pattern!r}"
            )
        elif ":" in entry:
            raise ValueError(f"write IPv6 addresses in brackets, like [::1]: got {pattern!r}")
        else:
            raise ValueError(f"{pattern!r} is not a host name, an IP address, `*.domain` or `*`")
    return tuple(normalized)


def _origins(origins: tuple[str, ...]) -> tuple[str, ...]:
    normalized = []
    for origin in origins:
        parsed = _parse_origin(origin.strip().rstrip("/"))
        if parsed is None:
            raise ValueError(
                f"origins are written scheme://host[:port], like https://ui.example.com: "
                f"got {origin!r}"
            )
        normalized.append(_origin_text(*parsed))
    return tuple(normalized)


HostPatterns = Annotated[
    tuple[str, ...], NoDecode, BeforeValidator(_comma_separated), AfterValidator(_host_patterns)
]
"""A setting listing allowed hosts, comma-separated: names, IP addresses (IPv6 in brackets),
``*.example.com`` for every subdomain, or ``*`` for any host."""

OriginList = Annotated[
    tuple[str, ...], NoDecode, BeforeValidator(_comma_separated), AfterValidator(_origins)
]
"""A setting listing origins (``https://ui.example.com``), comma-separated."""


class GuardedServerSettings(Protocol):
    """The server settings :func:`browser_guard` reads: fields typed :data:`HostPatterns` and
    :data:`OriginList` of a settings class (its variables are named in refusals)."""

    @property
    def allowed_hosts(self) -> tuple[str, ...]: ...

    @property
    def allowed_origins(self) -> tuple[str, ...]: ...


# --- the rules ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """Why a request was refused: its status, the message for the caller, the metric's reason."""

    status: int
    message: str
    reason: str


@dataclass(frozen=True)
class BrowserGuardPolicy:
    """The three rules with their settings; :meth:`check` decides on one request."""

    allowed_hosts: tuple[str, ...] = LOOPBACK_HOSTS
    """Normalized :data:`HostPatterns`."""
    allowed_origins: tuple[str, ...] = ()
    """Normalized :data:`OriginList`."""
    hosts_setting: str = "the allowed hosts"
    """The variable that lists the hosts, named in refusals."""
    origins_setting: str = "the allowed origins"
    form_body_paths: Mapping[str, frozenset[str]] = field(default_factory=lambda: FORM_BODY_PATHS)
    _any_host: bool = field(init=False, repr=False)
    _hosts: frozenset[str] = field(init=False, repr=False)
    _domains: tuple[str, ...] = field(init=False, repr=False)
    _served: dict[bytes, bool] = field(init=False, repr=False)
    _trusted: dict[tuple[bytes, bytes | None], bool] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        hosts = [host for host in self.allowed_hosts if not host.startswith("*")]
        # "*.example.com" is kept as ".example.com": a host ending with it is a subdomain.
        domains = [host[1:] for host in self.allowed_hosts if host.startswith("*.")]
        object.__setattr__(self, "_any_host", ANY_HOST in self.allowed_hosts)
        object.__setattr__(self, "_hosts", frozenset(hosts))
        object.__setattr__(self, "_domains", tuple(domains))
        # Decisions per Host and per (Origin, Host) header: a server sees few of each, and
        # parsing them took half the time of a check.
        object.__setattr__(self, "_served", {})
        object.__setattr__(self, "_trusted", {})

    def check(
        self, method: str, path: str, headers: Iterable[tuple[bytes, bytes]]
    ) -> Refusal | None:
        """The refusal of a request, or None when it may go on.

        Args:
            method: the HTTP method, upper case.
            path: the request's path (probe paths are not passed here: they always go on).
            headers: the ASGI scope's headers (names in lower case).
        """
        host = origin = content_type = None
        has_body = False
        for name, value in headers:
            if name == b"host":
                host = host if host is not None else value
            elif name == b"origin":
                origin = origin if origin is not None else value
            elif name == b"content-type":
                content_type = value
            elif name == b"content-length":
                has_body = has_body or value.strip() not in (b"", b"0")
            elif name == b"transfer-encoding":
                has_body = True
        if not self._any_host and not self._serves(host):
            return self._host_refusal(None if host is None else host.decode("latin-1"))
        if method not in STATE_CHANGING_METHODS:
            return None
        if origin is not None and not self._trusts(origin, host):
            return Refusal(
                403,
                f"a page of {_shown(origin.decode('latin-1'))} may not change data here: the "
                f"`Origin` must be this server's own or one listed in {self.origins_setting}",
                "origin",
            )
        if method == "POST":
            return self._content_type_refusal(
                path, None if content_type is None else content_type.decode("latin-1"), has_body
            )
        return None

    def _serves(self, host: bytes | None) -> bool:
        if host is None:
            return False
        served = self._served.get(host)
        if served is None:
            authority = _split_authority(host.decode("latin-1"))
            name = authority[0] if authority else None
            served = name is not None and (
                name in self._hosts or any(name.endswith(domain) for domain in self._domains)
            )
            _remember(self._served, host, served)
        return served

    def _host_refusal(self, host: str | None) -> Refusal:
        if host is None:
            message = (
                f"the request has no `Host` header; this server answers only to the hosts "
                f"listed in {self.hosts_setting}"
            )
        else:
            message = (
                f"this server does not answer to the host {_shown(host)}: list it in "
                f"{self.hosts_setting} (comma-separated; `*` allows any host)"
            )
        return Refusal(400, message, "host")

    def _trusts(self, origin: bytes, host: bytes | None) -> bool:
        trusted = self._trusted.get((origin, host))
        if trusted is None:
            authority = None if host is None else _split_authority(host.decode("latin-1"))
            trusted = self._trusts_origin(origin.decode("latin-1"), authority)
            _remember(self._trusted, (origin, host), trusted)
        return trusted

    def _trusts_origin(self, origin: str, authority: tuple[str, int | None] | None) -> bool:
        parsed = _parse_origin(origin)
        if parsed is None:  # "null" (sandboxed frames, file: pages), or malformed
            return False
        if _origin_text(*parsed) in self.allowed_origins:
            return True
        scheme, origin_host, origin_port = parsed
        if authority is None:
            return False
        # The scheme is not compared: behind a proxy that ends TLS, the page is https and the
        # request reaches us as http. The host and port are what a foreign page can't share.
        host, port = authority
        default = _DEFAULT_PORTS.get(scheme)
        return origin_host == host and (origin_port or default) == (port or default)

    def _content_type_refusal(
        self, path: str, content_type: str | None, has_body: bool
    ) -> Refusal | None:
        essence = content_type.split(";", 1)[0].strip().lower() if content_type else ""
        allowed = self.form_body_paths.get(path, frozenset())
        if essence in allowed or (not essence and not has_body):
            return None
        if essence and essence not in SIMPLE_CONTENT_TYPES:
            return None
        expected = " or ".join(["application/json", *sorted(allowed)])
        if essence:
            message = (
                f"`content-type` must be {expected}, not {essence}: any web page can make a "
                f"browser POST {essence} to this server without asking it first"
            )
        else:
            message = (
                f"`content-type` must be {expected}: any web page can make a browser POST a "
                f"body with no content type to this server without asking it first"
            )
        return Refusal(415, message, "content_type")


def _remember(cache: dict[Any, bool], key: Any, decision: bool) -> None:
    """Keep ``decision`` unless ``cache`` is full: made-up headers must not grow it for ever."""
    if len(cache) < _REMEMBERED_DECISIONS:
        cache[key] = decision


def _split_authority(authority: str) -> tuple[str, int | None] | None:
    """The host (lower case, IPv6 in brackets, no trailing dot) and port of ``host[:port]``;
    None when it is malformed."""
    if authority.startswith("["):
        end = authority.find("]") + 1
        host, rest = authority[:end], authority[end:]
        if not end or (rest and not rest.startswith(":")):
            return None
        port_text = rest[1:]
    else:
        host, _, port_text = authority.partition(":")
    host = host.lower().rstrip(".")
    if not (_HOST_NAME.fullmatch(host) or _IPV6.fullmatch(host)):
        return None
    if not port_text:
        return host, None
    if not port_text.isascii() or not port_text.isdigit() or int(port_text) > 65535:
        return None
    return host, int(port_text)


def _parse_origin(origin: str) -> tuple[str, str, int | None] | None:
    """The scheme, host and port of an ``Origin`` value; None for ``null`` or a malformed one."""
    scheme, separator, authority = origin.partition("://")
    scheme = scheme.lower()
    if not separator or not re.fullmatch(r"[a-z][a-z0-9+.-]*", scheme):
        return None
    parsed = _split_authority(authority)
    if parsed is None:
        return None
    host, port = parsed
    return scheme, host, None if port == _DEFAULT_PORTS.get(scheme) else port


def _origin_text(scheme: str, host: str, port: int | None) -> str:
    return f"{scheme}://{host}" if port is None else f"{scheme}://{host}:{port}"


def _shown(value: str) -> str:
    """A header value quoted for a message: escaped, and cut to a readable length."""
    cut = value if len(value) <= _SHOWN_CHARACTERS else value[:_SHOWN_CHARACTERS] + "..."
    return json.dumps(cut)


# --- the middleware ----------------------------------------------------------------------------


class BrowserGuard:
    """ASGI middleware applying a :class:`BrowserGuardPolicy` to every HTTP request."""

    def __init__(self, app: ASGIApp, policy: BrowserGuardPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer a refused request with its status and message; pass the rest on."""
        if scope["type"] != ScopeType.HTTP or scope["path"] in PROBE_PATHS:
            await self.app(scope, receive, send)
            return
        refusal = self.policy.check(scope["method"], scope["path"], scope["headers"])
        if refusal is None:
            await self.app(scope, receive, send)
            return
        REQUESTS_REFUSED.labels(refusal.reason).inc()
        headers = dict(scope["headers"])
        log.warning(
            "request_refused",
            reason=refusal.reason,
            status=refusal.status,
            method=scope["method"],
            path=scope["path"],
            host=headers.get(b"host", b"").decode("latin-1"),
            origin=headers.get(b"origin", b"").decode("latin-1"),
            content_type=headers.get(b"content-type", b"").decode("latin-1"),
        )
        body = refusal.message.encode()
        await send(
            {
                "type": "http.response.start",
                "status": refusal.status,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    # The message repeats a header value: never let a browser take it for HTML.
                    (b"x-content-type-options", b"nosniff"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body, "more_body": False})


def guard_policy(server: GuardedServerSettings) -> BrowserGuardPolicy:
    """The policy of the allowed hosts and origins of ``server``: a settings class whose fields
    ``allowed_hosts`` and ``allowed_origins`` are typed :data:`HostPatterns` and
    :data:`OriginList` (refusals name their variables)."""
    settings_cls = type(server)
    if not issubclass(settings_cls, BaseSettings):
        raise TypeError(f"{settings_cls.__name__} is not a settings class")
    return BrowserGuardPolicy(
        allowed_hosts=server.allowed_hosts,
        allowed_origins=server.allowed_origins,
        hosts_setting=env_name(settings_cls, "allowed_hosts"),
        origins_setting=env_name(settings_cls, "allowed_origins"),
    )


def browser_guard(server: GuardedServerSettings) -> DefineMiddleware:
    """The guard as litestar middleware, with the policy of :func:`guard_policy`:
    ``Litestar(middleware=[browser_guard(...)])``.

    Litestar runs an app's middleware once a route matched the request: one that no route takes
    gets the router's 404 or 405 whatever its host, which tells a page nothing.
    """
    return DefineMiddleware(BrowserGuard, policy=guard_policy(server))
