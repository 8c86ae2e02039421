"""Writing decoded span batches to PostgreSQL: one transaction a batch, COPY for the spans.

What keeps the write path correct under redelivery, several writers and any arrival order:

* Every insert is keyed by OpenTelemetry ids: projects by name, sessions by ``session.id``,
  traces by trace id (``ON CONFLICT`` widens their bounds with ``LEAST`` / ``GREATEST``), spans
  by ``(span_id, start_time)`` (``ON CONFLICT DO NOTHING``). Writing a batch twice changes nothing.
* Spans are COPied straight into ``spans`` in a savepoint. If any of them is stored already, that
  COPY fails on the unique key and the rows go through a temporary table and one
  ``INSERT ... SELECT ... ON CONFLICT DO NOTHING RETURNING`` instead, so that only the spans that
  are new this time feed the derived counts.
* Sessions are shared by many traces, so a write must not hold their rows for long: a new
  session is inserted on its own before the transaction (a row nobody waits on), and the
  transaction widens session bounds as its last statement, in id order (``LEAST`` / ``GREATEST``
  commute, so no other ordering is needed).
* Trace rows are upserted in sorted order before any span: the row lock serializes writers that
  touch the same trace (and never deadlocks them), so the cumulative counts below see every span
  other writers committed for it.
* Cumulative error and token counts (a span's own plus all its descendants') are computed per
  batch, not per span, and before the insert so that each row is written once: a span starts
  from its own values plus its stored children's cumulative values, the batch's spans are summed
  bottom-up, and each new subtree's total is then added to its stored ancestors with one
  recursive statement. Only traces that existed before the write can hold stored children or
  ancestors (a trace row this write created is new, and other writers wait on its lock), so
  both statements look at those traces alone: a write of new traces runs neither. The result
  is the same whatever order the spans arrive in. The columns are ``integer``: sums saturate at
  its bounds (in Python and in SQL) rather than overflow, and a span's own count outside them
  is stored as absent.
* A project (or session) deleted between the statements of a write shows as a foreign key
  violation or a row missing after its upsert (:class:`ConcurrentDeleteError`): both mean
  "write again", when the project is resolved afresh, never a fault of the data.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import asyncpg

from spyglass_core.storable import MAX_INTEGER
from spyglass_db.models import DEFAULT_PROJECT_NAME, Span, metadata
from spyglass_proto.bus.v1.spans_pb2 import DecodedSpan, DecodedSpanBatch, StatusCode

_MIN_INTEGER = -MAX_INTEGER - 1


def _saturated_sql(expression: str) -> str:
    """``expression`` (a bigint) held to PostgreSQL's ``integer`` range, as an integer."""
    return f"GREATEST(LEAST({expression}, {MAX_INTEGER}), {_MIN_INTEGER})::int"


_ERROR = StatusCode.STATUS_CODE_ERROR
"""Read once: each access through the enum wrapper is a Python-level lookup, per span."""

_STATUS = {
    StatusCode.STATUS_CODE_UNSET: "UNSET",
    StatusCode.STATUS_CODE_OK: "OK",
    StatusCode.STATUS_CODE_ERROR: "ERROR",
}

STAGING_TABLE = "spans_staging"

_SPANS_TABLE = metadata.tables[str(Span.__tablename__)]

SPAN_COLUMNS: tuple[str, ...] = tuple(
    column.name for column in _SPANS_TABLE.columns if column.identity is None
)
"""The columns of ``spans`` a write fills, in the table's order: every column but the row id.

Taken from the table definition in ``spyglass_db.models``, so a column added there is a column
the write must fill (``_span_records`` builds values in this order; its unit test pins each).
"""

_CREATE_STAGING = f"""
CREATE TEMPORARY TABLE IF NOT EXISTS {STAGING_TABLE} ON COMMIT DELETE ROWS AS
SELECT {", ".join(SPAN_COLUMNS)} FROM spans WITH NO DATA
"""

