"""Trace retention policies and a project's data volume, for REST and GraphQL alike.

A policy row is shown as a :class:`PolicyRow`: its rule unpacked into ``max_days`` and
``max_count`` (None: no limit of that kind; both None: keep everything, which is how the
default policy starts). Rules are stored in Phoenix's JSON shape by
``spyglass_db.retention.RetentionRule``; schedules are five-field cron expressions.

Which policy a project follows: its own (``projects.trace_retention_policy_id``), else the
default one (id ``DEFAULT_RETENTION_POLICY_ID``). The default can be edited, not deleted;
deleting another policy sends its projects back to the default (``ON DELETE SET NULL``).

Validation is the callers' (each door names the field or argument at fault); this module
raises only what the database decides: a taken name, a missing row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from spyglass_core.errors import ConflictError, ForbiddenError, NotFoundError
from spyglass_db.models import DEFAULT_RETENTION_POLICY_ID, TraceRetentionPolicy, metadata
from spyglass_db.retention import RetentionRule, next_run
from spyglass_query_api.queries.tables import PROJECTS, SPANS, TRACES

POLICIES: Table = metadata.tables[TraceRetentionPolicy.__tablename__]

POLICY_TYPE_NAME = "ProjectTraceRetentionPolicy"
"""The GlobalID type of a policy, as Phoenix names it."""


@dataclass(frozen=True)
class PolicyRow:
    """A retention policy as both doors show it."""

    id: int
    name: str
    cron_expression: str
    max_days: int | None
    max_count: int | None
    last_run_at: datetime | None
    created_at: datetime

    @property
    def is_default(self) -> bool:
        return self.id == DEFAULT_RETENTION_POLICY_ID

    @property
    def rule(self) -> RetentionRule:
        return RetentionRule(self.max_days, self.max_count)

    @property
    def next_run_at(self) -> datetime:
        """When the schedule next fires after the last run (or the creation)."""
        return next_run(self.cron_expression, self.last_run_at or self.created_at)


@dataclass(frozen=True)
class DataVolume:
    """How much a project stores; ``approximate_bytes`` scales the spans' share of the tables'
    size on disk (indexes included) by the project's span count."""

    trace_count: int
    span_count: int
    oldest_start_time: datetime | None
    newest_start_time: datetime | None
    approximate_bytes: int


_POLICY_COLUMNS = (
    POLICIES.c.id,
    POLICIES.c.name,
    POLICIES.c.cron_expression,
    POLICIES.c.rule,
    POLICIES.c.last_run_at,
    POLICIES.c.created_at,
)


def _policy(row: Any) -> PolicyRow:
    rule = RetentionRule.from_json(row.rule)
    return PolicyRow(
        id=row.id,
        name=row.name,
        cron_expression=row.cron_expression,
        max_days=rule.max_days,
        max_count=rule.max_count,
        last_run_at=row.last_run_at,
        created_at=row.created_at,
    )


async def list_policies(connection: AsyncConnection) -> list[PolicyRow]:
    """Every policy, the default first, then by name."""
    rows = await connection.execute(
        select(*_POLICY_COLUMNS).order_by(POLICIES.c.id != DEFAULT_RETENTION_POLICY_ID, "name")
    )
    return [_policy(row) for row in rows]


async def get_policy(connection: AsyncConnection, policy_id: int) -> PolicyRow:
    """The policy ``policy_id``.

    Raises:
        NotFoundError: no such policy.
    """
    row = (
        await connection.execute(select(*_POLICY_COLUMNS).where(POLICIES.c.id == policy_id))
    ).first()
    if row is None:
        raise NotFoundError(f"Retention policy not found: {policy_id}")
    return _policy(row)


async def create_policy(
    connection: AsyncConnection, name: str, cron_expression: str, rule: RetentionRule
) -> PolicyRow:
    """A new policy; its first run is the schedule's first firing after now.

    Raises:
        ConflictError: the name is taken.
    """
    statement = (
        insert(POLICIES)
        .values(name=name, cron_expression=cron_expression, rule=rule.to_json())
        .returning(*_POLICY_COLUMNS)
    )
    try:
        async with connection.begin_nested():
            row = (await connection.execute(statement)).one()
    except IntegrityError:
        raise ConflictError(f"A retention policy named {name!r} already exists") from None
    return _policy(row)


