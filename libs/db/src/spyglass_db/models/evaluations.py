"""Evaluators, where they run (datasets, online rules), and every evaluation job they make.

An evaluator is a named server resource of one kind (a built-in check, an LLM judge, or user
code run in the sandbox) whose definition lives in numbered, immutable versions: an update
writes version n + 1, and every result records the version that produced it.

Evaluators run in two places:

* a **dataset evaluator** attaches one to a dataset: every run of every experiment over the
  dataset gets its score as a run annotation (``experiment_run_annotations``, unique per run
  and name);
* an **evaluation rule** (online evaluation) attaches one to a project: spans the rule's filter
  matches are sampled (deterministically by id) and scored, alone or as their trace or session
  once it has gone quiet; scores are span, trace or session annotations. Any change to a rule
  bumps its ``version``: jobs of an older version still queued are dropped, not run.

``evaluation_jobs`` is both the queue's ledger and the audit trail: one row per (rule version
or dataset evaluator, target), written before the task is queued, so that redelivery and
retries find the row and the (rule version, target) is scored exactly once; its ``state`` and
``reason`` say where each evaluation is and why it failed. Spans a rule did not match, or
sampled out, get no row (sampling is a pure function of the id; the counts are kept per
minute in ``evaluation_rule_counts``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from spyglass_db.models.base import (
    TIMESTAMPTZ,
    created_at_column,
    id_column,
    jsonb_column,
    updated_at_column,
)
from spyglass_db.models.prompts import IDENTIFIER_PATTERN

EVALUATOR_KINDS = ("BUILTIN", "LLM", "CODE")
RULE_TARGETS = ("SPAN", "TRACE", "SESSION")
RULE_STATUSES = ("ACTIVE", "PAUSED")
JOB_STATES = ("PENDING", "QUEUED", "RUNNING", "RETRYING", "SUCCEEDED", "FAILED", "SHED", "DROPPED")
"""PENDING: waiting for its delay (or its trace or session to go quiet); QUEUED: a task is on
the queue; RUNNING; RETRYING: a transient failure, tried again later (``reason`` says why);
SUCCEEDED: the annotation is written; FAILED: for good (``reason``); SHED: over the rule's
spend cap; DROPPED: its rule changed or was paused before it ran."""
JOB_TARGETS = ("SPAN", "TRACE", "SESSION", "RUN")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    listed = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({listed})"


class Evaluator(SQLModel, table=True):
    """A named evaluator; its definition lives in its versions."""

    __tablename__ = "evaluators"
    __table_args__ = (
        CheckConstraint(f"name ~ '{IDENTIFIER_PATTERN}'", name="identifier_name"),
        CheckConstraint(_one_of("kind", EVALUATOR_KINDS), name="valid_kind"),
    )

    id: int | None = Field(default=None, sa_column=id_column())
    name: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    kind: str = Field(sa_column=Column(Text, nullable=False))
    description: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())
    updated_at: datetime | None = Field(default=None, sa_column=updated_at_column())


class EvaluatorVersion(SQLModel, table=True):
    """One immutable definition of an evaluator (its kind's JSON, checked by spyglass_evals)."""

    __tablename__ = "evaluator_versions"
    __table_args__ = (UniqueConstraint("evaluator_id", "version"),)

    id: int | None = Field(default=None, sa_column=id_column())
    evaluator_id: int = Field(
        sa_column=Column(
            BigInteger, ForeignKey("evaluators.id", ondelete="CASCADE"), nullable=False
        )
    )
    version: int = Field(sa_column=Column(Integer, nullable=False))
    definition: dict[str, Any] = Field(
        default_factory=dict, sa_column=jsonb_column("definition", "{}")
    )
    note: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())