_UPSERT_PROJECTS = """
INSERT INTO projects (name) SELECT unnest($1::text[]) ORDER BY 1
ON CONFLICT (name) DO NOTHING
"""

_SELECT_PROJECTS = "SELECT id, name FROM projects WHERE name = ANY($1::text[])"

_INSERT_SESSIONS = """
INSERT INTO project_sessions (session_id, project_id, start_time, end_time)
SELECT * FROM unnest($1::text[], $2::bigint[], $3::timestamptz[], $4::timestamptz[])
ON CONFLICT (session_id) DO NOTHING
"""

_SELECT_SESSIONS = "SELECT id, session_id FROM project_sessions WHERE session_id = ANY($1::text[])"

_WIDEN_SESSIONS = """
UPDATE project_sessions s
SET start_time = LEAST(s.start_time, b.start_time), end_time = GREATEST(s.end_time, b.end_time)
FROM unnest($1::bigint[], $2::timestamptz[], $3::timestamptz[]) AS b(id, start_time, end_time)
WHERE s.id = b.id AND (b.start_time < s.start_time OR b.end_time > s.end_time)
"""

_UPSERT_TRACES = """
INSERT INTO traces (trace_id, project_rowid, project_session_rowid, start_time, end_time)
SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::timestamptz[], $5::timestamptz[])
ON CONFLICT (trace_id) DO UPDATE
SET start_time = LEAST(traces.start_time, EXCLUDED.start_time),
    end_time = GREATEST(traces.end_time, EXCLUDED.end_time),
    project_session_rowid = COALESCE(traces.project_session_rowid, EXCLUDED.project_session_rowid)
RETURNING id, trace_id, project_rowid, xmax = 0 AS created
"""

_MOVE_STAGED_SPANS = f"""
INSERT INTO spans ({", ".join(SPAN_COLUMNS)})
SELECT {", ".join(SPAN_COLUMNS)} FROM {STAGING_TABLE}
ON CONFLICT (span_id, start_time) DO NOTHING
RETURNING span_id
"""

_STORED_CHILDREN_TOTALS = f"""
SELECT parent_id, {_saturated_sql("sum(cumulative_error_count)")} AS errors,
       {_saturated_sql("sum(cumulative_llm_token_count_prompt)")} AS prompt,
       {_saturated_sql("sum(cumulative_llm_token_count_completion)")} AS completion
FROM spans
WHERE trace_rowid = ANY($1::bigint[]) AND parent_id = ANY($2::text[])
  AND NOT (span_id = ANY($2::text[]))
GROUP BY parent_id
"""

_ADD_TO_ANCESTORS = f"""
WITH RECURSIVE
delta(parent_id, trace_rowid, errors, prompt, completion) AS (
    SELECT * FROM unnest($1::text[], $2::bigint[], $3::int[], $4::int[], $5::int[])
),
ancestor(span_id, parent_id, trace_rowid, errors, prompt, completion, depth) AS (
    SELECT s.span_id, s.parent_id, s.trace_rowid, d.errors, d.prompt, d.completion, 1
    FROM delta d JOIN spans s ON s.trace_rowid = d.trace_rowid AND s.span_id = d.parent_id
    UNION ALL
    SELECT s.span_id, s.parent_id, s.trace_rowid, a.errors, a.prompt, a.completion, a.depth + 1
    FROM ancestor a JOIN spans s ON s.trace_rowid = a.trace_rowid AND s.span_id = a.parent_id
    WHERE a.depth < 10000
),
total AS (
    SELECT span_id, trace_rowid, sum(errors) AS errors, sum(prompt) AS prompt,
           sum(completion) AS completion
    FROM ancestor GROUP BY span_id, trace_rowid
)
UPDATE spans SET
    cumulative_error_count = {_saturated_sql("spans.cumulative_error_count + total.errors")},
    cumulative_llm_token_count_prompt =
        {_saturated_sql("spans.cumulative_llm_token_count_prompt + total.prompt")},
    cumulative_llm_token_count_completion =
        {_saturated_sql("spans.cumulative_llm_token_count_completion + total.completion")}
FROM total WHERE spans.span_id = total.span_id AND spans.trace_rowid = total.trace_rowid
"""


