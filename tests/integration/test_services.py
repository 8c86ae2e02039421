"""Every service as a real process: it starts, serves health, logs JSON and stops on SIGTERM.

And when it is misconfigured (a malformed URL, a server that isn't there, a busy port) it fails
within seconds with a message naming the variable to fix. Every process answers the same verbs
(``serve``, ``check``, ``settings``; ``spyglass_core.cli``), and a start-up that fails half-way
closes what it had opened.
"""

from __future__ import annotations

import json
import signal
import time
from dataclasses import dataclass

import httpx
import pytest
from celery import Celery

from spyglass_jobs import TaskName
from spyglass_launcher.ports import free_port
from tests.support.ingest import STARTUP_SECONDS
from tests.support.processes import (
    ServiceProcess,
    SpawnService,
    service_environment,
    start_gateway,
    wait_for_exit,
    wait_healthy,
)
from tests.support.stack import Stack
from tests.support.waiting import assert_eventually

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class ServiceCase:
    """How to run one service: its module and role, and the variable that sets its health port."""

    name: str
    argv: tuple[str, ...]
    port_variable: str
    needs: tuple[str, ...]
    """The readiness checks it reports: the servers it needs (``database``, ``nats``, ``redis``)."""


SERVICES = [
    ServiceCase("query-api", ("spyglass_query_api",), "SPYGLASS_QUERY_API_PORT", ("database",)),
    ServiceCase(
        "ingest-receiver", ("spyglass_ingest", "receiver"), "SPYGLASS_RECEIVER_HTTP_PORT", ("nats",)
    ),
    ServiceCase(
        "ingest-writer",
        ("spyglass_ingest", "writer"),
        "SPYGLASS_WRITER_HEALTH_PORT",
        ("database", "nats"),
    ),
    ServiceCase(
        "eval-worker", ("spyglass_eval_worker",), "SPYGLASS_EVAL_WORKER_HEALTH_PORT", ("redis",)
    ),
    ServiceCase(
        "eval-dispatcher",
        ("spyglass_eval_worker", "dispatcher"),
        "SPYGLASS_EVAL_DISPATCHER_HEALTH_PORT",
        ("database", "nats"),
    ),
    ServiceCase(
        "experiment-runner",
        ("spyglass_experiment_runner",),
        "SPYGLASS_EXPERIMENT_RUNNER_HEALTH_PORT",
        ("redis",),
    ),
    ServiceCase("gateway", ("spyglass_gateway",), "SPYGLASS_GATEWAY_PORT", ()),
]


@pytest.fixture
def server_urls(
    stack: Stack, database_url: str, redis_url: str, nats_namespace: str
) -> dict[str, str]:
    """The variables that point a service at this test's database, NATS namespace and Redis."""
    return {
        "SPYGLASS_DB_URL": database_url,
        "SPYGLASS_NATS_URL": stack.nats_url,
        "SPYGLASS_NATS_NAMESPACE": nats_namespace,
        "SPYGLASS_REDIS_URL": redis_url,
    }


def _environment(case: ServiceCase, port: int, server_urls: dict[str, str]) -> dict[str, str]:
    return service_environment(
        **server_urls,
        **{case.port_variable: str(port)},
        # The receiver has a second listener; keep it off the default port too.
        SPYGLASS_RECEIVER_GRPC_PORT=str(free_port()),
        SPYGLASS_SHUTDOWN_TIMEOUT_SECONDS="10",
    )