async def update_policy(
    connection: AsyncConnection,
    policy_id: int,
    *,
    name: str | None = None,
    cron_expression: str | None = None,
    rule: RetentionRule | None = None,
) -> PolicyRow:
    """Change the given fields of a policy; the others stay.

    Raises:
        NotFoundError: no such policy.
        ConflictError: the new name is taken.
    """
    values: dict[str, Any] = {"updated_at": func.now()}
    if name is not None:
        values["name"] = name
    if cron_expression is not None:
        values["cron_expression"] = cron_expression
    if rule is not None:
        values["rule"] = rule.to_json()
    statement = (
        update(POLICIES)
        .where(POLICIES.c.id == policy_id)
        .values(**values)
        .returning(*_POLICY_COLUMNS)
    )
    try:
        async with connection.begin_nested():
            row = (await connection.execute(statement)).first()
    except IntegrityError:
        raise ConflictError(f"A retention policy named {name!r} already exists") from None
    if row is None:
        raise NotFoundError(f"Retention policy not found: {policy_id}")
    return _policy(row)


async def delete_policy(connection: AsyncConnection, policy_id: int) -> PolicyRow:
    """Delete a policy; its projects follow the default policy from now on.

    Raises:
        ForbiddenError: the default policy.
        NotFoundError: no such policy.
    """
    if policy_id == DEFAULT_RETENTION_POLICY_ID:
        raise ForbiddenError("The default retention policy cannot be deleted")
    row = (
        await connection.execute(
            delete(POLICIES).where(POLICIES.c.id == policy_id).returning(*_POLICY_COLUMNS)
        )
    ).first()
    if row is None:
        raise NotFoundError(f"Retention policy not found: {policy_id}")
    return _policy(row)


async def get_project_policy(connection: AsyncConnection, project_id: int) -> PolicyRow:
    """The policy the project follows: its own, else the default."""
    own = select(PROJECTS.c.trace_retention_policy_id).where(PROJECTS.c.id == project_id)
    policy_id = (await connection.execute(own)).scalar()
    return await get_policy(
        connection, DEFAULT_RETENTION_POLICY_ID if policy_id is None else policy_id
    )


async def set_project_policy(
    connection: AsyncConnection, project_id: int, policy_id: int | None
) -> PolicyRow:
    """Make the project follow ``policy_id`` (None: the default); answer the policy.

    Raises:
        NotFoundError: no such policy.
    """
    policy = await get_policy(
        connection, DEFAULT_RETENTION_POLICY_ID if policy_id is None else policy_id
    )
    stored = None if policy.is_default else policy.id
    await connection.execute(
        update(PROJECTS)
        .where(PROJECTS.c.id == project_id)
        .values(trace_retention_policy_id=stored, updated_at=func.now())
    )
    return policy


async def count_policy_projects(connection: AsyncConnection, policy_id: int) -> int:
    """How many projects follow the policy."""
    column = PROJECTS.c.trace_retention_policy_id
    condition = (
        column.is_(None) | (column == policy_id)
        if policy_id == DEFAULT_RETENTION_POLICY_ID
        else column == policy_id
    )
    count = await connection.execute(select(func.count()).select_from(PROJECTS).where(condition))
    return int(count.scalar_one())


_SPAN_BYTES = text(
    "SELECT COALESCE(sum(pg_total_relation_size(c.oid)), 0) AS size, "
    "COALESCE(sum(GREATEST(c.reltuples, 0)), 0) AS rows "
    "FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
    "WHERE i.inhparent = 'spans'::regclass"
)
"""The span partitions' size on disk and PostgreSQL's estimate of their rows (the catalog)."""


async def get_data_volume(connection: AsyncConnection, project_id: int) -> DataVolume:
    """The project's traces, spans, time span and approximate size on disk."""
    traces = (
        await connection.execute(
            select(
                func.count(), func.min(TRACES.c.start_time), func.max(TRACES.c.start_time)
            ).where(TRACES.c.project_rowid == project_id)
        )
    ).one()
    spans = (
        await connection.execute(
            select(func.count()).select_from(SPANS).where(SPANS.c.project_rowid == project_id)
        )
    ).scalar_one()
    size = (await connection.execute(_SPAN_BYTES)).one()
    per_span = float(size.size) / float(size.rows) if size.rows else 0.0
    return DataVolume(
        trace_count=int(traces[0]),
        span_count=int(spans),
        oldest_start_time=traces[1],
        newest_start_time=traces[2],
        approximate_bytes=round(per_span * spans),
    )
