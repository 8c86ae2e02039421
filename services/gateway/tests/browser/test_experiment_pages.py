"""The experiment pages in a real browser, through the gateway, over experiments that
`arize-phoenix-client` ran: a dataset made with `create_dataset`, two experiments run with
`run_experiment` (a task and an evaluator; their task spans go to the gateway over OTLP/HTTP),
the dataset's experiments with their mean scores, one experiment's runs with a working link to a
run's trace, and the two compared side by side, where the filter finds the one example the
candidate got wrong, and the address keeps every choice.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from phoenix.client import Client
from playwright.sync_api import Page, expect

from tests.support.otlp_traces import wait_for_spans
from tests.support.platform import RunningPlatform

QUESTIONS = {"2+2": 4, "3+3": 6, "4+4": 8}
WRONG = "3+3"
"""The question the candidate answers wrongly."""


def unique(prefix: str) -> str:
    """A name no other test uses."""
    return f"{prefix}-{os.urandom(4).hex()}"


def baseline_task(input: dict[str, Any]) -> dict[str, Any]:
    left, right = input["question"].split("+")
    return {"answer": int(left) + int(right)}


def candidate_task(input: dict[str, Any]) -> dict[str, Any]:
    if input["question"] == WRONG:
        return {"answer": 7}
    return baseline_task(input)


def correct(output: dict[str, Any], expected: dict[str, Any]) -> bool:
    return bool(output == expected)


@dataclass(frozen=True)
class Experiments:
    dataset_id: str
    dataset_name: str
    baseline_id: str
    candidate_id: str
    trace_ids: list[str]
    """The baseline's runs' trace ids, whose spans are stored."""


@pytest.fixture(scope="module")
def client(platform: RunningPlatform) -> Iterator[Client]:
    """A Phoenix client pointed at Spyglass's public address, and nothing else."""
    with httpx.Client(base_url=platform.base_url, timeout=30) as http:
        yield Client(http_client=http)


@pytest.fixture(scope="module")
def experiments(platform: RunningPlatform, client: Client) -> Experiments:
    """A dataset of three questions and two experiments over it, their task traces stored."""
    name = unique("arithmetic")
    dataset = client.datasets.create_dataset(
        name=name,
        inputs=[{"question": question} for question in QUESTIONS],
        outputs=[{"answer": answer} for answer in QUESTIONS.values()],
        dataset_description="sums",
    )
    baseline = client.experiments.run_experiment(
        dataset=dataset, task=baseline_task, evaluators=[correct],
        experiment_name="baseline", print_summary=False,
    )  # fmt: skip
    candidate = client.experiments.run_experiment(
        dataset=dataset, task=candidate_task, evaluators=[correct],
        experiment_name="candidate", print_summary=False,
    )  # fmt: skip
    trace_ids = [run["trace_id"] for run in baseline["task_runs"]]
    for trace_id in trace_ids:
        wait_for_spans(platform.base_url, trace_id, 1)
    return Experiments(
        dataset.id, name, baseline["experiment_id"], candidate["experiment_id"], trace_ids
    )


def dataset_url(platform: RunningPlatform, experiments: Experiments) -> str:
    return f"{platform.base_url}/datasets/{quote(experiments.dataset_id, safe='')}"


def test_the_experiments_tab_lists_both_with_their_scores(
    browser_page: Page, platform: RunningPlatform, experiments: Experiments
) -> None:
    page = browser_page
    page.goto(f"{platform.base_url}/datasets")
    page.get_by_role("link", name=experiments.dataset_name).click()
    page.get_by_role("navigation", name="Dataset").get_by_role("link", name="Experiments").click()

    expect(page).to_have_url(re.compile(r"/datasets/[^/]+/experiments$"))
    rows = page.get_by_test_id("experiment-row")
    expect(rows).to_have_count(2)
    expect(page.get_by_test_id("experiment-count")).to_have_text("2 experiments")
    candidate, baseline = rows.nth(0), rows.nth(1)  # newest first
    expect(candidate).to_contain_text("candidate")
    expect(baseline).to_contain_text("baseline")
    expect(baseline.locator('[data-evaluator="correct"]')).to_have_text("1")
    expect(candidate.locator('[data-evaluator="correct"]')).to_have_text("0.67")
    expect(page.get_by_role("button", name="Compare")).to_be_disabled()


