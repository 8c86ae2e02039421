"""``POST /v1/spans`` (and the deprecated ``GET``): Phoenix's hidden SpanQuery endpoint, which
``arize-phoenix-client``'s ``spans.get_spans_dataframe`` calls.

The body holds one or more SpanQuery dicts; the answer is ``multipart/mixed`` with one
``application/json`` part per query, each a pandas table JSON of the spans it matched, newest
first (``start_time`` descending), at most ``limit`` of them. A project that doesn't exist
answers empty frames, as Phoenix does, so the client gets an empty DataFrame; a filter that is
not in the language answers 400 with its position and reason.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import ValidationException
from litestar.params import FromQuery, JSONBody
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from spyglass_core.errors import InvalidArgumentError
from spyglass_db.filters import SqlCondition, root_span_condition
from spyglass_db.models import DEFAULT_PROJECT_NAME
from spyglass_query_api.compression import SKIP_COMPRESSION
from spyglass_query_api.dependencies import Db
from spyglass_query_api.phoenix_query.span_query import (
    Record,
    SpanQueryPlan,
    parse_span_query,
    span_frame,
)
from spyglass_query_api.phoenix_query.table import table_json
from spyglass_query_api.queries.lookup import find_project
from spyglass_query_api.queries.spans import SpanRecord, SpanSearch, list_span_records
from spyglass_query_api.rest.errors import UnprocessableEntityError
from spyglass_query_api.rest.pagination import utc

DEFAULT_LIMIT = 1000
MAX_LIMIT = 100_000
"""Spans one query may return; the whole answer is built in memory."""


class SpanQueryRequest(BaseModel):
    """What ``get_spans_dataframe`` posts."""

    queries: list[Any] = Field(default_factory=list)
    start_time: datetime | None = None
    end_time: datetime | None = None
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT
    root_spans_only: bool | None = None
    orphan_span_as_root_span: bool = True
    project_name: str | None = None
    """Deprecated by Phoenix in favour of the query parameter; still read."""


def _record(row: SpanRecord) -> Record:
    prompt, completion = row.llm_token_count_prompt, row.llm_token_count_completion
    cumulative_prompt = row.cumulative_llm_token_count_prompt
    cumulative_completion = row.cumulative_llm_token_count_completion
    return {
        "context.span_id": row.span_id,
        "context.trace_id": row.trace_id,
        "parent_id": row.parent_id,
        "name": row.name,
        "span_kind": row.span_kind,
        "start_time": row.start_time,
        "end_time": row.end_time,
        "status_code": row.status_code,
        "status_message": row.status_message,
        "events": row.events,
        "latency_ms": round((row.end_time - row.start_time).total_seconds() * 1000, 1),
        "cumulative_llm_token_count_prompt": cumulative_prompt,
        "cumulative_llm_token_count_completion": cumulative_completion,
        "cumulative_llm_token_count_total": cumulative_prompt + cumulative_completion,
        "llm_token_count_prompt": prompt,
        "llm_token_count_completion": completion,
        "llm_token_count_total": None
        if prompt is None and completion is None
        else (prompt or 0) + (completion or 0),
        "attributes": row.attributes,
    }


async def _matching_spans(
    connection: AsyncConnection, project_id: int, plan: SpanQueryPlan, body: SpanQueryRequest
) -> list[Record]:
    start_time, end_time = utc(body.start_time), utc(body.end_time)
    if start_time is not None and end_time is not None and start_time > end_time:
        raise UnprocessableEntityError(
            f"start_time ({start_time.isoformat()}) is after end_time ({end_time.isoformat()})"
        )
    filters = [plan.condition] if plan.condition.sql != "TRUE" else []
    if body.root_spans_only:
        orphans = body.orphan_span_as_root_span
        filters.append(SqlCondition(root_span_condition("s", orphans_are_roots=orphans)))
    search = SpanSearch(start=start_time, end=end_time, filters=filters)
    try:
        result = await list_span_records(connection, project_id, search, body.limit)
    except DBAPIError as error:
        # a data exception (class 22: numeric overflow and the like) is the filter's doing
        if str(getattr(error.orig, "sqlstate", "")).startswith("22"):
            raise InvalidArgumentError(f"The filter can't be evaluated: {error.orig}") from None
        raise
    return [_record(row) for row in result]


def _multipart(parts: list[bytes]) -> Response[bytes]:
    boundary = uuid.uuid4().hex
    body = b"".join(
        b"--%s\r\nContent-Type: application/json\r\n\r\n%s\r\n" % (boundary.encode(), part)
        for part in parts
    )
    body += b"--%s--\r\n" % boundary.encode()
    return Response(body, media_type=f"multipart/mixed; boundary={boundary}")


async def query_spans(
    connection: AsyncConnection, body: SpanQueryRequest, project_identifier: str
) -> Response[bytes]:
    """Run every query of ``body`` on the project ``project_identifier`` names.

    Raises:
        InvalidArgumentError: a malformed query (FilterExpressionError: a bad filter).
    """
    plans = [parse_span_query(query, number) for number, query in enumerate(body.queries or [{}])]
    project = await find_project(connection, project_identifier)
    parts = []
    for plan in plans:
        records = (
            [] if project is None else await _matching_spans(connection, project.id, plan, body)
        )
        parts.append(table_json(span_frame(plan, records)))
    return _multipart(parts)


class SpanQueryController(Controller):
    path = "/v1/spans"
    include_in_schema = False
    opt = {SKIP_COMPRESSION: True}  # noqa: RUF012 (litestar reads it as a class attribute)

    @post(status_code=200, include_in_schema=False)
    async def post_span_query(
        self,
        connection: Db,
        data: JSONBody[SpanQueryRequest],
        project_name: FromQuery[str | None] = None,
        project_identifier: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        """Spans as data frames, one per SpanQuery (what ``get_spans_dataframe`` calls)."""
        project = project_identifier or project_name or data.project_name or DEFAULT_PROJECT_NAME
        return await query_spans(connection, data, project)

    @get(include_in_schema=False)
    async def get_span_query(
        self,
        connection: Db,
        request: Request[Any, Any, Any],
        project_name: FromQuery[str | None] = None,
        project_identifier: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        """The deprecated ``GET`` form of the same query (a JSON body on a GET)."""
        raw = await request.body()
        try:
            body = SpanQueryRequest.model_validate_json(raw or b"{}")
        except ValidationError as error:
            raise ValidationException(
                extra=[
                    {
                        "key": ".".join(map(str, item["loc"])),
                        "message": item["msg"],
                        "source": "body",
                    }
                    for item in error.errors()
                ]
            ) from None
        project = project_identifier or project_name or body.project_name or DEFAULT_PROJECT_NAME
        return await query_spans(connection, body, project)
