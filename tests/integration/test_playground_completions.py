"""The playground's path end to end: the ``openai`` SDK pointed at the gateway's ``/v1``, the
gateway forwarding to a query API process, the fake provider behind it with a key stored
through ``PUT /v1/secrets``, and the ingest plane storing each call's span in ``playground``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import openai
import pytest

from spyglass_launcher.ports import free_port
from tests.support.database import fetch
from tests.support.fake_provider_fixtures import FakeProviderServer
from tests.support.ingest import StartIngest
from tests.support.processes import SpawnService, service_environment, start_gateway, wait_healthy
from tests.support.stack import Stack
from tests.support.waiting import assert_eventually

pytestmark = pytest.mark.slow

SECRETS_KEY = "a-test-key-that-is-long-enough-for-fernet-0123456789"


@dataclass(frozen=True)
class Playground:
    """The gateway's address, and the database behind it."""

    gateway: str
    database_url: str

    def client(self) -> openai.OpenAI:
        return openai.OpenAI(
            base_url=f"{self.gateway}/v1", api_key="not-needed", max_retries=0, timeout=30
        )


@pytest.fixture
def playground(
    spawn_service: SpawnService,
    start_ingest: StartIngest,
    stack: Stack,
    database_url: str,
    redis_url: str,
    nats_namespace: str,
    fake_provider: FakeProviderServer,
) -> Iterator[Playground]:
    """Ingest, a query API (a secrets key, OpenAI's base URL but no key) and a gateway."""
    ingest = start_ingest(writer=True)
    port = free_port()
    api = spawn_service(
        "query-api",
        ("spyglass_query_api",),
        service_environment(
            SPYGLASS_DB_URL=database_url,
            SPYGLASS_REDIS_URL=redis_url,
            SPYGLASS_NATS_URL=stack.nats_url,
            SPYGLASS_NATS_NAMESPACE=nats_namespace,
            SPYGLASS_QUERY_API_PORT=str(port),
            SPYGLASS_SECRETS_KEY=SECRETS_KEY,
            OPENAI_BASE_URL=fake_provider.openai_base_url,
        ),
    )
    wait_healthy(api, f"http://127.0.0.1:{port}/healthz", timeout=120)
    gateway = start_gateway(
        spawn_service,
        SPYGLASS_GATEWAY_QUERY_API_URL=f"http://127.0.0.1:{port}",
        SPYGLASS_GATEWAY_INGEST_URL=ingest.http_url,
    )
    yield Playground(gateway, database_url)


def playground_spans(database_url: str) -> dict[str, dict[str, Any]]:
    """The spans of project ``playground``, by trace id."""
    rows = fetch(
        database_url,
        "SELECT t.trace_id, s.status_code, s.status_message, s.llm_token_count_completion "
        "FROM spans s JOIN traces t ON t.id = s.trace_rowid "
        "JOIN projects p ON p.id = s.project_rowid WHERE p.name = 'playground'",
    )
    return {row["trace_id"]: dict(row) for row in rows}


def test_a_stored_key_streams_through_the_gateway_word_by_word_and_is_traced(
    playground: Playground, fake_provider: FakeProviderServer, request: pytest.FixtureRequest
) -> None:
    client = playground.client()
    request.addfinalizer(client.close)  # its kept-alive connection, not left to the collector
    with pytest.raises(openai.BadRequestError) as before:
        client.chat.completions.create(
            model="openai:gpt-4o", messages=[{"role": "user", "content": "hi"}]
        )
    stored = httpx.put(
        f"{playground.gateway}/v1/secrets",
        json={"secrets": [{"key": "OPENAI_API_KEY", "value": "sk-stored"}]},
        timeout=30,
    )
    pause = 0.4
    fake_provider.control(inter_token_ms=pause * 1000)
    raw = client.chat.completions.with_raw_response.create(
        model="openai:gpt-4o",
        messages=[{"role": "user", "content": "alpha beta gamma"}],
        stream=True,
    )
    arrivals = [
        (chunk.choices[0].delta.content.strip(), time.time())
        for chunk in raw.parse()
        if chunk.choices and chunk.choices[0].delta.content
    ]
    calls = fake_provider.calls()
    role_sent = calls["first_chunks"][-1]["first_chunk_at"]
    fake_provider.control(inter_token_ms=0, rate_limit_fraction=1.0, retry_after=3)
    with pytest.raises(openai.RateLimitError) as limited:
        client.chat.completions.create(
            model="openai:gpt-4o", messages=[{"role": "user", "content": "hi"}]
        )

    assert before.value.code == "missing_credential"
    assert stored.status_code == 200, stored.text
    assert raw.headers["content-type"].startswith("text/event-stream")
    assert "content-encoding" not in raw.headers
    assert [word for word, _ in arrivals] == ["alpha", "beta", "gamma"]
    for index, (word, arrived) in enumerate(arrivals[:-1]):
        assert arrived < role_sent + (index + 2) * pause, f"{word!r} was held back"
    print(f"first word through the gateway: {1000 * (arrivals[0][1] - role_sent - pause):.1f} ms")
    assert calls["by_key"]["sk-stored"] == {"200": 1}
    assert limited.value.response.headers["retry-after"] == "3"
    streamed_trace = raw.headers["x-spyglass-trace-id"]
    limited_trace = limited.value.response.headers["x-spyglass-trace-id"]

    def stored_spans() -> dict[str, dict[str, Any]]:
        spans = playground_spans(playground.database_url)
        assert {streamed_trace, limited_trace} <= set(spans), spans
        return spans

    spans = assert_eventually(stored_spans, timeout=60)
    assert spans[streamed_trace]["status_code"] == "OK"
    assert spans[streamed_trace]["llm_token_count_completion"] == 3
    assert spans[limited_trace]["status_code"] == "ERROR"
    assert "rate limited" in spans[limited_trace]["status_message"]
