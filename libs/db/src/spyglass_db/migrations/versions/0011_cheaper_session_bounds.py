"""Session bounds are widened in place: no index on ``project_sessions.end_time``.

Every span write widens the bounds of the sessions it touches, and an active session's
``end_time`` moves forward with each of its turns. With ``end_time`` indexed each of those
updates wrote a new row version into all four of the table's indexes; no query reads that index
(sessions are listed by start time or id). Without it, and with room left in each page
(``fillfactor`` 90), an update that moves only ``end_time`` is a heap-only (HOT) update.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_project_sessions_project_id_end_time", table_name="project_sessions")
    op.execute("ALTER TABLE project_sessions SET (fillfactor = 90)")


def downgrade() -> None:
    op.execute("ALTER TABLE project_sessions RESET (fillfactor)")
    op.create_index(
        "ix_project_sessions_project_id_end_time",
        "project_sessions",
        ["project_id", sa.literal_column("end_time DESC")],
        unique=False,
    )
