"""The fake LLM provider (:mod:`tests.support.fake_provider`) as a process for tests.

``fake_provider_server`` starts one process per test session on a free port;
``fake_provider`` hands it to a test with its script reset and counters cleared, so tests
don't see each other's calls. Script and read it through :class:`FakeProviderServer`::

    def test_rate_limit(fake_provider):
        fake_provider.control(rate_limit_fraction=1.0, retry_after=7)
        ...
        assert fake_provider.calls()["by_model"]["gpt-4o"] == {"429": 1}
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from spyglass_launcher.ports import free_port
from tests.support.processes import ServiceProcess, Spawner, service_environment, wait_healthy

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class FakeProviderServer:
    """A running fake provider: its address and its control endpoints."""

    base_url: str
    """``http://127.0.0.1:<port>``: Anthropic's and Google's base URL, and Azure's endpoint."""
    service: ServiceProcess

    @property
    def openai_base_url(self) -> str:
        """OpenAI's (and every OpenAI-compatible provider's) base URL."""
        return f"{self.base_url}/v1"

    def control(self, **script: Any) -> dict[str, Any]:
        """Change the script (see the fake's docstring); returns the whole script."""
        response = httpx.post(f"{self.base_url}/_control", json=script, timeout=10)
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        return answer

    def reset(self) -> None:
        """Every script field back to its default, counters and recorded requests cleared."""
        self.control(reset=True)

    def calls(self) -> dict[str, Any]:
        """What the fake saw: ``calls``, ``by_model``, ``by_key``, ``last_requests``,
        ``first_chunks``."""
        response = httpx.get(f"{self.base_url}/_calls", timeout=10)
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        return answer


@pytest.fixture(scope="session")
def fake_provider_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeProviderServer]:
    """One fake provider process for the session."""
    spawner = Spawner(tmp_path_factory.mktemp("fake-provider"))
    port = free_port()
    service = spawner(
        "fake-provider",
        ("tests.support.fake_provider", "--port", str(port)),
        service_environment(PYTHONPATH=str(ROOT)),
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(service, f"{base_url}/healthz")
        yield FakeProviderServer(base_url, service)
    finally:
        spawner.stop_all()


@pytest.fixture
def fake_provider(fake_provider_server: FakeProviderServer) -> FakeProviderServer:
    """The session's fake provider, its script reset for this test."""
    fake_provider_server.reset()
    return fake_provider_server
