"""The ``default`` project exists from the start, as in Phoenix (and can't be deleted).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 10:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("INSERT INTO projects (name) VALUES ('default') ON CONFLICT (name) DO NOTHING")


def downgrade() -> None:
    """Leaves the project: it may hold data by now."""
