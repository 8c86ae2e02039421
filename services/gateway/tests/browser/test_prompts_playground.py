"""Prompts and the playground in a real browser, through the gateway, with the fake provider
behind the platform (its OpenAI key and base URL given to every service): a prompt made over
REST on the prompts list and its page, its tag moved and deleted in the UI; the playground
streaming two variants side by side and saving one as a tagged version; an LLM span of a trace
replayed in the playground; and a prompt run over a dataset by the experiment runner, cancelled,
resumed and followed to completion. Refusals show the API's own message.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.support.fake_provider_fixtures import FakeProviderServer
from tests.support.otlp_traces import agent_trace, send_spans, wait_for_spans
from tests.support.platform import RunningPlatform

pytestmark = pytest.mark.slow

STREAM_TIMEOUT_MS = 30_000
JOB_TIMEOUT_MS = 120_000


@pytest.fixture(scope="module")
def platform_environment(fake_provider_server: FakeProviderServer) -> dict[str, str]:
    """The platform calls the fake provider for OpenAI (playground and experiment runner)."""
    return {"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": fake_provider_server.openai_base_url}


@pytest.fixture
def api(platform: RunningPlatform) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=platform.base_url, timeout=30) as client:
        yield client


def unique(prefix: str) -> str:
    """A name no other test uses (a prompt name: lower case, digits and '-')."""
    return f"{prefix}-{os.urandom(4).hex()}"


def version_body(model: str, text: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model_provider": "OPENAI",
        "model_name": model,
        "template_type": "CHAT",
        "template_format": "MUSTACHE",
        "template": {
            "type": "chat",
            "messages": [
                {"role": "system", "content": "You are terse."},
                {"role": "user", "content": text},
            ],
        },
        "invocation_parameters": {"type": "openai", "openai": {"temperature": 0.25}},
    }
    body.update(changes)
    return body


def create_version(api: httpx.Client, name: str, version: dict[str, Any], **prompt: Any) -> str:
    response = api.post(
        "/v1/prompts", json={"prompt": {"name": name, **prompt}, "version": version}
    )
    assert response.status_code == 200, response.text
    version_id: str = response.json()["data"]["id"]
    return version_id


def tagged_version(api: httpx.Client, name: str, tag: str) -> str | None:
    response = api.get(f"/v1/prompts/{name}/tags/{tag}")
    if response.status_code == 404:
        return None
    assert response.status_code == 200, response.text
    version_id: str = response.json()["data"]["id"]
    return version_id


def version_card(page: Page, number: int) -> Locator:
    return page.get_by_role("article", name=f"Version {number}", exact=True)


def test_a_prompt_made_over_rest_on_the_list_and_its_page_with_tags_moved_in_the_ui(
    platform: RunningPlatform, browser_page: Page, api: httpx.Client
) -> None:
    page = browser_page
    name = unique("greeter")
    tools = {
        "type": "tools",
        "tools": [{"type": "function", "function": {"name": "lookup_order", "parameters": {}}}],
    }
    first = create_version(
        api,
        name,
        version_body("gpt-4o-mini", "Greet {{person}}", tools=tools),
        description="Greets people",
    )
    second = create_version(api, name, version_body("gpt-4o", "Welcome {{person}} warmly"))
    response = api.post(f"/v1/prompt_versions/{first}/tags", json={"name": "production"})
    assert response.status_code == 204, response.text

    page.goto(platform.base_url)
    page.get_by_role("navigation").get_by_role("link", name="Prompts").click()
    row = page.get_by_test_id("prompt-row").filter(has_text=name)
    expect(row).to_contain_text("Greets people")
    expect(row.get_by_test_id("prompt-model")).to_have_text("OPENAI / gpt-4o")
    expect(row).to_contain_text("production")
    row.get_by_role("link", name=name).click()

    expect(page.get_by_role("heading", name=name)).to_be_visible()
    versions = page.get_by_test_id("prompt-version")
    expect(versions).to_have_count(2)
    expect(versions.first).to_have_attribute("aria-label", "Version 2")  # newest first
    newest, oldest = version_card(page, 2), version_card(page, 1)
    expect(newest.get_by_test_id("version-model")).to_have_text("OPENAI / gpt-4o")
    expect(newest).to_contain_text("Welcome {{person}} warmly")
    expect(newest).to_contain_text("latest")
    expect(oldest.get_by_test_id("version-model")).to_have_text("OPENAI / gpt-4o-mini")
    expect(oldest).to_contain_text("Greet {{person}}")
    expect(oldest.get_by_role("region", name="Invocation parameters")).to_contain_text(
        '"temperature": 0.25'
    )
    expect(oldest.get_by_role("region", name="Tools")).to_contain_text("lookup_order")
    expect(oldest.get_by_test_id("version-tag")).to_have_text(["production"])
    expect(newest.get_by_test_id("version-tag")).to_have_count(0)

    # Move the tag to the newest version.
    page.get_by_label("Version of tag production").select_option(label="Version 2 (latest)")
    expect(newest.get_by_test_id("version-tag")).to_have_text(["production"])
    expect(oldest.get_by_test_id("version-tag")).to_have_count(0)
    assert tagged_version(api, name, "production") == second

    # A tag the API refuses says why, in its words; a good one is set.
    oldest.get_by_label("New tag for version 1").fill("Not An Identifier")
    oldest.get_by_role("button", name="Set tag").click()
    expect(oldest.get_by_role("alert")).to_contain_text("must be lower-case letters")
    oldest.get_by_label("New tag for version 1").fill("staging")
    oldest.get_by_role("button", name="Set tag").click()
    expect(oldest.get_by_test_id("version-tag")).to_have_text(["staging"])
    assert tagged_version(api, name, "staging") == first

    page.get_by_role("button", name="Delete tag production").click()
    expect(newest.get_by_test_id("version-tag")).to_have_count(0)
    expect(page.get_by_test_id("tag-row")).to_have_count(1)
    assert tagged_version(api, name, "production") is None

    # "Open in playground" brings the version's messages and model.
    oldest.get_by_role("link", name="Open in playground").click()
    expect(page).to_have_url(re.compile(r"/playground\?promptVersionId="))
    variant = page.get_by_role("region", name="Variant 1")
    expect(variant.get_by_label("Model")).to_have_value("gpt-4o-mini")
    expect(variant.get_by_label("Content of Variant 1 message 2")).to_have_value("Greet {{person}}")
    expect(variant.get_by_label("Tools (JSON)")).to_have_value(re.compile("lookup_order"))
    expect(page.get_by_label("Variable person")).to_be_visible()


def test_the_playground_streams_two_variants_side_by_side_and_saves_one_as_a_tagged_version(
    platform: RunningPlatform, browser_page: Page, fake_provider: FakeProviderServer
) -> None:
    page = browser_page
    fake_provider.control(inter_token_ms=50)
    question = "why is the sky blue on a clear day"
    page.goto(f"{platform.base_url}/playground")
    page.get_by_label("Variable question").fill(question)
    page.get_by_role("button", name="Add variant").click()
    second = page.get_by_role("region", name="Variant 2")
    second.get_by_label("Model").fill("gpt-4o")
    second.get_by_label("Content of Variant 2 message 1").fill("You answer in one line.")
    page.get_by_role("button", name="Run all").click()

    for label in ("Variant 1", "Variant 2"):
        variant = page.get_by_role("region", name=label)
        # The fake answers with the last user message, one word per chunk.
        expect(variant.get_by_test_id("variant-output")).to_have_text(
            question, timeout=STREAM_TIMEOUT_MS
        )
        expect(variant.get_by_test_id("variant-tokens")).to_contain_text("completion")
        expect(variant.get_by_test_id("variant-error")).to_have_count(0)
        expect(variant.get_by_test_id("variant-cost")).to_contain_text("$", timeout=30_000)
    requests = [
        call["body"]
        for call in fake_provider.calls()["last_requests"]
        if call["path"].endswith("/chat/completions")
    ]
    assert sorted(body["model"] for body in requests) == ["gpt-4o", "gpt-4o-mini"]
    assert all(body["stream"] is True for body in requests)
    by_model = {body["model"]: body for body in requests}
    assert by_model["gpt-4o"]["messages"][0]["content"] == "You answer in one line."
    assert by_model["gpt-4o-mini"]["messages"][1]["content"] == question

    # Each answer links to its trace in the playground project.
    page.get_by_role("region", name="Variant 1").get_by_test_id("variant-trace-link").click()
    expect(page).to_have_url(re.compile(r"/traces/[0-9a-f]{32}"))
    expect(page.get_by_test_id("span-tree")).to_be_visible()
    page.go_back()

    # A refusal of the API is shown as it gave it: no key for the provider.
    first = page.get_by_role("region", name="Variant 1")
    first.get_by_label("Provider").select_option("ANTHROPIC")
    first.get_by_role("button", name="Run Variant 1", exact=True).click()
    expect(first.get_by_test_id("variant-error")).to_contain_text(
        "ANTHROPIC_API_KEY", timeout=STREAM_TIMEOUT_MS
    )
    first.get_by_label("Provider").select_option("OPENAI")
    first.get_by_label("Content of Variant 1 message 2").fill("{{question}} and {{other}}")
    page.get_by_label("Variable other").fill("x")
    first.get_by_label("Invocation parameters (JSON)").fill('{"temperature": 0.5}')

    name = unique("sky")
    first.get_by_role("button", name="Save Variant 1 as a version").click()
    dialog = page.get_by_role("dialog", name="Save as a prompt version")
    dialog.get_by_label("Prompt name").fill(name)
    dialog.get_by_label("Prompt description").fill("Asks about the sky")
    dialog.get_by_label("Version description").fill("from the playground")
    dialog.get_by_label("Tag (optional)").fill("candidate")
    dialog.get_by_role("button", name="Save").click()
    saved = dialog.get_by_test_id("saved-version")
    expect(saved).to_contain_text(f"Saved as version 1 of {name}, tagged candidate")
    saved.get_by_role("link", name=name).click()

    expect(page.get_by_role("heading", name=name)).to_be_visible()
    version = version_card(page, 1)
    expect(version.get_by_test_id("version-tag")).to_have_text(["candidate"])
    expect(version).to_contain_text("from the playground")
    expect(version).to_contain_text("{{question}} and {{other}}")
    expect(version.get_by_role("region", name="Invocation parameters")).to_contain_text(
        '"temperature": 0.5'
    )


def test_an_llm_span_opens_in_the_playground_with_its_messages_and_model(
    platform: RunningPlatform, browser_page: Page, fake_provider: FakeProviderServer
) -> None:
    page = browser_page
    sent = agent_trace()
    send_spans(platform.base_url, unique("replay"), sent.spans)
    wait_for_spans(platform.base_url, sent.trace_id, len(sent.spans))

    page.goto(f"{platform.base_url}/traces/{sent.trace_id}?span={sent.llm_span_id}")
    detail = page.get_by_test_id("span-detail")
    detail.get_by_role("link", name="Open in playground").click()

    expect(page).to_have_url(re.compile(rf"/playground\?spanId={sent.llm_span_id}"))
    variant = page.get_by_role("region", name="Variant 1")
    expect(variant.get_by_label("Provider")).to_have_value("OPENAI")
    expect(variant.get_by_label("Model")).to_have_value("gpt-4o-mini")
    expect(variant.get_by_label("Role of Variant 1 message 1")).to_have_value("system")
    expect(variant.get_by_label("Content of Variant 1 message 1")).to_have_value(sent.system_prompt)
    expect(variant.get_by_label("Role of Variant 1 message 2")).to_have_value("user")
    expect(variant.get_by_label("Content of Variant 1 message 2")).to_have_value(sent.question)
    expect(variant.get_by_label("Role of Variant 1 message 3")).to_have_value("assistant")
    expect(variant.get_by_label("Tool calls and results of Variant 1 message 3")).to_contain_text(
        "lookup_order"
    )
    expect(variant.get_by_label("Role of Variant 1 message 4")).to_have_value("tool")
    expect(variant.get_by_label("Invocation parameters (JSON)")).to_have_value(
        re.compile(r'"temperature": 0.2')
    )

    # Replayed as it was: the fake answers with the last user message.
    variant.get_by_role("button", name="Run Variant 1", exact=True).click()
    expect(variant.get_by_test_id("variant-output")).to_have_text(
        sent.question, timeout=STREAM_TIMEOUT_MS
    )
    sent_messages = fake_provider.calls()["last_requests"][-1]["body"]["messages"]
    assert [message["role"] for message in sent_messages] == [
        "system",
        "user",
        "assistant",
        "tool",
    ]


def test_a_prompt_run_over_a_dataset_is_followed_cancelled_resumed_and_completed(
    platform: RunningPlatform,
    browser_page: Page,
    api: httpx.Client,
    fake_provider: FakeProviderServer,
) -> None:
    page = browser_page
    dataset_name = unique("quiz")
    response = api.post(
        "/v1/datasets/upload?sync=true",
        json={
            "action": "create",
            "name": dataset_name,
            "inputs": [{"question": q} for q in ("two plus two", "capital of france", "ocean")],
            "outputs": [{"answer": a} for a in ("4", "Paris", "Pacific")],
        },
    )
    assert response.status_code == 200, response.text
    dataset_id = response.json()["data"]["dataset_id"]

    page.goto(f"{platform.base_url}/datasets/{dataset_id}")
    page.get_by_role("link", name="Run a prompt").click()
    expect(page).to_have_url(re.compile(r"/playground\?datasetId="))
    panel = page.get_by_role("region", name="Run over a dataset")
    expect(panel.get_by_label("Dataset")).to_have_value(dataset_id)
    expect(panel).to_contain_text("3 examples")

    # The server refuses a variable the examples lack, naming it.
    variant = page.get_by_role("region", name="Variant 1")
    variant.get_by_label("Content of Variant 1 message 2").fill("Q: {{nope}}")
    panel.get_by_role("button", name="Start the experiment").click()
    expect(panel.get_by_role("alert")).to_contain_text(
        "'nope' is missing from the input of 3 example(s)"
    )

    variant.get_by_label("Content of Variant 1 message 2").fill("Q: {{question}}")
    panel.get_by_label("Repetitions").fill("2")
    experiment_name = unique("sky-run")
    panel.get_by_label("Experiment name (optional)").fill(experiment_name)
    fake_provider.control(latency_ms=8_000)  # long enough to be cancelled mid-run
    panel.get_by_role("button", name="Start the experiment").click()

    progress = panel.get_by_test_id("job-progress")
    expect(progress.get_by_test_id("job-status")).to_have_text("Running")
    expect(progress.get_by_test_id("job-runs")).to_contain_text("/ 6")
    progress.get_by_role("button", name="Cancel").click()
    expect(progress.get_by_test_id("job-status")).to_have_text("Cancelled")

    fake_provider.control(latency_ms=0)
    progress.get_by_role("button", name="Resume").click()
    expect(progress.get_by_test_id("job-status")).to_have_text("Completed", timeout=JOB_TIMEOUT_MS)
    expect(progress.get_by_test_id("job-runs")).to_have_text("6 / 6")
    expect(progress.get_by_test_id("job-failed")).to_have_text("0")
    expect(progress.get_by_test_id("job-tokens")).not_to_contain_text("0 (0 prompt")
    expect(progress.get_by_test_id("job-cost")).to_contain_text("$")
    answered = {
        call["body"]["messages"][-1]["content"]
        for call in fake_provider.calls()["last_requests"]
        if call["path"].endswith("/chat/completions")
    }
    assert {"Q: two plus two", "Q: capital of france", "Q: ocean"} <= answered

    progress.get_by_role("link", name=experiment_name).click()
    expect(page).to_have_url(re.compile(r"/datasets/[^/]+/experiments/[^/]+$"))
    page.get_by_role("link", name="Experiments", exact=True).click()
    row = page.get_by_test_id("experiment-row").filter(has_text=experiment_name)
    job = row.get_by_test_id("experiment-job")
    expect(job.get_by_test_id("job-status")).to_have_text("Completed")
    expect(job.get_by_test_id("experiment-job-runs")).to_have_text("6 / 6")
