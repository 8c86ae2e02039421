"""Online evaluation in a real browser: a rule created through its form (a filter refused with
its position, then a dry run), its live figures as the platform's dispatcher and worker score
new spans, pausing and resuming it with the reason shown; a span's decision history (scored,
not matched, sampled out); annotations as score columns of the traces and spans tables; and the
Scores chart of the metrics page.

The platform runs everything ``make run`` runs, the evaluation dispatcher and worker included,
so rules here score for real: a built-in ``contains`` evaluator needs no provider. The
dispatcher reads its rules every quarter of a second here (five seconds by default), so a rule
just created applies to the next spans sent. Each test has a project of its own.
"""

from __future__ import annotations

import os
import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from spyglass_db.evaluation_rules import sample_draw
from tests.support.otlp_traces import SentTrace, agent_trace, send_spans, wait_for_spans
from tests.support.platform import RunningPlatform
from tests.support.waiting import assert_eventually

SCORING_TIMEOUT_MS = 60_000
"""How long a span may take to be scored: the writer's flush, the dispatcher, the worker, and
the next refresh of the page."""

SAMPLING_RATE = 0.5


@pytest.fixture(scope="module")
def platform_environment() -> dict[str, str]:
    """Rules take effect a quarter of a second after they change, not five."""
    return {"SPYGLASS_EVAL_DISPATCHER_RULES_REFRESH_SECONDS": "0.25"}


def unique(prefix: str) -> str:
    """A name no other test uses."""
    return f"{prefix}-{os.urandom(4).hex()}"


def api(platform: RunningPlatform, method: str, path: str, body: Any = None) -> Any:
    """The JSON answer of a REST call through the gateway, which must succeed."""
    response = httpx.request(method, f"{platform.base_url}{path}", json=body, timeout=30.0)
    assert response.is_success, f"{method} {path}: {response.status_code} {response.text}"
    return response.json() if response.content else None


def store(platform: RunningPlatform, project: str, *runs: SentTrace) -> None:
    """Sends the runs into ``project`` and waits until every span is served."""
    send_spans(platform.base_url, project, [span for run in runs for span in run.spans])
    for run in runs:
        wait_for_spans(platform.base_url, run.trace_id, len(run.spans))


def run_drawn(*, sampled: bool) -> SentTrace:
    """An agent run whose trace id a rule sampling at ``SAMPLING_RATE`` keeps (or leaves out)."""
    while True:
        run = agent_trace(question="Where is my order 1234?")
        if (sample_draw(run.trace_id) < SAMPLING_RATE) == sampled:
            return run


@pytest.fixture(scope="module")
def evaluator(platform: RunningPlatform) -> dict[str, Any]:
    """A built-in evaluator: does the output mention an order? (The agent runs' answers do.)"""
    created: dict[str, Any] = api(
        platform,
        "POST",
        "/v1/evaluators",
        {
            "name": unique("mentions-order"),
            "kind": "BUILTIN",
            "definition": {"evaluator": "contains", "config": {"words": ["order"]}},
        },
    )["data"]
    return created


def create_rule(
    platform: RunningPlatform, project: str, evaluator: dict[str, Any], **settings: Any
) -> dict[str, Any]:
    body = {
        "name": unique("rule"),
        "evaluator": evaluator["id"],
        "filter": "span_kind == 'LLM'",
        "target": "SPAN",
        "sampling_rate": 1.0,
        **settings,
    }
    rule: dict[str, Any] = api(platform, "POST", f"/v1/projects/{project}/evaluation_rules", body)[
        "data"
    ]
    return rule


def until_the_dispatcher_applies(platform: RunningPlatform, project: str, rule_id: str) -> None:
    """Returns once the dispatcher decides the project's spans with rule ``rule_id``: it reads
    its rules every so often, so a span stored just after the rule was created may be decided
    without it. Probe runs, which the rule samples out (no job), are sent until one is counted
    as sampled out."""

    def sampled_out() -> None:
        rule = api(platform, "GET", f"/v1/evaluation_rules/{rule_id}")["data"]
        assert rule["figures"]["sampled_out"] > 0, rule["figures"]

    def probe_counted() -> None:
        store(platform, project, run_drawn(sampled=False))
        assert_eventually(sampled_out, timeout=5.0, interval=0.25)

    assert_eventually(probe_counted, timeout=SCORING_TIMEOUT_MS / 1000)


