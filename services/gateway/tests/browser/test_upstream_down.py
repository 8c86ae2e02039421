"""With the query API down, the UI says so in a banner instead of showing blank or empty pages.

A gateway of its own is started with the real UI build and a query API address where nothing
listens, so every GraphQL request the pages send gets the gateway's 502 with its message.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from spyglass_launcher.ports import free_port
from tests.support.processes import SpawnService, start_gateway


@pytest.fixture
def gateway_without_query_api(spawn_service: SpawnService, built_ui: Path) -> str:
    return start_gateway(
        spawn_service,
        SPYGLASS_GATEWAY_QUERY_API_URL=f"http://127.0.0.1:{free_port()}",
        SPYGLASS_GATEWAY_UI_DIRECTORY=str(built_ui),
    )


@pytest.mark.parametrize(
    "path", ["/", "/projects/shop/traces", "/traces/0123456789abcdef0123456789abcdef"]
)
def test_a_down_query_api_shows_a_banner_not_a_blank_page(
    gateway_without_query_api: str, browser_page: Page, path: str
) -> None:
    browser_page.goto(f"{gateway_without_query_api}{path}")

    banner = browser_page.get_by_test_id("upstream-banner")
    expect(banner).to_be_visible(timeout=20_000)
    expect(banner).to_contain_text("query API service is unreachable")
    expect(browser_page.get_by_test_id("app-header")).to_be_visible()
