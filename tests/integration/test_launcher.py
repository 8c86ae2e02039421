"""`spyglass run` (what `make run` calls): the whole platform on one machine, and back down.

The launcher starts embedded PostgreSQL, NATS and Redis (or uses the servers it is given),
migrates, starts every service, prints where everything is, and on SIGINT stops all it started;
the next run finds the data still there. Bad settings stop it within seconds, naming the variable,
with nothing left running. The services are whatever installed packages declare under the
`spyglass.services` entry points: one installed beside the workspace (a scratch distribution on
PYTHONPATH) is checked and documented like the rest, and a broken declaration is named.
"""

from __future__ import annotations

import re
import signal
import textwrap
import time
from pathlib import Path

import httpx
import psutil
import pytest

from spyglass_launcher.platform import port_variables
from spyglass_launcher.ports import free_port
from tests.support.database import fetch
from tests.support.processes import (
    ServiceProcess,
    SpawnService,
    service_environment,
    wait_for_exit,
)
from tests.support.stack import Stack
from tests.support.waiting import assert_eventually

pytestmark = pytest.mark.slow

PORT_VARIABLES = port_variables()
SERVICE_NAMES = (
    "query-api",
    "ingest-receiver",
    "ingest-writer",
    "eval-worker",
    "eval-dispatcher",
    "experiment-runner",
    "gateway",
)


def _launcher_environment(home: Path, **settings: str) -> dict[str, str]:
    ports = {variable: str(free_port()) for variable in PORT_VARIABLES}
    return service_environment(SPYGLASS_HOME=str(home), **ports, **settings)


def _wait_running(launcher: ServiceProcess) -> str:
    """Wait for the banner; return the output up to it."""

    def banner() -> str:
        assert launcher.process.poll() is None, f"launcher exited:\n{launcher.output()}"
        output = launcher.output()
        assert "Press Ctrl-C to stop." in output
        return output

    return assert_eventually(banner, timeout=90, interval=0.25, message=launcher.output)


def _banner_value(output: str, label: str) -> str:
    match = re.search(rf"^  {label}:\s+(\S+)", output, re.MULTILINE)
    assert match, f"no {label} in the banner:\n{output}"
    return match.group(1)


def _descendants(launcher: ServiceProcess) -> list[psutil.Process]:
    return psutil.Process(launcher.process.pid).children(recursive=True)


