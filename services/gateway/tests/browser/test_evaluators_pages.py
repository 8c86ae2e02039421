"""The evaluator pages in a real browser, through the gateway: a built-in evaluator tried on
inputs in the form's Test panel (its result shown), created, listed in the library with what it
reads and gives, and given a second version from the first; code that does not compile and a
judge template with an unknown variable refused with the line and the variable beside the
field; code tried in the sandbox with what it printed; a deletion refused while a rule uses the
evaluator, naming the rule; and an evaluator attached to a dataset with an input mapping, the
API's refusals shown beside the fields they name, then detached.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Dialog, Locator, Page, expect

from tests.support.platform import RunningPlatform

pytestmark = pytest.mark.slow

SANDBOX_TIMEOUT_MS = 30_000


@pytest.fixture
def api(platform: RunningPlatform) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=platform.base_url, timeout=30) as client:
        yield client


def unique(prefix: str) -> str:
    """A name no other test uses (an evaluator name: lower case, digits and '-')."""
    return f"{prefix}-{os.urandom(4).hex()}"


def create_evaluator(api: httpx.Client, name: str, definition: dict[str, Any]) -> dict[str, Any]:
    response = api.post(
        "/v1/evaluators", json={"name": name, "kind": definition["kind"], "definition": definition}
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()["data"]
    return created


def create_dataset(api: httpx.Client, name: str) -> str:
    response = api.post(
        "/v1/datasets/upload",
        params={"sync": "true"},
        json={
            "action": "create",
            "name": name,
            "inputs": [{"question": "Capital of France?"}],
            "outputs": [{"answer": "Paris"}],
        },
    )
    assert response.status_code == 200, response.text
    dataset_id: str = response.json()["data"]["dataset_id"]
    return dataset_id


def accept_dialogs(page: Page) -> None:
    """Answer "OK" to the confirmations the page asks (Playwright dismisses them otherwise)."""

    def accept(dialog: Dialog) -> None:
        dialog.accept()

    page.on("dialog", accept)


def panel_named(page: Page, name: str = "Test") -> Locator:
    """The Test panel called ``name``."""
    return page.get_by_role("region", name=name, exact=True)


def test_a_builtin_is_tried_on_inputs_created_listed_and_given_a_new_version(
    platform: RunningPlatform, browser_page: Page, api: httpx.Client
) -> None:
    page = browser_page
    name = unique("refund-words")
    page.goto(platform.base_url)
    page.get_by_role("navigation").get_by_role("link", name="Evaluators").click()
    expect(page).to_have_url(re.compile(r"/evaluators$"))
    page.get_by_role("link", name="New evaluator").click()

    form = page.get_by_role("form", name="New evaluator")
    form.get_by_label("Name").fill(name)
    form.get_by_label("Description").fill("Finds refund talk")
    form.get_by_label("Built-in evaluator").select_option("contains")
    expect(form).to_contain_text("Whether the output contains any (or all) of a list of words")
    form.get_by_label("Words").fill("refund, money back")

    # Tried on inputs before it is saved: the inputs JSON starts with what it reads.
    panel = panel_named(page)
    panel.get_by_role("button", name="Fill in the inputs it reads").click()
    inputs = panel.get_by_label("Inputs (JSON)")
    expect(inputs).to_have_value(re.compile(r'"output": ""'))
    inputs.fill('{"output": "I would like a REFUND please"}')
    panel.get_by_role("button", name="Run test").click()
    result = panel.get_by_test_id("test-result")
    expect(result.get_by_test_id("test-label")).to_have_text("true")
    expect(result.get_by_test_id("test-score")).to_have_text("1")
    expect(result.get_by_test_id("test-metadata")).to_contain_text("refund")
    expect(result.get_by_test_id("test-figures")).to_contain_text("ms")
    inputs.fill('{"output": "Thanks, all good"}')
    panel.get_by_role("button", name="Run test").click()
    expect(result.get_by_test_id("test-label")).to_have_text("false")
    expect(result.get_by_test_id("test-score")).to_have_text("0")
    assert api.get(f"/v1/evaluators/{name}").status_code == 404  # a test stores nothing

    form.get_by_label("Note on this version").fill("first cut")
    form.get_by_role("button", name="Create evaluator").click()
    expect(page).to_have_url(re.compile(r"/evaluators/[^/]+$"))
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    expect(page.get_by_test_id("evaluator-description")).to_have_text("Finds refund talk")
    expect(page.get_by_test_id("definition-config")).to_contain_text("money back")

    # Listed in the library, with what its profile says it reads and gives.
    page.get_by_role("navigation").get_by_role("link", name="Evaluators").click()
    row = page.get_by_test_id("evaluator-row").filter(has_text=name)
    expect(row).to_contain_text("Built-in")
    expect(row).to_contain_text("Finds refund talk")
    expect(row.get_by_test_id("evaluator-version")).to_have_text("v1")
    expect(row.get_by_test_id("evaluator-reads")).to_have_text("output")
    expect(row.get_by_test_id("evaluator-gives")).to_have_text(
        "true 1 · false 0 (higher is better)"
    )
    row.get_by_role("link", name=name).click()

    # A new version starts from the one chosen; the old one stays readable.
    page.get_by_role("button", name="New version").click()
    version_form = page.get_by_role("form", name=f"New version of {name}")
    words = version_form.get_by_label("Words")
    expect(words).to_have_value("refund, money back")
    words.fill("refund")
    version_form.get_by_label("Require all").check()
    version_form.get_by_label("Note on this version").fill("refunds only")
    version_form.get_by_role("button", name="Save version").click()
    expect(version_form).to_have_count(0)
    rows = page.get_by_test_id("evaluator-version-row")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Version 2")  # newest first
    expect(rows.first).to_contain_text("latest")
    expect(rows.first.get_by_test_id("version-note")).to_have_text("refunds only")
    expect(rows.nth(1).get_by_test_id("version-note")).to_have_text("first cut")
    config = page.get_by_test_id("definition-config")
    expect(config).to_contain_text('"require_all": true')
    expect(config).not_to_contain_text("money back")
    rows.nth(1).get_by_role("button", name="Version 1").click()
    expect(page).to_have_url(re.compile(r"\?version=1$"))
    expect(config).to_contain_text("money back")

    # The chosen version is what its Test panel runs.
    panel = panel_named(page, "Test version 1")
    panel.get_by_label("Inputs (JSON)").fill('{"output": "money back now"}')
    panel.get_by_role("button", name="Run test").click()
    expect(panel.get_by_test_id("test-label")).to_have_text("true")

    versions = api.get(f"/v1/evaluators/{name}/versions").json()["data"]
    assert [(v["version"], v["note"]) for v in versions] == [
        (2, "refunds only"),
        (1, "first cut"),
    ]
    assert versions[0]["definition"]["config"] == {"words": ["refund"], "require_all": True}


def test_code_that_does_not_compile_and_an_unknown_template_variable_are_shown_where_they_are(
    platform: RunningPlatform, browser_page: Page, api: httpx.Client
) -> None:
    page = browser_page
    name = unique("ratio")
    page.goto(f"{platform.base_url}/evaluators/new")
    form = page.get_by_role("form", name="New evaluator")
    form.get_by_label("Name").fill(name)
    form.get_by_label("Kind").select_option("CODE")
    code = form.get_by_label("Code", exact=True)
    code.fill(
        "def evaluate(output, expected):\n    print('comparing', output)\n    return output +\n"
    )
    form.get_by_role("button", name="Create evaluator").click()

    problem = form.get_by_test_id("problem-definition.code")
    expect(problem).to_contain_text("line 3")
    expect(problem).to_contain_text("invalid syntax")
    expect(form.get_by_test_id("code-problem-line")).to_have_text("3")
    expect(code).to_have_attribute("aria-invalid", "true")
    expect(page).to_have_url(re.compile(r"/evaluators/new$"))
    assert api.get(f"/v1/evaluators/{name}").status_code == 404

    # Fixed, it runs in the sandbox: its result and what it printed.
    code.fill(
        "def evaluate(output, expected):\n"
        "    print('comparing', output)\n"
        "    return {'score': len(output) / len(expected), 'label': 'ratio'}\n"
    )
    panel = panel_named(page)
    panel.get_by_role("button", name="Fill in the inputs it reads").click()
    panel.get_by_label("Inputs (JSON)").fill('{"output": "abc", "expected": "abcdef"}')
    panel.get_by_role("button", name="Run test").click()
    expect(panel.get_by_test_id("test-score")).to_have_text("0.5", timeout=SANDBOX_TIMEOUT_MS)
    expect(panel.get_by_test_id("test-label")).to_have_text("ratio")
    expect(panel.get_by_test_id("test-printed")).to_have_text("comparing abc")
    expect(form.get_by_test_id("problem-definition.code")).to_have_count(0)

    # Code that raises gives no result, and says why.
    code.fill("def evaluate(output):\n    return 1 / 0\n")
    panel.get_by_role("button", name="Run test").click()
    expect(panel.get_by_test_id("test-error")).to_contain_text(
        "ZeroDivisionError", timeout=SANDBOX_TIMEOUT_MS
    )
    expect(panel.get_by_test_id("test-score")).to_have_count(0)

    # A judge template of one's own: the unknown variable is marked on its message.
    form.get_by_label("Kind").select_option("LLM")
    form.get_by_label("My own template").check()
    form.get_by_label("Content of template message 2").fill("Is this polite? {{ouput}}")
    form.get_by_role("button", name="Create evaluator").click()
    expect(form.get_by_test_id("problem-definition.template.messages.1")).to_have_text(
        "Unknown variable: ouput"
    )
    expect(form.get_by_label("Content of template message 2")).to_have_attribute(
        "aria-invalid", "true"
    )
    expect(form.get_by_test_id("problem-definition.template")).to_contain_text(
        "a judge template may use input, output"
    )
    assert api.get(f"/v1/evaluators/{name}").status_code == 404


def test_a_deletion_is_refused_while_a_rule_uses_the_evaluator(
    platform: RunningPlatform, browser_page: Page, api: httpx.Client
) -> None:
    page = browser_page
    accept_dialogs(page)
    name = unique("nonempty")
    project = unique("support")
    evaluator = create_evaluator(api, name, {"kind": "BUILTIN", "evaluator": "not_empty"})
    assert api.post("/v1/projects", json={"name": project}).status_code == 200
    rule = api.post(
        f"/v1/projects/{project}/evaluation_rules",
        json={"name": "answers", "evaluator": name, "target": "SPAN", "sampling_rate": 1},
    )
    assert rule.status_code == 201, rule.text

    page.goto(f"{platform.base_url}/evaluators/{evaluator['id']}")
    page.get_by_role("button", name="Delete").click()
    refusal = page.get_by_test_id("error-state")
    expect(refusal).to_contain_text("The evaluator was not deleted")
    expect(refusal).to_contain_text(f"used by evaluation rules answers (project {project})")
    assert api.get(f"/v1/evaluators/{name}").status_code == 200

    deleted = api.delete(f"/v1/evaluation_rules/{rule.json()['data']['id']}")
    assert deleted.status_code == 204, deleted.text
    page.get_by_role("button", name="Delete").click()
    expect(page).to_have_url(re.compile(r"/evaluators$"))
    expect(page.get_by_test_id("evaluator-row").filter(has_text=name)).to_have_count(0)
    assert api.get(f"/v1/evaluators/{name}").status_code == 404


def test_an_evaluator_is_attached_to_a_dataset_with_a_mapping_and_detached(
    platform: RunningPlatform, browser_page: Page, api: httpx.Client
) -> None:
    page = browser_page
    name = unique("exact")
    evaluator = create_evaluator(api, name, {"kind": "BUILTIN", "evaluator": "exact_match"})
    dataset_id = create_dataset(api, unique("capitals"))

    page.goto(f"{platform.base_url}/datasets/{dataset_id}")
    page.get_by_role("navigation", name="Dataset").get_by_role("link", name="Evaluators").click()
    expect(page).to_have_url(re.compile(r"/evaluators$"))
    expect(page.get_by_test_id("empty-state")).to_contain_text("No evaluators attached")

    form = page.get_by_role("form", name="Attach an evaluator")
    form.get_by_label("Evaluator").select_option(label=f"{name} (Built-in)")
    expect(form).to_contain_text("Reads output, expected.")
    annotation = form.get_by_label("Annotation name")
    expect(annotation).to_have_value(name)  # named after the evaluator until renamed
    annotation.fill("exactness")
    form.get_by_role("button", name="Add mapping").click()
    form.get_by_label("Input of mapping row 1").fill("expected")
    form.get_by_label("Path of mapping row 1").fill("nowhere.answer")
    form.get_by_role("button", name="Attach").click()
    # The API's refusal, beside the row it names.
    expect(form.get_by_test_id("problem-input_mapping.expected")).to_contain_text(
        "a path starts with one of input, output, expected"
    )
    form.get_by_label("Path of mapping row 1").fill("expected.answer")
    form.get_by_role("button", name="Attach").click()

    expect(form.get_by_test_id("attached-message")).to_contain_text(
        f"Attached {name} as “exactness”"
    )
    row = page.get_by_test_id("dataset-evaluator-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("exactness")
    expect(row.get_by_role("link", name=name)).to_have_attribute(
        "href", f"/evaluators/{quote(evaluator['id'], safe='')}"
    )
    expect(row.get_by_test_id("dataset-evaluator-version")).to_have_text("latest")
    expect(row.get_by_test_id("dataset-evaluator-mapping")).to_have_text(
        "expected ← expected.answer"
    )
    attached = api.get(f"/v1/datasets/{dataset_id}/evaluators").json()["data"]
    assert [(a["name"], a["input_mapping"]) for a in attached] == [
        ("exactness", {"expected": "expected.answer"})
    ]

    # The annotation name is the dataset's to give once: the 409 is shown beside it.
    form.get_by_label("Evaluator").select_option(label=f"{name} (Built-in)")
    form.get_by_label("Version").select_option(label="version 1")
    form.get_by_label("Annotation name").fill("exactness")
    form.get_by_role("button", name="Attach").click()
    expect(form.get_by_test_id("problem-name")).to_contain_text(
        "already has an evaluator named exactness"
    )

    row.get_by_role("button", name="Detach exactness").click()
    expect(page.get_by_test_id("dataset-evaluator-row")).to_have_count(0)
    expect(page.get_by_test_id("empty-state")).to_contain_text("No evaluators attached")
    assert api.get(f"/v1/datasets/{dataset_id}/evaluators").json()["data"] == []
