"""Datasets: versioned collections of examples, their splits and labels (Phoenix's tables).

A dataset's content is never updated in place. Each change creates a ``dataset_versions`` row
and, for every example it touches, one ``dataset_example_revisions`` row of kind ``CREATE``,
``PATCH`` or ``DELETE`` in that version. An example as of version ``v`` is its latest revision
whose version id is ``<= v``; it is absent there if it has none or that revision is a
``DELETE``. So every version reads exactly as it was (``spyglass_db.datasets`` holds the
statement), and an experiment pinned to a version sees the same examples forever.

Version ids order a dataset's versions: whoever creates a version holds the dataset's row lock
(``SELECT ... FOR UPDATE`` or an ``UPDATE`` of ``updated_at``) until it commits, so the versions
of one dataset commit in id order and a version that has been read never gains revisions.

``dataset_examples.span_rowid`` / ``span_start_time`` name the span an example was made from,
without a foreign key: spans are partitioned and carry none (see ``tracing.py``). When that span
is deleted or its partition dropped the link dangles, the example keeps its content, and
readers show no source. Span ids come from an identity and are never reused, so a dangling link
never points at another span.

Splits and labels are global, as in Phoenix (their names are unique across datasets); their
links to examples and datasets go when either side goes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    LargeBinary,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from spyglass_db.models.base import (
    TIMESTAMPTZ,
    created_at_column,
    id_column,
    jsonb_column,
    updated_at_column,
)

REVISION_KINDS = ("CREATE", "PATCH", "DELETE")


def _reference(target: str, *, primary_key: bool = False) -> Any:
    """A non-null BIGINT foreign key to ``target`` (``table.id``) that goes with its row."""
    return Column(
        BigInteger,
        ForeignKey(target, ondelete="CASCADE"),
        nullable=False,
        primary_key=primary_key,
    )


class Dataset(SQLModel, table=True):
    """A named dataset; ``name`` is unique and is how clients look it up."""

    __tablename__ = "datasets"

    id: int | None = Field(default=None, sa_column=id_column())
    name: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    description: str | None = Field(default=None, sa_column=Column(Text))
    metadata_: dict[str, Any] = Field(
        default_factory=dict, sa_column=jsonb_column("metadata", "{}")
    )
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())
    updated_at: datetime | None = Field(default=None, sa_column=updated_at_column())


class DatasetVersion(SQLModel, table=True):
    """One change to a dataset: the revisions written with it make up the difference."""

    __tablename__ = "dataset_versions"
    __table_args__ = (
        # A dataset's versions newest first (keyset by id), and the cascade from datasets.
        Index("ix_dataset_versions_dataset_id_id", "dataset_id", "id"),
    )

    id: int | None = Field(default=None, sa_column=id_column())
    dataset_id: int = Field(sa_column=_reference("datasets.id"))
    description: str | None = Field(default=None, sa_column=Column(Text))
    metadata_: dict[str, Any] = Field(
        default_factory=dict, sa_column=jsonb_column("metadata", "{}")
    )
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())


class DatasetExample(SQLModel, table=True):
    """An example's identity; its content lives in its revisions."""

    __tablename__ = "dataset_examples"
    __table_args__ = (
        UniqueConstraint("dataset_id", "external_id"),
        CheckConstraint("(span_rowid IS NULL) = (span_start_time IS NULL)", name="whole_span_link"),
        # A version's examples in id order (keyset pages), and the cascade from datasets.
        Index("ix_dataset_examples_dataset_id_id", "dataset_id", "id"),
    )

    id: int | None = Field(default=None, sa_column=id_column())
    dataset_id: int = Field(sa_column=_reference("datasets.id"))
    span_rowid: int | None = Field(default=None, sa_column=Column(BigInteger))
    """The source span's row id; no foreign key (spans have none)."""
    span_start_time: datetime | None = Field(default=None, sa_column=Column(TIMESTAMPTZ))
    """The source span's start: with it a lookup searches one partition, not all."""
    external_id: str | None = Field(default=None, sa_column=Column(Text))
    """The client's stable id of the example, unique in its dataset; NULL: the GlobalID is."""
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())


class DatasetExampleRevision(SQLModel, table=True):
    """An example's content as one version left it; at most one per (example, version)."""

    __tablename__ = "dataset_example_revisions"
    __table_args__ = (
        # Also the "latest revision <= v" probe of an example (a backward scan, one row).
        UniqueConstraint("dataset_example_id", "dataset_version_id"),
        CheckConstraint(
            "revision_kind IN ('CREATE', 'PATCH', 'DELETE')", name="valid_revision_kind"
        ),
        # What one version changed (its counts), and the cascade from dataset_versions.
        Index("ix_dataset_example_revisions_dataset_version_id", "dataset_version_id"),
    )

    id: int | None = Field(default=None, sa_column=id_column())
    dataset_example_id: int = Field(sa_column=_reference("dataset_examples.id"))
    dataset_version_id: int = Field(sa_column=_reference("dataset_versions.id"))
    input: dict[str, Any] = Field(default_factory=dict, sa_column=jsonb_column("input", "{}"))
    output: dict[str, Any] = Field(default_factory=dict, sa_column=jsonb_column("output", "{}"))
    metadata_: dict[str, Any] = Field(
        default_factory=dict, sa_column=jsonb_column("metadata", "{}")
    )
    content_hash: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    """A digest of input, output and metadata, for uploads that match examples by content."""
    revision_kind: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())


class DatasetSplit(SQLModel, table=True):
    """A named subset of examples (``train``, ``test``, ...); names are global, as in Phoenix."""

    __tablename__ = "dataset_splits"

    id: int | None = Field(default=None, sa_column=id_column())
    name: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    description: str | None = Field(default=None, sa_column=Column(Text))
    color: str = Field(sa_column=Column(Text, nullable=False))
    metadata_: dict[str, Any] = Field(
        default_factory=dict, sa_column=jsonb_column("metadata", "{}")
    )
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())
    updated_at: datetime | None = Field(default=None, sa_column=updated_at_column())


class DatasetSplitExample(SQLModel, table=True):
    """An example's membership of a split; the key reads a split's examples in id order."""

    __tablename__ = "dataset_splits_dataset_examples"
    __table_args__ = (
        # An example's splits (the examples page), and the cascade from dataset_examples: a
        # dataset's deletion deletes every example, each of which looks its links up here.
        Index("ix_dataset_splits_dataset_examples_dataset_example_id", "dataset_example_id"),
    )

    dataset_split_id: int = Field(sa_column=_reference("dataset_splits.id", primary_key=True))
    dataset_example_id: int = Field(sa_column=_reference("dataset_examples.id", primary_key=True))


class DatasetLabel(SQLModel, table=True):
    """A label that datasets can carry; names are global."""

    __tablename__ = "dataset_labels"

    id: int | None = Field(default=None, sa_column=id_column())
    name: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    description: str | None = Field(default=None, sa_column=Column(Text))
    color: str = Field(sa_column=Column(Text, nullable=False))


class DatasetDatasetLabel(SQLModel, table=True):
    """A label on a dataset.

    No index on ``dataset_label_id``: the table has a few rows per dataset, and only deleting a
    label (rare) or filtering datasets by label reads it that way.
    """

    __tablename__ = "datasets_dataset_labels"

    dataset_id: int = Field(sa_column=_reference("datasets.id", primary_key=True))
    dataset_label_id: int = Field(sa_column=_reference("dataset_labels.id", primary_key=True))
