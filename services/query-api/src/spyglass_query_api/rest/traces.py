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

Token counts are the sums of the root spans' cumulative counts, which the writer maintains
(each span's own plus its descendants'), so a page reads one root span per trace rather than
every span.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from litestar import Controller, delete, get, post
from litestar.params import FromQuery, JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT
from pydantic import BaseModel, Field
from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import BigInteger

from spyglass_core.errors import NotFoundError
from spyglass_db.deletion import delete_traces
from spyglass_query_api.rest.dependencies import Db
from spyglass_query_api.rest.errors import UnprocessableEntityError, UnprocessableParameterError
from spyglass_query_api.rest.ids import global_id, rowid_of
from spyglass_query_api.rest.lookup import get_project, get_trace
from spyglass_query_api.rest.pagination import page_of, page_request, time_range

MAX_TRACES_PER_PAGE = 1000

_IDS = ARRAY(BigInteger)


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


async def root_token_counts(
    connection: AsyncConnection, trace_rowids: list[int]
) -> dict[int, tuple[int, int]]:
    """``{trace rowid: (prompt, completion)}``: the root spans' cumulative token counts."""
    if not trace_rowids:
        return {}
    result = await connection.execute(
        text(
            "SELECT trace_rowid, sum(cumulative_llm_token_count_prompt)::bigint, "
            "sum(cumulative_llm_token_count_completion)::bigint FROM spans "
            "WHERE trace_rowid = ANY(:ids) AND parent_id IS NULL GROUP BY trace_rowid"
        ).bindparams(bindparam("ids", type_=_IDS)),
        {"ids": trace_rowids},
    )
    return {row[0]: (row[1], row[2]) for row in result}


async def _spans_by_trace(
    connection: AsyncConnection, trace_rowids: list[int]
) -> dict[int, list[TraceSpanData]]:
    spans: dict[int, list[TraceSpanData]] = {rowid: [] for rowid in trace_rowids}
    result = await connection.execute(
        text(
            "SELECT id, trace_rowid, span_id, parent_id, name, span_kind, status_code, "
            "start_time, end_time FROM spans WHERE trace_rowid = ANY(:ids) "
            "ORDER BY start_time, id"
        ).bindparams(bindparam("ids", type_=_IDS)),
        {"ids": trace_rowids},
    )
    for row in result:
        spans[row.trace_rowid].append(
            TraceSpanData(
                id=global_id("Span", row.id),
                span_id=row.span_id,
                parent_id=row.parent_id,
                name=row.name,
                span_kind=row.span_kind,
                status_code=row.status_code,
                start_time=row.start_time,
                end_time=row.end_time,
            )
        )
    return spans


def _session_condition(identifiers: list[str], values: dict[str, object]) -> str:
    """Traces of any of the sessions named (GlobalIDs, or ``session.id`` values of the project)."""
    rowids = [rowid for rowid in (rowid_of(i, "ProjectSession") for i in identifiers) if rowid]
    names = [i for i in identifiers if rowid_of(i, "ProjectSession") is None]
    alternatives = []
    if rowids:
        alternatives.append("t.project_session_rowid = ANY(:session_rowids)")
        values["session_rowids"] = rowids
    if names:
        alternatives.append(
            "t.project_session_rowid IN (SELECT id FROM project_sessions "
            "WHERE session_id = ANY(:session_names) AND project_id = :project)"
        )
        values["session_names"] = names
    return f"({' OR '.join(alternatives)})"


