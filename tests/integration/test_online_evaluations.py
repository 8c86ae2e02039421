"""Evaluations end to end, every part a real process: spans sent over OTLP are stored, the
dispatcher decides them against a project's rule made over REST, the eval worker scores the
sampled ones, and the scores show as annotations the filter language finds, with each span's
decision explained; a dataset evaluator scores the runs a client posts (as Phoenix's client
does) without anyone asking."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from spyglass_launcher.ports import free_port
from tests.support.ingest import IngestPlane, StartIngest
from tests.support.otlp_traces import agent_trace, send_spans, wait_for_spans
from tests.support.processes import SpawnService, service_environment, wait_healthy
from tests.support.stack import Stack
from tests.support.waiting import assert_eventually

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


@dataclass
class EvaluationPlatform:
    api: str
    ingest: IngestPlane


@pytest.fixture
def platform(
    spawn_service: SpawnService,
    start_ingest: StartIngest,
    stack: Stack,
    database_url: str,
    redis_url: str,
    nats_namespace: str,
) -> Iterator[EvaluationPlatform]:
    ingest = start_ingest(writer=True)
    common = {
        "SPYGLASS_DB_URL": database_url,
        "SPYGLASS_REDIS_URL": redis_url,
        "SPYGLASS_NATS_URL": stack.nats_url,
        "SPYGLASS_NATS_NAMESPACE": nats_namespace,
    }
    api_port, dispatcher_port, worker_port = free_port(), free_port(), free_port()
    api = spawn_service(
        "query-api",
        ("spyglass_query_api",),
        service_environment(**common, SPYGLASS_QUERY_API_PORT=str(api_port)),
    )
    dispatcher = spawn_service(
        "eval-dispatcher",
        ("spyglass_eval_worker", "dispatcher"),
        service_environment(
            **common,
            SPYGLASS_EVAL_DISPATCHER_HEALTH_PORT=str(dispatcher_port),
            SPYGLASS_EVAL_DISPATCHER_RULES_REFRESH_SECONDS="0.5",
            SPYGLASS_EVAL_DISPATCHER_RELEASE_INTERVAL_SECONDS="0.5",
        ),
    )
    worker = spawn_service(
        "eval-worker",
        ("spyglass_eval_worker",),
        service_environment(**common, SPYGLASS_EVAL_WORKER_HEALTH_PORT=str(worker_port)),
    )
    base_url = f"http://127.0.0.1:{api_port}"
    wait_healthy(api, f"{base_url}/healthz", timeout=120)
    wait_healthy(dispatcher, f"http://127.0.0.1:{dispatcher_port}/healthz", timeout=120)
    wait_healthy(worker, f"http://127.0.0.1:{worker_port}/healthz", timeout=120)
    yield EvaluationPlatform(base_url, ingest)


@pytest.fixture
def api(platform: EvaluationPlatform) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=platform.api, timeout=30) as client:
        yield client


def _ok(response: httpx.Response) -> Any:
    assert response.status_code in (200, 201), response.text
    return response.json()["data"]


def test_a_rule_scores_the_spans_it_matches_and_says_why_for_the_rest(
    platform: EvaluationPlatform, api: httpx.Client
) -> None:
    _ok(api.post("/v1/projects", json={"name": "shop"}))
    _ok(
        api.post(
            "/v1/evaluators",
            json={
                "name": "mentions-order",
                "kind": "BUILTIN",
                "definition": {
                    "kind": "BUILTIN",
                    "evaluator": "contains",
                    "config": {"words": ["order"]},
                },
            },
        )
    )
    refused = api.post(
        "/v1/projects/shop/evaluation_rules",
        json={
            "name": "answers",
            "evaluator": "mentions-order",
            "filter": "span_kind == 'LLM' and",
            "target": "SPAN",
            "sampling_rate": 1,
        },
    )
    assert refused.status_code == 422 and "filter" in refused.text
    rule = _ok(
        api.post(
            "/v1/projects/shop/evaluation_rules",
            json={
                "name": "answers",
                "annotation_name": "mentions_order",
                "evaluator": "mentions-order",
                "filter": "span_kind == 'LLM'",
                "target": "SPAN",
                "sampling_rate": 1,
            },
        )
    )
    good = agent_trace(answer="Your order 1234 ships tomorrow.")
    bad = agent_trace(answer="I cannot help with that.")
    send_spans(platform.ingest.http_url, "shop", good.spans + bad.spans)
    for trace in (good, bad):
        wait_for_spans(platform.api, trace.trace_id, 4)

    def scored() -> None:
        body = api.post(
            "/graphql",
            json={
                "query": """query { project(name: "shop") { spans(filter:
                  "annotations['mentions_order'].label == 'false'") {
                  edges { node { spanId name } } } } }"""
            },
        ).json()
        edges = body["data"]["project"]["spans"]["edges"]
        assert [edge["node"]["spanId"] for edge in edges] == [bad.llm_span_id], body

    assert_eventually(scored, timeout=60)
    decisions = _ok(api.get(f"/v1/projects/shop/spans/{good.llm_span_id}/evaluations"))
    assert [item["decision"] for item in decisions["rules"]] == ["scored"]
    root = _ok(api.get(f"/v1/projects/shop/spans/{good.root_span_id}/evaluations"))
    assert [item["decision"] for item in root["rules"]] == ["not_matched"]
    figures = _ok(api.get(f"/v1/evaluation_rules/{rule['id']}"))
    assert figures["figures"]["jobs"]["succeeded"] == 2, figures


def test_a_dataset_evaluator_scores_the_runs_a_client_posts(api: httpx.Client) -> None:
    dataset = _ok(
        api.post(
            "/v1/datasets/upload?sync=true",
            json={
                "action": "create",
                "name": "capitals",
                "inputs": [{"country": "France"}, {"country": "Australia"}],
                "outputs": [{"capital": "Paris"}, {"capital": "Canberra"}],
            },
        )
    )["dataset_id"]
    _ok(
        api.post(
            "/v1/evaluators",
            json={
                "name": "same-capital",
                "kind": "BUILTIN",
                "definition": {
                    "kind": "BUILTIN",
                    "evaluator": "exact_match",
                    "config": {"case_sensitive": False},
                },
            },
        )
    )
    _ok(
        api.post(
            f"/v1/datasets/{dataset}/evaluators",
            json={
                "evaluator": "same-capital",
                "name": "correct_capital",
                "input_mapping": {"expected": "expected.capital"},
            },
        )
    )
    experiment = _ok(api.post(f"/v1/datasets/{dataset}/experiments", json={}))
    examples = _ok(api.get(f"/v1/datasets/{dataset}/examples"))["examples"]
    answers = {"France": "paris", "Australia": "Sydney"}
    for example in examples:
        _ok(
            api.post(
                f"/v1/experiments/{experiment['id']}/runs",
                json={
                    "dataset_example_id": example["id"],
                    "output": answers[example["input"]["country"]],
                    "repetition_number": 1,
                    "start_time": "2026-12-01T00:00:00Z",
                    "end_time": "2026-12-01T00:00:01Z",
                },
            )
        )

    def scored() -> None:
        runs = api.get(f"/v1/experiments/{experiment['id']}/json")
        assert runs.status_code == 200, runs.text
        labels = {
            run["output"]: [
                (annotation["name"], annotation["label"])
                for annotation in run.get("annotations", [])
            ]
            for run in runs.json()
        }
        assert labels == {
            "paris": [("correct_capital", "true")],
            "Sydney": [("correct_capital", "false")],
        }, labels

    assert_eventually(scored, timeout=60)