def _json_lines(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


@pytest.mark.parametrize("case", SERVICES, ids=[case.name for case in SERVICES])
def test_service_serves_health_logs_json_and_stops_on_sigterm(
    case: ServiceCase, spawn_service: SpawnService, server_urls: dict[str, str]
) -> None:
    port = free_port()
    service = spawn_service(case.name, case.argv, _environment(case, port, server_urls))
    base = f"http://127.0.0.1:{port}"

    wait_healthy(service, f"{base}/healthz", timeout=STARTUP_SECONDS)
    if case.name != "gateway":  # the gateway's readiness depends on its upstreams; tested below
        ready = assert_eventually(lambda: _ready(base), timeout=15)
        assert set(ready["checks"]) == set(case.needs)
    metrics = httpx.get(f"{base}/metrics", timeout=5)
    assert metrics.status_code == 200
    assert "python_info" in metrics.text

    started = time.monotonic()
    exit_code = service.stop(signal.SIGTERM, timeout=20)
    assert exit_code == 0, service.output()
    assert time.monotonic() - started < 15, "stopped, but only after the shutdown deadline"
    events = _json_lines(service.output())
    assert events, f"no JSON log lines:\n{service.output()}"
    assert all(event["service"] == case.name for event in events)
    assert all({"level", "timestamp", "event"} <= event.keys() for event in events)


def _ready(base: str) -> dict[str, dict[str, str]]:
    response = httpx.get(f"{base}/readyz", timeout=5)
    assert response.status_code == 200, response.text
    body: dict[str, dict[str, str]] = response.json()
    assert all(outcome == "ok" for outcome in body["checks"].values()), body
    return body


def test_gateway_is_not_ready_while_its_upstreams_are_down(spawn_service: SpawnService) -> None:
    port = free_port()
    query_api_url = f"http://127.0.0.1:{free_port()}"
    gateway = spawn_service(
        "gateway",
        ("spyglass_gateway",),
        service_environment(
            SPYGLASS_GATEWAY_PORT=str(port), SPYGLASS_GATEWAY_QUERY_API_URL=query_api_url
        ),
    )
    wait_healthy(gateway, f"http://127.0.0.1:{port}/healthz")

    response = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=10)

    assert response.status_code == 503
    body = response.json()
    assert body["ready"] is False
    assert query_api_url in body["checks"]["query-api"]


def test_gateway_answers_502_with_a_message_while_the_query_api_is_down(
    spawn_service: SpawnService,
) -> None:
    gateway = start_gateway(
        spawn_service, SPYGLASS_GATEWAY_QUERY_API_URL=f"http://127.0.0.1:{free_port()}"
    )

    for path in ("/v1/projects", "/graphql", "/arize_phoenix_version"):
        response = httpx.get(f"{gateway}{path}", timeout=10)

        assert response.status_code == 502, path
        assert "query API" in response.json()["detail"]
        assert response.headers["retry-after"]


def test_worker_runs_a_job_from_its_queue(
    spawn_service: SpawnService, server_urls: dict[str, str]
) -> None:
    case = next(case for case in SERVICES if case.name == "eval-worker")
    port = free_port()
    worker = spawn_service(case.name, case.argv, _environment(case, port, server_urls))
    wait_healthy(worker, f"http://127.0.0.1:{port}/healthz", timeout=STARTUP_SECONDS)
    producer = Celery("test-producer", broker=server_urls["SPYGLASS_REDIS_URL"])

    producer.send_task(
        TaskName.PING.value, kwargs={"message": "hello-from-test"}, queue="evaluations"
    )

    def ran() -> None:
        assert any(
            event.get("event") == "ping_received" and event.get("message") == "hello-from-test"
            for event in _json_lines(worker.output())
        )

    assert_eventually(ran, timeout=20, message=worker.output)
    producer.close()


# --- misconfiguration: fail fast, name the variable, leave nothing running ---------------------


def _fails(service: ServiceProcess, code: int, *fragments: str) -> None:
    # A deadline, not a timing: a busy machine starts Python slowly.
    assert wait_for_exit(service, timeout=STARTUP_SECONDS) == code, service.output()
    for fragment in fragments:
        assert fragment in service.output()


def test_malformed_database_url_names_the_variable(spawn_service: SpawnService) -> None:
    service = spawn_service(
        "query-api",
        ("spyglass_query_api",),
        service_environment(SPYGLASS_DB_URL="mysql://nowhere/spyglass"),
    )
    _fails(service, 2, "SPYGLASS_DB_URL", "postgresql://")


def test_unreachable_database_names_the_variable(spawn_service: SpawnService) -> None:
    closed = free_port()
    service = spawn_service(
        "query-api",
        ("spyglass_query_api",),
        service_environment(
            SPYGLASS_DB_URL=f"postgresql://postgres@127.0.0.1:{closed}/spyglass",
            SPYGLASS_QUERY_API_PORT=str(free_port()),
        ),
    )
    _fails(service, 3, "SPYGLASS_DB_URL", f"127.0.0.1:{closed}")


