"""A statement run on asyncpg directly, for the few small writes a client makes by the thousand.

A running experiment posts a run and then an evaluation per evaluator for every example: one
small ``INSERT ... RETURNING`` each, thousands a second. Through SQLAlchemy's ``execute`` such a
statement cost about twice what the database work did (parameter processing, the result
wrapper, the greenlet bridge); asyncpg's own ``fetchval`` on the same pooled connection costs
what the statement costs. The statement stays a SQLAlchemy ``text()`` with typed bind
parameters (one definition, readable like the others), compiled once to asyncpg's ``$n`` form.

Each runs on a connection of the ``statements`` pool (:class:`spyglass_db.pool.LazyPool`)
outside any transaction, so it commits by itself with no ``BEGIN`` / ``COMMIT`` round trips
around it. JSON parameters are passed as JSON text. A connection lost meanwhile is closed, so
the pool opens another, and its error answers 503; a constraint's refusal is raised as
SQLAlchemy's ``IntegrityError``, as SQLAlchemy raises it for its own statements.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import TextClause

from spyglass_db.pool import LazyPool

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

    async def fetchval(self, pool: LazyPool, values: Mapping[str, Any]) -> Any:
        """The first column of the first row the statement returns (None if none)."""
        async with (await pool.opened()).acquire() as connection:
            with _as_sqlalchemy_raises(self.sql):
                return await connection.fetchval(self.sql, *(values[name] for name in self.names))

    async def fetchrow(self, pool: LazyPool, values: Mapping[str, Any]) -> asyncpg.Record | None:
        """The first row the statement returns (None if none)."""
        async with (await pool.opened()).acquire() as connection:
            with _as_sqlalchemy_raises(self.sql):
                row: asyncpg.Record | None = await connection.fetchrow(
                    self.sql, *(values[name] for name in self.names)
                )
                return row


@contextmanager
def _as_sqlalchemy_raises(sql: str) -> Iterator[None]:
    try:
        yield
    except asyncpg.IntegrityConstraintViolationError as error:
        # As SQLAlchemy raises it for its own statements, so that callers catch one type (a run
        # or evaluation whose experiment was deleted meanwhile: a foreign key refuses it).
        raise IntegrityError(sql, None, error) from error
