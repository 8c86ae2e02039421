"""Experiments over a dataset version: their runs and the runs' evaluations (Phoenix's tables).

An experiment runs a task over the examples of one dataset version (optionally only some
splits), ``repetitions`` times each. Each (example, repetition) has at most one run, which is
what makes a retried or redelivered task harmless: it finds its run instead of writing a second.
Each run has at most one evaluation per name (``experiment_run_annotations``), an upsert key.

``experiment_runs.trace_id`` and ``experiment_run_annotations.trace_id`` are OpenTelemetry
trace ids (hex), soft links into the experiment's project (``Experiment-<24 hex>``) and the
``evaluators`` project: traces come and go by retention, runs stay.

Everything here goes with its dataset: datasets cascade to experiments, experiments to their
runs, links and tags, runs to their evaluations.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Double,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from spyglass_db.models.base import (
    TIMESTAMPTZ,
    created_at_column,
    id_column,
    jsonb_column,
    updated_at_column,
)

EXPERIMENT_PROJECT_PREFIX = "Experiment-"
"""Phoenix names an experiment's trace project ``Experiment-`` and 24 hex digits."""


def _reference(target: str, *, primary_key: bool = False) -> Any:
    """A non-null BIGINT foreign key to ``target`` (``table.id``) that goes with its row."""
    return Column(
        BigInteger,
        ForeignKey(target, ondelete="CASCADE"),
        nullable=False,
        primary_key=primary_key,
    )


class Experiment(SQLModel, table=True):
    """A run of a task over one version of a dataset."""

    __tablename__ = "experiments"
    __table_args__ = (
        CheckConstraint("repetitions >= 1", name="positive_repetitions"),
        # A dataset's experiments newest first (keyset by id), and the cascade from datasets.
        Index("ix_experiments_dataset_id_id", "dataset_id", "id"),
        # The cascade from dataset_versions: each version a dataset's deletion removes looks
        # its experiments up here.
        Index("ix_experiments_dataset_version_id", "dataset_version_id"),
    )

    id: int | None = Field(default=None, sa_column=id_column())
    dataset_id: int = Field(sa_column=_reference("datasets.id"))
    dataset_version_id: int = Field(sa_column=_reference("dataset_versions.id"))
    name: str = Field(sa_column=Column(Text, nullable=False))
    description: str | None = Field(default=None, sa_column=Column(Text))
    repetitions: int = Field(
        default=1, sa_column=Column(Integer, nullable=False, server_default="1")
    )
    metadata_: dict[str, Any] = Field(
        default_factory=dict, sa_column=jsonb_column("metadata", "{}")
    )
    project_name: str | None = Field(default=None, sa_column=Column(Text, unique=True))
    """The project its task traces go to. Unique: the project lists leave experiments'
    projects out by this key, and deleting an experiment may delete its project."""
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())
    updated_at: datetime | None = Field(default=None, sa_column=updated_at_column())


class ExperimentDatasetSplit(SQLModel, table=True):
    """A split an experiment is limited to (none: the whole version).

    No index on ``dataset_split_id``: a few rows per experiment, read that way only when a
    split is deleted.
    """

    __tablename__ = "experiments_dataset_splits"

    experiment_id: int = Field(sa_column=_reference("experiments.id", primary_key=True))
    dataset_split_id: int = Field(sa_column=_reference("dataset_splits.id", primary_key=True))


class ExperimentDatasetExample(SQLModel, table=True):
    """One of an experiment's examples, with the revision it runs on: taken when the experiment
    is created, so its examples stay what they were when splits later gain or lose examples.

    Keyed by (experiment, example): an experiment's examples in id order, and the check that a
    run's example is one of them, are index reads. No foreign keys to the example or revision:
    both belong to the experiment's dataset and go with it through the experiment (each would
    need an index that only that cascade reads, and 100,000 probes to delete a dataset).
    """

    __tablename__ = "experiments_dataset_examples"

    experiment_id: int = Field(sa_column=_reference("experiments.id", primary_key=True))
    dataset_example_id: int = Field(sa_column=Column(BigInteger, primary_key=True))
    dataset_example_revision_id: int = Field(sa_column=Column(BigInteger, nullable=False))


class ExperimentTag(SQLModel, table=True):
    """A named pointer to one experiment of a dataset (``baseline``, ...), as in Phoenix.

    A name is unique in its dataset: setting it on another experiment moves it there.
    """

    __tablename__ = "experiment_tags"
    __table_args__ = (
        UniqueConstraint("dataset_id", "name"),
        # An experiment's tags (the tags list and the experiments page).
        Index("ix_experiment_tags_experiment_id", "experiment_id"),
    )

    id: int | None = Field(default=None, sa_column=id_column())
    experiment_id: int = Field(sa_column=_reference("experiments.id"))
    dataset_id: int = Field(sa_column=_reference("datasets.id"))
    name: str = Field(sa_column=Column(Text, nullable=False))
    description: str | None = Field(default=None, sa_column=Column(Text))