class DatasetEvaluator(SQLModel, table=True):
    """An evaluator attached to a dataset: it scores every run of every experiment over it."""

    __tablename__ = "dataset_evaluators"
    __table_args__ = (UniqueConstraint("dataset_id", "name"),)

    id: int | None = Field(default=None, sa_column=id_column())
    dataset_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("datasets.id", ondelete="CASCADE"), nullable=False)
    )
    evaluator_id: int = Field(
        sa_column=Column(
            BigInteger, ForeignKey("evaluators.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    evaluator_version: int | None = Field(default=None, sa_column=Column(Integer))
    """The version it runs; None: always the latest."""
    name: str = Field(sa_column=Column(Text, nullable=False))
    """The annotation name of its scores."""
    input_mapping: dict[str, Any] = Field(
        default_factory=dict, sa_column=jsonb_column("input_mapping", "{}")
    )
    requested_by: int | None = Field(default=None, sa_column=Column(BigInteger))
    """The user who last set it up or resumed it (NULL: auth was off); the worker stops its jobs,
    saying why, when that user is gone or may no longer write."""
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())
    updated_at: datetime | None = Field(default=None, sa_column=updated_at_column())


class EvaluationRule(SQLModel, table=True):
    """An online evaluation: which spans of a project an evaluator scores, and how often."""

    __tablename__ = "evaluation_rules"
    __table_args__ = (
        UniqueConstraint("project_id", "name"),
        CheckConstraint(_one_of("target", RULE_TARGETS), name="valid_target"),
        CheckConstraint(_one_of("status", RULE_STATUSES), name="valid_status"),
        CheckConstraint("sampling_rate >= 0 AND sampling_rate <= 1", name="valid_sampling_rate"),
        CheckConstraint("delay_seconds >= 0 AND quiet_seconds >= 0", name="valid_waits"),
    )

    id: int | None = Field(default=None, sa_column=id_column())
    project_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    )
    name: str = Field(sa_column=Column(Text, nullable=False))
    annotation_name: str = Field(sa_column=Column(Text, nullable=False))
    evaluator_id: int = Field(
        sa_column=Column(
            BigInteger, ForeignKey("evaluators.id", ondelete="RESTRICT"), nullable=False, index=True
        )
    )
    evaluator_version: int | None = Field(default=None, sa_column=Column(Integer))
    """The version it runs; None: always the latest."""
    filter: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    target: str = Field(sa_column=Column(Text, nullable=False))
    sampling_rate: float = Field(sa_column=Column(Float, nullable=False))
    delay_seconds: float = Field(
        default=0.0, sa_column=Column(Float, nullable=False, server_default="0")
    )
    quiet_seconds: float = Field(
        default=0.0, sa_column=Column(Float, nullable=False, server_default="0")
    )
    """A trace or session is scored once no span of it arrived for this long."""
    input_mapping: dict[str, Any] = Field(
        default_factory=dict, sa_column=jsonb_column("input_mapping", "{}")
    )
    max_tokens_per_day: int | None = Field(default=None, sa_column=Column(BigInteger))
    max_cost_per_day: float | None = Field(default=None, sa_column=Column(Float))
    status: str = Field(
        default="ACTIVE", sa_column=Column(Text, nullable=False, server_default="ACTIVE")
    )
    status_reason: str | None = Field(default=None, sa_column=Column(Text))
    version: int = Field(default=1, sa_column=Column(Integer, nullable=False, server_default="1"))
    requested_by: int | None = Field(default=None, sa_column=Column(BigInteger))
    """The user who last set it up or resumed it (NULL: auth was off); the worker stops its jobs,
    saying why, when that user is gone or may no longer write."""
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())
    updated_at: datetime | None = Field(default=None, sa_column=updated_at_column())


