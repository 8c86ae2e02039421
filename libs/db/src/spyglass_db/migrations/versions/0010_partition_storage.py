"""Every weekly span partition keeps rows inline, as ``spans_default`` does since 0003.

Storage parameters belong to each partition, and the weekly partitions of 0009 were created
without ``toast_tuple_target``: span rows of 2-4 KB were pglz-compressed into TOAST again, and a
raw COPY into a partition ran at 24,000 rows/s against 41,000 into ``spans_default``
(``tests/bench/ingest.py``). This sets it on every partition that exists; 0009 and
``spyglass_db.partitions`` now create them with it. Rows already written stay as they are.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 05:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PARTITIONS = sa.text(
    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
    "WHERE i.inhparent = 'spans'::regclass AND c.relname LIKE 'spans\\_p%' ORDER BY 1"
)


def upgrade() -> None:
    for name in op.get_bind().execute(_PARTITIONS).scalars():
        op.execute(f'ALTER TABLE "{name}" SET (toast_tuple_target = 8160)')


def downgrade() -> None:
    """Leaves the partitions as they are: the parameter only makes writes cheaper."""
