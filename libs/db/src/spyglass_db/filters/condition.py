"""What compiling a filter produces: SQL text and the values it binds."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SqlCondition:
    """A boolean SQL expression and its bind parameters (names unique to this condition)."""

    sql: str
    parameters: dict[str, object] = field(default_factory=dict)
