"""Sessions, traces and spans: the write path's tables.

The writer inserts batches keyed by OpenTelemetry ids, so every table has the unique key an
``INSERT ... ON CONFLICT`` needs and nothing requires reading a row before writing one:

* ``project_sessions`` and ``traces`` are upserted per batch; their ``start_time`` and
  ``end_time`` widen with ``LEAST`` / ``GREATEST``, so bounds are right in any arrival order.
* ``spans`` is range-partitioned on ``start_time`` (a ``DEFAULT`` partition now; monthly
  partitions ``spans_pYYYYMM`` later, so retention drops whole partitions). A partitioned
  table's unique keys must contain the partition key: the primary key is ``(id, start_time)``
  and the idempotency key ``(span_id, start_time)`` — a redelivered span has the same start.
* ``spans.project_rowid`` repeats the trace's project so that project-scoped, time-ordered span
  lists use one index without a join; it is also the natural distribution key for Citus.
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
    Identity,
    Index,
    Integer,
    PrimaryKeyConstraint,
    Text,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from spyglass_db.models.base import TIMESTAMPTZ, id_column, jsonb_column

SPAN_STATUS_CODES = ("OK", "ERROR", "UNSET")


class ProjectSession(SQLModel, table=True):
    """A conversation: the traces whose spans carry the same ``session.id`` attribute."""

    __tablename__ = "project_sessions"
    __table_args__ = (
        Index("ix_project_sessions_project_id_start_time", "project_id", text("start_time DESC")),
        # No index on end_time: every write moves active sessions' end_time, and unindexed it
        # is a HOT update in the page's free space (fillfactor 90, migration 0011).
    )

    id: int | None = Field(default=None, sa_column=id_column())
    session_id: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    project_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    )
    start_time: datetime = Field(sa_column=Column(TIMESTAMPTZ, nullable=False))
    end_time: datetime = Field(sa_column=Column(TIMESTAMPTZ, nullable=False))


class Trace(SQLModel, table=True):
    """One trace; its bounds cover every span stored for it so far."""

    __tablename__ = "traces"
    __table_args__ = (
        Index("ix_traces_project_rowid_start_time", "project_rowid", text("start_time DESC")),
    )

    id: int | None = Field(default=None, sa_column=id_column())
    project_rowid: int = Field(
        sa_column=Column(BigInteger, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    )
    trace_id: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    project_session_rowid: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger, ForeignKey("project_sessions.id", ondelete="SET NULL"), index=True
        ),
    )
    start_time: datetime = Field(sa_column=Column(TIMESTAMPTZ, nullable=False))
    end_time: datetime = Field(sa_column=Column(TIMESTAMPTZ, nullable=False))


FILTER_EXCLUDED_KEYS = ("input", "output", "retrieval", "embedding", "reranker")
"""Top-level attribute keys that ``span_filter_attributes`` (and so its GIN index) leaves out."""

FILTER_EXCLUDED_LLM_KEYS = (
    "input_messages",
    "output_messages",
    "prompts",
    "prompt_template",
    "tools",
    "invocation_parameters",
)
"""Keys under ``llm`` that ``span_filter_attributes`` leaves out (long texts)."""


def covered_by_filter_index(path: tuple[str, ...]) -> bool:
    """Whether ``span_filter_attributes(attributes)`` keeps the attribute at ``path``, so that
    a containment test on it can use the GIN index (migration 0004 defines the function)."""
    if not path or path[0] in FILTER_EXCLUDED_KEYS:
        return False
    return not (path[0] == "llm" and len(path) > 1 and path[1] in FILTER_EXCLUDED_LLM_KEYS)


class Span(SQLModel, table=True):
    """One span, with OpenInference attributes as nested JSONB."""

    __tablename__ = "spans"
    __table_args__: Any = (
        PrimaryKeyConstraint("id", "start_time"),
        UniqueConstraint("span_id", "start_time"),
        CheckConstraint("status_code IN ('OK', 'ERROR', 'UNSET')", name="valid_status"),
        # Both time-ordered indexes carry what project stats sum, for index-only scans (0007).
        Index(
            "ix_spans_project_rowid_start_time",
            "project_rowid",
            text("start_time DESC"),
            postgresql_include=["llm_cost_total"],
        ),
        Index("ix_spans_trace_rowid_parent_id", "trace_rowid", "parent_id"),
        Index(
            "ix_spans_root_project_rowid_start_time",
            "project_rowid",
            text("start_time DESC"),
            postgresql_where=text("parent_id IS NULL"),
            postgresql_include=[
                "cumulative_error_count",
                "cumulative_llm_token_count_prompt",
                "cumulative_llm_token_count_completion",
            ],
        ),
        # Attribute filters use ix_spans_filter_attributes, a GIN index over a SQL function;
        # migration 0004 creates both (autogenerate can't compare an index on a function).
        {"postgresql_partition_by": "RANGE (start_time)"},
    )

    id: int | None = Field(
        default=None, sa_column=Column(BigInteger, Identity(always=False), nullable=False)
    )
    trace_rowid: int = Field(
        sa_column=Column(BigInteger, nullable=False)
    )  # no foreign keys on spans: they were a fifth of the insert cost (migration 0004)
    project_rowid: int = Field(sa_column=Column(BigInteger, nullable=False))
    span_id: str = Field(sa_column=Column(Text, nullable=False))
    parent_id: str | None = Field(default=None, sa_column=Column(Text))
    name: str = Field(sa_column=Column(Text, nullable=False))
    span_kind: str = Field(sa_column=Column(Text, nullable=False))
    start_time: datetime = Field(sa_column=Column(TIMESTAMPTZ, nullable=False))
    end_time: datetime = Field(sa_column=Column(TIMESTAMPTZ, nullable=False))
    attributes: dict[str, Any] = Field(
        default_factory=dict, sa_column=jsonb_column("attributes", "{}")
    )
    events: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=jsonb_column("events", "[]")
    )
    status_code: str = Field(
        default="UNSET", sa_column=Column(Text, nullable=False, server_default="UNSET")
    )
    status_message: str = Field(
        default="", sa_column=Column(Text, nullable=False, server_default="")
    )
    llm_token_count_prompt: int | None = Field(default=None, sa_column=Column(Integer))
    llm_token_count_completion: int | None = Field(default=None, sa_column=Column(Integer))
    cumulative_error_count: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default="0")
    )
    cumulative_llm_token_count_prompt: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default="0")
    )
    cumulative_llm_token_count_completion: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default="0")
    )
    llm_cost_prompt: float | None = Field(default=None, sa_column=Column(Double))
    """USD of the prompt tokens (cache reads and writes at their rates), from the price table."""
    llm_cost_completion: float | None = Field(default=None, sa_column=Column(Double))
    llm_cost_total: float | None = Field(default=None, sa_column=Column(Double))
