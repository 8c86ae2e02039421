"""Datasets and experiments: Phoenix's tables, with ids and indexes for large ones.

Tables as Phoenix names them (``spyglass_db.models.datasets`` and ``.experiments`` say what
each row means). Where we differ from Phoenix, and why:

* Every id is a BIGINT identity, as in the tracing tables: runs and revisions grow with every
  experiment and every upload, and widening an id later rewrites the table.
* ``dataset_examples.span_rowid`` has no foreign key (spans have none since 0004 and are
  partitioned); ``span_start_time`` beside it lets a lookup prune to one partition. A deleted
  span leaves the link dangling; the example keeps its content.
* ``experiments.project_name`` is unique (Phoenix only indexes it): names are generated, one
  project per experiment, and the project list leaves experiments' projects out by it.

Sized for a 100,000-example dataset with 5 experiments: 500,000 runs, 1,000,000 evaluations.
Each index names the query it serves; every index is one more write per row, so there are
none that only a rare, small cascade would read (``datasets_dataset_labels.dataset_label_id``,
``experiments_dataset_splits.dataset_split_id``: a few rows per dataset or experiment).

* ``dataset_examples (dataset_id, id)``: a version's examples in id order, keyset pages (each
  example then probes its revisions); the cascade from ``datasets``.
* ``dataset_example_revisions`` UNIQUE ``(dataset_example_id, dataset_version_id)``: an
  example's latest revision at or before a version, one backward index step per example;
  ``(dataset_version_id)``: what a version changed (its counts) and the cascade from versions.
* ``dataset_versions (dataset_id, id)``, ``experiments (dataset_id, id)``: a dataset's
  versions and experiments newest first; ``experiments (dataset_version_id)``: the cascade
  from versions (a dataset's deletion removes each version, and each would scan experiments).
* ``experiment_runs`` UNIQUE ``(experiment_id, dataset_example_id, repetition_number)``: one
  run per (example, repetition), the idempotency key of run writes; the comparison page's 50
  examples x 5 experiments (250 index probes); "incomplete runs" as an anti-join of the
  version's examples x repetitions against it; run pages in (example, repetition) order; an
  experiment's run count, index-only.
* ``experiment_runs (experiment_id, dataset_example_id) WHERE error IS NOT NULL``: failed runs
  only, small: an experiment's failed-run count and the failed half of "incomplete runs".
* ``experiment_runs (dataset_example_id)``: an example's runs in every experiment, and the
  cascade from examples, without which deleting a 100,000-example dataset would scan all runs
  once per example. ``dataset_splits_dataset_examples (dataset_example_id)`` is there for the
  same cascade and for an example's splits; its key reads a split's examples in id order.
* ``experiment_run_annotations`` UNIQUE ``(experiment_run_id, name)``: the upsert key of
  evaluations, a run's evaluations, "incomplete evaluations", the cascade from runs.
* ``experiment_tags (experiment_id)``: an experiment's tags; UNIQUE ``(dataset_id, name)`` makes
  a tag point at one experiment of its dataset, as in Phoenix.

No index on ``content_hash`` (an upload that matches by content reads the current version
whole anyway) nor on ``span_rowid`` (no query finds examples by span yet).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 06:24:14
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dataset_labels",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("color", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dataset_labels")),
        sa.UniqueConstraint("name", name=op.f("uq_dataset_labels_name")),
    )
    op.create_table(
        "dataset_splits",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("color", sa.Text(), nullable=False),
        sa.Column(
            "metadata",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dataset_splits")),
        sa.UniqueConstraint("name", name=op.f("uq_dataset_splits_name")),
    )
    op.create_table(
        "datasets",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "metadata",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_datasets")),
        sa.UniqueConstraint("name", name=op.f("uq_datasets_name")),
    )
    op.create_table(
        "dataset_examples",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("dataset_id", sa.BigInteger(), nullable=False),
        sa.Column("span_rowid", sa.BigInteger(), nullable=True),
        sa.Column("span_start_time", sa.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("external_id", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(span_rowid IS NULL) = (span_start_time IS NULL)",
            name=op.f("ck_dataset_examples_whole_span_link"),
        ),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
            name=op.f("fk_dataset_examples_dataset_id_datasets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dataset_examples")),
        sa.UniqueConstraint(
            "dataset_id", "external_id", name=op.f("uq_dataset_examples_dataset_id_external_id")
        ),
    )
    op.create_index(
        "ix_dataset_examples_dataset_id_id", "dataset_examples", ["dataset_id", "id"], unique=False
    )
    op.create_table(
        "dataset_versions",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("dataset_id", sa.BigInteger(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "metadata",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
            name=op.f("fk_dataset_versions_dataset_id_datasets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dataset_versions")),
    )
    op.create_index(
        "ix_dataset_versions_dataset_id_id", "dataset_versions", ["dataset_id", "id"], unique=False
    )
    op.create_table(
        "datasets_dataset_labels",
        sa.Column("dataset_id", sa.BigInteger(), nullable=False),
        sa.Column("dataset_label_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
            name=op.f("fk_datasets_dataset_labels_dataset_id_datasets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["dataset_label_id"],
            ["dataset_labels.id"],
            name=op.f("fk_datasets_dataset_labels_dataset_label_id_dataset_labels"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "dataset_id", "dataset_label_id", name=op.f("pk_datasets_dataset_labels")
        ),
    )
    op.create_table(
        "dataset_example_revisions",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("dataset_example_id", sa.BigInteger(), nullable=False),
        sa.Column("dataset_version_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "input",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "output",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "metadata",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("content_hash", sa.LargeBinary(), nullable=True),
        sa.Column("revision_kind", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "revision_kind IN ('CREATE', 'PATCH', 'DELETE')",
            name=op.f("ck_dataset_example_revisions_valid_revision_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["dataset_example_id"],
            ["dataset_examples.id"],
            name=op.f("fk_dataset_example_revisions_dataset_example_id_dataset_examples"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["dataset_version_id"],
            ["dataset_versions.id"],
            name=op.f("fk_dataset_example_revisions_dataset_version_id_dataset_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dataset_example_revisions")),
        sa.UniqueConstraint(
            "dataset_example_id",
            "dataset_version_id",
            name=op.f("uq_dataset_example_revisions_dataset_example_id_dataset_version_id"),
        ),
    )
    op.create_index(
        "ix_dataset_example_revisions_dataset_version_id",
        "dataset_example_revisions",
        ["dataset_version_id"],
        unique=False,
    )
    op.create_table(
        "dataset_splits_dataset_examples",
        sa.Column("dataset_split_id", sa.BigInteger(), nullable=False),
        sa.Column("dataset_example_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_example_id"],
            ["dataset_examples.id"],
            name=op.f("fk_dataset_splits_dataset_examples_dataset_example_id_dataset_examples"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["dataset_split_id"],
            ["dataset_splits.id"],
            name=op.f("fk_dataset_splits_dataset_examples_dataset_split_id_dataset_splits"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "dataset_split_id",
            "dataset_example_id",
            name=op.f("pk_dataset_splits_dataset_examples"),
        ),
    )
    op.create_index(
        "ix_dataset_splits_dataset_examples_dataset_example_id",
        "dataset_splits_dataset_examples",
        ["dataset_example_id"],
        unique=False,
    )
    op.create_table(
        "experiments",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("dataset_id", sa.BigInteger(), nullable=False),
        sa.Column("dataset_version_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("repetitions", sa.Integer(), server_default="1", nullable=False),
        sa.Column(
            "metadata",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("project_name", sa.Text(), nullable=True),
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
        sa.CheckConstraint("repetitions >= 1", name=op.f("ck_experiments_positive_repetitions")),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
            name=op.f("fk_experiments_dataset_id_datasets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["dataset_version_id"],
            ["dataset_versions.id"],
            name=op.f("fk_experiments_dataset_version_id_dataset_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiments")),
        sa.UniqueConstraint("project_name", name=op.f("uq_experiments_project_name")),
    )
    op.create_index(
        "ix_experiments_dataset_id_id", "experiments", ["dataset_id", "id"], unique=False
    )
    op.create_index(
        "ix_experiments_dataset_version_id", "experiments", ["dataset_version_id"], unique=False
    )
    op.create_table(
        "experiment_runs",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("experiment_id", sa.BigInteger(), nullable=False),
        sa.Column("dataset_example_id", sa.BigInteger(), nullable=False),
        sa.Column("repetition_number", sa.Integer(), nullable=False),
        sa.Column("trace_id", sa.Text(), nullable=True),
        sa.Column(
            "output",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("start_time", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("end_time", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("prompt_token_count", sa.Integer(), nullable=True),
        sa.Column("completion_token_count", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "repetition_number >= 1", name=op.f("ck_experiment_runs_positive_repetition_number")
        ),
        sa.ForeignKeyConstraint(
            ["dataset_example_id"],
            ["dataset_examples.id"],
            name=op.f("fk_experiment_runs_dataset_example_id_dataset_examples"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.id"],
            name=op.f("fk_experiment_runs_experiment_id_experiments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiment_runs")),
        sa.UniqueConstraint(
            "experiment_id",
            "dataset_example_id",
            "repetition_number",
            name=op.f("uq_experiment_runs_experiment_id_dataset_example_id_repetition_number"),
        ),
    )
    op.create_index(
        "ix_experiment_runs_dataset_example_id",
        "experiment_runs",
        ["dataset_example_id"],
        unique=False,
    )
    op.create_index(
        "ix_experiment_runs_failed",
        "experiment_runs",
        ["experiment_id", "dataset_example_id"],
        unique=False,
        postgresql_where=sa.text("error IS NOT NULL"),
    )
    op.create_table(
        "experiment_tags",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("experiment_id", sa.BigInteger(), nullable=False),
        sa.Column("dataset_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
            name=op.f("fk_experiment_tags_dataset_id_datasets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.id"],
            name=op.f("fk_experiment_tags_experiment_id_experiments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiment_tags")),
        sa.UniqueConstraint("dataset_id", "name", name=op.f("uq_experiment_tags_dataset_id_name")),
    )
    op.create_index(
        "ix_experiment_tags_experiment_id", "experiment_tags", ["experiment_id"], unique=False
    )
    op.create_table(
        "experiments_dataset_splits",
        sa.Column("experiment_id", sa.BigInteger(), nullable=False),
        sa.Column("dataset_split_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_split_id"],
            ["dataset_splits.id"],
            name=op.f("fk_experiments_dataset_splits_dataset_split_id_dataset_splits"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.id"],
            name=op.f("fk_experiments_dataset_splits_experiment_id_experiments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "experiment_id", "dataset_split_id", name=op.f("pk_experiments_dataset_splits")
        ),
    )
    op.create_table(
        "experiment_run_annotations",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("experiment_run_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("annotator_kind", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=True),
        sa.Column("score", sa.Double(), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=True),
        sa.Column("trace_id", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column(
            "metadata",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("start_time", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("end_time", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.CheckConstraint(
            "annotator_kind IN ('LLM', 'CODE', 'HUMAN')",
            name=op.f("ck_experiment_run_annotations_valid_annotator_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["experiment_run_id"],
            ["experiment_runs.id"],
            name=op.f("fk_experiment_run_annotations_experiment_run_id_experiment_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiment_run_annotations")),
        sa.UniqueConstraint(
            "experiment_run_id",
            "name",
            name=op.f("uq_experiment_run_annotations_experiment_run_id_name"),
        ),
    )


def downgrade() -> None:
    op.drop_table("experiment_run_annotations")
    op.drop_table("experiments_dataset_splits")
    op.drop_index("ix_experiment_tags_experiment_id", table_name="experiment_tags")
    op.drop_table("experiment_tags")
    op.drop_index(
        "ix_experiment_runs_failed",
        table_name="experiment_runs",
        postgresql_where=sa.text("error IS NOT NULL"),
    )
    op.drop_index("ix_experiment_runs_dataset_example_id", table_name="experiment_runs")
    op.drop_table("experiment_runs")
    op.drop_index("ix_experiments_dataset_version_id", table_name="experiments")
    op.drop_index("ix_experiments_dataset_id_id", table_name="experiments")
    op.drop_table("experiments")
    op.drop_index(
        "ix_dataset_splits_dataset_examples_dataset_example_id",
        table_name="dataset_splits_dataset_examples",
    )
    op.drop_table("dataset_splits_dataset_examples")
    op.drop_index(
        "ix_dataset_example_revisions_dataset_version_id", table_name="dataset_example_revisions"
    )
    op.drop_table("dataset_example_revisions")
    op.drop_table("datasets_dataset_labels")
    op.drop_index("ix_dataset_versions_dataset_id_id", table_name="dataset_versions")
    op.drop_table("dataset_versions")
    op.drop_index("ix_dataset_examples_dataset_id_id", table_name="dataset_examples")
    op.drop_table("dataset_examples")
    op.drop_table("datasets")
    op.drop_table("dataset_splits")
    op.drop_table("dataset_labels")
