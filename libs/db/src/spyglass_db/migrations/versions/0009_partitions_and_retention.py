"""Weekly span partitions created ahead, and trace retention policies.

* ``spans`` gets one partition per ISO week (``spans_pYYYYMMDD``, named by the Monday it
  starts), created ahead by ``spyglass_db.partitions``; this migration creates the current
  week's (on a fresh database) and the next few so that they exist as soon as the schema does. The rows already in
  ``spans_default`` stay there (moving them would lock it for as long as the copy takes); the
  global maximum age deletes them in batches once they are old enough. An index on
  ``spans_default (start_time)`` keeps that delete, and the rare move of early-arrived future
  spans into a new partition, from scanning the whole default partition.
* ``project_trace_retention_policies`` as in Phoenix (name, cron expression, rule JSON), plus
  ``last_run_at`` for the sweepers' schedule; the default policy (id 0) keeps everything until
  ``SPYGLASS_RETENTION_DEFAULT_DAYS`` says otherwise. ``projects.trace_retention_policy_id``
  points at a project's own policy (``SET NULL``: deleting a policy sends its projects back to
  the default).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 21:30:00
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WEEKS_AHEAD = 4


def _create_weekly_partitions(today: date) -> None:
    """Partitions for the current week and the next ``WEEKS_AHEAD``.

    A week that already has rows in the default partition (all of the current week on an
    upgraded database; spans from a clock running ahead) is skipped: creating it here would
    fail the migration. The partition manager moves the future ones' rows; the current week
    stays in the default partition.
    """
    connection = op.get_bind()
    monday = today - timedelta(days=today.weekday())
    for week in range(WEEKS_AHEAD + 1):
        start = datetime.combine(monday + timedelta(weeks=week), time(), UTC)
        end = start + timedelta(weeks=1)
        occupied = connection.execute(
            sa.text(
                "SELECT EXISTS (SELECT 1 FROM spans_default "
                "WHERE start_time >= :start AND start_time < :end)"
            ),
            {"start": start, "end": end},
        ).scalar()
        if not occupied:
            op.execute(
                f"CREATE TABLE IF NOT EXISTS spans_p{start:%Y%m%d} PARTITION OF spans "
                f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}') "
                "WITH (toast_tuple_target = 8160)"  # as spans_default has (0003)
            )


def upgrade() -> None:
    op.create_table(
        "project_trace_retention_policies",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("cron_expression", sa.Text(), nullable=False),
        sa.Column("rule", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("last_run_at", sa.TIMESTAMP(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_trace_retention_policies")),
        sa.UniqueConstraint("name", name=op.f("uq_project_trace_retention_policies_name")),
    )
    op.execute(
        "INSERT INTO project_trace_retention_policies (id, name, cron_expression, rule) "
        """VALUES (0, 'Default', '0 0 * * 0', '{"type": "max_days", "max_days": 0}')"""
    )
    op.add_column(
        "projects", sa.Column("trace_retention_policy_id", sa.BigInteger(), nullable=True)
    )
    op.create_index(
        op.f("ix_projects_trace_retention_policy_id"),
        "projects",
        ["trace_retention_policy_id"],
        unique=False,
    )
    op.create_foreign_key(
        op.f("fk_projects_trace_retention_policy_id_project_trace_retention_policies"),
        "projects",
        "project_trace_retention_policies",
        ["trace_retention_policy_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_spans_default_start_time ON spans_default (start_time)"
    )
    _create_weekly_partitions(datetime.now(UTC).date())


def downgrade() -> None:
    """Leaves the weekly partitions and their rows: the earlier schema reads them as it is."""
    op.execute("DROP INDEX IF EXISTS ix_spans_default_start_time")
    op.drop_constraint(
        op.f("fk_projects_trace_retention_policy_id_project_trace_retention_policies"),
        "projects",
        type_="foreignkey",
    )
    op.drop_index(op.f("ix_projects_trace_retention_policy_id"), table_name="projects")
    op.drop_column("projects", "trace_retention_policy_id")
    op.drop_table("project_trace_retention_policies")
