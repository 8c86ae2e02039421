"""Every cursor-paged list gives each row exactly once, whatever the sort, the order the rows were
written in and the page sizes, also while rows arrive: a property test against real PostgreSQL.

Each example writes a small project whose spans collide on start time, latency, tokens and cost
(a handful of values for each), in a random order and random batches (roots often after their
children), then walks one list to its end with a random size for every page. Between two pages,
new rows may arrive: traces that start at the same instants as the old ones (so they land
before, at and after the cursor), projects, annotations. Every row that was there before the
first page must come exactly once, and no row may come twice.

Hypothesis draws the examples; one pytest item per list, each on a database of its own, and
each example on a project of its own in it.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import uuid
from collections.abc import Awaitable, Callable, Hashable, Iterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from spyglass_core.settings import DbSettings
from spyglass_db import create_engine, create_session_maker
from spyglass_proto.bus.v1.spans_pb2 import DecodedSpan, DecodedSpanBatch
from spyglass_query_api.app import QueryApiResources, create_app
from spyglass_query_api.settings import QueryApiSettings
from spyglass_span_store import prepare_connection, write_batches

pytestmark = pytest.mark.slow

STARTS = (0.0, 0.5, 1.0)
"""Seconds after the fixed instant a span may start at: few, so that start times collide."""
DURATIONS = (0.5, 1.0)
TOKENS = (None, 10, 20)
COSTS = (None, 0.1, 0.2)
KINDS = ("CHAIN", "LLM")

Key = Hashable
Draw = Any  # hypothesis' st.data() object


@dataclass
class Example:
    """One example's project, its client and what it wrote."""

    api: httpx.AsyncClient
    connection: asyncpg.Connection
    token: str
    span_message: Callable[..., DecodedSpan]
    project: str = ""
    project_rowid: int = 0
    traces: int = 0
    span_ids: list[str] = field(default_factory=list)

    def trace_id(self, number: int) -> str:
        return f"{self.token}{number:08x}"

    async def store(self, batches: list[list[DecodedSpan]]) -> None:
        """Write ``batches`` of spans the way the ingest writer does."""
        await write_batches(
            self.connection,
            [
                DecodedSpanBatch(batch_id=uuid.uuid4().hex, project_name=self.project, spans=batch)
                for batch in batches
            ],
        )

    async def keys(self, sql: str, *arguments: Any) -> set[Key]:
        return {row[0] for row in await self.connection.fetch(sql, *arguments)}

    def trace(self, data: Draw, session: str) -> list[DecodedSpan]:
        """A new trace of 1-4 spans drawn from the colliding values; its root may be missing, or
        it may have two."""
        number = self.traces
        self.traces += 1
        trace_id = self.trace_id(number)
        base = data.draw(st.sampled_from((0.0, 1.0)), label="trace start")
        orphaned = data.draw(st.booleans(), label="root missing")
        spans = []
        for position in range(data.draw(st.integers(1, 4), label="spans")):
            span_id = f"{self.token[:8]}{number:04x}{position:04x}"
            self.span_ids.append(span_id)
            parent = "f" * 16 if orphaned else ""  # a root; later spans may be roots too
            if spans and data.draw(st.integers(0, 3), label="second root") > 0:
                parent = spans[0].span_id
            spans.append(
                self.span_message(
                    trace_id, span_id, parent=parent, session=session,
                    kind=data.draw(st.sampled_from(KINDS)),
                    start=base + data.draw(st.sampled_from(STARTS)),
                    duration=data.draw(st.sampled_from(DURATIONS)),
                    prompt=data.draw(st.sampled_from(TOKENS)),
                    completion=data.draw(st.sampled_from(TOKENS)),
                    cost=data.draw(st.sampled_from(COSTS)),
                    attributes={"metadata": {"gold": data.draw(st.booleans())}},
                )
            )  # fmt: skip
        return spans

    async def seed(self, data: Draw) -> None:
        """The project's traces (1-6, in 0-2 sessions), written in a drawn order and batches."""
        self.project = f"pages-{self.token}"
        sessions = [f"{self.token}-session-{number}" for number in range(2)]
        spans = [
            span
            for _ in range(data.draw(st.integers(1, 6), label="traces"))
            for span in self.trace(data, data.draw(st.sampled_from(["", *sessions])))
        ]
        order = data.draw(st.permutations(spans), label="write order")
        cuts = sorted(data.draw(st.sets(st.integers(1, len(order)), max_size=3), label="batches"))
        edges = [0, *cuts, len(order)]
        await self.store([order[a:b] for a, b in itertools.pairwise(edges) if a < b])
        self.project_rowid = await self.connection.fetchval(
            "SELECT id FROM projects WHERE name = $1", self.project
        )

    async def arrive_trace(self, data: Draw) -> None:
        """A new trace in a new session (rows already there keep their sort values)."""
        session = f"{self.token}-session-late-{self.traces}"
        await self.store([self.trace(data, data.draw(st.sampled_from(["", session])))])