@dataclass(slots=True)
class _Traces:
    """The traces of a write: trace id -> (trace row id, project row id), and which existed."""

    rowids: dict[str, tuple[int, int]]
    existing: set[str]


class ConcurrentDeleteError(Exception):
    """A row this write just upserted is gone: its project was deleted meanwhile. Write again."""


class ProjectRefusedError(Exception):
    """PostgreSQL refused a batch's project name: every span of the batch shares the fault."""


@dataclass
class WriteResult:
    """What one write stored: spans new to the database and spans it already had."""

    inserted: int = 0
    duplicates: int = 0
    inserted_span_ids: set[str] = field(default_factory=set)


@dataclass(slots=True)
class _Counts:
    errors: int
    prompt: int
    completion: int

    def add(self, other: _Counts) -> None:
        self.errors += other.errors
        self.prompt += other.prompt
        self.completion += other.completion

    @property
    def empty(self) -> bool:
        return not (self.errors or self.prompt or self.completion)


def _timestamp(unix_nano: int) -> datetime:
    return datetime.fromtimestamp(unix_nano / 1e9, tz=UTC)


def _saturated(count: int) -> int:
    if _MIN_INTEGER <= count <= MAX_INTEGER:
        return count
    return MAX_INTEGER if count > 0 else _MIN_INTEGER


def _own_count(span: DecodedSpan, field_name: str) -> int | None:
    """A token count of ``span`` for its ``integer`` column; None when absent or out of range."""
    if not span.HasField(field_name):
        return None
    count: int = getattr(span, field_name)
    return count if _MIN_INTEGER <= count <= MAX_INTEGER else None


def _own_counts(span: DecodedSpan) -> _Counts | None:
    """The span's own error and token counts; None when all are zero (most spans)."""
    # An absent optional field reads as 0, which counts as nothing: no HasField needed here.
    prompt = span.llm_token_count_prompt
    completion = span.llm_token_count_completion
    error = span.status_code == _ERROR
    if not (prompt or completion or error):
        return None
    return _Counts(
        1 if error else 0,
        prompt if _MIN_INTEGER <= prompt <= MAX_INTEGER else 0,
        completion if _MIN_INTEGER <= completion <= MAX_INTEGER else 0,
    )


_JSONB_VERSION = b"\x01"
"""The first byte of jsonb's binary wire format; the JSON text follows."""


def _jsonb_out(document: bytes) -> bytes:
    return _JSONB_VERSION + document


def _jsonb_in(data: bytes) -> bytes:
    return data[1:]


async def prepare_connection(connection: asyncpg.Connection) -> None:
    """Per-connection set-up, needed before :func:`write_batches` on ``connection``: jsonb
    values go as the JSON bytes the receiver encoded (decoding them to text only for asyncpg
    to encode them again took a tenth of the writer's CPU), and the staging table the spans are
    COPied into."""
    await connection.set_type_codec(
        "jsonb", schema="pg_catalog", encoder=_jsonb_out, decoder=_jsonb_in, format="binary"
    )
    await connection.execute(_CREATE_STAGING)


