"""Phoenix's own client against a query API with auth on: its `api_key` (as Phoenix users set
PHOENIX_API_KEY) is the bearer key our door takes; without one it is refused."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest
from phoenix.client import Client

from tests.support.auth_callers import user_key
from tests.support.processes import QueryApiProcess

SECRET = "a-phoenix-client-secret-long-enough-0123456789"


async def test_phoenix_clients_api_key_opens_the_door(
    start_query_api: Callable[..., Awaitable[QueryApiProcess]], database_url: str
) -> None:
    api = await start_query_api(SPYGLASS_ENABLE_AUTH="true", SPYGLASS_SECRET=SECRET)
    (_, member), (_, viewer) = (
        await user_key(database_url, "MEMBER", SECRET),
        await user_key(database_url, "VIEWER", SECRET),
    )

    as_member = Client(base_url=api.base_url, api_key=member)
    made = as_member.projects.create(name="from-the-client")
    assert made["name"] == "from-the-client"
    assert "from-the-client" in {project["name"] for project in as_member.projects.list()}

    as_viewer = Client(base_url=api.base_url, api_key=viewer)
    assert "from-the-client" in {project["name"] for project in as_viewer.projects.list()}
    with pytest.raises(httpx.HTTPStatusError) as refused:
        as_viewer.projects.create(name="from-a-viewer")
    assert refused.value.response.status_code == 403

    with pytest.raises(httpx.HTTPStatusError) as anonymous:
        Client(base_url=api.base_url).projects.list()
    assert anonymous.value.response.status_code == 401
