"""The projects, sessions and metrics pages, in a real browser, over traces sent through OTLP.

One conversation of two turns (two agent traces sharing a ``session.id``) is sent into a project
of its own; each test then reads it back the way a user would: as a project card, a row of the
sessions table, a conversation of chat bubbles, and charts over time. The sessions pages are live
lists like the traces table: tests that send while a page is open, or page through more sessions
than a page holds, use projects of their own.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.support.otlp_traces import SentTrace, agent_trace, send_spans, wait_for_spans
from tests.support.platform import RunningPlatform
from tests.support.waiting import assert_eventually

CHART_TITLES = ("Traces", "Latency", "Errors", "Tokens", "Cost")

LIVE_TIMEOUT_MS = 30_000
"""How long a new session or turn may take to show up: the writer's flush, then the next poll."""

ROWS_PER_PAGE = 50
"""Rows per page of the UI's lists (``ROWS_PER_PAGE`` in ``ui/.../tables/liveList.ts``)."""


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


def session_ids_served(base_url: str, project: str) -> list[str]:
    """The ids of the project's sessions, as the query API lists them (newest first)."""
    data = graphql(
        base_url,
        "query($name: String!) { project(name: $name) {"
        " sessions(first: 100) { edges { node { sessionId } } } } }",
        {"name": project},
    )
    assert data["project"] is not None, data
    return [edge["node"]["sessionId"] for edge in data["project"]["sessions"]["edges"]]


def store_sessions(
    base_url: str, project: str, turns: list[SentTrace], session_ids: set[str]
) -> None:
    """Sends ``turns`` in one request and waits until each of ``session_ids`` is listed."""
    send_spans(base_url, project, [span for turn in turns for span in turn.spans])

    def listed() -> None:
        assert session_ids <= set(session_ids_served(base_url, project))

    assert_eventually(listed, timeout=30.0, interval=0.25)


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


def test_a_new_session_appears_while_the_sessions_page_is_open(
    platform: RunningPlatform, browser_page: Page
) -> None:
    project = unique("ua-live")
    first_id, second_id = unique("first"), unique("second")
    first = agent_trace(question="Is the blue kettle in stock?", session_id=first_id)
    store_sessions(platform.base_url, project, [first], {first_id})
    browser_page.goto(f"{platform.base_url}/projects/{project}/sessions")
    rows = browser_page.get_by_test_id("session-row")
    expect(rows).to_have_count(1)
    expect(browser_page.get_by_test_id("live-status")).to_have_text(
        "Live: new sessions appear as they arrive"
    )

    second = agent_trace(question="Can I pay with a gift card?", session_id=second_id)
    send_spans(platform.base_url, project, second.spans)

    expect(rows).to_have_count(2, timeout=LIVE_TIMEOUT_MS)
    # Newest first: the session that just arrived heads the list.
    expect(rows.first).to_contain_text(second_id)


def test_the_sessions_list_pages_and_only_its_first_page_is_live(
    platform: RunningPlatform, browser_page: Page
) -> None:
    project = unique("ua-pages")
    start = time.time_ns() - 60 * 1_000_000_000
    # One session more than a page holds, a second apart, so their order is certain.
    session_ids = [f"s-{index:03d}" for index in range(ROWS_PER_PAGE + 1)]
    turns = [
        agent_trace(session_id=session_id, start_ns=start + index * 1_000_000_000)
        for index, session_id in enumerate(session_ids)
    ]
    store_sessions(platform.base_url, project, turns, set(session_ids))
    browser_page.goto(f"{platform.base_url}/projects/{project}/sessions")
    rows = browser_page.get_by_test_id("session-row")
    status = browser_page.get_by_test_id("live-status")
    expect(rows).to_have_count(ROWS_PER_PAGE)
    expect(rows.first).to_contain_text(f"s-{ROWS_PER_PAGE:03d}")
    expect(status).to_have_text("Live: new sessions appear as they arrive")

    browser_page.get_by_role("button", name="Next").click()

    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("s-000")
    expect(browser_page.get_by_test_id("page-number")).to_have_text("Page 2")
    expect(status).to_have_text("Not updating on page 2: go back to page 1 for new sessions")
    expect(browser_page.get_by_role("button", name="Next")).to_be_disabled()

    browser_page.get_by_role("button", name="Previous").click()

    expect(rows).to_have_count(ROWS_PER_PAGE)
    expect(status).to_have_text("Live: new sessions appear as they arrive")


def test_a_new_turn_appears_while_its_session_is_open(
    platform: RunningPlatform, browser_page: Page
) -> None:
    project = unique("ua-turns")
    session_id = unique("session")
    first = agent_trace(question="Where is my order 1234?", session_id=session_id)
    store_sessions(platform.base_url, project, [first], {session_id})
    browser_page.goto(f"{platform.base_url}/projects/{project}/sessions/{session_id}")
    turns = browser_page.get_by_test_id("session-turn")
    expect(turns).to_have_count(1)
    expect(browser_page.get_by_test_id("live-status")).to_have_text(
        "Live: new turns appear as they arrive"
    )

    second = agent_trace(
        question="Can I still change the address?",
        answer="Yes, until it ships.",
        session_id=session_id,
    )
    send_spans(platform.base_url, project, second.spans)

    expect(turns).to_have_count(2, timeout=LIVE_TIMEOUT_MS)
    expect(turns.nth(1).get_by_test_id("turn-input")).to_contain_text(second.question)


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
