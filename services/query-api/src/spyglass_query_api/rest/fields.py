"""Request fields that name things: project, annotation and annotation config names, and
annotation identifiers, limited to :data:`~spyglass_core.storable.MAX_NAME_LENGTH` characters.

They are unique keys: PostgreSQL can't index a longer one (a 10,000-character name would be a
500 at the insert), and a name that long is a mistake. The refusal is a 422 naming the field:
"`name` must be at most 256 characters, got 10000".
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, ValidationInfo

from spyglass_core.storable import MAX_NAME_LENGTH


def _storable_name(value: str, info: ValidationInfo) -> str:
    if len(value) > MAX_NAME_LENGTH:
        field = info.field_name or "name"
        raise ValueError(
            f"`{field}` must be at most {MAX_NAME_LENGTH} characters, got {len(value)}"
        )
    return value


Name = Annotated[str, Field(min_length=1), AfterValidator(_storable_name)]
"""A non-empty name of at most ``MAX_NAME_LENGTH`` characters."""

Identifier = Annotated[str, AfterValidator(_storable_name)]
"""An identifier (empty allowed) of at most ``MAX_NAME_LENGTH`` characters."""