def rowid(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().rpartition(":")[2])


Page = tuple[list[Key], str | None]
"""The keys of one page's rows, and the cursor of the next page (None: the last)."""
Reader = Callable[["Example", dict[str, Any], str | None, int], Awaitable[Page]]
"""Reads one page: (example, the list's options, cursor, page size)."""


@dataclass(frozen=True)
class Listing:
    """One paged list: how to read a page, which rows it should hold, how rows arrive."""

    read: Reader
    expected: Callable[[Example, dict[str, Any]], Awaitable[set[Key]]]
    options: Callable[[Draw], dict[str, Any]] = lambda data: {}
    arrive: Callable[[Example, Draw], Awaitable[None]] = Example.arrive_trace
    setup: Callable[[Example, Draw], Awaitable[None]] | None = None


async def add_projects(example: Example, data: Draw) -> None:
    for _ in range(data.draw(st.integers(0, 5), label="projects")):
        await arrive_project(example, data)


async def arrive_project(example: Example, data: Draw) -> None:
    response = await example.api.post(
        "/v1/projects", json={"name": f"{example.token}-{uuid.uuid4().hex[:8]}"}
    )
    assert response.status_code == 200, response.text


async def annotate(example: Example, data: Draw) -> None:
    chosen = data.draw(st.lists(st.sampled_from(example.span_ids), max_size=8), label="annotated")
    for number, span_id in enumerate(chosen):
        response = await example.api.post(
            "/v1/span_annotations",
            params={"sync": "true"},
            json={"data": [{"span_id": span_id, "name": f"n{number}", "annotator_kind": "HUMAN",
                            "result": {"label": "x"}}]},
        )  # fmt: skip
        assert response.status_code == 200, response.text


