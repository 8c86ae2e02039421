"""Project stats from indexes alone: the two time-ordered span indexes carry what they sum.

``Project.stats`` (GraphQL, ``queries/metrics.py::get_project_stats``) and the metrics
time series aggregate a time range of a project's spans: the cost and count of every span, and
the cumulative error and token counts of the root spans. With 1M spans, 24 hours of them were a
parallel scan of the whole spans heap (877 ms) and 40k heap fetches for the roots (157 ms).
Carrying those columns in the indexes (``INCLUDE``) makes both index-only scans
(150-190 ms in all, measured by ``tests/bench/query.py``); the writer pays a few bytes an entry.

* ``ix_spans_project_rowid_start_time`` also holds ``llm_cost_total``.
* ``ix_spans_root_project_rowid_start_time`` (root spans) also holds the cumulative error and
  token counts.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROOT_COUNTS = [
    "cumulative_error_count",
    "cumulative_llm_token_count_prompt",
    "cumulative_llm_token_count_completion",
]


def _recreate(include_cost: bool, include_root_counts: bool) -> None:
    op.drop_index("ix_spans_project_rowid_start_time", table_name="spans")
    op.create_index(
        "ix_spans_project_rowid_start_time",
        "spans",
        ["project_rowid", sa.text("start_time DESC")],
        postgresql_include=["llm_cost_total"] if include_cost else [],
    )
    op.drop_index("ix_spans_root_project_rowid_start_time", table_name="spans")
    op.create_index(
        "ix_spans_root_project_rowid_start_time",
        "spans",
        ["project_rowid", sa.text("start_time DESC")],
        postgresql_where=sa.text("parent_id IS NULL"),
        postgresql_include=ROOT_COUNTS if include_root_counts else [],
    )


def upgrade() -> None:
    _recreate(include_cost=True, include_root_counts=True)


def downgrade() -> None:
    _recreate(include_cost=False, include_root_counts=False)
