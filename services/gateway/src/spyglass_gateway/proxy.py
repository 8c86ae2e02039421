"""Forwarding requests to an upstream service over the gateway's pooled HTTP client.

The request body is streamed to the upstream, and the upstream's body is streamed back unless it
is small (up to ``BUFFERED_ANSWER_BYTES``, sent in one write), so the gateway holds at most that
much of an answer in memory. An upstream that is down answers 502, one that is too slow 504,
each with a message naming the upstream, never a hang.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
from litestar import Request, Response
from litestar.response import Stream

from spyglass_core.logging import get_logger

log = get_logger(__name__)

BUFFERED_ANSWER_BYTES = 1 << 20
"""Answers up to this size (by their Content-Length) are read whole and sent in one write;
larger ones, and those of unknown length, are streamed, so memory stays bounded."""

# Hop-by-hop headers (RFC 9110 section 7.6.1) and those httpx recomputes.
_SKIPPED_HEADERS = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)


def _forwarded_headers(headers: Any) -> dict[str, str]:
    return {key: value for key, value in headers.items() if key.lower() not in _SKIPPED_HEADERS}


async def forward(
    http: httpx.AsyncClient, request: Request[Any, Any, Any], upstream: str, name: str
) -> Response[Any]:
    """Send ``request`` to the same path on ``upstream`` and stream back its answer."""
    url = f"{upstream}{request.url.path}"
    if request.url.query:
        url = f"{url}?{request.url.query}"
    headers = _forwarded_headers(request.headers)
    length = request.headers.get("content-length")
    if length is not None:
        headers["content-length"] = length
    has_body = length not in (None, "0") or "transfer-encoding" in request.headers
    upstream_request = http.build_request(
        request.method, url, headers=headers, content=request.stream() if has_body else None
    )
    try:
        upstream_response = await http.send(upstream_request, stream=True)
    except httpx.TimeoutException:
        log.warning("upstream_timeout", upstream=name, url=url)
        return _problem(504, f"the {name} service did not answer in time; retry later")
    except httpx.TransportError as error:
        log.warning("upstream_unreachable", upstream=name, url=url, error=repr(error))
        return _problem(502, f"the {name} service is unreachable; retry later")

    answer_headers = _forwarded_headers(upstream_response.headers)
    answer_length = upstream_response.headers.get("content-length", "")
    if answer_length.isdigit() and int(answer_length) <= BUFFERED_ANSWER_BYTES:
        # One write instead of a stream of chunks: most answers are small, and each chunk of a
        # stream costs a trip through the ASGI server.
        try:
            # raw bytes: a compressed answer goes on compressed, with its Content-Encoding
            content = b"".join([chunk async for chunk in upstream_response.aiter_raw()])
        except httpx.HTTPError as error:
            log.warning("upstream_answer_lost", upstream=name, url=url, error=repr(error))
            return _problem(502, f"the {name} service broke off its answer; retry later")
        finally:
            await upstream_response.aclose()
        return Response(content, status_code=upstream_response.status_code, headers=answer_headers)

    async def body() -> AsyncIterator[bytes]:
        try:
            async for chunk in upstream_response.aiter_raw():
                yield chunk
        finally:
            await upstream_response.aclose()

    return Stream(body(), status_code=upstream_response.status_code, headers=answer_headers)


def _problem(status: int, message: str) -> Response[Any]:
    return Response({"detail": message}, status_code=status, headers={"Retry-After": "2"})
