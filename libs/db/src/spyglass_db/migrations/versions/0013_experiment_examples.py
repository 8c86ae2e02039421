"""Each experiment keeps the list of its examples: ``experiments_dataset_examples``.

An experiment runs over one dataset version, limited to some splits. Versions never change,
but split membership is not versioned: an example added to or removed from a split after the
experiment was created would change the experiment's examples, its counts and what "incomplete
runs" asks the client to run. Phoenix keeps the list per experiment, and so do we now: one row
per (experiment, example) with the revision it runs on, written when the experiment is created.
Reads become index lookups on its key instead of a latest-revision probe and a split check per
example.

Existing experiments get their list as their version and current splits define it.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 08:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "experiments_dataset_examples",
        sa.Column("experiment_id", sa.BigInteger(), nullable=False),
        sa.Column("dataset_example_id", sa.BigInteger(), nullable=False),
        sa.Column("dataset_example_revision_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.id"],
            name=op.f("fk_experiments_dataset_examples_experiment_id_experiments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "experiment_id", "dataset_example_id", name=op.f("pk_experiments_dataset_examples")
        ),
    )
    op.execute(
        """
        INSERT INTO experiments_dataset_examples
            (experiment_id, dataset_example_id, dataset_example_revision_id)
        SELECT x.id, e.id, rv.id
        FROM experiments AS x
        JOIN dataset_examples AS e ON e.dataset_id = x.dataset_id
        CROSS JOIN LATERAL (
            SELECT r.id, r.revision_kind FROM dataset_example_revisions AS r
            WHERE r.dataset_example_id = e.id AND r.dataset_version_id <= x.dataset_version_id
            ORDER BY r.dataset_version_id DESC LIMIT 1
        ) AS rv
        WHERE rv.revision_kind <> 'DELETE'
          AND (NOT EXISTS (SELECT 1 FROM experiments_dataset_splits AS s
                           WHERE s.experiment_id = x.id)
               OR EXISTS (SELECT 1 FROM experiments_dataset_splits AS s
                          JOIN dataset_splits_dataset_examples AS l
                            ON l.dataset_split_id = s.dataset_split_id
                          WHERE s.experiment_id = x.id AND l.dataset_example_id = e.id))
        """
    )


def downgrade() -> None:
    op.drop_table("experiments_dataset_examples")
