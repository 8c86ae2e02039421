"""The traces and spans tables in a real browser: previews, the filter bar and its inline errors,
sorting, live updates, and rows that open their trace.

Agent runs go in over OTLP/HTTP through the gateway, as an instrumented app sends them. The
runs every test reads share one project; a test that sends more traces uses a project of its
own, so the others' counts never change under them.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.support.otlp_traces import SentTrace, agent_trace, send_spans, wait_for_spans
from tests.support.platform import RunningPlatform

LIVE_TIMEOUT_MS = 30_000
"""How long a new trace may take to show up: the writer's flush, then the page's next poll."""


@dataclass(frozen=True)
class Shop:
    """A project of three agent runs, as sent: one plain, one whose tool fails, one slow."""

    project: str
    order: SentTrace
    refund: SentTrace
    slow: SentTrace

    @property
    def runs(self) -> tuple[SentTrace, SentTrace, SentTrace]:
        return (self.order, self.refund, self.slow)


def unique(prefix: str) -> str:
    """A name no other test uses."""
    return f"{prefix}-{os.urandom(4).hex()}"


def slowed(sent: SentTrace, seconds: int) -> SentTrace:
    """``sent`` with its root span (and so the trace) lasting ``seconds``."""
    root = sent.spans[0]
    root.end_time_unix_nano = root.start_time_unix_nano + seconds * 1_000_000_000
    return sent


def store(platform: RunningPlatform, project: str, *runs: SentTrace) -> None:
    """Sends ``runs`` into ``project`` and waits until the query API serves all their spans."""
    send_spans(platform.base_url, project, [span for run in runs for span in run.spans])
    for run in runs:
        wait_for_spans(platform.base_url, run.trace_id, len(run.spans))


@pytest.fixture(scope="module")
def shop(platform: RunningPlatform) -> Shop:
    """The three runs, stored before any page opens; the tests only read them."""
    sent = Shop(
        project=unique("ub-traces"),
        order=agent_trace(question="Where is my order 1234?"),
        refund=agent_trace(
            question="My refund never arrived, can you check?",
            answer="I could not reach the order service.",
            fail_tool=True,
        ),
        slow=slowed(
            agent_trace(question="Do you ship parcels to Canada?", answer="Yes, in 5 days."), 3
        ),
    )
    store(platform, sent.project, *sent.runs)
    return sent


def open_list(page: Page, platform: RunningPlatform, project: str, path: str = "traces") -> None:
    page.goto(f"{platform.base_url}/projects/{project}/{path}")


def trace_rows(page: Page) -> Locator:
    return page.get_by_test_id("trace-row")


def apply_filter(page: Page, expression: str) -> None:
    field = page.get_by_test_id("filter-input")
    field.fill(expression)
    field.press("Enter")


def query_of(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def test_each_trace_is_a_row_with_its_question_answer_and_status(
    platform: RunningPlatform, browser_page: Page, shop: Shop
) -> None:
    open_list(browser_page, platform, shop.project)

    expect(trace_rows(browser_page)).to_have_count(3)
    for run in shop.runs:
        row = browser_page.locator(f'[data-testid="trace-row"][data-trace-id="{run.trace_id}"]')
        expect(row.get_by_test_id("input-preview")).to_have_text(run.question)
        expect(row.get_by_test_id("output-preview")).to_have_text(run.answer)
        expect(row.get_by_role("link", name="agent")).to_be_visible()
        # 120 prompt + 30 completion tokens of the LLM call.
        expect(row.get_by_test_id("tokens")).to_have_text("150")
    failed = browser_page.locator(
        f'[data-testid="trace-row"][data-trace-id="{shop.refund.trace_id}"]'
    )
    expect(failed.get_by_test_id("status")).to_have_text("error")
    expect(
        trace_rows(browser_page).get_by_test_id("status").filter(has_text="error")
    ).to_have_count(1)


def test_a_filter_on_the_root_span_leaves_the_matching_trace_and_a_link_keeps_it(
    platform: RunningPlatform, browser_page: Page, shop: Shop
) -> None:
    open_list(browser_page, platform, shop.project)
    expect(trace_rows(browser_page)).to_have_count(3)

    apply_filter(browser_page, "'refund' in input.value")

    expect(trace_rows(browser_page)).to_have_count(1)
    expect(trace_rows(browser_page).get_by_test_id("input-preview")).to_have_text(
        shop.refund.question
    )
    expect(trace_rows(browser_page).get_by_test_id("status")).to_have_text("error")
    assert query_of(browser_page)["filter"] == ["'refund' in input.value"]

    # The address alone shows the same rows: a link shares the filter.
    browser_page.goto(browser_page.url)
    expect(browser_page.get_by_test_id("filter-input")).to_have_value("'refund' in input.value")
    expect(trace_rows(browser_page)).to_have_count(1)

    browser_page.get_by_role("button", name="Clear").click()
    expect(trace_rows(browser_page)).to_have_count(3)
    assert "filter" not in query_of(browser_page)


def test_a_filter_that_matches_nothing_says_so(
    platform: RunningPlatform, browser_page: Page, shop: Shop
) -> None:
    open_list(browser_page, platform, shop.project)
    apply_filter(browser_page, "latency_ms > 600000")

    expect(browser_page.get_by_test_id("empty-state")).to_contain_text("No traces match the filter")
    expect(browser_page.get_by_test_id("filter-error")).to_have_count(0)


def test_a_typo_in_the_filter_is_named_inline_and_the_rows_stay(
    platform: RunningPlatform, browser_page: Page, shop: Shop
) -> None:
    open_list(browser_page, platform, shop.project)
    expect(trace_rows(browser_page)).to_have_count(3)

    apply_filter(browser_page, "span_kin == 'LLM'")

    error = browser_page.get_by_role("alert").filter(has_text="span_kin")
    expect(error).to_have_attribute("data-testid", "filter-error")
    expect(error).to_contain_text("did you mean 'span_kind'?")
    expect(error).to_contain_text("column 1")
    # What was shown stays, marked as not filtered: never a silent empty table.
    expect(trace_rows(browser_page)).to_have_count(3)
    expect(browser_page.get_by_test_id("stale-rows-note")).to_be_visible()

    # Opened from a link, the same typo explains itself rather than showing an empty table.
    browser_page.goto(browser_page.url)
    expect(browser_page.get_by_test_id("filter-error")).to_contain_text("span_kind")
    expect(browser_page.get_by_test_id("empty-state")).to_contain_text(
        "The filter could not be applied"
    )


def test_a_header_sorts_the_rows_and_a_second_click_reverses_them(
    platform: RunningPlatform, browser_page: Page, shop: Shop
) -> None:
    open_list(browser_page, platform, shop.project)
    expect(trace_rows(browser_page)).to_have_count(3)
    latency = browser_page.get_by_role("columnheader", name=re.compile("Latency"))

    latency.get_by_role("button").click()

    expect(latency).to_have_attribute("aria-sort", "descending")
    expect(trace_rows(browser_page).first).to_have_attribute("data-trace-id", shop.slow.trace_id)
    assert query_of(browser_page)["sort"] == ["latencyMs"]
    assert query_of(browser_page)["dir"] == ["DESC"]

    latency.get_by_role("button").click()

    expect(latency).to_have_attribute("aria-sort", "ascending")
    expect(trace_rows(browser_page).last).to_have_attribute("data-trace-id", shop.slow.trace_id)
    assert query_of(browser_page)["dir"] == ["ASC"]


def test_a_row_opens_its_trace_and_is_a_real_link(
    platform: RunningPlatform, browser_page: Page, shop: Shop
) -> None:
    open_list(browser_page, platform, shop.project)
    row = browser_page.locator(f'[data-testid="trace-row"][data-trace-id="{shop.order.trace_id}"]')
    # A link, so a middle click or "open in new tab" works.
    expect(row.get_by_role("link")).to_have_attribute("href", f"/traces/{shop.order.trace_id}")

    # Anywhere on the row, not only its name: here, on its latency.
    box = row.get_by_test_id("latency").bounding_box()
    assert box is not None
    browser_page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)

    expect(browser_page).to_have_url(f"{platform.base_url}/traces/{shop.order.trace_id}")
    expect(browser_page.get_by_test_id("span-tree")).to_be_visible()


def test_a_new_trace_appears_while_the_page_is_open(
    platform: RunningPlatform, browser_page: Page
) -> None:
    project = unique("ub-live")
    first = agent_trace(question="Is the blue kettle in stock?")
    store(platform, project, first)
    open_list(browser_page, platform, project)
    expect(trace_rows(browser_page)).to_have_count(1)

    second = agent_trace(question="Can I pay with a gift card?")
    send_spans(platform.base_url, project, second.spans)

    expect(trace_rows(browser_page)).to_have_count(2, timeout=LIVE_TIMEOUT_MS)
    expect(trace_rows(browser_page).first.get_by_test_id("input-preview")).to_have_text(
        second.question
    )


def test_a_time_range_without_traces_says_so_and_a_longer_one_shows_them(
    platform: RunningPlatform, browser_page: Page
) -> None:
    project = unique("ub-old")
    two_days_ago = time.time_ns() - 2 * 86_400 * 1_000_000_000
    store(platform, project, agent_trace(question="Old question", start_ns=two_days_ago))

    browser_page.goto(f"{platform.base_url}/projects/{project}/traces?range=24h")
    expect(browser_page.get_by_test_id("empty-state")).to_contain_text(
        "No traces in this time range"
    )

    browser_page.get_by_label("Time range").select_option("7d")
    expect(trace_rows(browser_page)).to_have_count(1)
    expect(trace_rows(browser_page).get_by_test_id("input-preview")).to_have_text("Old question")


def test_an_unknown_project_is_named_as_such(platform: RunningPlatform, browser_page: Page) -> None:
    open_list(browser_page, platform, unique("ub-nothing"))
    expect(browser_page.get_by_test_id("empty-state")).to_contain_text("No project named")


def test_the_spans_page_lists_every_span_and_filters_them(
    platform: RunningPlatform, browser_page: Page, shop: Shop
) -> None:
    open_list(browser_page, platform, shop.project, "spans")
    rows = browser_page.get_by_test_id("span-row")
    expect(rows).to_have_count(sum(len(run.spans) for run in shop.runs))

    apply_filter(browser_page, "span_kind == 'LLM'")
    expect(rows).to_have_count(3)
    expect(rows.get_by_role("link", name="ChatCompletion")).to_have_count(3)

    apply_filter(browser_page, "status_code == 'ERROR'")
    expect(rows).to_have_count(1)
    expect(rows).to_have_attribute("data-span-id", shop.refund.tool_span_id)
    expect(rows.get_by_role("link")).to_have_text("lookup_order")

    apply_filter(browser_page, "")
    browser_page.get_by_test_id("root-spans-only").check()
    expect(rows).to_have_count(3)
    assert query_of(browser_page)["rootSpansOnly"] == ["1"]


def test_a_span_row_opens_its_trace_with_the_span_selected(
    platform: RunningPlatform, browser_page: Page, shop: Shop
) -> None:
    open_list(browser_page, platform, shop.project, "spans")
    row = browser_page.locator(f'[data-testid="span-row"][data-span-id="{shop.order.llm_span_id}"]')
    expect(row.get_by_test_id("tokens")).to_have_text("150")

    row.click()

    expect(browser_page).to_have_url(
        f"{platform.base_url}/traces/{shop.order.trace_id}?span={shop.order.llm_span_id}"
    )
    expect(browser_page.get_by_test_id("span-tree")).to_be_visible()