class EvaluationJob(SQLModel, table=True):
    """One evaluation of one target by a rule version or a dataset evaluator: its ledger entry
    (the exactly-once key) and its audit trail."""

    __tablename__ = "evaluation_jobs"
    __table_args__ = (
        CheckConstraint(_one_of("state", JOB_STATES), name="valid_state"),
        CheckConstraint(_one_of("target_kind", JOB_TARGETS), name="valid_target_kind"),
        CheckConstraint("(rule_id IS NULL) <> (dataset_evaluator_id IS NULL)", name="one_source"),
        Index(
            "uq_evaluation_jobs_rule_target",
            "rule_id",
            "rule_version",
            "target_id",
            unique=True,
            postgresql_where=text("rule_id IS NOT NULL"),
        ),
        Index(
            "uq_evaluation_jobs_dataset_evaluator_target",
            "dataset_evaluator_id",
            "target_id",
            unique=True,
            postgresql_where=text("dataset_evaluator_id IS NOT NULL"),
        ),
        Index("ix_evaluation_jobs_rule_state", "rule_id", "state"),
        Index(
            "ix_evaluation_jobs_due",
            "due_at",
            postgresql_where=text("state IN ('PENDING', 'QUEUED', 'RUNNING', 'RETRYING')"),
        ),
        Index("ix_evaluation_jobs_project_target", "project_id", "target_id"),
    )

    id: int | None = Field(default=None, sa_column=id_column())
    rule_id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger, ForeignKey("evaluation_rules.id", ondelete="CASCADE")),
    )
    rule_version: int | None = Field(default=None, sa_column=Column(Integer))
    dataset_evaluator_id: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger, ForeignKey("dataset_evaluators.id", ondelete="CASCADE"), index=True
        ),
    )
    project_id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger, ForeignKey("projects.id", ondelete="CASCADE")),
    )
    target_kind: str = Field(sa_column=Column(Text, nullable=False))
    target_id: str = Field(sa_column=Column(Text, nullable=False))
    """SPAN: its span id; TRACE: its trace id; SESSION: its session id; RUN: the run's row id."""
    evaluator_version_id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger, ForeignKey("evaluator_versions.id", ondelete="SET NULL")),
    )
    state: str = Field(sa_column=Column(Text, nullable=False))
    reason: str | None = Field(default=None, sa_column=Column(Text))
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    due_at: datetime = Field(sa_column=Column(TIMESTAMPTZ, nullable=False))
    """When it may run (PENDING), or when a QUEUED or RUNNING job is presumed lost and queued
    again."""
    tokens: int | None = Field(default=None, sa_column=Column(BigInteger))
    cost: float | None = Field(default=None, sa_column=Column(Float))
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())
    updated_at: datetime | None = Field(default=None, sa_column=updated_at_column())
    finished_at: datetime | None = Field(default=None, sa_column=Column(TIMESTAMPTZ))


class EvaluationRuleCount(SQLModel, table=True):
    """What a rule decided about the spans it saw, per minute: matched, sampled out, shed."""

    __tablename__ = "evaluation_rule_counts"

    rule_id: int = Field(
        sa_column=Column(
            BigInteger,
            ForeignKey("evaluation_rules.id", ondelete="CASCADE"),
            primary_key=True,
        )
    )
    minute: datetime = Field(sa_column=Column(TIMESTAMPTZ, primary_key=True))
    matched: int = Field(
        default=0, sa_column=Column(BigInteger, nullable=False, server_default="0")
    )
    sampled_out: int = Field(
        default=0, sa_column=Column(BigInteger, nullable=False, server_default="0")
    )
    shed: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))


class EvaluationRuleSpend(SQLModel, table=True):
    """Tokens and cost a rule's evaluations spent per UTC day (its spend cap's ledger)."""

    __tablename__ = "evaluation_rule_spend"

    rule_id: int = Field(
        sa_column=Column(
            BigInteger,
            ForeignKey("evaluation_rules.id", ondelete="CASCADE"),
            primary_key=True,
        )
    )
    day: date = Field(sa_column=Column(Date, primary_key=True))
    tokens: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))
    cost: float = Field(default=0.0, sa_column=Column(Float, nullable=False, server_default="0"))
