"""A statement run on asyncpg directly, for the few small writes a client makes by the thousand.

A running experiment posts a run and then an evaluation per evaluator for every example: one
small ``INSERT ... RETURNING`` each, thousands a second. Through SQLAlchemy's ``execute`` such a
statement cost about twice what the database work did (parameter processing, the result
wrapper, the greenlet bridge); asyncpg's own ``fetchval`` on the same pooled connection costs
what the statement costs. The statement stays a SQLAlchemy ``text()`` with typed bind
parameters (one definition, readable like the others), compiled once to asyncpg's ``$n`` form.

Run on a connection that has not begun a transaction (the ``statement`` dependency), each
statement commits by itself. JSON parameters are passed as JSON text. A connection lost
meanwhile is invalidated, so the pool replaces it, and a constraint's refusal is raised as
SQLAlchemy's ``IntegrityError`` (SQLAlchemy does both for its own statements).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import TextClause

_DIALECT: Dialect = asyncpg_dialect()  # type: ignore[no-untyped-call]


@dataclass(frozen=True)
class DriverStatement:
    """A ``text()`` statement in asyncpg's form, with the order of its parameters."""

    sql: str
    names: tuple[str, ...]

    @classmethod
    def of(cls, clause: TextClause) -> DriverStatement:
        compiled = clause.compile(dialect=_DIALECT)
        return cls(str(compiled), tuple(compiled.positiontup or ()))

    async def fetchval(self, connection: AsyncConnection, values: Mapping[str, Any]) -> Any:
        """The first column of the first row the statement returns (None if none)."""
        raw = await connection.get_raw_connection()
        driver: Any = raw.driver_connection
        try:
            return await driver.fetchval(self.sql, *(values[name] for name in self.names))
        except asyncpg.IntegrityConstraintViolationError as error:
            # As SQLAlchemy raises it for its own statements, so that callers catch one type (a
            # run or evaluation whose experiment was deleted meanwhile: a foreign key refuses it).
            raise IntegrityError(self.sql, None, error) from error
        except (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError):
            # Lost under SQLAlchemy's feet: drop the connection rather than pool it again (the
            # error itself answers 503).
            await connection.invalidate()
            raise
