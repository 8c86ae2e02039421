"""Pending annotations: ones whose span, trace or session is not stored yet.

The query API parks an asynchronous annotation (``sync=false``) whose target doesn't exist yet
in this table; a background loop of any replica stores it once the target arrives, or drops it
after its deadline. ``next_attempt_at`` orders that work so replicas share it with
``FOR UPDATE SKIP LOCKED``.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pending_annotations",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("target_kind", sa.Text(), nullable=False),
        sa.Column("target_id", sa.Text(), nullable=False),
        sa.Column("document_position", sa.Integer(), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=True),
        sa.Column(
            "metadata",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("annotator_kind", sa.Text(), nullable=False),
        sa.Column("identifier", sa.Text(), server_default="", nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "received_at",
            sa.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("expires_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.Column(
            "next_attempt_at",
            sa.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint(
            "annotator_kind IN ('LLM', 'CODE', 'HUMAN')",
            name=op.f("ck_pending_annotations_valid_annotator_kind"),
        ),
        sa.CheckConstraint(
            "source IN ('API', 'APP')", name=op.f("ck_pending_annotations_valid_source")
        ),
        sa.CheckConstraint(
            "target_kind IN ('span', 'document', 'trace', 'session')",
            name=op.f("ck_pending_annotations_valid_target_kind"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_annotations")),
    )
    op.create_index(
        "ix_pending_annotations_next_attempt_at",
        "pending_annotations",
        ["next_attempt_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_pending_annotations_next_attempt_at", table_name="pending_annotations")
    op.drop_table("pending_annotations")