def decision_of(platform: RunningPlatform, project: str, span_id: str) -> dict[str, Any]:
    """The first rule's decision about the span, as the REST API explains it."""
    answer = api(platform, "GET", f"/v1/projects/{project}/spans/{span_id}/evaluations")
    decision: dict[str, Any] = answer["data"]["rules"][0]
    return decision


def test_a_rule_is_created_through_its_form_then_counts_pauses_and_resumes(
    platform: RunningPlatform, browser_page: Page, evaluator: dict[str, Any]
) -> None:
    project = unique("rules-form")
    # Two LLM spans in the project's last hour, for the dry run to count.
    store(platform, project, agent_trace(), agent_trace())
    page = browser_page
    page.goto(f"{platform.base_url}/projects/{project}/traces")
    page.get_by_role("navigation", name="Project").get_by_role("link", name="Evaluations").click()
    expect(page).to_have_url(re.compile(rf"/projects/{project}/evaluations$"))
    expect(page.get_by_test_id("empty-state")).to_contain_text("No online evaluation rules yet")

    page.get_by_role("link", name="New rule").click()
    form = page.get_by_role("form", name="New evaluation rule")
    form.get_by_label("Name", exact=True).fill("order-answers")
    form.get_by_label("Evaluator", exact=True).select_option(
        label=f"{evaluator['name']} (BUILTIN, v1)"
    )
    filter_input = form.locator('input[name="filter"]')
    filter_input.fill("span_kin == 'LLM'")
    form.get_by_role("button", name="Create rule").click()

    # The filter language's refusal, with its position, under the filter.
    problem = form.get_by_test_id("field-problem")
    expect(problem).to_have_count(1)
    expect(problem).to_contain_text("line 1, column 1")
    expect(problem).to_contain_text("span_kin")
    expect(filter_input).to_have_attribute("aria-invalid", "true")
    expect(page).to_have_url(re.compile(r"/evaluations/new$"))

    filter_input.fill("span_kind == 'LLM'")
    expect(problem).to_have_count(0)
    form.get_by_role("button", name="Dry run").click()
    expect(form.get_by_test_id("dry-run-result")).to_have_text(
        "2 spans of the last hour match, 2 sampled: 2 spans would be scored."
    )

    form.get_by_role("button", name="Create rule").click()
    expect(page).to_have_url(re.compile(rf"/projects/{project}/evaluations/[^/]+$"))
    card = page.get_by_test_id("rule-card")
    expect(card.get_by_role("heading", name="order-answers")).to_be_visible()
    expect(card.get_by_test_id("rule-status")).to_have_text("Active")
    expect(card.get_by_test_id("rule-filter")).to_have_text("span_kind == 'LLM'")
    expect(card.get_by_test_id("rule-evaluator")).to_contain_text(
        f"{evaluator['name']} (BUILTIN), always the latest version"
    )
    expect(card.get_by_test_id("figure-matched").locator("dd")).to_have_text("0")

    # A new run: the dispatcher matches its LLM span, the worker scores it, the page shows it.
    store(platform, project, agent_trace())
    expect(card.get_by_test_id("figure-matched").locator("dd")).to_have_text(
        "1", timeout=SCORING_TIMEOUT_MS
    )
    expect(card.get_by_test_id("figure-succeeded").locator("dd")).to_have_text(
        "1", timeout=SCORING_TIMEOUT_MS
    )
    expect(card.get_by_test_id("figure-failed").locator("dd")).to_have_text("0")
    jobs = page.get_by_test_id("job-row")
    expect(jobs).to_have_count(1)
    expect(jobs.first).to_have_attribute("data-state", "SUCCEEDED")

    card.get_by_role("button", name="Pause").click()
    card.get_by_label("Reason for pausing").fill("reviewing the evaluator")
    card.get_by_role("button", name="Pause rule").click()
    expect(card.get_by_test_id("rule-status")).to_have_text("Paused")
    expect(card.get_by_test_id("rule-status-reason")).to_have_text(
        "Paused: reviewing the evaluator"
    )
    page.get_by_role("link", name="← All rules").click()
    listed = page.get_by_test_id("rule-card").filter(has_text="order-answers")
    expect(listed.get_by_test_id("rule-status-reason")).to_have_text(
        "Paused: reviewing the evaluator"
    )

    listed.get_by_role("button", name="Resume").click()
    expect(listed.get_by_test_id("rule-status")).to_have_text("Active")
    expect(listed.get_by_test_id("rule-status-reason")).to_have_count(0)


