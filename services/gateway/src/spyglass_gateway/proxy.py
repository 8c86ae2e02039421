"""Forwarding requests to an upstream service over the gateway's pooled HTTP client.

The request body is streamed to the upstream and the upstream's body streamed back, so the
gateway holds neither in memory. An upstream that is down answers 502, one that is too slow 504,
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
    upstream_request = http.build_request(
        request.method, url, headers=headers, content=request.stream()
    )
    try:
        upstream_response = await http.send(upstream_request, stream=True)
    except httpx.TimeoutException:
        log.warning("upstream_timeout", upstream=name, url=url)
        return _problem(504, f"the {name} service did not answer in time; retry later")
    except httpx.TransportError as error:
        log.warning("upstream_unreachable", upstream=name, url=url, error=repr(error))
        return _problem(502, f"the {name} service is unreachable; retry later")

    async def body() -> AsyncIterator[bytes]:
        try:
            async for chunk in upstream_response.aiter_raw():
                yield chunk
        finally:
            await upstream_response.aclose()

    return Stream(
        body(),
        status_code=upstream_response.status_code,
        headers=_forwarded_headers(upstream_response.headers),
    )


def _problem(status: int, message: str) -> Response[Any]:
    return Response({"detail": message}, status_code=status, headers={"Retry-After": "2"})
