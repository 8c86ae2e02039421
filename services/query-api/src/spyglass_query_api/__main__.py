"""`spyglass-query-api`: Phoenix-compatible REST and GraphQL over the Spyglass database."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NoReturn

from spyglass_core.cli import service_main
from spyglass_core.http import HttpServerService
from spyglass_core.lifecycle import BackgroundService, ResourceService
from spyglass_db import check_database, create_engine, create_session_maker
from spyglass_query_api.app import QueryApiResources, create_app
from spyglass_query_api.settings import QueryApiSettings


async def build_services(settings: QueryApiSettings) -> Sequence[BackgroundService]:
    """Connect to PostgreSQL (failing fast if it is unreachable) and build the HTTP server."""
    engine = create_engine(settings.db)
    await check_database(engine, settings.db)
    resources = QueryApiResources(engine=engine, session_maker=create_session_maker(engine))
    app = create_app(settings, resources)
    return [
        ResourceService("database", engine.dispose),
        HttpServerService("http", app, settings.server, settings.shutdown_timeout_seconds / 2),
    ]


def main(argv: list[str] | None = None) -> NoReturn:
    """Serve REST and GraphQL until SIGTERM."""
    service_main(
        "spyglass-query-api",
        "query-api",
        "Spyglass query API: Phoenix-compatible REST and GraphQL.",
        QueryApiSettings,
        build_services,
        argv,
    )


if __name__ == "__main__":
    main()
