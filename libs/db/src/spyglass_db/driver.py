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

A :class:`BatchedStatement` writes the rows that many requests send at once with one statement
and one commit, each request answered with what its own row got.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from sqlalchemy import bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import BindParameter, TextClause
from sqlalchemy.types import TypeEngine

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


def typed_parameters(
    types: Mapping[str, TypeEngine[Any]], *, arrays: bool = False
) -> list[BindParameter[Any]]:
    """The bind parameters of a statement's values, each of its type (or, for the statement
    of a :class:`BatchedStatement` that takes a batch, an array of it)."""
    return [
        bindparam(name, type_=ARRAY(type_) if arrays else type_) for name, type_ in types.items()
    ]


BATCH_ROWS = 256
"""The most rows one batched statement writes."""


@dataclass
class _Waiting:
    values: Mapping[str, Any]
    key: tuple[Any, ...]
    answer: asyncio.Future[Any]


@dataclass
class _Queue:
    waiting: list[_Waiting] = field(default_factory=list)
    drain: asyncio.Task[None] | None = None


class BatchedStatement:
    """A one-row write that rows arriving together share: one statement and one commit.

    A running experiment posts its runs and evaluations many at a time, each a one-row
    ``INSERT ... RETURNING``. Each such statement cost PostgreSQL more than its row did (the
    statement's planning and the commit's WAL flush), and the query API a round trip. Here the
    rows of a pool go through one statement at a time: the rows posted while it runs wait and
    are written together by the next (up to :data:`BATCH_ROWS`). A row alone is written at once,
    as before; each request is answered once its own row is committed.

    ``many`` takes each of ``one``'s parameters as an array (one element a row, ``unnest``-ed)
    and returns the key columns of each row it wrote and, last, the value ``one`` returns. A
    row it did not write (refused by its ``WHERE`` or ``ON CONFLICT ... WHERE``) answers None,
    as ``one`` does. Two rows of the same key never share a statement (an ``ON CONFLICT DO
    UPDATE`` may not touch a row twice): the later waits for the next. Should the batch fail
    (a foreign key refusing one row, a deadlock), each of its rows is written alone, so that
    each request gets its own answer or error.
    """

    def __init__(
        self, one: DriverStatement, many: DriverStatement, key_names: tuple[str, ...]
    ) -> None:
        self._one = one
        self._many = many
        self._key_names = key_names
        self._queues: weakref.WeakKeyDictionary[LazyPool, _Queue] = weakref.WeakKeyDictionary()

    async def fetchval(self, pool: LazyPool, values: Mapping[str, Any]) -> Any:
        """What ``one`` returns for ``values`` (None if it wrote nothing)."""
        queue = self._queues.get(pool)
        if queue is None:
            queue = self._queues[pool] = _Queue()
        key = tuple(values[name] for name in self._key_names)
        waiting = _Waiting(values, key, asyncio.get_running_loop().create_future())
        waiting.answer.add_done_callback(_retrieve)
        queue.waiting.append(waiting)
        if queue.drain is None:
            queue.drain = asyncio.create_task(self._drain(pool, queue))
        # The row is written whatever becomes of this request (as a statement already sent
        # would be): a cancelled request must not cancel the writes of the others.
        return await asyncio.shield(waiting.answer)

    async def _drain(self, pool: LazyPool, queue: _Queue) -> None:
        """Write the waiting rows, a batch at a time, until none is left."""
        try:
            while queue.waiting:
                batch: list[_Waiting] = []
                later: list[_Waiting] = []
                keys: set[tuple[Any, ...]] = set()
                for waiting in queue.waiting:
                    if len(batch) < BATCH_ROWS and waiting.key not in keys:
                        batch.append(waiting)
                        keys.add(waiting.key)
                    else:
                        later.append(waiting)
                queue.waiting = later
                await self._write(pool, batch)
        finally:
            queue.drain = None

    async def _write(self, pool: LazyPool, batch: list[_Waiting]) -> None:
        if len(batch) > 1:
            arrays = {name: [waiting.values[name] for waiting in batch] for name in self._one.names}
            try:
                async with (await pool.opened()).acquire() as connection:
                    rows = await connection.fetch(
                        self._many.sql, *(arrays[name] for name in self._many.names)
                    )
            except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
                pass  # each row alone, below, gets its own answer or error
            else:
                written = {tuple(row[:-1]): row[-1] for row in rows}
                for waiting in batch:
                    if not waiting.answer.done():
                        waiting.answer.set_result(written.get(waiting.key))
                return
        for waiting in batch:
            try:
                value = await self._one.fetchval(pool, waiting.values)
            except Exception as error:  # the request that sent the row answers it
                if not waiting.answer.done():
                    waiting.answer.set_exception(error)
            else:
                if not waiting.answer.done():
                    waiting.answer.set_result(value)


def _retrieve(answer: asyncio.Future[Any]) -> None:
    """Mark an error as seen: the request that would have read it may have been cancelled."""
    if not answer.cancelled():
        answer.exception()