async def write_batches(
    connection: asyncpg.Connection, batches: Sequence[DecodedSpanBatch]
) -> WriteResult:
    """Write ``batches``; return what was new.

    Projects and new sessions are committed first, on their own; everything else (traces,
    spans, derived counts, session bounds) in one transaction.

    Raises:
        asyncpg.PostgresError: the write failed; none of its spans are committed.
        ProjectRefusedError: PostgreSQL refused a project name (nothing is committed).
        ConcurrentDeleteError: a project or session was deleted during the write; write again.
    """
    spans_by_id: dict[str, tuple[DecodedSpan, str]] = {}
    for batch in batches:
        project = batch.project_name or DEFAULT_PROJECT_NAME
        for span in batch.spans:
            spans_by_id[span.span_id] = (span, project)  # a span twice in one write: keep one
    if not spans_by_id:
        return WriteResult()
    project_ids = await _upsert_projects(connection, {p for _, p in spans_by_id.values()})
    sessions = _session_bounds(spans_by_id.values(), project_ids)
    session_ids = await _insert_sessions(connection, sessions)
    async with connection.transaction():
        traces = await _upsert_traces(connection, spans_by_id.values(), project_ids, session_ids)
        counts = await _cumulative_counts(connection, spans_by_id, traces)
        records = _span_records(spans_by_id.values(), traces.rowids, counts)
        inserted = await _insert_spans(connection, records)
        if traces.existing:
            await _add_to_stored_ancestors(connection, spans_by_id, inserted, traces, counts)
        await _widen_sessions(connection, sessions, session_ids)
    return WriteResult(len(inserted), len(spans_by_id) - len(inserted), inserted)


_NAME_REFUSALS = (asyncpg.DataError, asyncpg.IntegrityConstraintViolationError)
"""What a project name can be refused for (classes 22 and 23: an invalid value, a check). Any
other error (a lost connection, a server shutting down, a timeout) is the database's, not the
name's, and is raised as it is, for the caller to retry: calling it a refusal would drop the
batch's spans, which were already acknowledged."""


async def _upsert_projects(connection: asyncpg.Connection, names: set[str]) -> dict[str, int]:
    ordered = sorted(names)
    try:
        await connection.execute(_UPSERT_PROJECTS, ordered)
    except _NAME_REFUSALS as error:
        raise ProjectRefusedError(f"PostgreSQL refused the project name: {error}") from error
    rows = await connection.fetch(_SELECT_PROJECTS, ordered)
    if len(rows) < len(ordered):
        raise ConcurrentDeleteError("a project was deleted while its spans were written")
    return {row["name"]: row["id"] for row in rows}


@dataclass
class _SessionBounds:
    project_rowid: int
    start_unix_nano: int
    end_unix_nano: int


def _session_bounds(
    spans: Iterable[tuple[DecodedSpan, str]], project_ids: dict[str, int]
) -> dict[str, _SessionBounds]:
    bounds: dict[str, _SessionBounds] = {}
    for span, project in spans:
        if not span.session_id:
            continue
        known = bounds.get(span.session_id)
        if known is None:
            bounds[span.session_id] = _SessionBounds(
                project_ids[project], span.start_time_unix_nano, span.end_time_unix_nano
            )
        else:
            known.start_unix_nano = min(known.start_unix_nano, span.start_time_unix_nano)
            known.end_unix_nano = max(known.end_unix_nano, span.end_time_unix_nano)
    return bounds


async def _insert_sessions(
    connection: asyncpg.Connection, bounds: dict[str, _SessionBounds]
) -> dict[str, int]:
    """Create the sessions not stored yet (committed at once); return session id -> row id."""
    if not bounds:
        return {}
    keys = sorted(bounds)
    await connection.execute(
        _INSERT_SESSIONS,
        keys,
        [bounds[key].project_rowid for key in keys],
        [_timestamp(bounds[key].start_unix_nano) for key in keys],
        [_timestamp(bounds[key].end_unix_nano) for key in keys],
    )
    rows = await connection.fetch(_SELECT_SESSIONS, keys)
    if len(rows) < len(keys):
        raise ConcurrentDeleteError("a session was deleted while its spans were written")
    return {row["session_id"]: row["id"] for row in rows}


async def _widen_sessions(
    connection: asyncpg.Connection, bounds: dict[str, _SessionBounds], session_ids: dict[str, int]
) -> None:
    if not bounds:
        return
    keys = sorted(bounds, key=session_ids.__getitem__)
    await connection.execute(
        _WIDEN_SESSIONS,
        [session_ids[key] for key in keys],
        [_timestamp(bounds[key].start_unix_nano) for key in keys],
        [_timestamp(bounds[key].end_unix_nano) for key in keys],
    )


