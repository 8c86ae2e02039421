"""`arize-phoenix-otel` users change nothing but the address: `register()` delivers their spans.

The whole platform runs (the launcher, as `make run` starts it); spans go in through
`register()`'s zero-configuration gRPC exporter and through its HTTP exporter on the gateway's
public port, exactly as they would to Phoenix.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from phoenix.otel import register

from spyglass_launcher.platform import port_variables
from spyglass_launcher.ports import free_port
from tests.support.database import fetch
from tests.support.processes import SpawnService, service_environment
from tests.support.waiting import assert_eventually

pytestmark = pytest.mark.slow

PORTS = port_variables()


@pytest.fixture
def platform(
    spawn_service: SpawnService, server_home: Path
) -> Iterator[tuple[dict[str, int], str]]:
    """The whole platform on free ports: (ports, database URL)."""
    ports = {name: free_port() for name in PORTS}
    launcher = spawn_service(
        "launcher",
        ("spyglass_launcher", "run"),
        service_environment(
            SPYGLASS_HOME=str(server_home / "home"), **{k: str(v) for k, v in ports.items()}
        ),
    )

    def running() -> str:
        assert launcher.process.poll() is None, launcher.output()
        match = re.search(r"^  PostgreSQL:\s+(\S+)", launcher.output(), re.MULTILINE)
        assert match and "Press Ctrl-C to stop." in launcher.output()
        return match.group(1)

    database_url = assert_eventually(running, timeout=90, interval=0.25)
    yield ports, database_url
    launcher.stop()


def _spans_by_project(database_url: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for row in fetch(
        database_url,
        "SELECT p.name AS project, s.name FROM spans s JOIN projects p ON p.id = s.project_rowid",
    ):
        found.setdefault(row["project"], set()).add(row["name"])
    return found


def test_register_with_defaults_and_over_http(
    platform: tuple[dict[str, int], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ports, database_url = platform
    # As a Phoenix user points the SDK at a server: its base URL and gRPC port, nothing else.
    monkeypatch.setenv(
        "PHOENIX_COLLECTOR_ENDPOINT", f"http://127.0.0.1:{ports['SPYGLASS_GATEWAY_PORT']}"
    )
    monkeypatch.setenv("PHOENIX_GRPC_PORT", str(ports["SPYGLASS_INGEST_GRPC_PORT"]))

    over_grpc = register(project_name="otel-grpc", set_global_tracer_provider=False, verbose=False)
    with over_grpc.get_tracer("tests").start_as_current_span("sent-over-grpc"):
        pass
    over_grpc.shutdown()

    over_http = register(
        project_name="otel-http",
        protocol="http/protobuf",
        set_global_tracer_provider=False,
        verbose=False,
    )
    with over_http.get_tracer("tests").start_as_current_span("sent-through-the-gateway"):
        pass
    over_http.shutdown()

    def delivered() -> None:
        assert _spans_by_project(database_url) == {
            "otel-grpc": {"sent-over-grpc"},
            "otel-http": {"sent-through-the-gateway"},
        }

    assert_eventually(delivered, timeout=30, interval=0.25)