def _processes_using(home: Path) -> list[str]:
    """Command lines of running processes that mention ``home`` (embedded servers do)."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        command = " ".join(process.info["cmdline"] or [])
        if str(home) in command:
            found.append(command)
    return found


def _stop_and_check_nothing_left(launcher: ServiceProcess, children: list[psutil.Process]) -> None:
    assert launcher.stop(signal.SIGINT, timeout=60) == 0, launcher.output()
    still_running = [
        child for child in children if child.is_running() and child.status() != "zombie"
    ]
    assert not still_running, f"left running: {[child.cmdline() for child in still_running]}"


def test_run_starts_everything_stops_everything_and_keeps_the_data(
    spawn_service: SpawnService, server_home: Path
) -> None:
    home = server_home / "home"
    env = _launcher_environment(home)
    launcher = spawn_service("launcher", ("spyglass_launcher", "run"), env)

    output = _wait_running(launcher)

    ui = _banner_value(output, "UI")
    assert ui == f"http://127.0.0.1:{env['SPYGLASS_GATEWAY_PORT']}"
    assert httpx.get(f"{ui}/healthz", timeout=5).status_code == 200
    gateway_ready = httpx.get(f"{ui}/readyz", timeout=10)
    assert gateway_ready.status_code == 200, gateway_ready.text  # it found the moved query API
    database_url = _banner_value(output, "PostgreSQL")
    assert f"data in {home / 'postgres'}" in output
    assert f"data in {home / 'nats'}" in output
    assert f"data in {home / 'redis'}" in output
    for name in SERVICE_NAMES:
        assert re.search(rf"^{re.escape(name)}\s*\| ", output, re.MULTILINE), f"no {name} lines"
    fetch(database_url, "INSERT INTO projects (name) VALUES ('kept-between-runs')")
    children = _descendants(launcher)
    assert len(children) >= len(SERVICE_NAMES) + 3

    _stop_and_check_nothing_left(launcher, children)
    assert not _processes_using(home)

    second = spawn_service("launcher-again", ("spyglass_launcher", "run"), env)
    output = _wait_running(second)
    database_url = _banner_value(output, "PostgreSQL")
    assert fetch(database_url, "SELECT name FROM projects WHERE name = 'kept-between-runs'")
    _stop_and_check_nothing_left(second, _descendants(second))


def test_run_uses_the_servers_it_is_given(
    spawn_service: SpawnService,
    server_home: Path,
    stack: Stack,
    database_url: str,
    redis_url: str,
    nats_namespace: str,
) -> None:
    home = server_home / "home"
    env = _launcher_environment(
        home,
        SPYGLASS_DB_URL=database_url,
        SPYGLASS_NATS_URL=stack.nats_url,
        SPYGLASS_NATS_NAMESPACE=nats_namespace,
        SPYGLASS_REDIS_URL=redis_url,
    )
    launcher = spawn_service("launcher", ("spyglass_launcher", "run"), env)

    output = _wait_running(launcher)

    assert _banner_value(output, "PostgreSQL") == database_url
    assert _banner_value(output, "NATS") == stack.nats_url
    assert _banner_value(output, "Redis") == redis_url
    assert output.count("(external)") == 3
    assert not re.search(r"^(postgres|nats|redis)\s*\| ", output, re.MULTILINE)
    _stop_and_check_nothing_left(launcher, _descendants(launcher))


# --- bad settings: fail within seconds, name the variable, leave nothing running ---------------


def _fails_fast(launcher: ServiceProcess, home: Path, code: int, *fragments: str) -> None:
    started = time.monotonic()
    assert wait_for_exit(launcher, timeout=45) == code, launcher.output()
    elapsed = time.monotonic() - started
    output = launcher.output()
    for fragment in fragments:
        assert fragment in output, output
    assert not _processes_using(home), f"still running after {elapsed:.1f}s"


def test_malformed_url_names_the_variable(spawn_service: SpawnService, server_home: Path) -> None:
    env = _launcher_environment(server_home, SPYGLASS_NATS_URL="http://127.0.0.1:4222")
    launcher = spawn_service("launcher", ("spyglass_launcher", "run"), env)
    _fails_fast(launcher, server_home, 2, "SPYGLASS_NATS_URL", "nats://")


@pytest.mark.parametrize(
    ("variables", "fragment"),
    [
        ({"SPYGLASS_ENABLE_AUTH": "true"}, "SPYGLASS_SECRET (or PHOENIX_SECRET) must be set"),
        (
            {"PHOENIX_ENABLE_AUTH": "true", "PHOENIX_SECRET": "too-short-1"},
            "must be at least 32 characters",
        ),
    ],
)
def test_auth_on_without_a_good_secret_names_the_variable(
    spawn_service: SpawnService, server_home: Path, variables: dict[str, str], fragment: str
) -> None:
    env = _launcher_environment(server_home, **variables)
    launcher = spawn_service("launcher", ("spyglass_launcher", "run"), env)
    _fails_fast(launcher, server_home, 2, fragment)


def test_unreachable_server_names_the_variable(
    spawn_service: SpawnService, server_home: Path
) -> None:
    closed = free_port()
    env = _launcher_environment(
        server_home, SPYGLASS_DB_URL=f"postgresql://postgres@127.0.0.1:{closed}/spyglass"
    )
    launcher = spawn_service("launcher", ("spyglass_launcher", "run"), env)
    _fails_fast(launcher, server_home, 3, "SPYGLASS_DB_URL", f"127.0.0.1:{closed}")


def test_port_in_use_names_the_variable(
    spawn_service: SpawnService, server_home: Path, busy_port: int
) -> None:
    env = _launcher_environment(server_home)
    env["SPYGLASS_QUERY_API_PORT"] = str(busy_port)
    launcher = spawn_service("launcher", ("spyglass_launcher", "run"), env)
    _fails_fast(launcher, server_home, 2, "SPYGLASS_QUERY_API_PORT", str(busy_port))


def test_second_launcher_on_the_same_data_is_refused(
    spawn_service: SpawnService, server_home: Path
) -> None:
    home = server_home / "home"
    first = spawn_service("launcher", ("spyglass_launcher", "run"), _launcher_environment(home))
    _wait_running(first)

    second = spawn_service(
        "launcher-again", ("spyglass_launcher", "run"), _launcher_environment(home)
    )

    assert wait_for_exit(second, timeout=30) == 2, second.output()
    assert "already running" in second.output()
    assert "SPYGLASS_HOME" in second.output()
    _stop_and_check_nothing_left(first, _descendants(first))


# --- the services are found through their entry points -----------------------------------------

_EXTRA_SERVICE = """
    from pydantic import Field
    from spyglass_core.services import ServiceSpec
    from spyglass_core.settings import ProcessSettings, ServerSettings, group_config

    class ExtraServerSettings(ServerSettings):
        model_config = group_config("SPYGLASS_EXTRA_")

    class ExtraSettings(ProcessSettings):
        server: ExtraServerSettings = Field(default_factory=ExtraServerSettings)

    SERVICE = ServiceSpec(
        name="extra", title="extra", order=70, module="spyglass_extra",
        settings=ExtraSettings, listeners=("server",), health="server",
    )