async def _upsert_traces(
    connection: asyncpg.Connection,
    spans: Iterable[tuple[DecodedSpan, str]],
    project_ids: dict[str, int],
    session_ids: dict[str, int],
) -> _Traces:
    """Upsert the traces of ``spans``; return their row ids and which were stored before.

    A trace that exists keeps its project (traces can be moved between projects), so its spans
    join that project whatever the sender named.
    """
    bounds: dict[str, list[int]] = {}
    projects: dict[str, int] = {}
    sessions: dict[str, int | None] = {}
    for span, project in spans:
        known = bounds.get(span.trace_id)
        if known is None:
            bounds[span.trace_id] = [span.start_time_unix_nano, span.end_time_unix_nano]
            projects[span.trace_id] = project_ids[project]
            sessions[span.trace_id] = session_ids.get(span.session_id)
        else:
            known[0] = min(known[0], span.start_time_unix_nano)
            known[1] = max(known[1], span.end_time_unix_nano)
            if sessions[span.trace_id] is None:
                sessions[span.trace_id] = session_ids.get(span.session_id)
    keys = sorted(bounds)
    rows = await connection.fetch(
        _UPSERT_TRACES,
        keys,
        [projects[key] for key in keys],
        [sessions[key] for key in keys],
        [_timestamp(bounds[key][0]) for key in keys],
        [_timestamp(bounds[key][1]) for key in keys],
    )
    # ``xmax = 0``: the row version is an insert, not an ``ON CONFLICT`` update of a stored row.
    return _Traces(
        {row["trace_id"]: (row["id"], row["project_rowid"]) for row in rows},
        {row["trace_id"] for row in rows if not row["created"]},
    )


def _span_records(
    spans: Iterable[tuple[DecodedSpan, str]],
    traces: dict[str, tuple[int, int]],
    counts: dict[str, _Counts],
) -> list[tuple[object, ...]]:
    records: list[tuple[object, ...]] = []
    from_timestamp = datetime.fromtimestamp  # the hot loop of a write: one lookup, not 2 a span
    no_counts = (0, 0, 0)
    for span, _ in spans:
        trace_rowid, project_rowid = traces[span.trace_id]
        cumulative = counts.get(span.span_id)
        errors, prompt, completion = (
            no_counts
            if cumulative is None
            else (
                _saturated(cumulative.errors),
                _saturated(cumulative.prompt),
                _saturated(cumulative.completion),
            )
        )
        records.append(
            (
                trace_rowid,
                project_rowid,
                span.span_id,
                span.parent_span_id or None,
                span.name,
                span.span_kind,
                from_timestamp(span.start_time_unix_nano / 1e9, UTC),
                from_timestamp(span.end_time_unix_nano / 1e9, UTC),
                span.attributes_json,
                span.events_json or b"[]",
                _STATUS[span.status_code],
                span.status_message,
                _own_count(span, "llm_token_count_prompt"),
                _own_count(span, "llm_token_count_completion"),
                errors,
                prompt,
                completion,
                span.cost_prompt_usd if span.HasField("cost_prompt_usd") else None,
                span.cost_completion_usd if span.HasField("cost_completion_usd") else None,
                span.cost_total_usd if span.HasField("cost_total_usd") else None,
            )
        )
    return records


async def _insert_spans(
    connection: asyncpg.Connection, records: list[tuple[object, ...]]
) -> set[str]:
    """Insert the span rows; return the span ids that were new.

    The common case, spans never seen before, is one COPY straight into ``spans`` inside a
    savepoint. When some are stored already (a redelivered batch, or another writer got there
    first), the COPY fails on the unique key, the savepoint rolls it back, and the rows go
    through the staging table and ``INSERT ... ON CONFLICT DO NOTHING`` instead.
    """
    try:
        async with connection.transaction():
            await connection.copy_records_to_table("spans", records=records, columns=SPAN_COLUMNS)
        return {str(record[2]) for record in records}
    except asyncpg.UniqueViolationError:
        await connection.copy_records_to_table(STAGING_TABLE, records=records, columns=SPAN_COLUMNS)
        return {row["span_id"] for row in await connection.fetch(_MOVE_STAGED_SPANS)}


