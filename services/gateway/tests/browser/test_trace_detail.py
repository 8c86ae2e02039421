"""The trace page in a real browser: the span tree and waterfall, an LLM span read as a chat, a
failed tool's stack trace, a retriever's documents, deep links, and a 10,000-span trace.

Traces go in over OTLP/HTTP through the gateway, as an instrumented app sends them, into
projects of their own.
"""

from __future__ import annotations

import os
import re
import uuid

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.support.otlp_traces import (
    STACK_TRACE,
    SentTrace,
    agent_trace,
    send_spans,
    send_wide_trace,
    wait_for_spans,
    wide_trace,
)
from tests.support.platform import RunningPlatform

LARGE_TRACE_SPANS = 10_000


def unique_project(purpose: str) -> str:
    return f"trace-detail-{purpose}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def failed_agent_run(platform: RunningPlatform) -> SentTrace:
    """One agent run whose tool fails, stored before the tests look at it (they only read it)."""
    sent = agent_trace(fail_tool=True)
    send_spans(platform.base_url, unique_project("agent"), sent.spans)
    wait_for_spans(platform.base_url, sent.trace_id, len(sent.spans))
    return sent


def span_row(page: Page, span_id: str) -> Locator:
    return page.locator(f'[data-testid="span-row"][data-span-id="{span_id}"]')


def open_trace(page: Page, platform: RunningPlatform, trace_id: str) -> None:
    page.goto(f"{platform.base_url}/traces/{trace_id}")
    expect(page.get_by_test_id("span-tree")).to_be_visible()


def chat_message(page: Page, role: str) -> Locator:
    return page.get_by_test_id("span-detail").locator(
        f'[data-testid="chat-message"][data-role="{role}"]'
    )


def test_the_tree_shows_the_runs_spans_and_the_arrow_keys_move_the_selection(
    platform: RunningPlatform, browser_page: Page, failed_agent_run: SentTrace
) -> None:
    sent = failed_agent_run
    open_trace(browser_page, platform, sent.trace_id)

    rows = browser_page.get_by_test_id("span-row")
    expect(rows).to_have_count(4)
    expect(rows).to_have_text(
        [re.compile(name) for name in ("agent", "retrieve", "ChatCompletion", "lookup_order")]
    )
    expect(browser_page.get_by_test_id("waterfall-bar")).to_have_count(4)
    # The root is selected until another span is.
    expect(span_row(browser_page, sent.root_span_id)).to_have_attribute("aria-selected", "true")
    expect(
        browser_page.get_by_test_id("span-detail").get_by_role("heading", name="agent")
    ).to_be_visible()
    expect(span_row(browser_page, sent.tool_span_id).get_by_label("Error")).to_be_visible()

    browser_page.get_by_test_id("span-tree").focus()
    browser_page.keyboard.press("ArrowDown")
    retriever_row = browser_page.get_by_test_id("span-row").nth(1)
    expect(retriever_row).to_have_attribute("aria-selected", "true")
    expect(browser_page).to_have_url(re.compile(r"\?span=[0-9a-f]{16}$"))

    breadcrumb = browser_page.get_by_role("navigation", name="Breadcrumbs").get_by_role("link")
    expect(breadcrumb.nth(1)).to_have_attribute(
        "href", re.compile(r"/projects/trace-detail-agent-")
    )


def test_an_llm_span_reads_as_a_chat_with_its_tool_call(
    platform: RunningPlatform, browser_page: Page, failed_agent_run: SentTrace
) -> None:
    sent = failed_agent_run
    open_trace(browser_page, platform, sent.trace_id)

    span_row(browser_page, sent.llm_span_id).click()

    expect(browser_page).to_have_url(re.compile(f"span={sent.llm_span_id}"))
    expect(chat_message(browser_page, "system")).to_contain_text(sent.system_prompt)
    expect(chat_message(browser_page, "user")).to_contain_text(sent.question)
    assistant = chat_message(browser_page, "assistant")
    expect(assistant).to_have_count(2)
    tool_call = assistant.first.get_by_test_id("tool-call")
    expect(tool_call).to_contain_text("lookup_order")
    expect(tool_call.locator("pre")).to_have_text('{\n  "order_id": "1234"\n}')
    expect(chat_message(browser_page, "tool")).to_contain_text('{"status": "packed"}')
    expect(assistant.last).to_contain_text(sent.answer)
    detail = browser_page.get_by_test_id("span-detail")
    expect(detail.get_by_test_id("span-tokens")).to_contain_text("150 (120 prompt, 30 completion)")
    expect(detail).to_contain_text("gpt-4o-mini")

    detail.get_by_role("tab", name="Attributes").click()
    expect(detail.get_by_test_id("span-attributes")).to_contain_text("model_name")


