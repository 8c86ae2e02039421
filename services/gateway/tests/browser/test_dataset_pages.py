"""The dataset pages in a real browser, through the gateway: a CSV uploaded through the UI with
a column mapping chosen on its preview, its examples per split, one example edited (its JSON
checked before it can be saved) into a new version, and the difference between the two versions.
The server's refusal of an upload (a taken name) is shown in the dialog in its words.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.platform import RunningPlatform

CSV = (
    "question,answer,topic,split,notes\n"
    '"What is 2+2?",4,math,train,easy\n'
    '"Capital of France?",Paris,geography,train,"has, a comma"\n'
    '"Largest ocean?",Pacific,geography,test,\n'
)


def unique(prefix: str) -> str:
    """A name no other test uses."""
    return f"{prefix}-{os.urandom(4).hex()}"


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    path = tmp_path / "questions.csv"
    path.write_text(CSV)
    return path


def upload(page: Page, csv_file: Path, name: str) -> None:
    """Open the upload dialog, choose the file, map its columns, name it and send it."""
    page.get_by_role("button", name="Upload dataset").click()
    dialog = page.get_by_role("dialog", name="Upload a dataset")
    dialog.get_by_label("CSV or JSONL file").set_input_files(csv_file)
    preview = dialog.get_by_test_id("upload-preview")
    expect(preview.get_by_role("row")).to_have_count(4)  # the header and three rows
    expect(preview).to_contain_text("has, a comma")
    expect(dialog.get_by_label("Role of column question")).to_have_value("input")
    expect(dialog.get_by_label("Role of column answer")).to_have_value("output")
    dialog.get_by_label("Role of column split").select_option("split")
    dialog.get_by_label("Role of column topic").select_option("metadata")
    dialog.get_by_label("Role of column notes").select_option("ignore")
    dialog.get_by_label("Name").fill(name)
    dialog.get_by_label("Description").fill("Quiz questions")
    dialog.get_by_role("button", name="Upload").click()


def test_upload_browse_edit_and_compare_versions(
    browser_page: Page, platform: RunningPlatform, csv_file: Path
) -> None:
    page = browser_page
    name = unique("quiz")
    page.goto(platform.base_url)
    page.get_by_role("navigation").get_by_role("link", name="Datasets").click()
    expect(page).to_have_url(re.compile(r"/datasets$"))

    upload(page, csv_file, name)

    expect(page).to_have_url(re.compile(r"/datasets/[^/]+/examples$"))
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    rows = page.get_by_test_id("examples-table").locator("tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("question: What is 2+2?")
    expect(rows.first).to_contain_text("answer: 4")
    expect(rows.first).to_contain_text("topic: math")
    expect(rows.first).not_to_contain_text("easy")  # the ignored column
    expect(page.get_by_test_id("examples-count")).to_have_text("3 examples")

    page.get_by_label("Split").select_option(label="train")
    expect(page).to_have_url(re.compile(r"split="))
    expect(rows).to_have_count(2)
    expect(page.get_by_test_id("examples-count")).to_contain_text("2 examples in this split")
    page.get_by_label("Search examples").fill("capital")
    expect(rows).to_have_count(1)
    expect(page).to_have_url(re.compile(r"q=capital"))
    page.get_by_label("Search examples").fill("")
    expect(rows).to_have_count(2)

    rows.first.click()
    panel = page.get_by_test_id("example-panel")
    expect(panel.get_by_test_id("example-input")).to_contain_text('"question": "What is 2+2?"')
    expect(panel.get_by_test_id("example-output")).to_contain_text('"answer": "4"')
    expect(panel).to_contain_text("train")
    panel.get_by_role("button", name="Edit").click()
    output = panel.get_by_label("Output (JSON)")
    output.fill('{"answer": "Four",')
    expect(panel).to_contain_text("Not valid JSON")
    save = panel.get_by_role("button", name="Save as a new version")
    expect(save).to_be_disabled()
    output.fill('["Four"]')
    expect(panel).to_contain_text("Must be a JSON object")
    output.fill('{"answer": "Four"}')
    panel.get_by_label("Version description").fill("spell the number")
    save.click()
    expect(panel.get_by_test_id("example-output")).to_contain_text('"answer": "Four"')

    page.get_by_role("link", name="Versions").click()
    expect(page).to_have_url(re.compile(r"/versions"))
    versions = page.get_by_test_id("version-row")
    expect(versions).to_have_count(2)
    expect(versions.first).to_contain_text("spell the number")
    expect(versions.first).to_contain_text("~1")
    expect(versions.nth(1)).to_contain_text("+3")
    summary = page.get_by_test_id("diff-summary")
    expect(summary).to_contain_text("0 added, 0 deleted, 1 patched")
    change = page.get_by_test_id("diff-change")
    expect(change).to_have_count(1)
    expect(change).to_contain_text("Patched")
    expect(change.get_by_label("output before")).to_contain_text('"answer": "4"')
    expect(change.get_by_label("output after")).to_contain_text('"answer": "Four"')
    expect(change).to_contain_text("Unchanged: input, metadata.")

    # The comparison is in the address: reversed, the patch reads the other way round.
    versions.nth(0).get_by_label(re.compile("^Compare from")).check()
    versions.nth(1).get_by_label(re.compile("^Compare to")).check()
    expect(change.get_by_label("output before")).to_contain_text('"answer": "Four"')
    page.reload()
    expect(page.get_by_test_id("diff-change").get_by_label("output after")).to_contain_text(
        '"answer": "4"'
    )

    # The first version still reads as it was.
    versions.nth(1).get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/examples\?version="))
    expect(rows.first).to_contain_text("answer: 4")


def test_a_refused_upload_shows_the_servers_reason(
    browser_page: Page, platform: RunningPlatform, csv_file: Path
) -> None:
    page = browser_page
    name = unique("taken")
    page.goto(f"{platform.base_url}/datasets")
    upload(page, csv_file, name)
    expect(page).to_have_url(re.compile(r"/datasets/[^/]+/examples$"))

    page.goto(f"{platform.base_url}/datasets?name={name}")
    expect(page.get_by_test_id("datasets-table").locator("tbody tr")).to_have_count(1)
    upload(page, csv_file, name)

    alert = page.get_by_role("dialog").get_by_role("alert")
    expect(alert).to_contain_text("already exists")
    expect(page).to_have_url(re.compile(r"/datasets\?"))
