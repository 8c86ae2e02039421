"""GraphQL for the UI (ariadne, schema-first): ``schema/*.graphql`` bound to ``resolvers/``.

``graphql_handlers()`` serves it at ``/graphql``; ``python -m spyglass_query_api.graphql``
prints (or, with ``--check``, compares) the exported schema file.
"""

from __future__ import annotations

from spyglass_query_api.graphql.endpoint import GRAPHQL_PATH, graphql_handlers
from spyglass_query_api.graphql.executable import executable_schema, printed_schema

__all__ = ["GRAPHQL_PATH", "executable_schema", "graphql_handlers", "printed_schema"]
