"""Annotations on spans, documents, traces and sessions, and the configs that shape them.

Each annotation is unique per (name, target, identifier), so an upsert with the same name and
identifier replaces the previous value, as in Phoenix. Notes are annotations named ``note``.
Span and document annotations reference the partitioned ``spans`` table by its whole primary
key ``(id, start_time)``: PostgreSQL requires that, and it keeps ``ON DELETE CASCADE``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from spyglass_db.models.base import TIMESTAMPTZ, id_column, jsonb_column

ANNOTATOR_KINDS = ("LLM", "CODE", "HUMAN")
ANNOTATION_SOURCES = ("API", "APP")


def _checks() -> tuple[CheckConstraint, CheckConstraint]:
    return (
        CheckConstraint("annotator_kind IN ('LLM', 'CODE', 'HUMAN')", name="valid_annotator_kind"),
        CheckConstraint("source IN ('API', 'APP')", name="valid_source"),
    )


class AnnotationFields(SQLModel):
    """The columns every annotation table has (each table gets its own copies)."""

    name: str = Field(sa_type=Text, sa_column_kwargs={"nullable": False})
    label: str | None = Field(default=None, sa_type=Text)
    score: float | None = Field(default=None, sa_type=Float)
    explanation: str | None = Field(default=None, sa_type=Text)
    metadata_: dict[str, Any] = Field(
        default_factory=dict,
        sa_type=JSONB,
        sa_column_kwargs={
            "name": "metadata",
            "nullable": False,
            "server_default": text("'{}'::jsonb"),
        },
    )
    annotator_kind: str = Field(sa_type=Text, sa_column_kwargs={"nullable": False})
    identifier: str = Field(
        default="", sa_type=Text, sa_column_kwargs={"nullable": False, "server_default": ""}
    )
    source: str = Field(sa_type=Text, sa_column_kwargs={"nullable": False})
    user_id: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime | None = Field(
        default=None,
        sa_type=TIMESTAMPTZ,
        sa_column_kwargs={"nullable": False, "server_default": func.now()},
    )
    updated_at: datetime | None = Field(
        default=None,
        sa_type=TIMESTAMPTZ,
        sa_column_kwargs={"nullable": False, "server_default": func.now(), "onupdate": func.now()},
    )


class SpanAnnotation(AnnotationFields, table=True):
    """An annotation of one span."""

    __tablename__ = "span_annotations"
    __table_args__ = (
        ForeignKeyConstraint(
            ["span_rowid", "span_start_time"], ["spans.id", "spans.start_time"], ondelete="CASCADE"
        ),
        UniqueConstraint("name", "span_rowid", "identifier"),
        *_checks(),
    )

    id: int | None = Field(default=None, sa_column=id_column())
    span_rowid: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    span_start_time: datetime = Field(sa_column=Column(TIMESTAMPTZ, nullable=False))


class DocumentAnnotation(AnnotationFields, table=True):
    """An annotation of one retrieved document of a span, by its position."""

    __tablename__ = "document_annotations"
    __table_args__ = (
        ForeignKeyConstraint(
            ["span_rowid", "span_start_time"], ["spans.id", "spans.start_time"], ondelete="CASCADE"
        ),
        UniqueConstraint("name", "span_rowid", "document_position", "identifier"),
        *_checks(),
    )

    id: int | None = Field(default=None, sa_column=id_column())
    span_rowid: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    span_start_time: datetime = Field(sa_column=Column(TIMESTAMPTZ, nullable=False))
    document_position: int = Field(sa_column=Column(Integer, nullable=False))


class TraceAnnotation(AnnotationFields, table=True):
    """An annotation of one trace."""

    __tablename__ = "trace_annotations"
    __table_args__ = (UniqueConstraint("name", "trace_rowid", "identifier"), *_checks())

    id: int | None = Field(default=None, sa_column=id_column())
    trace_rowid: int = Field(
        sa_column=Column(
            BigInteger, ForeignKey("traces.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )


class ProjectSessionAnnotation(AnnotationFields, table=True):
    """An annotation of one session."""

    __tablename__ = "project_session_annotations"
    __table_args__ = (UniqueConstraint("name", "project_session_id", "identifier"), *_checks())

    id: int | None = Field(default=None, sa_column=id_column())
    project_session_id: int = Field(
        sa_column=Column(
            BigInteger,
            ForeignKey("project_sessions.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )


class AnnotationConfig(SQLModel, table=True):
    """The shape of an annotation: categorical (values), continuous (bounds) or freeform."""

    __tablename__ = "annotation_configs"

    id: int | None = Field(default=None, sa_column=id_column())
    name: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    config: dict[str, Any] = Field(default_factory=dict, sa_column=jsonb_column("config", "{}"))


class ProjectAnnotationConfig(SQLModel, table=True):
    """Which annotation configs a project shows."""

    __tablename__ = "project_annotation_configs"
    __table_args__ = (UniqueConstraint("project_id", "annotation_config_id"),)

    id: int | None = Field(default=None, sa_column=id_column())
    project_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    )
    annotation_config_id: int = Field(
        sa_column=Column(
            BigInteger,
            ForeignKey("annotation_configs.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )
