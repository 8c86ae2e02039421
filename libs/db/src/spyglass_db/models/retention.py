"""Trace retention policies: how long, or how many, traces a project keeps (Phoenix semantics).

A policy has a ``rule`` (JSON, Phoenix's shape: ``{"type": "max_days", "max_days": 30}``,
``{"type": "max_count", "max_count": 1000}`` or ``{"type": "max_days_or_count", ...}``) and a
cron schedule on which it is applied. Projects point at one (``trace_retention_policy_id``,
``SET NULL`` when the policy goes); a project that points at none follows the default policy,
the row with id ``DEFAULT_RETENTION_POLICY_ID``, which can be edited but not deleted.

``last_run_at`` is ours, not Phoenix's: it is what lets any number of sweepers share the
schedule (a sweeper claims a due policy by moving it forward under ``FOR UPDATE SKIP LOCKED``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Identity, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from spyglass_db.models.base import TIMESTAMPTZ, created_at_column, updated_at_column

DEFAULT_RETENTION_POLICY_ID = 0
"""The default policy's id (as in Phoenix): projects without a policy of their own follow it."""

DEFAULT_RETENTION_POLICY_NAME = "Default"
DEFAULT_RETENTION_CRON = "0 0 * * 0"
"""Phoenix's default schedule: Sundays at midnight UTC."""


class TraceRetentionPolicy(SQLModel, table=True):
    """A named retention rule with the cron schedule it is applied on."""

    __tablename__ = "project_trace_retention_policies"

    id: int | None = Field(
        default=None,
        sa_column=Column("id", BigInteger, Identity(always=False, start=1), primary_key=True),
    )
    name: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    cron_expression: str = Field(sa_column=Column(Text, nullable=False))
    rule: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    last_run_at: datetime | None = Field(default=None, sa_column=Column(TIMESTAMPTZ))
    """When a sweeper last claimed this policy's run; NULL: never run."""
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())
    updated_at: datetime | None = Field(default=None, sa_column=updated_at_column())
