"""A trace with two root spans shows the same root and tokens on ``/v1``, in GraphQL and on the
trace page: the query layer defines a trace's root (the earliest-starting span without a parent)
once for every door.

An app can start two top-level spans under one trace id (or lose the parent of one); the second
root's tokens must not be added on one door and left out on another.
"""

from __future__ import annotations

import os
import time
import uuid

import httpx
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status
from playwright.sync_api import Page, expect

from tests.support.otlp_traces import attributes, send_spans, wait_for_spans
from tests.support.platform import RunningPlatform

FIRST_ROOT_TOKENS = (100, 20)
"""Prompt and completion tokens under the earlier root: the trace's tokens."""
SECOND_ROOT_TOKENS = (7, 3)
"""Under the later root: in no door's figure for the trace."""


def _span(trace_id: bytes, span_id: bytes, parent: bytes, name: str, start_ns: int) -> Span:
    return Span(
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=parent,
        name=name,
        kind=Span.SPAN_KIND_INTERNAL,
        start_time_unix_nano=start_ns,
        end_time_unix_nano=start_ns + 50_000_000,
        status=Status(code=Status.STATUS_CODE_OK),
    )


def _llm(trace_id: bytes, parent: bytes, start_ns: int, tokens: tuple[int, int]) -> Span:
    span = _span(trace_id, os.urandom(8), parent, "ChatCompletion", start_ns)
    span.attributes.extend(
        attributes(
            {
                "openinference.span.kind": "LLM",
                "llm.token_count.prompt": tokens[0],
                "llm.token_count.completion": tokens[1],
                "llm.token_count.total": sum(tokens),
            }
        )
    )
    return span


def test_a_two_root_trace_shows_the_first_roots_tokens_everywhere(
    platform: RunningPlatform, browser_page: Page
) -> None:
    project = f"two-roots-{uuid.uuid4().hex[:8]}"
    trace_id = os.urandom(16)
    first_root, second_root = os.urandom(8), os.urandom(8)
    start = time.time_ns()
    spans = [
        # The later root is sent first: arrival order must not decide which root counts.
        _span(trace_id, second_root, b"", "second root", start + 200_000_000),
        _llm(trace_id, second_root, start + 210_000_000, SECOND_ROOT_TOKENS),
        _span(trace_id, first_root, b"", "first root", start),
        _llm(trace_id, first_root, start + 10_000_000, FIRST_ROOT_TOKENS),
    ]
    send_spans(platform.base_url, project, spans)
    wait_for_spans(platform.base_url, trace_id.hex(), len(spans))
    prompt, completion = FIRST_ROOT_TOKENS

    rest = httpx.get(f"{platform.base_url}/v1/projects/{project}/traces", timeout=10.0)
    assert rest.status_code == 200, rest.text
    [listed] = rest.json()["data"]
    assert (
        listed["token_count_prompt"],
        listed["token_count_completion"],
        listed["token_count_total"],
    ) == (prompt, completion, prompt + completion)

    graphql = httpx.post(
        f"{platform.base_url}/graphql",
        json={
            "query": "query($id: ID!) { trace(traceId: $id) { tokenCountPrompt "
            "tokenCountCompletion tokenCountTotal rootSpan { spanId name } } }",
            "variables": {"id": trace_id.hex()},
        },
        timeout=10.0,
    )
    trace = graphql.json()["data"]["trace"]
    assert trace == {
        "tokenCountPrompt": prompt,
        "tokenCountCompletion": completion,
        "tokenCountTotal": prompt + completion,
        "rootSpan": {"spanId": first_root.hex(), "name": "first root"},
    }

    browser_page.goto(f"{platform.base_url}/traces/{trace_id.hex()}")
    header = browser_page.get_by_test_id("trace-header")
    tokens = header.locator(".figure").filter(
        has=browser_page.get_by_role("term").filter(has_text="Tokens")
    )
    expect(tokens.get_by_role("definition")).to_have_text(str(prompt + completion))
