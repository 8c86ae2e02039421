"""Root conftest: every test in the workspace shares the stack, database and process fixtures."""

from __future__ import annotations

from collections.abc import Generator

import pytest

pytest_plugins = [
    "tests.support.stack",
    "tests.support.processes",
    "tests.support.ingest",
    "tests.support.platform",
    "tests.support.browser",
    "tests.support.fake_provider_fixtures",
]


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None]:
    """Keep each phase's report on the item, so fixtures can tell whether the test failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
