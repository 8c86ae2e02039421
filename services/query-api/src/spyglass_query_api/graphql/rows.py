"""Names ``resolvers/retention.py`` reads the project row with (the other resolvers call the
query layer, ``../queries/``, and hold no SQL).

Everything here is defined in ``queries/projects.py``; new code imports it from there.
"""

from __future__ import annotations

from spyglass_query_api.queries.projects import PROJECT_COLUMNS_SQL as PROJECT_COLUMNS
from spyglass_query_api.queries.projects import ProjectNode

__all__ = ["PROJECT_COLUMNS", "ProjectNode"]
