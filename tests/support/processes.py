"""Starting Spyglass services as real processes, the way an operator would.

A test asks :func:`spawn` (via the ``spawn_service`` fixture) for a command line and an
environment; the process starts with its output captured to a file, and the test waits for
``/healthz`` with :func:`wait_healthy`. When a test fails, the output of every process it
started is attached to the report.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from spyglass_launcher.ports import free_port
from tests.support.waiting import assert_eventually


@dataclass
class ServiceProcess:
    """A running service and the file its output goes to."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    stopped_with: int | None = field(default=None)

    def output(self) -> str:
        """Everything the process wrote so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = 20.0) -> int:
        """Signal the process and wait for it; SIGKILL after ``timeout``. Returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.stopped_with = self.process.returncode
        return self.process.returncode


@dataclass(frozen=True)
class QueryApiProcess:
    """A query API process of a test: its base URL, and the process (its output, for failures)."""

    base_url: str
    service: ServiceProcess


def service_environment(**settings: str) -> dict[str, str]:
    """The environment of a service process: ours, minus any SPYGLASS_/PHOENIX_ leftovers."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SPYGLASS_", "PHOENIX_"))
    }
    env.update({"SPYGLASS_LOG_FORMAT": "json", "PYTHONUNBUFFERED": "1"})
    env.update(settings)
    return env


def wait_healthy(service: ServiceProcess, url: str, timeout: float = 30.0) -> None:
    """Wait until ``url`` answers 200, failing early (with the output) if the process exits."""

    def healthy() -> None:
        assert service.process.poll() is None, (
            f"{service.name} exited with {service.process.returncode}:\n{service.output()}"
        )
        response = httpx.get(url, timeout=1.0)
        assert response.status_code == 200, response.text

    assert_eventually(healthy, timeout=timeout, message=lambda: service.output())


SpawnService = Callable[[str, Sequence[str], Mapping[str, str]], ServiceProcess]


def start_gateway(spawn: SpawnService, **settings: str) -> str:
    """A gateway process on a free port with these ``SPYGLASS_GATEWAY_*`` (or other) settings,
    once its ``/healthz`` answers; returns its base URL."""
    port = free_port()
    gateway = spawn(
        "gateway",
        ("spyglass_gateway",),
        service_environment(SPYGLASS_GATEWAY_PORT=str(port), **settings),
    )
    base_url = f"http://127.0.0.1:{port}"
    wait_healthy(gateway, f"{base_url}/healthz")
    return base_url


@dataclass
class Spawner:
    """Starts service processes with their output in ``log_directory``, and stops them all."""

    log_directory: Path
    started: list[ServiceProcess] = field(default_factory=list)

    def __call__(
        self, name: str, module_and_args: Sequence[str], env: Mapping[str, str]
    ) -> ServiceProcess:
        log_path = self.log_directory / f"{name}.log"
        with log_path.open("wb") as log_file:
            process = subprocess.Popen(
                [sys.executable, "-m", *module_and_args],
                env=dict(env),
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        service = ServiceProcess(name, process, log_path)
        self.started.append(service)
        return service

    def stop_all(self) -> None:
        """Stop every process started, in the order they started."""
        for service in self.started:
            service.stop()

    def print_outputs(self) -> None:
        """Print every process's output (for a failed test's report)."""
        for service in self.started:
            print(f"\n----- output of {service.name} -----\n{service.output()}")


@pytest.fixture
def spawn_service(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[SpawnService]:
    """Start a service process: ``spawn_service(name, [module, args...], env)``."""
    spawner = Spawner(tmp_path)
    yield spawner
    spawner.stop_all()
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        spawner.print_outputs()


def wait_for_exit(service: ServiceProcess, timeout: float) -> int:
    """Wait for a process that should end by itself; return its exit code."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code = service.process.poll()
        if code is not None:
            return code
        time.sleep(0.05)
    raise AssertionError(f"{service.name} still runs after {timeout}s:\n{service.output()}")


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port something already listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        yield sock.getsockname()[1]
