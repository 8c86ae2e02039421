"""The projects, sessions and metrics pages, in a real browser, over traces sent through OTLP.

One conversation of two turns (two agent traces sharing a ``session.id``) is sent into a project
of its own; each test then reads it back the way a user would: as a project card, a row of the
sessions table, a conversation of chat bubbles, and charts over time.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.support.otlp_traces import SentTrace, agent_trace, send_spans, wait_for_spans
from tests.support.platform import RunningPlatform
from tests.support.waiting import assert_eventually

CHART_TITLES = ("Traces", "Latency", "Errors", "Tokens", "Cost")


@dataclass(frozen=True)
class Conversation:
    """A project holding one session of two turns, as sent."""

    project: str
    session_id: str
    turns: tuple[SentTrace, SentTrace]


def unique(prefix: str) -> str:
    """A name no other test uses."""
    return f"{prefix}-{os.urandom(4).hex()}"


def graphql(base_url: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    """The ``data`` of one GraphQL request through the gateway."""
    response = httpx.post(
        f"{base_url}/graphql", json={"query": query, "variables": variables}, timeout=10.0
    )
    body = response.json()
    assert not body.get("errors"), body
    data: dict[str, Any] = body["data"]
    return data


@pytest.fixture(scope="module")
def conversation(platform: RunningPlatform) -> Conversation:
    """Two turns of one session in a new project, stored and summed up before any page opens
    (the writer and the session figures are asynchronous; the pages poll, the tests need not)."""
    project = unique("ua-chat")
    session_id = unique("session")
    turns = (
        agent_trace(
            question="Where is my order 1234?",
            answer="Your order 1234 ships tomorrow.",
            session_id=session_id,
        ),
        agent_trace(
            question="Can I still change the address?",
            answer="Yes, until it ships you can change it under My orders.",
            session_id=session_id,
            fail_tool=True,
        ),
    )
    for turn in turns:
        send_spans(platform.base_url, project, turn.spans)
    for turn in turns:
        wait_for_spans(platform.base_url, turn.trace_id, len(turn.spans))

    def summed_up() -> None:
        data = graphql(
            platform.base_url,
            "query($name: String!, $session: ID!) {"
            " project(name: $name) { stats { traceCount } }"
            " session(sessionId: $session) { traceCount turns { output { value } } } }",
            {"name": project, "session": session_id},
        )
        assert data["project"]["stats"]["traceCount"] == len(turns), data
        session = data["session"]
        assert session is not None and session["traceCount"] == len(turns), data
        assert all(turn["output"] for turn in session["turns"]), data

    assert_eventually(summed_up, timeout=30.0, interval=0.25)
    return Conversation(project, session_id, turns)


def test_the_projects_page_shows_the_project_card_with_its_trace_count(
    platform: RunningPlatform, conversation: Conversation, browser_page: Page
) -> None:
    browser_page.goto(platform.base_url)
    browser_page.get_by_label("Filter projects by name").fill(conversation.project)

    card = browser_page.get_by_test_id("project-card").filter(has_text=conversation.project)
    expect(card).to_have_count(1)
    expect(card.get_by_test_id("project-traces").locator("dd")).to_have_text("2")
    # One of the two traces failed in its tool.
    expect(card.get_by_test_id("project-error-rate").locator("dd")).to_have_text("50%")
    expect(card.get_by_test_id("project-tokens").locator("dd")).to_have_text("300")

    card.click()
    expect(browser_page).to_have_url(
        re.compile(rf"/projects/{re.escape(conversation.project)}/traces")
    )


def test_a_name_filter_that_matches_nothing_says_so(
    platform: RunningPlatform, conversation: Conversation, browser_page: Page
) -> None:
    browser_page.goto(f"{platform.base_url}/?name={conversation.project}-nothing")

    expect(browser_page.get_by_test_id("empty-state")).to_contain_text(
        f"No project name contains “{conversation.project}-nothing”"
    )
    expect(browser_page.get_by_test_id("project-card")).to_have_count(0)


def test_the_sessions_page_lists_the_session_and_opens_its_conversation(
    platform: RunningPlatform, conversation: Conversation, browser_page: Page
) -> None:
    browser_page.goto(f"{platform.base_url}/projects/{conversation.project}/sessions")

    row = browser_page.get_by_test_id("session-row").filter(has_text=conversation.session_id)
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("session-trace-count")).to_have_text("2")

    row.get_by_test_id("session-trace-count").click()
    expect(browser_page).to_have_url(
        re.compile(rf"/sessions/{re.escape(conversation.session_id)}$")
    )
    expect(browser_page.get_by_test_id("session-id")).to_have_text(conversation.session_id)
    turns = browser_page.get_by_test_id("session-turn")
    expect(turns).to_have_count(2)
    for index, sent in enumerate(conversation.turns):
        turn = turns.nth(index)
        expect(turn.get_by_test_id("turn-input")).to_contain_text(sent.question)
        expect(turn.get_by_test_id("turn-output")).to_contain_text(sent.answer)

    turns.first.get_by_test_id("turn-trace-link").click()
    expect(browser_page).to_have_url(re.compile(rf"/traces/{conversation.turns[0].trace_id}$"))


def test_a_missing_session_says_so(
    platform: RunningPlatform, conversation: Conversation, browser_page: Page
) -> None:
    browser_page.goto(
        f"{platform.base_url}/projects/{conversation.project}/sessions/no-such-session"
    )

    expect(browser_page.get_by_test_id("empty-state")).to_contain_text(
        "No session with id no-such-session"
    )


def test_the_metrics_page_charts_the_project_over_time(
    platform: RunningPlatform, conversation: Conversation, browser_page: Page
) -> None:
    browser_page.goto(f"{platform.base_url}/projects/{conversation.project}/metrics")

    for title in CHART_TITLES:
        chart = browser_page.get_by_role("region", name=title, exact=True)
        expect(chart.get_by_role("heading", name=title, exact=True)).to_be_visible()
        expect(chart.locator("svg.recharts-surface").first).to_be_visible()
    expect(browser_page.get_by_test_id("chart-traces-summary")).to_have_text("2 traces")
    expect(browser_page.get_by_test_id("chart-errors-summary")).to_have_text("1 error (50%)")
    # The two traces are drawn: the volume chart has a bar, the latency chart a line.
    traces_chart = browser_page.get_by_test_id("chart-traces")
    expect(traces_chart.locator(".recharts-bar-rectangle path").first).to_be_visible()

    browser_page.get_by_label("Time range").select_option("all")
    expect(browser_page).to_have_url(re.compile(r"range=all"))
    expect(browser_page.get_by_test_id("chart-traces-summary")).to_have_text("2 traces")


@pytest.mark.parametrize("page_name", ["sessions", "metrics"])
def test_a_missing_project_says_so(
    platform: RunningPlatform, browser_page: Page, page_name: str
) -> None:
    project = unique("ua-missing")
    browser_page.goto(f"{platform.base_url}/projects/{project}/{page_name}")

    expect(browser_page.get_by_test_id("empty-state")).to_contain_text(
        f"No project named {project}"
    )