def test_an_experiments_runs_and_a_runs_trace(
    browser_page: Page, platform: RunningPlatform, experiments: Experiments
) -> None:
    page = browser_page
    page.goto(f"{dataset_url(platform, experiments)}/experiments")
    page.get_by_role("link", name="candidate", exact=True).click()

    expect(page).to_have_url(re.compile(r"/experiments/[^/]+$"))
    rows = page.get_by_test_id("run-row")
    expect(rows).to_have_count(3)
    wrong = rows.filter(has_text=WRONG)
    expect(wrong).to_contain_text("answer: 6")  # expected
    expect(wrong).to_contain_text("answer: 7")  # output
    expect(wrong.get_by_label("Evaluations")).to_contain_text("correct 0")
    expect(rows.filter(has_text="2+2").get_by_label("Evaluations")).to_contain_text("correct 1")
    expect(page.get_by_test_id("experiment-summary")).to_contain_text("3 / 3")

    page.goto(f"{dataset_url(platform, experiments)}/experiments/{quote(experiments.baseline_id)}")
    rows.first.get_by_role("link", name="Trace").click()

    expect(page).to_have_url(re.compile(r"/traces/[0-9a-f]{32}"))
    trace_id = page.url.rsplit("/", 1)[-1].split("?")[0]
    assert trace_id in experiments.trace_ids
    expect(page.get_by_text("Task: baseline_task").first).to_be_visible()


def test_compare_the_two_and_find_the_regressed_example(
    browser_page: Page, platform: RunningPlatform, experiments: Experiments
) -> None:
    page = browser_page
    page.goto(f"{dataset_url(platform, experiments)}/experiments")
    rows = page.get_by_test_id("experiment-row")
    rows.filter(has_text="baseline").get_by_role("checkbox").check()
    rows.filter(has_text="candidate").get_by_role("checkbox").check()
    page.get_by_role("button", name="Compare").click()

    expect(page).to_have_url(re.compile(r"/compare\?experimentId=.+&experimentId=.+"))
    columns = page.get_by_test_id("experiment-column")
    expect(columns).to_have_count(2)
    expect(columns.first).to_contain_text("baseline")
    expect(columns.first).to_contain_text("Baseline")
    examples = page.get_by_test_id("comparison-row")
    expect(examples).to_have_count(3)

    page.get_by_label("Filter on evaluator").select_option("correct")
    page.get_by_label("Compared to the baseline").select_option("REGRESSED")

    expect(page).to_have_url(re.compile(r"evaluator=correct&comparison=REGRESSED"))
    expect(examples).to_have_count(1)
    expect(examples.first).to_contain_text(WRONG)
    delta = examples.first.locator('td[data-experiment="candidate"] [data-comparison]')
    expect(delta).to_have_text("\u22121")  # a minus sign
    expect(delta).to_have_attribute("data-comparison", "REGRESSED")

    page.reload()  # the address holds the comparison, the baseline and the filter
    expect(examples).to_have_count(1)
    expect(examples.first).to_contain_text(WRONG)

    columns.nth(1).get_by_role("button", name="Make baseline").click()
    expect(columns.first).to_contain_text("candidate")
    expect(page.get_by_test_id("empty-state")).to_contain_text("No examples match")
    page.get_by_label("Compared to the baseline").select_option("IMPROVED")
    expect(examples).to_have_count(1)
    expect(examples.first).to_contain_text(WRONG)


def test_a_comparison_of_one_experiment_asks_for_another(
    browser_page: Page, platform: RunningPlatform, experiments: Experiments
) -> None:
    page = browser_page
    page.goto(
        f"{dataset_url(platform, experiments)}/compare?experimentId="
        f"{quote(experiments.candidate_id, safe='')}"
    )

    expect(page.get_by_test_id("empty-state")).to_contain_text("Choose 2 to 8 experiments")
    page.get_by_label("Add an experiment").select_option(label="baseline #1")
    expect(page.get_by_test_id("comparison-row")).to_have_count(3)
    expect(page.get_by_test_id("experiment-column").first).to_contain_text("candidate")