def rest_list(
    path: str, key: str = "id", scope: Callable[[Example], dict[str, Any]] = lambda _: {}
) -> Reader:
    """Reads pages of ``GET {path}`` (``{project}`` filled in) with the options and the
    parameters ``scope`` gives; a row's key is its GlobalID's row id, or its ``span_id``."""

    async def read(
        example: Example, options: dict[str, Any], cursor: str | None, size: int
    ) -> Page:
        params = {**options, **scope(example), "cursor": cursor, "limit": size}
        response = await example.api.get(
            path.format(project=example.project),
            params={name: value for name, value in params.items() if value},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        keys: list[Key] = [
            row[key] if key == "span_id" else rowid(row[key]) for row in body["data"]
        ]
        return keys, body["next_cursor"]

    return read


def graphql_list(document: str) -> Reader:
    """Reads pages of a GraphQL connection with the options as variables."""

    async def read(
        example: Example, options: dict[str, Any], cursor: str | None, size: int
    ) -> Page:
        variables = {**options, "name": example.project, "token": example.token}
        response = await example.api.post(
            "/graphql",
            json={"query": document, "variables": {**variables, "first": size, "after": cursor}},
        )
        body = response.json()
        assert response.status_code == 200 and "errors" not in body, body
        connection = body["data"]
        while "edges" not in connection:
            (connection,) = connection.values()
        info = connection["pageInfo"]
        keys: list[Key] = [rowid(edge["node"]["id"]) for edge in connection["edges"]]
        return keys, info["endCursor"] if info["hasNextPage"] else None

    return read


def rows_of(
    sql: str, by: str = "project"
) -> Callable[[Example, dict[str, Any]], Awaitable[set[Key]]]:
    """The rows a list should hold: ``sql`` with the project's row id (or the token) as $1."""

    async def expected(example: Example, options: dict[str, Any]) -> set[Key]:
        return await example.keys(sql, example.token if by == "token" else example.project_rowid)

    return expected


async def span_rows(example: Example, options: dict[str, Any]) -> set[Key]:
    conditions = ["project_rowid = $1"]
    if options.get("parent_id") == "null" or options.get("roots"):
        conditions.append("parent_id IS NULL")
    if options.get("attribute"):
        conditions.append("""attributes @> '{"metadata": {"gold": true}}'""")
    if options.get("filter"):
        conditions.append("span_kind = 'LLM'")
    sql = f"SELECT id FROM spans WHERE {' AND '.join(conditions)}"
    return await example.keys(sql, example.project_rowid)


async def trace_rows(example: Example, options: dict[str, Any]) -> set[Key]:
    sql = "SELECT id FROM traces t WHERE project_rowid = $1"
    # On the trace's root span: of two, the first to start, ties to the smaller span id.
    if options.get("filter"):
        sql += (
            " AND (SELECT s.span_kind FROM spans s WHERE s.trace_rowid = t.id "
            "AND s.parent_id IS NULL ORDER BY s.start_time, s.span_id LIMIT 1) = 'CHAIN'"
        )
    return await example.keys(sql, example.project_rowid)


def sort_option(data: Draw) -> dict[str, Any]:
    column = data.draw(st.sampled_from(["startTime", "latencyMs", "tokens", "cost"]))
    return {"column": column, "direction": data.draw(st.sampled_from(["ASC", "DESC"]))}


CONNECTION = "edges { node { id } } pageInfo { hasNextPage endCursor }"
SESSION_ROWS = "SELECT id FROM project_sessions WHERE project_id = $1"
PROJECT_ROWS = "SELECT id FROM projects WHERE strpos(name, $1) > 0"

LISTINGS: dict[str, Listing] = {
    "REST spans": Listing(
        rest_list("/v1/projects/{project}/spans"),
        span_rows,
        options=lambda data: data.draw(
            st.sampled_from([{}, {"parent_id": "null"}, {"attribute": "metadata.gold:true"}])
        ),
    ),
    "REST OTLP spans": Listing(
        rest_list("/v1/projects/{project}/spans/otlpv1", key="span_id"),
        rows_of("SELECT span_id FROM spans WHERE project_rowid = $1"),
    ),
    "REST traces": Listing(
        rest_list("/v1/projects/{project}/traces"),
        trace_rows,
        options=lambda data: {
            "sort": data.draw(st.sampled_from(["start_time", "latency_ms"])),
            "order": data.draw(st.sampled_from(["asc", "desc"])),
        },
    ),
    "REST sessions": Listing(
        rest_list("/v1/projects/{project}/sessions"),
        rows_of(SESSION_ROWS),
        options=lambda data: {"order": data.draw(st.sampled_from(["asc", "desc"]))},
    ),
    "REST projects": Listing(
        rest_list("/v1/projects", scope=lambda example: {"name_contains": example.token}),
        rows_of(PROJECT_ROWS, by="token"),
        arrive=arrive_project,
        setup=add_projects,
    ),
    "REST span annotations": Listing(
        rest_list(
            "/v1/projects/{project}/span_annotations",
            scope=lambda example: {"span_ids": example.span_ids},
        ),
        rows_of(
            "SELECT a.id FROM span_annotations a JOIN spans s ON s.id = a.span_rowid "
            "WHERE s.project_rowid = $1"
        ),
        arrive=annotate,
        setup=annotate,
    ),
    "GraphQL spans": Listing(
        graphql_list(
            "query ($name: String!, $sort: SpanSort, $roots: Boolean, $filter: String, "
            "$first: Int, $after: String) { project(name: $name) { spans(sort: $sort, "
            "rootSpansOnly: $roots, filter: $filter, first: $first, after: $after) { "
            f"{CONNECTION} }} }} }}"
        ),
        span_rows,
        options=lambda data: {
            "sort": sort_option(data),
            "roots": data.draw(st.booleans()),
            "filter": data.draw(st.sampled_from([None, "span_kind == 'LLM'"])),
        },
    ),
    "GraphQL traces": Listing(
        graphql_list(
            "query ($name: String!, $sort: SpanSort, $filter: String, $first: Int, "
            "$after: String) { project(name: $name) { traces(sort: $sort, filter: $filter, "
            f"first: $first, after: $after) {{ {CONNECTION} }} }} }}"
        ),
        trace_rows,
        options=lambda data: {
            "sort": sort_option(data),
            "filter": data.draw(st.sampled_from([None, "span_kind == 'CHAIN'"])),
        },
    ),
    "GraphQL sessions": Listing(
        graphql_list(
            "query ($name: String!, $first: Int, $after: String) { project(name: $name) { "
            f"sessions(first: $first, after: $after) {{ {CONNECTION} }} }} }}"
        ),
        rows_of(SESSION_ROWS),
    ),
    "GraphQL projects": Listing(
        graphql_list(
            "query ($token: String!, $first: Int, $after: String) { projects(nameContains: "
            f"$token, first: $first, after: $after) {{ {CONNECTION} }} }}"
        ),
        rows_of(PROJECT_ROWS, by="token"),
        arrive=arrive_project,
        setup=add_projects,
    ),
}


async def walk(listing: Listing, example: Example, data: Draw) -> None:
    """Seed, read the list to its end (rows arriving between pages), and check what came."""
    await example.seed(data)
    if listing.setup is not None:
        await listing.setup(example, data)
    options = listing.options(data)
    before = await listing.expected(example, options)
    seen: list[Key] = []
    cursor: str | None = None
    for _ in range(500):
        keys, cursor = await listing.read(
            example, options, cursor, data.draw(st.integers(1, 5), label="page size")
        )
        seen.extend(keys)
        if cursor is None:
            break
        if data.draw(st.booleans(), label="rows arrive"):
            await listing.arrive(example, data)
    after = await listing.expected(example, options)

    assert cursor is None, "still paging after 500 pages"
    assert len(seen) == len(set(seen)), f"rows came twice: {seen}"
    assert before <= set(seen), f"rows lost: {before - set(seen)}"
    assert set(seen) <= after, f"rows that don't belong: {set(seen) - after}"


@dataclass(frozen=True)
class Served:
    """A query API on the test's database, and a connection to it, on an event loop of their
    own that every example runs on (building the app takes most of a second). The loop runs in
    the test's thread: hypothesis draws only there."""

    loop: asyncio.AbstractEventLoop
    api: httpx.AsyncClient
    connection: asyncpg.Connection


@pytest.fixture
def served(database_url: str) -> Iterator[Served]:
    loop = asyncio.new_event_loop()
    settings = QueryApiSettings(db=DbSettings(url=database_url))
    engine = create_engine(settings.db)
    app = create_app(settings, QueryApiResources(engine, create_session_maker(engine)))
    api = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost")

    async def connect() -> asyncpg.Connection:
        connection = await asyncpg.connect(database_url)
        await prepare_connection(connection)
        return connection

    connection = loop.run_until_complete(connect())
    try:
        yield Served(loop, api, connection)
    finally:
        loop.run_until_complete(connection.close())
        loop.run_until_complete(api.aclose())
        loop.run_until_complete(engine.dispose())
        loop.close()


@pytest.mark.parametrize("name", list(LISTINGS))
@settings(
    max_examples=25,
    deadline=None,
    database=None,  # nothing written into the working tree; a failure prints its example
    # Each example costs database round trips: no shrinking (a failure shows the example as it
    # was drawn) and no explaining (it traces every line, minutes on Python 3.11).
    phases=[Phase.explicit, Phase.generate],
    # The pytest item's query API and database serve all its examples on purpose: each example
    # writes a project of its own, named by a fresh token.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_every_row_exactly_once(
    name: str, data: Draw, served: Served, span_message: Callable[..., DecodedSpan]
) -> None:
    example = Example(served.api, served.connection, uuid.uuid4().hex[:24], span_message)
    served.loop.run_until_complete(walk(LISTINGS[name], example, data))
