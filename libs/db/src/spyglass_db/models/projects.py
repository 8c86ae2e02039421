"""Projects: the top-level grouping of traces, chosen by the sender (Phoenix semantics)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Text
from sqlmodel import Field, SQLModel

from spyglass_db.models.base import created_at_column, id_column, updated_at_column

DEFAULT_PROJECT_NAME = "default"
"""Spans that name no project land here; it can't be deleted."""


class Project(SQLModel, table=True):
    """A project; ``name`` is unique and is what senders and clients use to refer to it."""

    __tablename__ = "projects"

    id: int | None = Field(default=None, sa_column=id_column())
    name: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    description: str | None = Field(default=None, sa_column=Column(Text))
    gradient_start_color: str = Field(
        default="#5bdbff",
        sa_column=Column(Text, nullable=False, server_default="#5bdbff"),
    )
    gradient_end_color: str = Field(
        default="#1c76fc",
        sa_column=Column(Text, nullable=False, server_default="#1c76fc"),
    )
    trace_retention_policy_id: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger,
            ForeignKey("project_trace_retention_policies.id", ondelete="SET NULL"),
            index=True,
        ),
    )
    """The project's retention policy; NULL: the default policy."""
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())
    updated_at: datetime | None = Field(default=None, sa_column=updated_at_column())