def test_unreachable_nats_names_the_variable(spawn_service: SpawnService) -> None:
    closed = free_port()
    service = spawn_service(
        "ingest-receiver",
        ("spyglass_ingest", "receiver"),
        service_environment(SPYGLASS_NATS_URL=f"nats://127.0.0.1:{closed}"),
    )
    _fails(service, 3, "SPYGLASS_NATS_URL")


def test_unreachable_redis_names_the_variable(spawn_service: SpawnService) -> None:
    closed = free_port()
    service = spawn_service(
        "eval-worker",
        ("spyglass_eval_worker",),
        service_environment(
            SPYGLASS_REDIS_URL=f"redis://127.0.0.1:{closed}/0",
            SPYGLASS_EVAL_WORKER_HEALTH_PORT=str(free_port()),
        ),
    )
    _fails(service, 3, "SPYGLASS_REDIS_URL")


def test_busy_port_names_the_variable(spawn_service: SpawnService, busy_port: int) -> None:
    service = spawn_service(
        "gateway",
        ("spyglass_gateway",),
        service_environment(SPYGLASS_GATEWAY_PORT=str(busy_port)),
    )
    _fails(service, 2, "SPYGLASS_GATEWAY_PORT", str(busy_port))


def test_busy_grpc_port_names_the_variable(
    spawn_service: SpawnService, stack: Stack, busy_port: int, nats_namespace: str
) -> None:
    service = spawn_service(
        "ingest-receiver",
        ("spyglass_ingest", "receiver"),
        service_environment(
            SPYGLASS_NATS_URL=stack.nats_url,
            SPYGLASS_NATS_NAMESPACE=nats_namespace,
            SPYGLASS_RECEIVER_HTTP_PORT=str(free_port()),
            SPYGLASS_RECEIVER_GRPC_PORT=str(busy_port),
        ),
    )
    _fails(service, 2, "SPYGLASS_RECEIVER_GRPC_PORT")


# --- the verbs every process answers -----------------------------------------------------------


def _run(
    spawn_service: SpawnService, case: ServiceCase, verb: str, env: dict[str, str]
) -> ServiceProcess:
    service = spawn_service(f"{case.name}-{verb}", (*case.argv, verb), env)
    wait_for_exit(service, timeout=STARTUP_SECONDS)
    return service


@pytest.mark.parametrize("case", SERVICES, ids=[case.name for case in SERVICES])
def test_settings_verb_prints_every_setting_with_secrets_masked(
    case: ServiceCase, spawn_service: SpawnService
) -> None:
    env = service_environment(
        **{case.port_variable: "7777"},
        SPYGLASS_DB_URL="postgresql://spyglass:hunter2@db.internal:5432/spyglass",
        SPYGLASS_REDIS_URL="redis://:hunter2@redis.internal:6379/0",
    )

    service = _run(spawn_service, case, "settings", env)

    assert service.process.returncode == 0, service.output()
    lines = service.output().splitlines()
    assert f"{case.port_variable}=7777" in lines
    assert "SPYGLASS_LOG_FORMAT=json" in lines
    assert "hunter2" not in service.output()
    if "database" in case.needs:
        assert "SPYGLASS_DB_URL=postgresql://spyglass:***@db.internal:5432/spyglass" in lines


@pytest.mark.parametrize("case", SERVICES, ids=[case.name for case in SERVICES])
def test_check_verb_reaches_every_server_then_exits(
    case: ServiceCase, spawn_service: SpawnService, server_urls: dict[str, str]
) -> None:
    port = free_port()

    service = _run(spawn_service, case, "check", _environment(case, port, server_urls))

    assert service.process.returncode == 0, service.output()
    assert "configuration is valid and every server it needs answers" in service.output()
    with pytest.raises(httpx.TransportError):  # it served nothing
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)


def test_check_verb_exits_3_naming_the_server_it_cannot_reach(
    spawn_service: SpawnService, server_urls: dict[str, str]
) -> None:
    case = next(case for case in SERVICES if case.name == "ingest-writer")
    closed = free_port()
    env = _environment(case, free_port(), server_urls)
    env["SPYGLASS_DB_URL"] = f"postgresql://postgres@127.0.0.1:{closed}/spyglass"

    service = _run(spawn_service, case, "check", env)

    assert service.process.returncode == 3, service.output()
    assert "SPYGLASS_DB_URL" in service.output()
    assert f"127.0.0.1:{closed}" in service.output()


