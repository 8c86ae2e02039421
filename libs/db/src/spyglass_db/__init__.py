"""The Spyglass PostgreSQL schema: models, engine helpers, migrations (``spyglass_db.migrate``)."""

from spyglass_db.engine import (
    check_database,
    create_engine,
    create_session_maker,
    database_readiness,
)
from spyglass_db.models import metadata

__all__ = [
    "check_database",
    "create_engine",
    "create_session_maker",
    "database_readiness",
    "metadata",
]
