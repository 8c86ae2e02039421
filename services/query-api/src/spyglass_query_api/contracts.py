"""The query API's published contracts, exported to files that CI keeps in step with the code.

``services/query-api/schema.graphql`` (the GraphQL schema the UI generates its TypeScript types
from) and ``services/query-api/openapi.json`` (the REST API, as ``/openapi.json`` serves it)::

    python -m spyglass_query_api.contracts services/query-api           # write both
    python -m spyglass_query_api.contracts --check services/query-api   # exit 1 on drift

``make contracts`` and ``make contracts-check`` (part of ``make check``) run these.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import orjson

from spyglass_core.settings import DbSettings
from spyglass_db import create_engine, create_session_maker
from spyglass_query_api.app import QueryApiResources, create_app
from spyglass_query_api.graphql import printed_schema
from spyglass_query_api.rest.openapi_errors import served_openapi_document
from spyglass_query_api.settings import QueryApiSettings


def openapi_document() -> str:
    """The OpenAPI document of the REST API, as ``GET /openapi.json`` answers it (sorted keys)."""
    # The engine never connects: building the app and its schema runs no query.
    settings = QueryApiSettings(db=DbSettings(url="postgresql://nobody@127.0.0.1:1/none"))
    engine = create_engine(settings.db)
    app = create_app(settings, QueryApiResources(engine, create_session_maker(engine)))
    document = served_openapi_document(app)
    options = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE
    return orjson.dumps(document, option=options).decode()


CONTRACTS: dict[str, Callable[[], str]] = {
    "schema.graphql": printed_schema,
    "openapi.json": openapi_document,
}
"""Each exported file, by name, and what produces its content."""


def main(argv: list[str] | None = None) -> int:
    """Write or check the exported files; the exit status says whether they are current."""
    parser = argparse.ArgumentParser(prog="python -m spyglass_query_api.contracts")
    parser.add_argument("directory", type=Path, help="where the exported files live")
    parser.add_argument("--check", action="store_true", help="fail if a file is out of date")
    options = parser.parse_args(argv)
    stale = []
    for name, produce in CONTRACTS.items():
        path = options.directory / name
        content = produce()
        if not options.check:
            path.write_text(content)
        elif not path.exists() or path.read_text() != content:
            stale.append(str(path))
    for path in stale:
        print(f"{path} is out of date: run `make contracts`", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
