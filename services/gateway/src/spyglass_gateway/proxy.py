"""Forwarding requests to an upstream service over the gateway's pooled HTTP client.

A small request body (up to ``BUFFERED_REQUEST_BYTES`` by its Content-Length) is read whole and
sent with its headers in one write; a larger one, or one of unknown length, is streamed to the
upstream. The upstream's body is streamed back unless it is small (up to
``BUFFERED_ANSWER_BYTES``, sent in one write), so the gateway holds at most that much of a
request or an answer in memory. An upstream that is down answers 502, one that is too slow 504,
each with a message naming the upstream, never a hang.

Requests go on as the client sent them (the path escaped as the client escaped it, no headers
added, credentials included), and answers come back as the upstream wrote them: status, headers
(repeated ones too, minus the hop-by-hop ones) and the raw bytes of the body, compressed or not;
except that no answer lets another origin read it (an upstream's ``Access-Control-Allow-*``
headers are dropped) and every answer says ``X-Content-Type-Options: nosniff``
(:mod:`spyglass_gateway.security_headers`).

Every public request pays for this module, so it is built for speed per request: the client is
aiohttp (httpx took four times the CPU per request) and answers are plain ASGI callables, not
litestar responses. With httptools as the server's parser, that halved the gateway's CPU time
per forwarded request, and its overhead p50 in ``tests/bench/query.py`` went from 2.9 to 1.4 ms
(medians of six runs).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Sequence

import aiohttp
import anyio
from litestar.types import HTTPScope, Receive, Scope, Send
from yarl import URL

from spyglass_core.logging import get_logger
from spyglass_gateway.security_headers import CORS_HEADERS

log = get_logger(__name__)

BUFFERED_REQUEST_BYTES = 1 << 16
"""Request bodies up to this size (by their Content-Length) are read whole and sent to the
upstream with a Content-Length, in one write with the headers; larger ones, and those of
unknown length, are streamed (chunked). Most API requests are small (a run, an evaluation, a
GraphQL query): one write instead of three (headers, chunk, last chunk) saves the gateway and
the upstream a third of their socket work per request."""

BUFFERED_ANSWER_BYTES = 1 << 20
"""Answers up to this size (by their Content-Length) are read whole and sent in one write;
larger ones, and those of unknown length, are streamed, so memory stays bounded."""

UPSTREAM_CONNECT_SECONDS = 5.0
"""How long opening a connection to an upstream may take before the request answers 504."""

UPSTREAM_CONNECTIONS = 200
"""Connections open to the upstreams at most; further requests wait for one to be free."""

UPSTREAM_IDLE_SECONDS = 4.0
"""How long an idle upstream connection is kept. Under uvicorn's 5 s keep-alive, so that the
gateway drops a connection before the upstream does and never sends a request on one the
upstream is closing (a POST there would fail, as it is not safe to retry)."""

# Hop-by-hop headers (RFC 9110 section 7.6.1); the Host, which names the gateway (the client sets
# the upstream's own); Expect, which the gateway's server has answered already: forwarded, it
# would hold the body until an upstream that may never send "100 Continue" sent one; and Origin,
# which the gateway's browser guard has checked against the gateway's own address: the upstream,
# reached under another host name, would take the gateway's own pages for a foreign site.
_SKIPPED_HEADERS = frozenset(
    {
        b"connection",
        b"expect",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"host",
        b"origin",
    }
)

# The gateway's server writes its own Date and Server: the upstream's too would make two of each.
# No upstream may grant another origin access (CORS), and the gateway sets nosniff itself.
_SKIPPED_ANSWER_HEADERS = (
    _SKIPPED_HEADERS | CORS_HEADERS | {b"date", b"server", b"x-content-type-options"}
)
_NOSNIFF = (b"x-content-type-options", b"nosniff")

# Headers aiohttp adds to a request that lacks them. The client's request goes on as it came: an
# Accept-Encoding the client never sent would bring back a compressed answer it did not ask for.
_NO_AUTOMATIC_HEADERS = ("Accept", "Accept-Encoding", "User-Agent", "Content-Type")


def create_upstream_session(timeout_seconds: float) -> aiohttp.ClientSession:
    """The pooled client the gateway forwards with (call it inside the running event loop).

    Args:
        timeout_seconds: how long an upstream may stay silent, waiting for its answer or
            between two parts of it, before the request answers 504; and how long a request
            may wait for a free connection when all ``UPSTREAM_CONNECTIONS`` are busy.
    """
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(
            limit=UPSTREAM_CONNECTIONS, keepalive_timeout=UPSTREAM_IDLE_SECONDS
        ),
        timeout=aiohttp.ClientTimeout(
            total=None,
            connect=timeout_seconds,
            sock_connect=UPSTREAM_CONNECT_SECONDS,
            sock_read=timeout_seconds,
        ),
        # One session serves every user: it must never keep one user's cookies for another.
        cookie_jar=aiohttp.DummyCookieJar(),
        # A compressed answer goes on compressed, with its Content-Encoding.
        auto_decompress=False,
        skip_auto_headers=_NO_AUTOMATIC_HEADERS,
    )


def client_address(scope: HTTPScope, trusted_proxies: int) -> str | None:
    """The client's address: the peer's, or with ``trusted_proxies`` proxies in front (each
    appending its peer to ``X-Forwarded-For``) the entry that many places from the end."""
    peer = scope.get("client")
    address = peer[0] if peer else None
    if trusted_proxies <= 0:
        return address
    entries = [
        entry.strip()
        for key, value in scope["headers"]
        if key == b"x-forwarded-for"
        for entry in value.decode("latin-1").split(",")
        if entry.strip()
    ]
    if not entries:
        return address
    return entries[-trusted_proxies] if len(entries) >= trusted_proxies else entries[0]


async def forward(
    http: aiohttp.ClientSession,
    scope: HTTPScope,
    receive: Receive,
    upstream: str,
    name: str,
    added_headers: Sequence[tuple[bytes, bytes]] = (),
    client_address: str | None = None,
) -> Answer | StreamedAnswer:
    """Send the client's request to the same path on ``upstream`` and pass back its answer.

    Args:
        http: the pooled client (:func:`create_upstream_session`).
        scope: the client's request (ASGI).
        receive: its body: read whole if small, else streamed to the upstream.
        upstream: the upstream's base URL, without a trailing slash.
        name: the upstream's name in the messages of a 502 or 504 ("query API").
        added_headers: headers of the gateway's own for the upstream's answer (HSTS over TLS),
            besides ``nosniff``.
        client_address: sent as the only ``X-Forwarded-For`` (what the client sent is
            dropped: it could name anyone).

    Returns:
        An ASGI answer: the upstream's, or a 502 / 504 problem with ``Retry-After``.
    """
    # The path as the client spelled it: decoding and encoding it again would turn an escaped
    # slash in a name ("%2F") into a separator.
    target = scope.get("raw_path") or scope["path"].encode()
    # Logged without its query string, which may carry what must never be logged (a token).
    shown = upstream + target.decode("latin-1")
    if scope["query_string"]:
        target = b"%s?%s" % (target, scope["query_string"])
    url = upstream + target.decode("latin-1")
    headers = [
        (key.decode("latin-1"), value.decode("latin-1"))
        for key, value in scope["headers"]
        if key not in _SKIPPED_HEADERS and key != b"x-forwarded-for"
    ]
    if client_address:
        headers.append(("X-Forwarded-For", client_address))
    body = _RequestBody(scope["headers"], receive)
    data: bytes | AsyncIterator[bytes] | None = None
    if body.length is not None and body.length <= BUFFERED_REQUEST_BYTES:
        try:
            data = b"".join([chunk async for chunk in body.chunks()])
        except ConnectionAbortedError:
            log.info("client_left_mid_request", upstream=name, url=shown)
            return _problem(400, "the request's body ended before its Content-Length")
    elif body.present:
        data = body.chunks()
    try:
        upstream_response = await http.request(
            scope["method"],
            URL(url, encoded=True),
            headers=headers,
            data=data,
            allow_redirects=False,
        )
    except TimeoutError:
        log.warning("upstream_timeout", upstream=name, url=shown)
        return _problem(504, f"the {name} service did not answer in time; retry later")
    except aiohttp.ClientError as error:
        if body.client_left:
            log.info("client_left_mid_request", upstream=name, url=shown)
        else:
            log.warning("upstream_unreachable", upstream=name, url=shown, error=repr(error))
        return _problem(502, f"the {name} service is unreachable; retry later")

    answer_headers = [
        (key.lower(), value)
        for key, value in upstream_response.raw_headers
        if key.lower() not in _SKIPPED_ANSWER_HEADERS
    ]
    answer_headers.append(_NOSNIFF)
    answer_headers.extend(added_headers)
    length = upstream_response.content_length
    if length is not None and length <= BUFFERED_ANSWER_BYTES:
        # One write instead of a stream of chunks: most answers are small, and each chunk of a
        # stream costs a trip through the ASGI server.
        try:
            content = await upstream_response.read()
        except TimeoutError:
            log.warning("upstream_answer_timeout", upstream=name, url=shown)
            return _problem(504, f"the {name} service did not finish its answer; retry later")
        except aiohttp.ClientError as error:
            log.warning("upstream_answer_lost", upstream=name, url=shown, error=repr(error))
            return _problem(502, f"the {name} service broke off its answer; retry later")
        finally:
            upstream_response.release()
        return Answer(upstream_response.status, answer_headers, content)
    return StreamedAnswer(upstream_response, answer_headers, body)


class _RequestBody:
    """The client's request body, read from ASGI as the upstream takes it."""

    def __init__(self, headers: Iterable[tuple[bytes, bytes]], receive: Receive) -> None:
        length = transfer_encoding = None
        for key, value in headers:
            if key == b"content-length":
                length = value
            elif key == b"transfer-encoding":
                transfer_encoding = value
        self.present = length not in (None, b"0") or transfer_encoding is not None
        self.length = int(length) if length is not None and length.isdigit() else None
        """The body's size as its Content-Length gives it (None: not given, or streamed)."""
        if transfer_encoding is not None:
            self.length = None
        self.finished = not self.present
        """Whether the whole body has been read: until then only the body may call ``receive``."""
        self.client_left = False
        """Whether the client went away before the end of its body."""
        self._receive = receive

    async def chunks(self) -> AsyncIterator[bytes]:
        """The body's chunks as they arrive."""
        while True:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                # Failing the upload, so that the upstream never takes half a body as whole.
                self.client_left = True
                raise ConnectionAbortedError("the client went away while sending its request")
            chunk: bytes = message.get("body", b"")  # type: ignore[assignment]
            if chunk:
                yield chunk
            if not message.get("more_body", False):
                self.finished = True
                return