@pytest.mark.parametrize("verb", ["check", "serve"])
@pytest.mark.parametrize(
    ("variable", "unreachable"),
    [
        pytest.param("SPYGLASS_NATS_URL", "nats://127.0.0.1:{port}", id="nats"),
        pytest.param(
            "SPYGLASS_DB_URL", "postgresql://postgres@127.0.0.1:{port}/spyglass", id="database"
        ),
        pytest.param("SPYGLASS_REDIS_URL", "redis://127.0.0.1:{port}/0", id="redis"),
    ],
)
def test_dispatcher_exits_3_naming_each_server_it_cannot_reach(
    verb: str,
    variable: str,
    unreachable: str,
    spawn_service: SpawnService,
    server_urls: dict[str, str],
) -> None:
    """`spyglass-eval-worker dispatcher check` (and a start) reaches NATS, PostgreSQL and
    Redis, so a wrong URL is named before anything is served, though the dispatcher's
    database and Redis clients connect lazily."""
    case = next(case for case in SERVICES if case.name == "eval-dispatcher")
    closed = free_port()
    env = _environment(case, free_port(), server_urls)
    env[variable] = unreachable.format(port=closed)

    service = _run(spawn_service, case, verb, env)

    assert service.process.returncode == 3, service.output()
    assert variable in service.output()
    assert f"127.0.0.1:{closed}" in service.output()
    events = [event.get("event") for event in _json_lines(service.output())]
    assert "service_started" not in events


def test_check_verb_exits_2_naming_an_invalid_setting(spawn_service: SpawnService) -> None:
    case = next(case for case in SERVICES if case.name == "gateway")

    service = _run(
        spawn_service, case, "check", service_environment(SPYGLASS_GATEWAY_PORT="not-a-port")
    )

    assert service.process.returncode == 2, service.output()
    assert "SPYGLASS_GATEWAY_PORT" in service.output()


def test_unknown_verb_exits_2_listing_the_verbs(spawn_service: SpawnService) -> None:
    case = next(case for case in SERVICES if case.name == "query-api")

    service = _run(spawn_service, case, "start", service_environment())

    assert service.process.returncode == 2, service.output()
    assert "serve" in service.output() and "check" in service.output()


def test_former_verb_check_config_still_checks(
    spawn_service: SpawnService, server_urls: dict[str, str]
) -> None:
    case = next(case for case in SERVICES if case.name == "eval-worker")

    service = _run(
        spawn_service, case, "check-config", _environment(case, free_port(), server_urls)
    )

    assert service.process.returncode == 0, service.output()
    assert "every server it needs answers" in service.output()


def test_failed_start_closes_what_it_had_opened(
    spawn_service: SpawnService, server_urls: dict[str, str]
) -> None:
    """NATS answers, PostgreSQL does not: the NATS connection opened first is closed before the
    process exits 3, without ever serving."""
    case = next(case for case in SERVICES if case.name == "query-api")
    closed = free_port()
    port = free_port()
    env = _environment(case, port, server_urls)
    env["SPYGLASS_DB_URL"] = f"postgresql://postgres@127.0.0.1:{closed}/spyglass"

    service = spawn_service(case.name, case.argv, env)

    _fails(service, 3, "cannot connect to PostgreSQL", "SPYGLASS_DB_URL")
    events = [event.get("event") for event in _json_lines(service.output())]
    closed_components = [
        event.get("component")
        for event in _json_lines(service.output())
        if event.get("event") == "resource_closed"
    ]
    assert closed_components == ["database", "nats"], events  # reverse order of opening
    assert "service_started" not in events


def test_former_variable_names_work_with_a_warning_naming_the_new_one(
    spawn_service: SpawnService,
) -> None:
    case = next(case for case in SERVICES if case.name == "ingest-writer")
    env = service_environment(SPYGLASS_INGEST_WRITER_POOL_SIZE="3")

    service = _run(spawn_service, case, "settings", env)

    assert service.process.returncode == 0, service.output()
    assert "SPYGLASS_DB_POOL_SIZE=3" in service.output().splitlines()
    warnings = [
        event for event in _json_lines(service.output()) if event.get("event") == "setting_renamed"
    ]
    assert warnings == [
        {
            **warnings[0],
            "variable": "SPYGLASS_INGEST_WRITER_POOL_SIZE",
            "use_instead": "SPYGLASS_DB_POOL_SIZE",
            "level": "warning",
        }
    ]
