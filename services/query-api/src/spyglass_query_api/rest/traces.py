"""``/v1/projects/{id}/traces`` (list), ``/v1/traces/{id}`` (delete), ``/v1/traces/transfer``.

Traces are listed by ``start_time`` or ``latency_ms``, ``desc`` by default, with cursor pages.
The cursor is the GlobalID of the next page's first trace, as in Phoenix; the next page starts
at that trace's place in the chosen order, keyset on ``(sort value, id)``, so a page never
repeats or skips a trace whatever the sort. The sort value is read from the cursor's trace.

How the first page stays fast on a large project: sorted by start time, it is a walk of the
``(project_rowid, start_time DESC)`` index that stops after ``limit + 1`` rows. Sorted by
latency, no index holds ``end_time - start_time``, so PostgreSQL reads the project's traces in
the time range and keeps the top ``limit + 1`` (a bounded heap, no full sort); traces are one
row per trace (about a twentieth of the spans), and a time range narrows it through the index.

What a trace's root span, latency and tokens are is defined once, in ``queries/traces.py``,
which also reads the pages; this module parses the request and shapes Phoenix's answer.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from litestar import Controller, delete, get, post
from litestar.params import FromQuery, JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT
from pydantic import BaseModel, Field

from spyglass_core.errors import NotFoundError
from spyglass_db.deletion import delete_traces
from spyglass_query_api.dependencies import Db
from spyglass_query_api.queries.ids import global_id, rowid_of
from spyglass_query_api.queries.lookup import get_project, get_trace
from spyglass_query_api.queries.traces import (
    TraceFilters,
    TraceSpanRow,
    TraceTokens,
    get_keyset,
    get_trace_tokens,
    list_trace_spans,
    list_traces,
    lock_traces,
    move_traces,
)
from spyglass_query_api.rest.errors import UnprocessableEntityError, UnprocessableParameterError
from spyglass_query_api.rest.pagination import page_of, page_request, time_range

MAX_TRACES_PER_PAGE = 1000


class TraceSpanData(BaseModel):
    id: str
    span_id: str
    parent_id: str | None
    name: str
    span_kind: str
    status_code: str
    start_time: datetime
    end_time: datetime


class TraceData(BaseModel):
    id: str
    trace_id: str
    project_id: str
    start_time: datetime
    end_time: datetime
    token_count_prompt: int = 0
    token_count_completion: int = 0
    token_count_total: int = 0
    spans: list[TraceSpanData] | None = None


class TracesPage(BaseModel):
    data: list[TraceData]
    next_cursor: str | None


class TransferTracesRequest(BaseModel):
    trace_identifiers: list[str] = Field(min_length=1)
    destination_project_identifier: str


class TransferTracesData(BaseModel):
    transferred_trace_count: int
    destination_project_id: str


class TransferTracesBody(BaseModel):
    data: TransferTracesData


def _session_filters(identifiers: list[str]) -> tuple[list[int], list[str]]:
    """The sessions named (GlobalIDs' rowids, and ``session.id`` values of the project)."""
    rowids = [rowid for rowid in (rowid_of(i, "ProjectSession") for i in identifiers) if rowid]
    names = [i for i in identifiers if rowid_of(i, "ProjectSession") is None]
    return rowids, names


class TraceController(Controller):
    path = "/v1"
    tags = ["traces"]  # noqa: RUF012 (litestar declares it as an instance variable)

    @get("/projects/{project_identifier:str}/traces", summary="List traces for a project")
    async def list_traces(
        self,
        connection: Db,
        project_identifier: Annotated[
            str,
            PathParameter(description="The project identifier: either project ID or project name."),
        ],
        start_time: FromQuery[datetime | None] = None,
        end_time: FromQuery[datetime | None] = None,
        sort: FromQuery[Literal["start_time", "latency_ms"]] = "start_time",
        order: FromQuery[Literal["asc", "desc"]] = "desc",
        limit: FromQuery[int] = 100,
        cursor: FromQuery[str | None] = None,
        include_spans: FromQuery[bool] = False,
        session_identifier: Annotated[list[str] | None, QueryParameter()] = None,
        error: FromQuery[bool | None] = None,
        min_latency_ms: FromQuery[float | None] = None,
        max_latency_ms: FromQuery[float | None] = None,
    ) -> TracesPage:
        """A project's traces in the chosen order, with their token counts (and spans)."""
        project = await get_project(connection, project_identifier)
        page = page_request(cursor, limit, "Trace", default=100, maximum=MAX_TRACES_PER_PAGE)
        start, end = time_range(start_time, end_time)
        session_rowids, session_ids = _session_filters(session_identifier or [])
        min_latency, max_latency = _latency_bounds(min_latency_ms, max_latency_ms)
        filters = TraceFilters(
            start=start,
            end=end,
            session_rowids=session_rowids,
            session_ids=session_ids,
            min_latency=min_latency,
            max_latency=max_latency,
            error=error,
        )
        after = None
        if page.start is not None:
            after = await get_keyset(connection, project.id, page.start, sort)
            if after is None:
                raise UnprocessableParameterError(
                    "cursor",
                    "Invalid cursor: its trace is not in this project (deleted or moved); "
                    "start again without a cursor",
                )
        rows = await list_traces(
            connection, project.id, filters, sort=sort, order=order, after=after, fetch=page.fetch
        )
        cut = page_of(rows, page, "Trace")
        rowids = [row.id for row in cut.rows]
        tokens = await get_trace_tokens(connection, rowids)
        spans = await list_trace_spans(connection, rowids) if include_spans else None
        project_id = global_id("Project", project.id)
        data = []
        for row in cut.rows:
            counts = tokens.get(row.id, TraceTokens())
            data.append(
                TraceData(
                    id=global_id("Trace", row.id),
                    trace_id=row.trace_id,
                    project_id=project_id,
                    start_time=row.start_time,
                    end_time=row.end_time,
                    token_count_prompt=counts.prompt,
                    token_count_completion=counts.completion,
                    token_count_total=counts.total,
                    spans=[_span_data(span) for span in spans[row.id]]
                    if spans is not None
                    else None,
                )
            )
        return TracesPage(data=data, next_cursor=cut.next_cursor)

    @delete(
        "/traces/{trace_identifier:str}",
        summary="Delete a trace by identifier",
        status_code=HTTP_204_NO_CONTENT,
    )
    async def delete_trace(
        self,
        connection: Db,
        trace_identifier: Annotated[
            str,
            PathParameter(
                description="The trace identifier: either a relay GlobalID or OpenTelemetry "
                "trace_id"
            ),
        ],
    ) -> None:
        """Delete a trace (by GlobalID or OTel trace id) with its spans and annotations."""
        trace = await get_trace(connection, trace_identifier)
        await delete_traces(connection, [trace.id])

    @post("/traces/transfer", summary="Transfer traces to a project", status_code=HTTP_200_OK)
    async def transfer_traces(
        self, connection: Db, data: JSONBody[TransferTracesRequest]
    ) -> TransferTracesBody:
        """Move traces (all from one project) with their spans to another project.

        A session moves with them when none of its traces is left behind; a session whose
        traces are now split stays in its project, as Phoenix leaves every session.
        """
        destination = await get_project(connection, data.destination_project_identifier)
        rowids = {rowid_of(identifier, "Trace") for identifier in data.trace_identifiers}
        otel_ids = [i for i in data.trace_identifiers if rowid_of(i, "Trace") is None]
        traces = await lock_traces(
            connection, [rowid for rowid in rowids if rowid is not None], otel_ids
        )
        found = {row.id for row in traces} | {row.trace_id for row in traces}
        missing = [
            identifier
            for identifier in data.trace_identifiers
            if (rowid_of(identifier, "Trace") or identifier) not in found
        ]
        if missing:
            raise NotFoundError(f"Traces not found: {', '.join(missing)}")
        if len({row.project_rowid for row in traces}) > 1:
            raise UnprocessableEntityError("Cannot transfer traces from multiple projects")
        trace_rowids = [row.id for row in traces]
        sessions = sorted(
            {row.project_session_rowid for row in traces if row.project_session_rowid is not None}
        )
        await move_traces(connection, trace_rowids, sessions, destination.id)
        return TransferTracesBody(
            data=TransferTracesData(
                transferred_trace_count=len(trace_rowids),
                destination_project_id=global_id("Project", destination.id),
            )
        )


def _span_data(span: TraceSpanRow) -> TraceSpanData:
    return TraceSpanData(
        id=global_id("Span", span.id),
        span_id=span.span_id,
        parent_id=span.parent_id,
        name=span.name,
        span_kind=span.span_kind,
        status_code=span.status_code,
        start_time=span.start_time,
        end_time=span.end_time,
    )


_MAX_LATENCY_MS = timedelta.max / timedelta(milliseconds=1)
"""The longest latency a bound may name (Python's ``timedelta``: 999,999,999 days)."""


def _latency_bounds(
    minimum: float | None, maximum: float | None
) -> tuple[timedelta | None, timedelta | None]:
    """Bounds on a trace's latency, both inclusive, as ``TraceFilters`` takes them.

    Raises:
        UnprocessableParameterError: a negative bound, or the minimum over the maximum.
    """
    bounds: list[timedelta | None] = []
    for name, bound in (("min_latency_ms", minimum), ("max_latency_ms", maximum)):
        if bound is not None:
            if bound < 0:
                raise UnprocessableParameterError(name, f"{name} must not be negative, got {bound}")
            if bound > _MAX_LATENCY_MS:
                raise UnprocessableParameterError(
                    name, f"`{name}` must be at most {_MAX_LATENCY_MS:.0f}, got {bound}"
                )
        bounds.append(None if bound is None else timedelta(milliseconds=bound))
    if minimum is not None and maximum is not None and minimum > maximum:
        raise UnprocessableParameterError(
            "min_latency_ms", f"min_latency_ms ({minimum}) is over max_latency_ms ({maximum})"
        )
    return bounds[0], bounds[1]