class Answer:
    """A whole answer, sent in one write: the upstream's, or a problem of the gateway's."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Send the answer as ASGI events."""
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        await send({"type": "http.response.body", "body": self.body, "more_body": False})


class StreamedAnswer:
    """An upstream's answer passed on chunk by chunk as it arrives.

    A client that goes away stops the stream, and the upstream connection is closed, instead
    of reading the rest of the answer for nobody.
    """

    def __init__(
        self,
        upstream_response: aiohttp.ClientResponse,
        headers: list[tuple[bytes, bytes]],
        request_body: _RequestBody,
    ) -> None:
        self._upstream_response = upstream_response
        self._headers = headers
        self._request_body = request_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Send the upstream's status and headers, then its body as it comes."""
        try:
            async with anyio.create_task_group() as group:
                if self._request_body.finished:
                    group.start_soon(_cancel_on_disconnect, receive, group.cancel_scope)
                await self._stream(send)
                group.cancel_scope.cancel()
        finally:
            self._upstream_response.release()

    async def _stream(self, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": self._upstream_response.status,
                "headers": self._headers,
            }
        )
        async for chunk in self._upstream_response.content.iter_any():
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _cancel_on_disconnect(receive: Receive, scope: anyio.CancelScope) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    scope.cancel()


def _problem(status: int, message: str) -> Answer:
    """A JSON ``{"detail": message}`` answer with ``Retry-After``, for an upstream that failed."""
    body = json.dumps({"detail": message}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", b"2"),
        _NOSNIFF,
    ]
    return Answer(status, headers, body)
