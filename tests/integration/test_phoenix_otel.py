"""`arize-phoenix-otel` users change nothing but the address: `register()` delivers their spans.

The whole platform runs (the launcher, as `make run` starts it); spans go in through
`register()`'s zero-configuration gRPC exporter and through its HTTP exporter on the gateway's
public port, exactly as they would to Phoenix.
"""

from __future__ import annotations

import pytest
from phoenix.otel import register

from tests.support.database import fetch
from tests.support.platform import RunningPlatform
from tests.support.waiting import assert_eventually

pytestmark = pytest.mark.slow


def _spans_by_project(database_url: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for row in fetch(
        database_url,
        "SELECT p.name AS project, s.name FROM spans s JOIN projects p ON p.id = s.project_rowid",
    ):
        found.setdefault(row["project"], set()).add(row["name"])
    return found


def test_register_with_defaults_and_over_http(
    platform: RunningPlatform, monkeypatch: pytest.MonkeyPatch
) -> None:
    database_url = platform.database_url
    # As a Phoenix user points the SDK at a server: its base URL and gRPC port, nothing else.
    monkeypatch.setenv("PHOENIX_COLLECTOR_ENDPOINT", platform.base_url)
    monkeypatch.setenv("PHOENIX_GRPC_PORT", str(platform.grpc_port))

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
