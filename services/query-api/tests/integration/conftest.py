"""The query API in-process over HTTP (httpx's ASGI transport), on a real database of its own.

The app runs on the test's event loop, so the engine it uses is the one the fixture disposes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from spyglass_core.settings import DbSettings
from spyglass_db import create_engine, create_session_maker
from spyglass_query_api.app import QueryApiResources, create_app
from spyglass_query_api.settings import QueryApiSettings


@pytest.fixture
async def api(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of a query API serving this test's own database."""
    settings = QueryApiSettings(db=DbSettings(url=database_url))
    engine = create_engine(settings.db)
    app = create_app(settings, QueryApiResources(engine, create_session_maker(engine)))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://query-api") as client:
        yield client
    await engine.dispose()
