"""The UI opens in a real browser from the gateway of a running platform, deep links included.

The platform is the one ``make run`` starts (tests/support/platform.py); the UI is the real
build of services/gateway/ui, made once for the session before the platform starts.
"""

from __future__ import annotations

from playwright.sync_api import Page, Response, expect

from tests.support.platform import RunningPlatform


def test_the_gateway_serves_the_app(
    platform: RunningPlatform, browser_page: Page, console_errors: list[str]
) -> None:
    scripts: list[Response] = []
    browser_page.on(
        "response", lambda answer: scripts.append(answer) if answer.url.endswith(".js") else None
    )

    response = browser_page.goto(platform.base_url)

    assert response is not None and response.status == 200
    expect(browser_page).to_have_title("Spyglass")
    expect(browser_page.get_by_test_id("app-header")).to_be_visible()
    assert not [error for error in console_errors if error.startswith("uncaught:")]
    # The app's main script (370 KB) came compressed, in the build's own gzip or brotli form,
    # and ran. (Files under 1 KB are not compressed.)
    main = [script for script in scripts if script.url.rsplit("/", 1)[-1].startswith("index-")]
    assert len(main) == 1
    assert main[0].headers.get("content-encoding") in {"gzip", "br"}


def test_a_deep_link_opens_the_app_on_a_fresh_load(
    platform: RunningPlatform, browser_page: Page
) -> None:
    response = browser_page.goto(f"{platform.base_url}/projects/nope")

    assert response is not None and response.status == 200
    expect(browser_page).to_have_title("Spyglass")
    expect(browser_page.get_by_test_id("app-header")).to_be_visible()
    # The app's router took the path (it may go on to the project's default page).
    assert "/projects/nope" in browser_page.url
