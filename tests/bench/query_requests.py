"""The requests the query benchmark times: REST pages, the hidden span query, GraphQL.

Each kind of request answers an :class:`Outcome`: how many rows came back, how long the HTTP
round trips took (response parsing is left out of the time), or why the endpoint is not there
yet (404 / 405, or a GraphQL schema without the field) so that the benchmark can report
"not available" for work still being built instead of failing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
import orjson

UNAVAILABLE_STATUSES = (404, 405)
SCHEMA_ERROR_MARKERS = (
    "Cannot query field",
    "Unknown argument",
    "Unknown type",
    "is not defined",
    "of required type",
    "must have a selection",
    "must not have a selection",
)
"""GraphQL validation messages that mean the schema does not have what the query asks yet."""


@dataclass
class Outcome:
    """One timed request: rows returned, or the reason it could not be timed."""

    seconds: float = 0.0
    rows: int | None = None
    answer_bytes: int = 0
    """Bytes of the answer's body (of every page, for a request that follows pages)."""
    wire_bytes: int = 0
    """The same as they came over the wire (gzip-compressed, when the query API compressed)."""
    unavailable: str | None = None
    error: str | None = None


class BenchRequest(Protocol):
    """Something the benchmark sends and times."""

    async def send(self, http: httpx.AsyncClient) -> Outcome:
        """Send it once; time only the HTTP round trips."""
        ...


async def _timed(
    http: httpx.AsyncClient, method: str, url: str, **options: Any
) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    response = await http.request(method, url, **options)
    return response, time.perf_counter() - started


def _failure(response: httpx.Response, seconds: float) -> Outcome | None:
    if response.status_code in UNAVAILABLE_STATUSES:
        return Outcome(seconds, unavailable=f"HTTP {response.status_code}")
    if response.status_code != 200:
        text = response.text.strip().replace("\n", " ")[:160]
        return Outcome(seconds, error=f"HTTP {response.status_code}: {text}")
    return None


@dataclass(frozen=True)
class RestPage:
    """``GET path?params``; with ``follow_pages``, every page until ``next_cursor`` is null."""

    path: str
    params: tuple[tuple[str, str], ...] = ()
    follow_pages: bool = False

    async def send(self, http: httpx.AsyncClient) -> Outcome:
        """Fetch the page (or pages); rows are the ``data`` items."""
        outcome = Outcome(rows=0)
        params = list(self.params)
        while True:
            response, seconds = await _timed(http, "GET", self.path, params=params)
            outcome.seconds += seconds
            outcome.answer_bytes += len(response.content)
            outcome.wire_bytes += response.num_bytes_downloaded
            failure = _failure(response, outcome.seconds)
            if failure:
                return failure
            body = orjson.loads(response.content)
            outcome.rows = (outcome.rows or 0) + len(body.get("data") or [])
            cursor = body.get("next_cursor")
            if not self.follow_pages or not cursor:
                return outcome
            params = [*self.params, ("cursor", cursor)]


@dataclass(frozen=True)
class SpanQuery:
    """The hidden ``POST /v1/spans`` as ``arize-phoenix-client`` sends it for
    ``get_spans_dataframe(query=SpanQuery().where(condition), limit=limit)``."""

    project: str
    condition: str
    limit: int = 1000

    async def send(self, http: httpx.AsyncClient) -> Outcome:
        """Run the query; rows are those of every ``multipart/mixed`` JSON table part."""
        body = {
            "queries": [
                {"filter": {"condition": self.condition}, "index": {"key": "context.span_id"}}
            ],
            "start_time": None,
            "end_time": None,
            "limit": self.limit,
            "root_spans_only": False,
        }
        response, seconds = await _timed(
            http,
            "POST",
            "/v1/spans",
            params={"project_name": self.project},
            json=body,
            headers={"accept": "application/json"},
        )
        return _failure(response, seconds) or Outcome(
            seconds,
            rows=_table_rows(response),
            answer_bytes=len(response.content),
            wire_bytes=response.num_bytes_downloaded,
        )


def _table_rows(response: httpx.Response) -> int:
    """Rows of the pandas "table" JSON parts of a ``multipart/mixed`` answer (or a bare one)."""
    content_type = response.headers.get("content-type", "")
    if "boundary=" not in content_type:
        return len(orjson.loads(response.content).get("data") or []) if response.content else 0
    boundary = content_type.split("boundary=", 1)[1].split(";")[0].strip('"').encode()
    rows = 0
    for part in response.content.split(b"--" + boundary):
        _, separator, payload = part.partition(b"\r\n\r\n")
        if separator and payload.strip() not in (b"", b"--"):
            rows += len(orjson.loads(payload.strip()).get("data") or [])
    return rows


@dataclass(frozen=True)
class GraphQLQuery:
    """``POST /graphql``; rows are the length of the list at ``rows_path`` in ``data``."""

    query: str
    variables: dict[str, Any] = field(default_factory=dict)
    rows_path: tuple[str, ...] = ()

    async def send(self, http: httpx.AsyncClient) -> Outcome:
        """Run the query; a schema without its fields is "not available", other errors errors."""
        response, seconds = await _timed(
            http, "POST", "/graphql", json={"query": self.query, "variables": self.variables}
        )
        if response.status_code in UNAVAILABLE_STATUSES:
            return Outcome(seconds, unavailable=f"HTTP {response.status_code}")
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            return _failure(response, seconds) or Outcome(seconds, error="not JSON")
        errors = body.get("errors") or []
        if errors:
            message = str(errors[0].get("message", errors[0]))[:160]
            if any(marker in message for marker in SCHEMA_ERROR_MARKERS):
                return Outcome(seconds, unavailable=f"schema: {message}")
            return Outcome(seconds, error=message)
        return _failure(response, seconds) or Outcome(
            seconds,
            rows=_rows_at(body.get("data"), self.rows_path),
            answer_bytes=len(response.content),
            wire_bytes=response.num_bytes_downloaded,
        )


def _rows_at(data: Any, path: tuple[str, ...]) -> int | None:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    if isinstance(data, list):
        return len(data)
    return None if data is None else 1
