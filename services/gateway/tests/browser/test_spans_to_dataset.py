"""From traces to datasets in a real browser: spans picked in the spans table, or the span open in
the trace view, become examples of a new or an existing dataset, each with its span's input and
output and a link back to the span, as the REST API then reads them.

One agent run goes in over OTLP/HTTP through the gateway into a project of this module's own.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.support.otlp_traces import SentTrace, agent_trace, send_spans, wait_for_spans
from tests.support.platform import RunningPlatform


def unique(prefix: str) -> str:
    """A name no other test uses."""
    return f"{prefix}-{os.urandom(4).hex()}"


@pytest.fixture(scope="module")
def run(platform: RunningPlatform) -> tuple[str, SentTrace]:
    """A project holding one agent run, stored before any page opens."""
    project = unique("to-dataset")
    trace = agent_trace(question="Where is parcel 77?", answer="Parcel 77 arrives Monday.")
    send_spans(platform.base_url, project, trace.spans)
    wait_for_spans(platform.base_url, trace.trace_id, len(trace.spans))
    return project, trace


def examples(platform: RunningPlatform, dataset_id: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{platform.base_url}/v1/datasets/{dataset_id}/examples", timeout=10.0)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["data"]["examples"]
    return found


def added_dataset_id(page: Page) -> str:
    """The dataset the dialog's success message links to (``/datasets/<id>/examples``)."""
    href = page.get_by_test_id("added-dataset-link").get_attribute("href") or ""
    return unquote(href.split("/")[2])


def test_two_spans_of_the_table_become_a_new_dataset(
    browser_page: Page, platform: RunningPlatform, run: tuple[str, SentTrace]
) -> None:
    project, trace = run
    name = unique("picked spans")
    browser_page.goto(f"{platform.base_url}/projects/{project}/spans")
    rows = browser_page.get_by_test_id("span-row")
    expect(rows).to_have_count(len(trace.spans))

    for span_id in (trace.root_span_id, trace.llm_span_id):
        row = browser_page.locator(f'[data-testid="span-row"][data-span-id="{span_id}"]')
        row.get_by_test_id("select-row").check()
    browser_page.get_by_test_id("add-to-dataset").click()
    dialog = browser_page.get_by_test_id("add-to-dataset-dialog")
    expect(dialog).to_contain_text("Add 2 spans to a dataset")
    dialog.get_by_test_id("new-dataset-name").fill(name)
    dialog.get_by_test_id("add-to-dataset-submit").click()

    expect(dialog.get_by_test_id("add-to-dataset-done")).to_contain_text(
        f"Added 2 examples to {name}"
    )
    found = examples(platform, added_dataset_id(browser_page))
    agent, llm = found
    assert (agent["input"], agent["output"]) == (
        {"input": trace.question}, {"output": trace.answer}
    )  # fmt: skip
    assert llm["input"]["messages"][:2] == [
        {"role": "system", "content": trace.system_prompt},
        {"role": "user", "content": trace.question},
    ]
    assert llm["output"] == {"messages": [{"role": "assistant", "content": trace.answer}]}
    assert (agent["metadata"]["span_kind"], llm["metadata"]["span_kind"]) == ("AGENT", "LLM")
    assert [example["source"]["span_id"] for example in found] == [
        trace.root_span_id, trace.llm_span_id
    ]  # fmt: skip
    # the selection is cleared once the examples are written
    dialog.get_by_role("button", name="Close").click()
    expect(browser_page.get_by_test_id("add-to-dataset")).to_be_disabled()
    expect(browser_page.get_by_test_id("select-row").first).not_to_be_checked()


def test_the_open_span_of_a_trace_joins_an_existing_dataset(
    browser_page: Page, platform: RunningPlatform, run: tuple[str, SentTrace]
) -> None:
    _, trace = run
    name = unique("tool calls")
    created = httpx.post(
        f"{platform.base_url}/v1/datasets/upload",
        params={"sync": "true"},
        json={"name": name, "inputs": [{"typed": "by hand"}]},
        timeout=10.0,
    )
    assert created.status_code == 200, created.text
    dataset_id = created.json()["data"]["dataset_id"]
    browser_page.goto(f"{platform.base_url}/traces/{trace.trace_id}?span={trace.tool_span_id}")

    browser_page.get_by_test_id("add-to-dataset").click()
    dialog = browser_page.get_by_test_id("add-to-dataset-dialog")
    dialog.get_by_test_id("dataset-search").fill(name.split("-")[-1])
    dialog.get_by_role("radio", name=name).check()
    dialog.get_by_test_id("add-to-dataset-submit").click()

    expect(dialog.get_by_test_id("add-to-dataset-done")).to_contain_text(
        f"Added 1 example to {name}"
    )
    assert added_dataset_id(browser_page) == dataset_id
    typed, tool = examples(platform, dataset_id)
    assert typed["input"] == {"typed": "by hand"}
    assert tool["input"] == {"input": '{"order_id": "1234"}'}
    assert tool["source"]["span_id"] == trace.tool_span_id


def test_a_refused_name_is_shown_in_the_dialog(
    browser_page: Page, platform: RunningPlatform, run: tuple[str, SentTrace]
) -> None:
    _, trace = run
    browser_page.goto(f"{platform.base_url}/traces/{trace.trace_id}?span={trace.root_span_id}")

    browser_page.get_by_test_id("add-to-dataset").click()
    dialog = browser_page.get_by_test_id("add-to-dataset-dialog")
    dialog.get_by_test_id("new-dataset-name").fill("n" * 300)
    dialog.get_by_test_id("add-to-dataset-submit").click()

    expect(dialog.get_by_test_id("add-to-dataset-error")).to_have_text(
        "`name` must be at most 256 characters, got 300"
    )
    expect(dialog.get_by_test_id("add-to-dataset-submit")).to_be_enabled()
