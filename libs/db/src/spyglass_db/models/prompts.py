"""Prompts, their versions and tags (Phoenix's tables), and provider secrets.

A prompt is a name (an identifier, unique) with versions; a version is immutable once written:
its template (chat messages or one string), how variables are filled in (mustache, f-string or
not at all), the model it was made for (provider and name), the invocation parameters of that
provider, tools and response format. "Latest" is the newest version. A tag names one version of
its prompt (``production``, ``staging``): setting it again moves it; a prompt's tag names are
unique, and the composite foreign key makes a tag point only at a version of its own prompt.

``secrets`` holds provider credentials (``OPENAI_API_KEY``...) encrypted with the deployment's
key (Fernet: AES-128-CBC with an HMAC); the plaintext is never stored, returned or logged.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    LargeBinary,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from spyglass_db.models.base import (
    created_at_column,
    id_column,
    jsonb_column,
    updated_at_column,
)

IDENTIFIER_PATTERN = r"^[a-z0-9]([_a-z0-9-]*[a-z0-9])?$"
"""Prompt and tag names, as Phoenix's ``Identifier``: lower case, digits, ``_`` and ``-``."""

TEMPLATE_TYPES = ("CHAT", "STR")
TEMPLATE_FORMATS = ("MUSTACHE", "F_STRING", "NONE")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    listed = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({listed})"


class Prompt(SQLModel, table=True):
    """A named prompt; its content lives in its versions."""

    __tablename__ = "prompts"
    __table_args__ = (CheckConstraint(f"name ~ '{IDENTIFIER_PATTERN}'", name="identifier_name"),)

    id: int | None = Field(default=None, sa_column=id_column())
    name: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    description: str | None = Field(default=None, sa_column=Column(Text))
    metadata_: dict[str, Any] = Field(
        default_factory=dict, sa_column=jsonb_column("metadata", "{}")
    )
    source_prompt_id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger, ForeignKey("prompts.id", ondelete="SET NULL")),
    )
    """The prompt this one was cloned from, if any."""
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())
    updated_at: datetime | None = Field(default=None, sa_column=updated_at_column())


class PromptVersion(SQLModel, table=True):
    """One immutable version of a prompt."""

    __tablename__ = "prompt_versions"
    __table_args__ = (
        CheckConstraint(_one_of("template_type", TEMPLATE_TYPES), name="template_type"),
        CheckConstraint(_one_of("template_format", TEMPLATE_FORMATS), name="template_format"),
        # A prompt's versions newest first (latest, the versions list), and the cascade.
        Index("ix_prompt_versions_prompt_id_id", "prompt_id", "id"),
        # The target of prompt_version_tags' composite key: a tag's version is its prompt's.
        UniqueConstraint("id", "prompt_id"),
    )

    id: int | None = Field(default=None, sa_column=id_column())
    prompt_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("prompts.id", ondelete="CASCADE"), nullable=False)
    )
    description: str | None = Field(default=None, sa_column=Column(Text))
    template_type: str = Field(sa_column=Column(Text, nullable=False))
    template_format: str = Field(sa_column=Column(Text, nullable=False))
    template: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    invocation_parameters: dict[str, Any] = Field(
        default_factory=dict, sa_column=jsonb_column("invocation_parameters", "{}")
    )
    tools: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB))
    response_format: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB))
    model_provider: str = Field(sa_column=Column(Text, nullable=False))
    model_name: str = Field(sa_column=Column(Text, nullable=False))
    metadata_: dict[str, Any] = Field(
        default_factory=dict, sa_column=jsonb_column("metadata", "{}")
    )
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())


class PromptVersionTag(SQLModel, table=True):
    """A name for one version of a prompt, unique in the prompt; setting it again moves it."""

    __tablename__ = "prompt_version_tags"
    __table_args__ = (
        UniqueConstraint("prompt_id", "name"),
        CheckConstraint(f"name ~ '{IDENTIFIER_PATTERN}'", name="identifier_name"),
        ForeignKeyConstraint(
            ["prompt_version_id", "prompt_id"],
            ["prompt_versions.id", "prompt_versions.prompt_id"],
            ondelete="CASCADE",
        ),
        # A version's tags (its tag list) and the cascade from versions.
        Index("ix_prompt_version_tags_prompt_version_id", "prompt_version_id"),
    )

    id: int | None = Field(default=None, sa_column=id_column())
    name: str = Field(sa_column=Column(Text, nullable=False))
    description: str | None = Field(default=None, sa_column=Column(Text))
    prompt_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("prompts.id", ondelete="CASCADE"), nullable=False)
    )
    prompt_version_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())
    updated_at: datetime | None = Field(default=None, sa_column=updated_at_column())


class Secret(SQLModel, table=True):
    """A provider credential or other secret, encrypted with the deployment's key."""

    __tablename__ = "secrets"

    key: str = Field(sa_column=Column(Text, primary_key=True))
    value: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    """The Fernet token of the value (never the value)."""
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())
    updated_at: datetime | None = Field(default=None, sa_column=updated_at_column())
