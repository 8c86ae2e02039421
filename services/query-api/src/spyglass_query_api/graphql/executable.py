"""The executable schema: the SDL files under ``schema/`` bound to the resolvers.

``printed_schema()`` is the whole schema as one SDL document, the form exported to
``services/query-api/schema.graphql`` for the UI's generated TypeScript types.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from ariadne import load_schema_from_path, make_executable_schema
from graphql import GraphQLSchema, print_schema

from spyglass_query_api.graphql.resolvers import object_types
from spyglass_query_api.graphql.scalars import datetime_scalar, json_scalar

SCHEMA_DIRECTORY = Path(__file__).parent / "schema"


@cache
def executable_schema() -> GraphQLSchema:
    """The schema with its resolvers; camelCase fields and arguments map to snake_case."""
    return make_executable_schema(
        load_schema_from_path(SCHEMA_DIRECTORY),
        *object_types(),
        datetime_scalar,
        json_scalar,
        convert_names_case=True,
    )


def printed_schema() -> str:
    """The whole schema as SDL, ending with a newline."""
    return print_schema(executable_schema()) + "\n"
