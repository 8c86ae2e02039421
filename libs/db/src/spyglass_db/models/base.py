"""The metadata every Spyglass table hangs off, and the column helpers the models share."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, Identity, MetaData, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TIMESTAMP
from sqlmodel import SQLModel

# Alembic compares constraints by name; a fixed convention keeps names identical everywhere.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLModel.metadata = MetaData(naming_convention=NAMING_CONVENTION)
metadata = SQLModel.metadata
"""The one ``MetaData`` of the schema; Alembic autogenerates against it."""

TIMESTAMPTZ = TIMESTAMP(timezone=True)


def id_column() -> Any:
    """An identity primary key."""
    return Column("id", BigInteger, Identity(always=False), primary_key=True)


def created_at_column() -> Any:
    """A ``created_at`` column the database fills in."""
    return Column("created_at", TIMESTAMPTZ, nullable=False, server_default=func.now())


def updated_at_column() -> Any:
    """An ``updated_at`` column the database fills in and the ORM bumps on update."""
    return Column(
        "updated_at", TIMESTAMPTZ, nullable=False, server_default=func.now(), onupdate=func.now()
    )


def jsonb_column(name: str, empty: str) -> Any:
    """A non-null JSONB column whose default is the empty object or array (``{}``/``[]``)."""
    return Column(name, JSONB, nullable=False, server_default=text(f"'{empty}'::jsonb"))
