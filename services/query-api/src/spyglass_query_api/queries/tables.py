"""The ``libs/db`` tables as SQLAlchemy Core ``Table`` objects, typed for the statements here.

SQLModel declares ``__table__`` loosely; naming each table once here keeps the statements of
the other modules typed and short (``SPANS.c.start_time``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Table, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.elements import BindParameter

from spyglass_db.models import Experiment, Project, ProjectSession, Span, Trace, metadata


def _table(model: type[Any]) -> Table:
    return metadata.tables[model.__tablename__]


PROJECTS = _table(Project)
EXPERIMENTS = _table(Experiment)
PROJECT_SESSIONS = _table(ProjectSession)
TRACES = _table(Trace)
SPANS = _table(Span)

ROWIDS: ARRAY[Any] = ARRAY(BigInteger)
"""The type of a list of row ids bound as one array parameter (``= ANY(:ids)``): one statement
whatever the list's length, where an expanding ``IN`` would render one per length."""


def rowids(name: str) -> BindParameter[Any]:
    """A bind parameter holding a list of row ids, for ``column == any_(rowids("ids"))``."""
    return bindparam(name, type_=ROWIDS)
