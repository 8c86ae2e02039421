"""The web UI on the public port: Vite's built files, and ``index.html`` for every deep link.

* ``/assets/*`` are the hashed files of a build: a new build gives them new names, so browsers
  may keep them for a year without asking again. A missing one is a 404, never the page (a
  browser handed HTML for a script would fail in a confusing way).
* ``index.html`` names the current assets, so browsers must revalidate it on every load
  (``no-cache``); other top-level files of the build (``favicon.svg``) are revalidated too.
* Any other GET or HEAD that is not an API path is a deep link into the single-page app
  (``/projects/x/traces/<id>``): it answers ``index.html`` and the app's router takes over.
* The build holds a brotli and a gzip form beside each file worth compressing (``x.js.br``,
  ``x.js.gz``, written by Vite's build): a browser that accepts one gets it, with its
  ``Content-Encoding``, so nothing is compressed per request.
* With no build in the directory, pages answer 503 with a short page saying how to build the
  UI; the APIs keep working.

The directory is looked at on every request, so a UI built while the gateway runs is served at
once.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from litestar import HttpMethod, Request, route
from litestar.handlers import HTTPRouteHandler
from litestar.response.base import ASGIResponse
from litestar.response.file import ASGIFileResponse
from litestar.status_codes import HTTP_404_NOT_FOUND, HTTP_503_SERVICE_UNAVAILABLE

ASSET_CACHE_CONTROL = "public, max-age=31536000, immutable"
PAGE_CACHE_CONTROL = "no-cache"

API_PREFIXES = (
    "/v1",
    "/graphql",
    "/arize_phoenix_version",
    "/openapi.json",
    "/docs",
    "/auth",
    "/oauth2",
    "/healthz",
    "/readyz",
    "/metrics",
)
"""Paths that belong to the APIs: never answered with the UI's page, even where no API route
matched them (``/v1`` alone, ``/healthz/``), so a client bug gets a 404 instead of HTML."""

_UNBUILT_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Spyglass: the UI is not built</title></head>
<body style="font-family: system-ui, sans-serif; margin: 3rem auto; max-width: 42rem">
  <h1>The Spyglass UI is not built</h1>
  <p>The gateway found no <code>index.html</code> in <code>{directory}</code>.</p>
  <p>Build it with <code>make ui</code> (or <code>spyglass ui build</code>) from a checkout of
     Spyglass, or point <code>SPYGLASS_GATEWAY_UI_DIRECTORY</code> at a built UI.
     <code>make run</code> builds it for you.</p>
  <p>The APIs work without it: <code>/v1/*</code>, <code>/graphql</code> and OTLP/HTTP on
     <code>/v1/traces</code>.</p>
</body>
</html>
"""

_UNBUILT_PAGE_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'"
)

_GET_AND_HEAD = [HttpMethod.GET, HttpMethod.HEAD]

_ENCODED_FORMS = (("br", ".br"), ("gzip", ".gz"))
"""The content codings of the build's compressed files, and their suffixes, best first."""


def ui_routes(directory: Path) -> list[HTTPRouteHandler]:
    """Route handlers serving the UI built into ``directory`` (Vite's ``dist/``)."""

    @route("/assets/{path:path}", http_method=_GET_AND_HEAD, include_in_schema=False)
    async def asset(request: Request[Any, Any, Any], path: str) -> ASGIResponse:
        """A hashed file of the build, cached for good; 404 when it is not in the build."""
        head = request.method == HttpMethod.HEAD
        file = _file_in(directory / "assets", path)
        if file is None:
            return ASGIResponse(
                body=b"no such asset in the UI's build\n",
                status_code=HTTP_404_NOT_FOUND,
                media_type="text/plain",
                is_head_response=head,
            )
        return _file_response(request, file, ASSET_CACHE_CONTROL)

    @route(["/", "/{path:path}"], http_method=_GET_AND_HEAD, include_in_schema=False)
    async def page(request: Request[Any, Any, Any], path: str = "") -> ASGIResponse:
        """A top-level file of the build, or else the app's page, for any path of the app."""
        head = request.method == HttpMethod.HEAD
        if _is_api_path(request.url.path):
            return ASGIResponse(
                body=b"not found\n",
                status_code=HTTP_404_NOT_FOUND,
                media_type="text/plain",
                is_head_response=head,
            )
        file = _file_in(directory, path) if path.strip("/") else None
        if file is not None:
            return _file_response(request, file, PAGE_CACHE_CONTROL)
        index = directory / "index.html"
        if not index.is_file():
            return ASGIResponse(
                body=_UNBUILT_PAGE.format(directory=html.escape(str(directory))).encode(),
                status_code=HTTP_503_SERVICE_UNAVAILABLE,
                media_type="text/html; charset=utf-8",
                headers={
                    "Cache-Control": "no-store",
                    # Its one inline style attribute; it has no script.
                    "Content-Security-Policy": _UNBUILT_PAGE_POLICY,
                },
                is_head_response=head,
            )
        return _file_response(request, index, PAGE_CACHE_CONTROL)

    return [asset, page]


def _is_api_path(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in API_PREFIXES)


def _file_in(directory: Path, relative: str) -> Path | None:
    """The file ``relative`` names under ``directory``, or None: missing, a folder, hidden (the
    build's stamp), or outside ``directory``."""
    parts = [part for part in relative.split("/") if part]
    if not parts or any(part.startswith(".") for part in parts):
        return None
    root = directory.resolve()
    candidate = root.joinpath(*parts).resolve()
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    return candidate


def _file_response(
    request: Request[Any, Any, Any], file: Path, cache_control: str
) -> ASGIFileResponse:
    """``file``, or its compressed form when the build has one the request accepts."""
    headers = {"Cache-Control": cache_control}
    served = file
    forms = [(coding, file.with_name(file.name + suffix)) for coding, suffix in _ENCODED_FORMS]
    compressed = [(coding, path) for coding, path in forms if path.is_file()]
    if compressed:
        # Caches between must keep the forms apart.
        headers["Vary"] = "Accept-Encoding"
        accepted = _accepted_codings(request.headers.get("accept-encoding", ""))
        for coding, path in compressed:
            if coding in accepted:
                served = path
                headers["Content-Encoding"] = coding
                break
    return ASGIFileResponse(
        file_path=served,
        # The type is the original file's (guessed from this name), not "application/gzip".
        filename=file.name,
        content_disposition_type="inline",
        headers=headers,
        is_head_response=request.method == HttpMethod.HEAD,
    )


def _accepted_codings(accept_encoding: str) -> set[str]:
    """The content codings an ``Accept-Encoding`` header accepts: those it names without
    ``q=0``, and every coding when it has ``*`` (RFC 9110, 12.5.3)."""
    accepted: set[str] = set()
    refused: set[str] = set()
    for item in accept_encoding.split(","):
        coding, *parameters = (part.strip().lower() for part in item.split(";"))
        if coding:
            (accepted if _weight(parameters) > 0 else refused).add(coding)
    if "*" in accepted:
        accepted |= {coding for coding, _ in _ENCODED_FORMS}
    return accepted - refused


def _weight(parameters: list[str]) -> float:
    """The ``q`` of a coding's parameters: 1 when absent, 0 when unreadable."""
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0