def test_a_rule_is_deleted_from_the_project_page(
    platform: RunningPlatform, browser_page: Page, evaluator: dict[str, Any]
) -> None:
    project = unique("rules-delete")
    store(platform, project, agent_trace())
    rule = create_rule(platform, project, evaluator, name="short-lived")
    browser_page.goto(f"{platform.base_url}/projects/{project}/evaluations")
    card = browser_page.get_by_test_id("rule-card")
    expect(card).to_have_count(1)

    browser_page.once("dialog", lambda dialog: dialog.accept())
    card.get_by_role("button", name="Delete").click()

    expect(browser_page.get_by_test_id("empty-state")).to_contain_text(
        "No online evaluation rules yet"
    )
    response = httpx.get(f"{platform.base_url}/v1/evaluation_rules/{rule['id']}", timeout=10.0)
    assert response.status_code == 404, response.text


def test_a_change_to_a_rule_makes_its_next_version(
    platform: RunningPlatform, browser_page: Page, evaluator: dict[str, Any]
) -> None:
    project = unique("rules-edit")
    api(platform, "POST", "/v1/projects", {"name": project})
    create_rule(platform, project, evaluator, name="to-change")
    page = browser_page
    page.goto(f"{platform.base_url}/projects/{project}/evaluations")
    page.get_by_test_id("rule-card").get_by_role("link", name="Edit").click()
    form = page.get_by_role("form", name="Change to-change")
    rate = form.get_by_label("Sampling rate (0 to 1)")
    expect(rate).to_have_value("1")

    rate.fill("2")
    form.get_by_role("button", name="Save changes").click()
    expect(form.get_by_test_id("field-problem")).to_have_text(
        "The sampling rate must be from 0 to 1, not 2."
    )

    rate.fill("0.25")
    form.get_by_role("button", name="Save changes").click()
    expect(page).to_have_url(re.compile(r"/evaluations/[^/]+$"))
    card = page.get_by_test_id("rule-card")
    expect(card.get_by_test_id("rule-sampling")).to_have_text("25% of traces")
    expect(card.get_by_test_id("rule-version")).to_have_text(re.compile(r"^2, changed "))


def test_a_spans_evaluations_say_why_it_has_or_has_not_a_score(
    platform: RunningPlatform, browser_page: Page, evaluator: dict[str, Any]
) -> None:
    project = unique("rules-decisions")
    api(platform, "POST", "/v1/projects", {"name": project})
    rule = create_rule(
        platform, project, evaluator, name="sampled-llm", sampling_rate=SAMPLING_RATE
    )
    until_the_dispatcher_applies(platform, project, rule["id"])
    kept, left_out = run_drawn(sampled=True), run_drawn(sampled=False)
    store(platform, project, kept, left_out)

    def scored() -> None:
        assert decision_of(platform, project, kept.llm_span_id)["decision"] == "scored"

    assert_eventually(scored, timeout=SCORING_TIMEOUT_MS / 1000, interval=0.5)
    page = browser_page
    detail = page.get_by_test_id("span-detail")

    def evaluations_of(run: SentTrace, span_id: str) -> None:
        page.goto(f"{platform.base_url}/traces/{run.trace_id}?span={span_id}")
        detail.get_by_role("tab", name="Evaluations").click()

    evaluations_of(kept, kept.llm_span_id)
    decision = detail.get_by_test_id("span-decision")
    expect(decision).to_have_count(1)
    expect(decision).to_have_attribute("data-rule", rule["name"])
    expect(decision.get_by_test_id("decision-verdict")).to_have_text("Scored")
    expect(decision.get_by_test_id("decision-score")).to_contain_text("sampled-llm: 1.00 (true)")
    expect(decision.get_by_test_id("decision-sampling")).to_contain_text(f"< rate {SAMPLING_RATE}")

    evaluations_of(kept, kept.root_span_id)
    expect(decision.get_by_test_id("decision-verdict")).to_have_text("Not matched")
    expect(decision.get_by_test_id("decision-reason")).to_have_text(
        "the rule's filter does not match this span"
    )
    expect(decision.get_by_test_id("decision-score")).to_have_count(0)

    evaluations_of(left_out, left_out.llm_span_id)
    expect(decision.get_by_test_id("decision-verdict")).to_have_text("Sampled out")
    draw = f"{sample_draw(left_out.trace_id):.3f}"
    expect(decision.get_by_test_id("decision-sampling")).to_have_text(
        f"trace draw {draw} ≥ rate {SAMPLING_RATE}"
    )
    expect(decision.get_by_test_id("decision-score")).to_have_count(0)

    # The rule's name leads to its page, whose jobs list the one it scored.
    decision.get_by_role("link", name=rule["name"]).click()
    expect(page).to_have_url(re.compile(r"/evaluations/[^/]+$"))
    jobs = page.get_by_test_id("job-row")
    expect(jobs).to_have_count(1)
    expect(jobs.first).to_have_attribute("data-state", "SUCCEEDED")
    expect(jobs.first.get_by_role("link")).to_have_attribute("href", f"/spans/{kept.llm_span_id}")


