"""The whole platform as ``make run`` starts it, on free ports, for cross-service tests.

The launcher starts its own embedded PostgreSQL, NATS and Redis in a scratch home, then every
service. One platform serves a whole test module (it takes seconds to start); tests keep out of
each other's way by using project names of their own.

A module that needs more in the platform's environment (a provider's key and base URL, so that
the playground and the experiment runner call a fake provider) overrides the module-scoped
``platform_environment`` fixture::

    @pytest.fixture(scope="module")
    def platform_environment(fake_provider_server):
        url = fake_provider_server.openai_base_url
        return {"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": url}
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from spyglass_launcher.platform import port_variables
from spyglass_launcher.ports import free_port
from tests.support.processes import Spawner, service_environment
from tests.support.stack import scratch_folder
from tests.support.waiting import assert_eventually


@dataclass(frozen=True)
class RunningPlatform:
    """Where the platform listens, and its database (for checks behind the API's back)."""

    ports: dict[str, int]
    database_url: str

    @property
    def base_url(self) -> str:
        """The public address: the gateway (UI, REST, GraphQL, OTLP/HTTP)."""
        return f"http://127.0.0.1:{self.ports['SPYGLASS_GATEWAY_PORT']}"

    @property
    def grpc_port(self) -> int:
        """The receiver's OTLP/gRPC port."""
        return self.ports["SPYGLASS_RECEIVER_GRPC_PORT"]


@pytest.fixture(scope="module")
def platform_environment() -> dict[str, str]:
    """Variables the launcher (and so every service) gets besides the ports and home: none,
    unless a test module overrides this fixture."""
    return {}


@pytest.fixture(scope="module")
def platform(
    request: pytest.FixtureRequest, platform_environment: dict[str, str]
) -> Iterator[RunningPlatform]:
    """The whole platform, started by the launcher, for the tests of one module."""
    ports = {name: free_port() for name in port_variables()}
    with scratch_folder("spyglass-platform-") as home:
        spawner = Spawner(home)
        launcher = spawner(
            "launcher",
            ("spyglass_launcher", "run"),
            service_environment(
                **platform_environment,
                SPYGLASS_HOME=str(home / "home"),
                **{k: str(v) for k, v in ports.items()},
            ),
        )

        def running() -> str:
            assert launcher.process.poll() is None, launcher.output()
            match = re.search(r"^  PostgreSQL:\s+(\S+)", launcher.output(), re.MULTILINE)
            assert match and "Press Ctrl-C to stop." in launcher.output()
            return match.group(1)

        try:
            database_url = assert_eventually(running, timeout=90, interval=0.25)
            yield RunningPlatform(ports, database_url)
        finally:
            spawner.stop_all()
            if request.session.testsfailed:
                spawner.print_outputs()
