"""``/v1/sessions/{id}`` (get, delete), ``/v1/sessions/delete`` (bulk) and a project's sessions.

A session is named by its GlobalID or by its ``session.id`` (unique across projects). Sessions
are listed by id, ``asc`` by default as in Phoenix, with cursor pages. Each comes with its traces
(oldest first) and token counts: the sums of its traces' token counts, each trace's as
``queries/traces.py`` defines it (its root span's), so they add up to what the traces show.

Deleting a session deletes its traces and their spans and annotations: traces only lose the
link when a session row goes (``ON DELETE SET NULL``), so they are deleted first, explicitly.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Literal, TypeAlias

from litestar import Controller, delete, get, post
from litestar.params import FromQuery, JSONBody, PathParameter
from litestar.status_codes import HTTP_204_NO_CONTENT
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection

from spyglass_db.deletion import delete_traces
from spyglass_query_api.dependencies import Db
from spyglass_query_api.queries.ids import global_id, rowid_of
from spyglass_query_api.queries.lookup import SessionRow, get_project, get_session
from spyglass_query_api.queries.pages import Keyset
from spyglass_query_api.queries.sessions import (
    SessionNode,
    delete_project_sessions,
    find_session_rowids,
    get_session_tokens,
    list_project_sessions,
    list_session_trace_rowids,
    list_session_traces,
)
from spyglass_query_api.queries.traces import TraceTokens
from spyglass_query_api.rest.errors import UnprocessableEntityError
from spyglass_query_api.rest.pagination import page_of, page_request

MAX_SESSIONS_PER_PAGE = 1000

SessionIdentifier: TypeAlias = Annotated[
    str,
    PathParameter(
        description="The session identifier: either a GlobalID or user-provided session_id string."
    ),
]


class SessionTraceData(BaseModel):
    id: str
    trace_id: str
    start_time: datetime
    end_time: datetime


class SessionData(BaseModel):
    id: str
    session_id: str
    project_id: str
    start_time: datetime
    end_time: datetime
    traces: list[SessionTraceData]
    token_count_prompt: int = 0
    token_count_completion: int = 0
    token_count_total: int = 0


class SessionBody(BaseModel):
    data: SessionData


class SessionsPage(BaseModel):
    data: list[SessionData]
    next_cursor: str | None


class DeleteSessionsRequest(BaseModel):
    session_identifiers: list[str]


async def session_data(
    connection: AsyncConnection, sessions: Sequence[SessionRow | SessionNode]
) -> list[SessionData]:
    """``sessions`` in the REST shape, with their traces and token counts (two queries)."""
    if not sessions:
        return []
    rowids = [session.id for session in sessions]
    traces = await list_session_traces(connection, rowids)
    tokens = await get_session_tokens(connection, rowids)
    data = []
    for session in sessions:
        counts = tokens.get(session.id, TraceTokens())
        data.append(
            SessionData(
                id=global_id("ProjectSession", session.id),
                session_id=session.session_id,
                project_id=global_id("Project", session.project_id),
                start_time=session.start_time,
                end_time=session.end_time,
                traces=[
                    SessionTraceData(
                        id=global_id("Trace", trace.id),
                        trace_id=trace.trace_id,
                        start_time=trace.start_time,
                        end_time=trace.end_time,
                    )
                    for trace in traces[session.id]
                ],
                token_count_prompt=counts.prompt,
                token_count_completion=counts.completion,
                token_count_total=counts.total,
            )
        )
    return data


async def delete_sessions(connection: AsyncConnection, session_rowids: Sequence[int]) -> None:
    """Delete sessions with their traces, spans and annotations."""
    await delete_traces(connection, await list_session_trace_rowids(connection, session_rowids))
    await delete_project_sessions(connection, session_rowids)


class SessionController(Controller):
    path = "/v1"
    tags = ["sessions"]  # noqa: RUF012 (litestar declares it as an instance variable)

    @get("/sessions/{session_identifier:str}", summary="Get session by ID or session_id")
    async def get_one_session(
        self, connection: Db, session_identifier: SessionIdentifier
    ) -> SessionBody:
        """One session with its traces and token counts."""
        session = await get_session(connection, session_identifier)
        return SessionBody(data=(await session_data(connection, [session]))[0])

    @get("/projects/{project_identifier:str}/sessions", summary="List sessions for a project")
    async def list_sessions(
        self,
        connection: Db,
        project_identifier: Annotated[
            str,
            PathParameter(description="The project identifier: either project ID or project name."),
        ],
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[int] = 100,
        order: FromQuery[Literal["asc", "desc"]] = "asc",
    ) -> SessionsPage:
        """A project's sessions by id, ``limit`` at a time."""
        project = await get_project(connection, project_identifier)
        page = page_request(
            cursor, limit, "ProjectSession", default=100, maximum=MAX_SESSIONS_PER_PAGE
        )
        keyset = Keyset(
            descending=order == "desc",
            fetch=page.fetch,
            after_value=page.start,
            after_rowid=page.start,
            inclusive=True,
        )
        rows = await list_project_sessions(connection, project.id, keyset, by_start_time=False)
        cut = page_of(rows, page, "ProjectSession")
        return SessionsPage(
            data=await session_data(connection, cut.rows), next_cursor=cut.next_cursor
        )

    @delete(
        "/sessions/{session_identifier:str}",
        summary="Delete a session by identifier",
        status_code=HTTP_204_NO_CONTENT,
    )
    async def delete_session(self, connection: Db, session_identifier: SessionIdentifier) -> None:
        """Delete a session with its traces, spans and annotations."""
        session = await get_session(connection, session_identifier)
        await delete_sessions(connection, [session.id])

    @post("/sessions/delete", summary="Bulk delete sessions", status_code=HTTP_204_NO_CONTENT)
    async def delete_many_sessions(
        self, connection: Db, data: JSONBody[DeleteSessionsRequest]
    ) -> None:
        """Delete the sessions named (all GlobalIDs or all ``session.id`` values); unknown
        ones are skipped, as in Phoenix."""
        identifiers = data.session_identifiers
        if not identifiers:
            raise UnprocessableEntityError("Session identifier list must not be empty.")
        rowids = [rowid_of(identifier, "ProjectSession") for identifier in identifiers]
        known_rowids = [rowid for rowid in rowids if rowid is not None]
        if known_rowids and len(known_rowids) < len(rowids):
            raise UnprocessableEntityError(
                "All identifiers must be the same type: "
                "either all GlobalIDs or all session_id strings."
            )
        found = await find_session_rowids(
            connection, known_rowids, [] if known_rowids else identifiers
        )
        await delete_sessions(connection, found)