@pytest.fixture(scope="module")
def annotated(platform: RunningPlatform) -> tuple[str, SentTrace, SentTrace]:
    """A project of two runs annotated through Phoenix's REST API: both traces with a
    ``helpfulness`` score, the first also a ``tone`` label; the first run's LLM span with a
    ``correctness`` score."""
    project = unique("rules-scores")
    first, second = agent_trace(), agent_trace(question="Can I return it?")
    store(platform, project, first, second)
    api(
        platform,
        "POST",
        "/v1/trace_annotations",
        {
            "data": [
                {
                    "trace_id": first.trace_id,
                    "name": "helpfulness",
                    "annotator_kind": "HUMAN",
                    "result": {"score": 0.75, "label": "helpful"},
                },
                {
                    "trace_id": second.trace_id,
                    "name": "helpfulness",
                    "annotator_kind": "HUMAN",
                    "result": {"score": 0.25},
                },
                {
                    "trace_id": first.trace_id,
                    "name": "tone",
                    "annotator_kind": "LLM",
                    "result": {"label": "friendly"},
                },
            ]
        },
    )
    api(
        platform,
        "POST",
        "/v1/span_annotations",
        {
            "data": [
                {
                    "span_id": first.llm_span_id,
                    "name": "correctness",
                    "annotator_kind": "LLM",
                    "result": {"score": 0.9, "label": "correct"},
                }
            ]
        },
    )
    return project, first, second


def test_annotations_are_score_columns_of_the_traces_and_spans_tables(
    platform: RunningPlatform,
    browser_page: Page,
    annotated: tuple[str, SentTrace, SentTrace],
) -> None:
    project, first, second = annotated
    page = browser_page
    page.goto(f"{platform.base_url}/projects/{project}/traces")

    columns = page.get_by_test_id("score-column")
    # The name on both rows first.
    expect(columns).to_have_text(["helpfulness", "tone"])

    def cell(row_test_id: str, attribute: str, value: str, annotation: str) -> Any:
        row = page.locator(f'[data-testid="{row_test_id}"][{attribute}="{value}"]')
        return row.locator(f'[data-testid="score-cell"][data-annotation="{annotation}"]')

    expect(cell("trace-row", "data-trace-id", first.trace_id, "helpfulness")).to_have_text("0.75")
    expect(cell("trace-row", "data-trace-id", second.trace_id, "helpfulness")).to_have_text("0.25")
    # A label where there is no score; nothing where there is no annotation.
    expect(cell("trace-row", "data-trace-id", first.trace_id, "tone")).to_have_text("friendly")
    expect(cell("trace-row", "data-trace-id", second.trace_id, "tone")).to_have_text("")

    page.get_by_role("navigation", name="Project").get_by_role("link", name="Spans").click()
    expect(columns).to_have_text(["correctness"])
    expect(cell("span-row", "data-span-id", first.llm_span_id, "correctness")).to_have_text("0.90")
    expect(cell("span-row", "data-span-id", second.llm_span_id, "correctness")).to_have_text("")


def test_the_metrics_page_draws_a_line_of_scores_per_annotation_name(
    platform: RunningPlatform,
    browser_page: Page,
    annotated: tuple[str, SentTrace, SentTrace],
) -> None:
    project, _, _ = annotated
    browser_page.goto(f"{platform.base_url}/projects/{project}/metrics")

    chart = browser_page.get_by_role("region", name="Scores", exact=True)
    expect(chart.get_by_role("heading", name="Scores", exact=True)).to_be_visible()
    # helpfulness (2) and correctness (1) have scores; tone has only a label.
    expect(browser_page.get_by_test_id("chart-scores-summary")).to_have_text(
        "4 annotations; labels only: tone"
    )
    expect(chart.locator(".recharts-line")).to_have_count(2)
    expect(chart.locator(".recharts-line-dots circle").first).to_be_visible()
    legend = chart.locator(".recharts-legend-item-text")
    expect(legend).to_have_count(2)
    for name in ("correctness", "helpfulness"):
        expect(legend.filter(has_text=name)).to_have_count(1)