async def _cumulative_counts(
    connection: asyncpg.Connection,
    spans_by_id: dict[str, tuple[DecodedSpan, str]],
    traces: _Traces,
) -> dict[str, _Counts]:
    """Each span's own counts plus its descendants', as far as they are known now; a span with
    none (most of them) is absent.

    Computed before the insert, so that rows are written once with their final values: a span
    starts from its own counts and its stored children's cumulative counts, then the batch's
    spans are summed bottom-up.
    """
    counts: dict[str, _Counts] = {}
    children: dict[str, list[str]] = defaultdict(list)
    for span_id, (span, _) in spans_by_id.items():
        own = _own_counts(span)
        if own is not None:
            counts[span_id] = own
        parent_id = span.parent_span_id
        if parent_id in spans_by_id:
            children[parent_id].append(span_id)
    if traces.existing:
        existing = traces.existing
        in_existing = [s for s, (span, _) in spans_by_id.items() if span.trace_id in existing]
        trace_rowids = sorted(traces.rowids[trace_id][0] for trace_id in existing)
        for row in await connection.fetch(_STORED_CHILDREN_TOTALS, trace_rowids, in_existing):
            _add(counts, row["parent_id"], _Counts(row["errors"], row["prompt"], row["completion"]))
    for parent_id in _children_first(children):
        for child in children[parent_id]:
            child_counts = counts.get(child)
            if child_counts is not None:
                _add(counts, parent_id, child_counts)
    return counts


def _add(counts: dict[str, _Counts], span_id: str, other: _Counts) -> None:
    """Add ``other`` to the counts of ``span_id`` (a span without counts yet starts at zero)."""
    known = counts.get(span_id)
    if known is None:
        counts[span_id] = _Counts(other.errors, other.prompt, other.completion)
    else:
        known.add(other)


async def _add_to_stored_ancestors(
    connection: asyncpg.Connection,
    spans_by_id: dict[str, tuple[DecodedSpan, str]],
    inserted: set[str],
    traces: _Traces,
    counts: dict[str, _Counts],
) -> None:
    """Add each new subtree's total to its ancestors that were stored before this write."""
    existing = traces.existing
    tops = [
        span_id
        for span_id in inserted
        if (span := spans_by_id[span_id][0]).parent_span_id
        and span.trace_id in existing
        and span.parent_span_id not in inserted
        and span_id in counts
        and not counts[span_id].empty
    ]
    if tops:
        await connection.execute(
            _ADD_TO_ANCESTORS,
            [spans_by_id[s][0].parent_span_id for s in tops],
            [traces.rowids[spans_by_id[s][0].trace_id][0] for s in tops],
            [_saturated(counts[s].errors) for s in tops],
            [_saturated(counts[s].prompt) for s in tops],
            [_saturated(counts[s].completion) for s in tops],
        )


def _children_first(children: dict[str, list[str]]) -> list[str]:
    """The spans that have children in the batch, each after every such span below it.

    Leaves are left out: their counts are final before the bottom-up pass, and most spans of
    a batch are leaves.
    """
    order: list[str] = []
    seen: set[str] = set()
    for root in children:
        if root in seen:
            continue
        stack: list[tuple[str, bool]] = [(root, False)]
        while stack:
            span_id, expanded = stack.pop()
            if expanded:
                order.append(span_id)
                continue
            if span_id in seen:
                continue
            seen.add(span_id)
            stack.append((span_id, True))
            stack.extend((child, False) for child in children[span_id] if child in children)
    return order
