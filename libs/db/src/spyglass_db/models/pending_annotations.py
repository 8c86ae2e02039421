"""Annotations that name a target not stored yet, parked until it arrives or a deadline passes.

Phoenix accepts annotations for spans, traces and sessions that ingestion hasn't written yet
(the client's default ``sync=false``) and retries them in memory. The query API is stateless
and runs as several replicas, so it parks them here instead: any replica's background loop
claims due rows with ``FOR UPDATE SKIP LOCKED``, stores those whose target now exists, and
drops those past ``expires_at``. Targets are named as the client named them (OTel span or trace
id, ``session.id``), since they have no row id yet.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Column, Float, Index, Integer, Text, func
from sqlmodel import Field, SQLModel

from spyglass_db.models.base import TIMESTAMPTZ, id_column, jsonb_column

PENDING_TARGET_KINDS = ("span", "document", "trace", "session")


class PendingAnnotation(SQLModel, table=True):
    """One annotation waiting for its target; the columns of an annotation plus its target."""

    __tablename__ = "pending_annotations"
    __table_args__ = (
        CheckConstraint(
            "target_kind IN ('span', 'document', 'trace', 'session')", name="valid_target_kind"
        ),
        CheckConstraint("annotator_kind IN ('LLM', 'CODE', 'HUMAN')", name="valid_annotator_kind"),
        CheckConstraint("source IN ('API', 'APP')", name="valid_source"),
        Index("ix_pending_annotations_next_attempt_at", "next_attempt_at"),
    )

    id: int | None = Field(default=None, sa_column=id_column())
    target_kind: str = Field(sa_column=Column(Text, nullable=False))
    target_id: str = Field(sa_column=Column(Text, nullable=False))
    """The OTel span id (span and document targets), OTel trace id, or session id."""
    document_position: int | None = Field(default=None, sa_column=Column(Integer))
    name: str = Field(sa_column=Column(Text, nullable=False))
    label: str | None = Field(default=None, sa_column=Column(Text))
    score: float | None = Field(default=None, sa_column=Column(Float))
    explanation: str | None = Field(default=None, sa_column=Column(Text))
    metadata_: dict[str, Any] = Field(
        default_factory=dict, sa_column=jsonb_column("metadata", "{}")
    )
    annotator_kind: str = Field(sa_column=Column(Text, nullable=False))
    identifier: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    source: str = Field(sa_column=Column(Text, nullable=False))
    user_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    received_at: datetime | None = Field(
        default=None, sa_column=Column(TIMESTAMPTZ, nullable=False, server_default=func.now())
    )
    """When the API accepted it: the annotation's ``created_at``, and its rank against writes
    of the same annotation that arrive while it waits (the later one wins)."""
    expires_at: datetime = Field(sa_column=Column(TIMESTAMPTZ, nullable=False))
    next_attempt_at: datetime | None = Field(
        default=None, sa_column=Column(TIMESTAMPTZ, nullable=False, server_default=func.now())
    )
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