_SORT_EXPRESSIONS = {"start_time": "t.start_time", "latency_ms": "(t.end_time - t.start_time)"}


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
        sort_value = _SORT_EXPRESSIONS[sort]
        conditions = ["t.project_rowid = :project"]
        values: dict[str, object] = {"project": project.id, "fetch": page.fetch}
        if start is not None:
            conditions.append("t.start_time >= :start_time")
            values["start_time"] = start
        if end is not None:
            conditions.append("t.start_time < :end_time")
            values["end_time"] = end
        if session_identifier:
            conditions.append(_session_condition(session_identifier, values))
        conditions.extend(_latency_conditions(min_latency_ms, max_latency_ms, values))
        if error is not None:
            conditions.append(
                f"{'' if error else 'NOT '}EXISTS (SELECT 1 FROM spans s WHERE "
                "s.trace_rowid = t.id AND s.parent_id IS NULL AND s.cumulative_error_count > 0)"
            )
        if page.start is not None:
            conditions.append(
                await _keyset_condition(connection, page.start, project.id, sort, order, values)
            )
        direction = "DESC" if order == "desc" else "ASC"
        result = await connection.execute(
            text(
                "SELECT t.id, t.trace_id, t.start_time, t.end_time FROM traces t "
                f"WHERE {' AND '.join(conditions)} "
                f"ORDER BY {sort_value} {direction}, t.id {direction} LIMIT :fetch"
            ),
            values,
        )
        cut = page_of(result.all(), page, "Trace")
        rowids = [row.id for row in cut.rows]
        tokens = await root_token_counts(connection, rowids)
        spans = await _spans_by_trace(connection, rowids) if include_spans else None
        project_id = global_id("Project", project.id)
        data = []
        for row in cut.rows:
            prompt, completion = tokens.get(row.id, (0, 0))
            data.append(
                TraceData(
                    id=global_id("Trace", row.id),
                    trace_id=row.trace_id,
                    project_id=project_id,
                    start_time=row.start_time,
                    end_time=row.end_time,
                    token_count_prompt=prompt,
                    token_count_completion=completion,
                    token_count_total=prompt + completion,
                    spans=spans[row.id] if spans is not None else None,
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
        result = await connection.execute(
            text(
                "SELECT id, trace_id, project_rowid, project_session_rowid FROM traces "
                "WHERE id = ANY(:rowids) OR trace_id = ANY(:otel_ids) FOR UPDATE"
            ).bindparams(bindparam("rowids", type_=_IDS)),
            {"rowids": [rowid for rowid in rowids if rowid is not None], "otel_ids": otel_ids},
        )
        traces = result.all()
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
        sessions = sorted({row.project_session_rowid for row in traces} - {None})
        await _move(connection, trace_rowids, sessions, destination.id)
        return TransferTracesBody(
            data=TransferTracesData(
                transferred_trace_count=len(trace_rowids),
                destination_project_id=global_id("Project", destination.id),
            )
        )


async def _move(
    connection: AsyncConnection, trace_rowids: list[int], sessions: list[Any], project: int
) -> None:
    """Re-parent traces, their spans and the sessions wholly among them to ``project``."""
    ids = bindparam("ids", type_=_IDS)
    values = {"ids": trace_rowids, "project": project}
    await connection.execute(
        text("UPDATE traces SET project_rowid = :project WHERE id = ANY(:ids)").bindparams(ids),
        values,
    )
    # A new statement: it also sees spans that writers holding these traces committed meanwhile.
    await connection.execute(
        text(
            "UPDATE spans SET project_rowid = :project "
            "WHERE trace_rowid = ANY(:ids) AND project_rowid <> :project"
        ).bindparams(ids),
        values,
    )
    if sessions:
        await connection.execute(
            text(
                "UPDATE project_sessions s SET project_id = :project WHERE s.id = ANY(:ids) "
                "AND NOT EXISTS (SELECT 1 FROM traces t WHERE t.project_session_rowid = s.id "
                "AND t.project_rowid <> :project)"
            ).bindparams(ids),
            {"ids": sessions, "project": project},
        )


_MAX_LATENCY_MS = timedelta.max / timedelta(milliseconds=1)
"""The longest latency a bound may name (Python's ``timedelta``: 999,999,999 days)."""


def _latency_conditions(
    minimum: float | None, maximum: float | None, values: dict[str, object]
) -> list[str]:
    """Bounds on a trace's latency, both inclusive.

    Raises:
        UnprocessableParameterError: a negative bound, or the minimum over the maximum.
    """
    conditions = []
    for name, bound, operator in (
        ("min_latency_ms", minimum, ">="),
        ("max_latency_ms", maximum, "<="),
    ):
        if bound is None:
            continue
        if bound < 0:
            raise UnprocessableParameterError(name, f"{name} must not be negative, got {bound}")
        if bound > _MAX_LATENCY_MS:
            raise UnprocessableParameterError(
                name, f"`{name}` must be at most {_MAX_LATENCY_MS:.0f}, got {bound}"
            )
        conditions.append(f"(t.end_time - t.start_time) {operator} :{name}")
        values[name] = timedelta(milliseconds=bound)
    if minimum is not None and maximum is not None and minimum > maximum:
        raise UnprocessableParameterError(
            "min_latency_ms", f"min_latency_ms ({minimum}) is over max_latency_ms ({maximum})"
        )
    return conditions


async def _keyset_condition(
    connection: AsyncConnection,
    cursor_rowid: int,
    project: int,
    sort: str,
    order: str,
    values: dict[str, object],
) -> str:
    """Where the page that starts at the cursor's trace begins, in the order of ``sort``.

    Raises:
        UnprocessableParameterError: the cursor's trace is not (or no longer) in the project.
    """
    result = await connection.execute(
        text("SELECT start_time, end_time FROM traces WHERE id = :id AND project_rowid = :project"),
        {"id": cursor_rowid, "project": project},
    )
    row = result.one_or_none()
    if row is None:
        raise UnprocessableParameterError(
            "cursor",
            "Invalid cursor: its trace is not in this project (deleted or moved); "
            "start again without a cursor",
        )
    values["cursor_id"] = cursor_rowid
    latency = row.end_time - row.start_time
    values["cursor_value"] = row.start_time if sort == "start_time" else latency
    expression = _SORT_EXPRESSIONS[sort]
    before, at_or_before = ("<", "<=") if order == "desc" else (">", ">=")
    # The first comparison alone can use the index; the second breaks ties by id.
    return (
        f"{expression} {at_or_before} :cursor_value AND "
        f"({expression} {before} :cursor_value OR t.id {at_or_before} :cursor_id)"
    )
