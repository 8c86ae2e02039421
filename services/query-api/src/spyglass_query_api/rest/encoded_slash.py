"""Path parameters may hold ``/``, sent escaped (``/v1/projects/team%2Fa``), like any other name.

The ASGI server decodes the path before routing, so ``team%2Fa`` would arrive as two segments
and a project named ``team/a`` could not be reached. :class:`EncodedSlashMiddleware` routes on
the raw path instead: it decodes each raw segment on its own and stands in for a slash inside
one with a character the path does not hold; :func:`restore_slashes` (called by the input
guard before any handler reads its parameters) puts the slashes back.
"""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import unquote

from litestar.types import ASGIApp, Receive, Scope, Send

SCOPE_KEY = "spyglass.escaped_slash"
"""The scope entry naming the stand-in for ``/`` in this request's path (absent: none)."""


class EncodedSlashMiddleware:
    """ASGI middleware: ``%2F`` inside a path segment stays part of that segment."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw_path = scope.get("raw_path")
        if isinstance(raw_path, bytes) and b"%2f" in raw_path.lower():
            raw = raw_path.decode("latin-1").split("?", 1)[0]
            decoded = unquote(raw)
            stand_in = next(
                (code for code in (chr(c) for c in range(0xE000, 0xF900)) if code not in decoded),
                None,
            )
            if stand_in is not None:
                segments = [unquote(segment).replace("/", stand_in) for segment in raw.split("/")]
                changed: dict[str, Any] = {**scope, "path": "/".join(segments), SCOPE_KEY: stand_in}
                scope = cast("Scope", changed)
        await self.app(scope, receive, send)


def restore_slashes(scope: dict[str, Any]) -> None:
    """Put the escaped slashes back into this request's path parameters."""
    stand_in = scope.get(SCOPE_KEY)
    if not stand_in:
        return
    parameters = scope.get("path_params") or {}
    for name, value in parameters.items():
        if isinstance(value, str) and stand_in in value:
            parameters[name] = value.replace(stand_in, "/")