def test_the_failed_tool_shows_its_exception_and_stack_trace(
    platform: RunningPlatform, browser_page: Page, failed_agent_run: SentTrace
) -> None:
    sent = failed_agent_run
    open_trace(browser_page, platform, sent.trace_id)

    span_row(browser_page, sent.tool_span_id).click()

    detail = browser_page.get_by_test_id("span-detail")
    expect(detail.get_by_test_id("tool-name")).to_have_text("lookup_order")
    expect(detail.get_by_test_id("stacktrace")).to_have_text(STACK_TRACE)
    detail.get_by_role("tab", name=re.compile("Events")).click()
    event = detail.get_by_test_id("span-event")
    expect(event).to_contain_text("TimeoutError: order service timed out")
    expect(event.get_by_test_id("stacktrace")).to_have_text(STACK_TRACE)


def test_the_retriever_shows_its_documents_with_scores(
    platform: RunningPlatform, browser_page: Page, failed_agent_run: SentTrace
) -> None:
    open_trace(browser_page, platform, failed_agent_run.trace_id)

    browser_page.get_by_test_id("span-row").filter(has_text="retrieve").click()

    documents = browser_page.get_by_test_id("span-detail").get_by_test_id("document")
    expect(documents).to_have_count(2)
    expect(documents.first).to_contain_text("doc-shipping")
    expect(documents.first).to_contain_text("Orders ship within two days.")
    expect(documents.first.get_by_test_id("document-score")).to_have_text("score 0.92")
    expect(documents.last.get_by_test_id("document-score")).to_have_text("score 0.41")


def test_a_span_deep_link_opens_its_trace_with_the_span_selected(
    platform: RunningPlatform, browser_page: Page, failed_agent_run: SentTrace
) -> None:
    sent = failed_agent_run
    browser_page.goto(f"{platform.base_url}/spans/{sent.llm_span_id}")

    expect(browser_page).to_have_url(
        f"{platform.base_url}/traces/{sent.trace_id}?span={sent.llm_span_id}"
    )
    expect(span_row(browser_page, sent.llm_span_id)).to_have_attribute("aria-selected", "true")
    expect(chat_message(browser_page, "system")).to_contain_text(sent.system_prompt)


def test_a_deep_link_to_a_missing_trace_says_so(
    platform: RunningPlatform, browser_page: Page
) -> None:
    missing = os.urandom(16).hex()
    browser_page.goto(f"{platform.base_url}/traces/{missing}")

    expect(browser_page.get_by_test_id("empty-state")).to_contain_text(
        f"No trace with id {missing}"
    )
    expect(browser_page.get_by_test_id("span-tree")).to_have_count(0)


def test_a_ten_thousand_span_trace_renders_only_the_rows_in_view(
    platform: RunningPlatform, browser_page: Page
) -> None:
    trace = wide_trace(LARGE_TRACE_SPANS)
    send_wide_trace(platform.base_url, unique_project("large"), trace)

    open_trace(browser_page, platform, trace.trace_id)

    expect(span_row(browser_page, trace.root_span_id)).to_be_visible()
    expect(browser_page.get_by_test_id("trace-span-count")).to_have_text("10K")
    assert browser_page.get_by_test_id("span-row").count() < 200
    expect(span_row(browser_page, trace.last_span_id)).to_have_count(0)

    browser_page.get_by_test_id("span-tree").evaluate(
        "tree => { tree.scrollTop = tree.scrollHeight; }"
    )

    expect(span_row(browser_page, trace.last_span_id)).to_be_visible()
    expect(span_row(browser_page, trace.last_span_id)).to_contain_text(
        f"span {LARGE_TRACE_SPANS - 1}"
    )
    assert browser_page.get_by_test_id("span-row").count() < 200