class ExperimentRun(SQLModel, table=True):
    """The task's result for one (example, repetition) of an experiment."""

    __tablename__ = "experiment_runs"
    __table_args__ = (
        # One run per (example, repetition). Also: an experiment's runs by example (the
        # comparison page), the anti-join of "incomplete runs", run pages in (example,
        # repetition) order, counting an experiment's runs, and the cascade from experiments.
        UniqueConstraint("experiment_id", "dataset_example_id", "repetition_number"),
        CheckConstraint("repetition_number >= 1", name="positive_repetition_number"),
        # An example's runs in every experiment (the example's page), and the cascade from
        # dataset_examples: a dataset's deletion deletes every example, each looked up here.
        Index("ix_experiment_runs_dataset_example_id", "dataset_example_id"),
        # Failed runs only: an experiment's failed-run count, and the failed half of
        # "incomplete runs", without reading every run's row.
        Index(
            "ix_experiment_runs_failed",
            "experiment_id",
            "dataset_example_id",
            postgresql_where=text("error IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, sa_column=id_column())
    experiment_id: int = Field(sa_column=_reference("experiments.id"))
    dataset_example_id: int = Field(sa_column=_reference("dataset_examples.id"))
    repetition_number: int = Field(sa_column=Column(Integer, nullable=False))
    trace_id: str | None = Field(default=None, sa_column=Column(Text))
    output: dict[str, Any] = Field(default_factory=dict, sa_column=jsonb_column("output", "{}"))
    """``{"task_output": <value>}``, as Phoenix stores it."""
    start_time: datetime = Field(sa_column=Column(TIMESTAMPTZ, nullable=False))
    end_time: datetime = Field(sa_column=Column(TIMESTAMPTZ, nullable=False))
    prompt_token_count: int | None = Field(default=None, sa_column=Column(Integer))
    completion_token_count: int | None = Field(default=None, sa_column=Column(Integer))
    error: str | None = Field(default=None, sa_column=Column(Text))


class ExperimentRunAnnotation(SQLModel, table=True):
    """An evaluation of a run; one per (run, name), so writing it again replaces it."""

    __tablename__ = "experiment_run_annotations"
    __table_args__ = (
        # Also a run's evaluations, "incomplete evaluations" and the cascade from runs.
        UniqueConstraint("experiment_run_id", "name"),
        CheckConstraint("annotator_kind IN ('LLM', 'CODE', 'HUMAN')", name="valid_annotator_kind"),
    )

    id: int | None = Field(default=None, sa_column=id_column())
    experiment_run_id: int = Field(sa_column=_reference("experiment_runs.id"))
    name: str = Field(sa_column=Column(Text, nullable=False))
    annotator_kind: str = Field(sa_column=Column(Text, nullable=False))
    label: str | None = Field(default=None, sa_column=Column(Text))
    score: float | None = Field(default=None, sa_column=Column(Double))
    explanation: str | None = Field(default=None, sa_column=Column(Text))
    trace_id: str | None = Field(default=None, sa_column=Column(Text))
    error: str | None = Field(default=None, sa_column=Column(Text))
    metadata_: dict[str, Any] = Field(
        default_factory=dict, sa_column=jsonb_column("metadata", "{}")
    )
    start_time: datetime = Field(sa_column=Column(TIMESTAMPTZ, nullable=False))
    end_time: datetime = Field(sa_column=Column(TIMESTAMPTZ, nullable=False))


EXPERIMENT_JOB_STATUSES = ("RUNNING", "PAUSED", "CANCELLED", "COMPLETED")


class ExperimentJob(SQLModel, table=True):
    """A server-side experiment: the experiment runner calls a model with a prompt for each
    (example, repetition) of its experiment and writes the runs.

    ``status``: RUNNING (its chunks are queued or running), PAUSED (the runner stopped it,
    ``status_reason`` says why: a rejected credential, too many failures in a row), CANCELLED
    (by a user), COMPLETED (every (example, repetition) has a run). ``epoch`` grows with each
    resume: a chunk queued before it sees a newer epoch and stops, so a job never has two
    generations of chunks calling the provider. ``task`` is the prompt as it runs (template,
    format, provider, model, invocation parameters, tools, response format), copied from the
    prompt version or playground variant it started from: editing those later changes nothing.
    One job per experiment; progress is counted from the experiment's runs.
    """

    __tablename__ = "experiment_jobs"
    __table_args__ = (
        CheckConstraint(
            "status IN ({})".format(", ".join(f"'{s}'" for s in EXPERIMENT_JOB_STATUSES)),
            name="status",
        ),
    )

    id: int | None = Field(default=None, sa_column=id_column())
    experiment_id: int = Field(
        sa_column=Column(
            BigInteger,
            ForeignKey("experiments.id", ondelete="CASCADE"),
            nullable=False,
            unique=True,
        )
    )
    status: str = Field(sa_column=Column(Text, nullable=False))
    status_reason: str | None = Field(default=None, sa_column=Column(Text))
    epoch: int = Field(default=1, sa_column=Column(Integer, nullable=False, server_default="1"))
    task: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    prompt_version_id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger, ForeignKey("prompt_versions.id", ondelete="SET NULL")),
    )
    """The prompt version the task was copied from, if it came from one."""
    requested_by: int | None = Field(default=None, sa_column=Column(BigInteger))
    """The user who started or last resumed it (NULL: auth was off). No foreign key: the runner
    pauses the job, saying why, when that user is gone or may no longer write."""
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())
    updated_at: datetime | None = Field(default=None, sa_column=updated_at_column())
    finished_at: datetime | None = Field(default=None, sa_column=Column(TIMESTAMPTZ))
