"""A real browser for the UI's tests: Debian's chromium, headless, driven by Playwright.

Playwright never downloads a browser here: the tests launch the ``chromium`` on PATH
(``scripts/ensure-chromium.sh`` installs it; ``make test`` runs that script). One browser
serves a test module; each test gets a fresh context and page (``browser_page``), so cookies
and storage never leak between tests.

When a test fails, its page is saved as a full-page screenshot in
``test-artifacts/screenshots/<test id>.png``, and the browser's console errors are printed in
its report. A test that cares about console errors asks for ``console_errors``.

Playwright's sync API runs its event loop in the test's own thread for as long as it is
started, so ``asyncio.run`` fails there meanwhile: the browser is module-scoped, and stopped
before the next module (whose tests may use ``asyncio.run``) begins. These fixtures are for sync
tests (pytest-asyncio leaves those outside any loop).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Error, Page, sync_playwright

from spyglass_launcher.ui import UiBuildError, UiProject, ensure_ui_built

REPOSITORY = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPOSITORY / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
def built_ui() -> Path:
    """The gateway's UI, built once for the session if it is missing or stale.

    Browser tests depend on it through ``browser``; being session-scoped, it is set up before
    any module's ``platform``, so the launcher finds the build fresh and starts at once.
    """
    project = UiProject.default()
    try:
        ensure_ui_built(project)
    except UiBuildError as error:
        pytest.fail(f"the UI did not build, so no browser test can run:\n{error.message}")
    return project.dist


@pytest.fixture(scope="module")
def browser(built_ui: Path) -> Iterator[Browser]:
    """Headless chromium from the machine's packages, for one test module."""
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail(
            "the browser tests need Debian's chromium on PATH: run scripts/ensure-chromium.sh "
            "(as root), or `apt-get install chromium`"
        )
    # Belt and braces: nothing in the session may fetch a browser build of Playwright's own.
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable,
            headless=True,
            # /dev/shm is tiny in containers and CI sandboxes; chromium's tabs crash without this.
            args=["--disable-dev-shm-usage"],
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def console_errors() -> list[str]:
    """The console errors and uncaught exceptions of this test's page, as they happen."""
    return []


@pytest.fixture
def browser_page(
    browser: Browser, console_errors: list[str], request: pytest.FixtureRequest
) -> Iterator[Page]:
    """A new page in a context of its own; screenshotted when the test fails."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            console_errors.append(f"console: {message.text} ({message.location.get('url')})")

    def on_page_error(error: Error) -> None:
        console_errors.append(f"uncaught: {error.message}")

    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    try:
        yield page
    finally:
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            _save_screenshot(page, request.node.nodeid)
            if console_errors:
                print("browser console errors:\n" + "\n".join(console_errors))
        context.close()


def _save_screenshot(page: Page, test_id: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{screenshot_name(test_id)}.png"
    try:
        page.screenshot(path=str(path), full_page=True)
    except Error as error:
        print(f"no screenshot of the failed test ({error.message})")
        return
    print(f"screenshot of the failed test: {path}")


def screenshot_name(test_id: str) -> str:
    """A file name for a test id.

    ``tests/x/test_y.py::test_z[a/b]`` becomes ``tests.x.test_y.py--test_z-a-b``.
    """
    name = test_id.replace("::", "--").replace("/", ".")
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-")
