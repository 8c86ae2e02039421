"""The project settings page in a real browser: the project's data volume beside its retention
policy, switching the project to another policy, and editing the policy it follows (with the
server's refusal of a bad schedule shown under the form).

Two agent runs go in over OTLP/HTTP through the gateway into a project of this module's own;
the policies are created through the REST API, as an operator's script would.
"""

from __future__ import annotations

import os
import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.support.otlp_traces import agent_trace, send_spans, wait_for_spans
from tests.support.platform import RunningPlatform


def unique(prefix: str) -> str:
    """A name no other test uses."""
    return f"{prefix}-{os.urandom(4).hex()}"


@pytest.fixture(scope="module")
def project(platform: RunningPlatform) -> str:
    """A project holding two agent runs, stored before any page opens."""
    name = unique("retention")
    runs = [agent_trace(question="Where is my order?"), agent_trace(question="Refund please")]
    send_spans(platform.base_url, name, [span for run in runs for span in run.spans])
    for run in runs:
        wait_for_spans(platform.base_url, run.trace_id, len(run.spans))
    return name


def create_policy(platform: RunningPlatform, name: str, rule: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(
        f"{platform.base_url}/v1/retention_policies",
        json={"name": name, "cron_expression": "0 * * * *", "rule": rule},
        timeout=10.0,
    )
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def test_the_page_shows_what_the_project_stores_and_the_default_policy(
    browser_page: Page, platform: RunningPlatform, project: str
) -> None:
    browser_page.goto(f"{platform.base_url}/projects/{project}/traces")
    browser_page.get_by_role("link", name="Settings").click()

    expect(browser_page).to_have_url(re.compile(f"/projects/{project}/config$"))
    expect(browser_page.get_by_test_id("trace-count")).to_have_text("2")
    spans = sum(len(agent_trace().spans) for _ in range(2))
    expect(browser_page.get_by_test_id("span-count")).to_have_text(str(spans))
    expect(browser_page.get_by_test_id("policy-summary")).to_contain_text(
        "Default: Keeps everything"
    )


def test_the_project_switches_policy_and_edits_it(
    browser_page: Page, platform: RunningPlatform, project: str
) -> None:
    policy = unique("fortnight")
    create_policy(platform, policy, {"max_days": 14})
    browser_page.goto(f"{platform.base_url}/projects/{project}/config")

    browser_page.get_by_label("Policy of this project").select_option(
        label=f"{policy} — Keeps 14 days of traces"
    )
    summary = browser_page.get_by_test_id("policy-summary")
    expect(summary).to_contain_text(f"{policy}: Keeps 14 days of traces")

    browser_page.get_by_label("Keep at most (newest traces)").fill("500")
    browser_page.get_by_role("button", name=f"Save “{policy}”").click()
    expect(summary).to_contain_text("Keeps 14 days of traces, or fewer: the newest 500 traces")

    browser_page.reload()
    expect(summary).to_contain_text("the newest 500 traces")


def test_a_bad_schedule_is_refused_with_the_field_named(
    browser_page: Page, platform: RunningPlatform, project: str
) -> None:
    browser_page.goto(f"{platform.base_url}/projects/{project}/config")
    summary = browser_page.get_by_test_id("policy-summary")
    expect(summary).to_be_visible()
    before = summary.inner_text()

    browser_page.get_by_label("Schedule (cron, UTC)").fill("every sunday")
    browser_page.get_by_role("button", name=re.compile("^Save")).click()

    expect(browser_page.get_by_role("alert")).to_contain_text("cronExpression")
    browser_page.reload()
    expect(summary).to_have_text(before)
