"""The edge's check of a chat completion body, naming the field of a number JSON can't carry.

``temperature: NaN`` (what Python's ``json`` writes for ``float("nan")``, and so what an SDK
sends), ``Infinity`` and ``1e400`` are not JSON, and litestar's parser refuses the whole body as
malformed. For chat completions, where such a number is an easy mistake, the body is read again
leniently to say which field holds it (422 naming ``temperature``); then the REST edge's usual
checks (:mod:`spyglass_query_api.rest.guard`) run, as for every route.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from litestar import Request

from spyglass_query_api.rest.guard import check_json_body, input_guard

_EDGE_CHECKS = input_guard()


async def refuse_unusable_chat_body(request: Request[Any, Any, Any]) -> None:
    """Refuse a body holding NaN, an infinity or a number out of range (422 naming the field),
    then apply the edge's checks (NUL, nesting, integers outside 64 bits).

    A route's own ``before_request`` replaces its router's, so this one calls the router's.
    """
    raw = await request.body()
    if raw:
        try:
            orjson.loads(raw)
        except orjson.JSONDecodeError:
            try:
                lenient = json.loads(raw)
            except (ValueError, RecursionError):
                lenient = None  # not JSON at all: the body's parser says so
            if lenient is not None:
                check_json_body(lenient)
    await _EDGE_CHECKS(request)