"""


def _install_extra_service(folder: Path, entry: str) -> dict[str, str]:
    """A distribution declaring ``entry`` in ``folder``; the environment that installs it."""
    dist_info = folder / "spyglass_extra-0.1.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: spyglass-extra\nVersion: 0.1\n"
    )
    (dist_info / "entry_points.txt").write_text(f"[spyglass.services]\n{entry}\n")
    (folder / "spyglass_extra.py").write_text(textwrap.dedent(_EXTRA_SERVICE))
    return {"PYTHONPATH": str(folder)}


def test_a_service_installed_beside_the_launcher_is_checked_and_documented(
    spawn_service: SpawnService, server_home: Path, tmp_path: Path, busy_port: int
) -> None:
    installed = _install_extra_service(tmp_path / "site", "extra = spyglass_extra:SERVICE")
    env = _launcher_environment(server_home, **installed, SPYGLASS_EXTRA_PORT=str(busy_port))

    reference = spawn_service("reference", ("spyglass_launcher", "config-reference"), env)
    check = spawn_service("check", ("spyglass_launcher", "check-config"), env)

    assert wait_for_exit(reference, timeout=120) == 0, reference.output()
    assert re.search(r"^\| `SPYGLASS_EXTRA_PORT` \|.*\| extra \|$", reference.output(), re.M)
    assert wait_for_exit(check, timeout=120) == 2, check.output()
    assert "SPYGLASS_EXTRA_PORT to another port" in check.output()
    assert f"port {busy_port}" in check.output()


def test_a_broken_service_declaration_is_named(
    spawn_service: SpawnService, server_home: Path, tmp_path: Path
) -> None:
    installed = _install_extra_service(tmp_path / "site", "extra = spyglass_extra:MISSING")
    env = _launcher_environment(server_home, **installed)

    launcher = spawn_service("launcher", ("spyglass_launcher", "run"), env)

    assert wait_for_exit(launcher, timeout=120) == 2, launcher.output()
    assert "extra = spyglass_extra:MISSING cannot be loaded" in launcher.output()
    assert "make install" in launcher.output()
    assert not _processes_using(server_home)
