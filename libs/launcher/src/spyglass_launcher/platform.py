"""The whole platform on one machine: servers, migrations, every service, one Ctrl-C to stop.

Order of start: validate every setting (nothing starts if one is wrong), take the lock on
``SPYGLASS_HOME``, start or check PostgreSQL, NATS and Redis, migrate, start the services and
wait for each one's ``/healthz``. A process that fails while starting stops everything, with its
reason. Once all are up, every service and embedded server is supervised: one that dies is
started again (``supervision.py``). Stop, on SIGINT or SIGTERM: supervision first (a pending
restart is dropped), then the services (SIGTERM, then SIGKILL after the deadline), then the
servers, so no acknowledged span is cut off mid-write.

The launcher is a library and names no service: the services are whatever packages installed
beside it declare under the ``spyglass.services`` entry points (``spyglass_core.services``),
each with its command, settings class, listeners and health endpoint.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import secrets
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import httpx

from spyglass_core.errors import ConfigurationError
from spyglass_core.logging import get_logger
from spyglass_core.services import ServiceSpec, discover_services
from spyglass_core.settings import ProcessSettings, ServerSettings, env_name, load_settings
from spyglass_launcher.infrastructure import Infrastructure
from spyglass_launcher.ports import ensure_port_free
from spyglass_launcher.processes import ProcessSpec, RestartableProcess
from spyglass_launcher.settings import LauncherSettings
from spyglass_launcher.supervision import Supervisable, Supervisor

log = get_logger(__name__)

SECRETS_KEY_FILE = "secrets.key"
"""Under the launcher's home: the key that encrypts stored provider secrets, made on the first
run when none is given (``SPYGLASS_SECRETS_KEY``), so the playground's keys can be saved."""


@dataclass(frozen=True)
class ServiceProcess:
    """One process to start: its command line and where its health endpoint answers."""

    name: str
    argv: tuple[str, ...]
    health_url: str
    environment: tuple[tuple[str, str], ...] = ()
    """Variables set for this process only, over the platform's environment."""


@dataclass(frozen=True)
class PlannedService:
    """One installed service with the settings it will read."""

    spec: ServiceSpec
    settings: ProcessSettings

    def listener(self, field: str) -> ServerSettings:
        """The server settings of the listener ``field`` (one of ``spec.listeners``)."""
        server = getattr(self.settings, field)
        assert isinstance(server, ServerSettings)
        return server


@dataclass
class PlatformPlan:
    """Everything decided before anything starts."""

    launcher: LauncherSettings
    services: list[PlannedService]
    processes: list[ServiceProcess] = field(default_factory=list)

    def service(self, name: str) -> PlannedService:
        """The installed service called ``name``.

        Raises:
            ConfigurationError: no installed package declares it.
        """
        for planned in self.services:
            if planned.spec.name == name:
                return planned
        raise ConfigurationError(
            f"the service {name} is not installed (run `make install`, or install its package)"
        )

    def listeners(self) -> list[tuple[ServerSettings, str]]:
        """Every address the platform's services listen on, with the variable of its port."""
        return [
            (planned.listener(field), env_name(planned.spec.listener_settings(field), "port"))
            for planned in self.services
            for field in planned.spec.listeners
        ]

    def upstream_environment(self) -> dict[str, str]:
        """Variables that point each service at the others, wherever their ports were moved."""
        environment = {}
        for planned in self.services:
            for upstream in planned.spec.upstreams:
                owner, field_name = planned.spec.setting_owner(upstream.setting)
                target = self.service(upstream.service).listener(upstream.listener)
                environment[env_name(owner, field_name)] = _base_url(target)
        return environment

    @classmethod
    def from_environment(cls) -> PlatformPlan:
        """Read and validate every setting of every installed service, and check their ports.

        Raises:
            ConfigurationError: the first invalid setting or busy port, by its variable name,
                or no service installed.
        """
        specs = discover_services()
        if not specs:
            raise ConfigurationError(
                "no Spyglass service is installed beside the launcher (none declares a "
                "`spyglass.services` entry point); run `make install`"
            )
        plan = cls(
            launcher=load_settings(LauncherSettings),
            services=[PlannedService(spec, load_settings(spec.settings)) for spec in specs],
        )
        for server, variable in plan.listeners():
            ensure_port_free(server.host, server.port, variable)
        plan.upstream_environment()  # every upstream names an installed service
        python = sys.executable
        plan.processes = [
            process for planned in plan.services for process in _processes(plan, planned, python)
        ]
        return plan


def port_variables() -> list[str]:
    """The variable of every port the platform listens on (tests and benchmarks move them all)."""
    return [
        env_name(server_settings, "port")
        for spec in discover_services()
        for server_settings in spec.listener_settings_classes()
    ]


def _processes(plan: PlatformPlan, planned: PlannedService, python: str) -> list[ServiceProcess]:
    """The processes of one service: one, or for a scaled service (ingest writers, experiment
    runners) as many as the launcher's setting asks, each with its own health port (one up),
    competing for the same work."""
    spec = planned.spec
    health = planned.listener(spec.health)
    copies = {
        "ingest-writer": plan.launcher.ingest_writers,
        "experiment-runner": plan.launcher.experiment_runners,
    }.get(spec.name, 1)
    if copies == 1:
        return [ServiceProcess(spec.name, spec.argv(python), _health(health))]
    port_variable = env_name(type(health), "port")
    processes = []
    for number in range(copies):
        port = health.port + number if health.port else 0
        processes.append(
            ServiceProcess(
                spec.name if number == 0 else f"{spec.name}-{number + 1}",
                spec.argv(python),
                _health(health.model_copy(update={"port": port})),
                ((port_variable, str(port)),),
            )
        )
    return processes


def _base_url(server: ServerSettings) -> str:
    """How a client on this machine reaches ``server``."""
    host = "127.0.0.1" if server.host in ("0.0.0.0", "") else server.host  # noqa: S104 - a client address
    return f"http://{host}:{server.port}"


def _health(server: ServerSettings) -> str:
    return f"{_base_url(server)}/healthz"


@contextmanager
def home_lock(home: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``home`` so two launchers never share one set of data.

    Raises:
        ConfigurationError: another launcher holds it, or ``home`` is not writable.
    """
    try:
        home.mkdir(parents=True, exist_ok=True)
        handle = open(home / "launcher.lock", "a+")  # noqa: SIM115 - held for the whole run
    except OSError as error:
        raise ConfigurationError(
            f"cannot use {home} for data ({error.strerror}); "
            f"set {env_name(LauncherSettings, 'home')}"
        ) from None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise ConfigurationError(
            f"another Spyglass is already running with its data in {home}; stop it, or set "
            f"{env_name(LauncherSettings, 'home')} to another folder"
        ) from None
    try:
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def local_secrets_key(home: Path) -> str:
    """The secrets key kept in ``home`` (made, readable by its owner only, on first use).

    For one machine's platform only: a deployment sets ``SPYGLASS_SECRETS_KEY`` from its own
    secret store, the same in every process.
    """
    path = home / SECRETS_KEY_FILE
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


class Platform:
    """Runs a :class:`PlatformPlan` until a signal or a failure."""

    def __init__(self, plan: PlatformPlan, output: TextIO = sys.stdout) -> None:
        self.plan = plan
        self.output = output
        self.infrastructure = Infrastructure(plan.launcher)
        self.processes: list[RestartableProcess] = []
        self.supervisors: list[Supervisor] = []

    def _environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(self.infrastructure.environment())
        # The gateway follows the query API and receiver wherever their ports were moved.
        for variable, url in self.plan.upstream_environment().items():
            env.setdefault(variable, url)
        if not env.get("SPYGLASS_SECRETS_KEY") and not env.get("PHOENIX_SECRET"):
            env["SPYGLASS_SECRETS_KEY"] = local_secrets_key(self.plan.launcher.home)
        if "SPYGLASS_LOG_FORMAT" not in env:
            env["SPYGLASS_LOG_FORMAT"] = "console" if self.output.isatty() else "json"
        env["PYTHONUNBUFFERED"] = "1"
        # gRPC's and uvicorn's threads would each get a glibc malloc arena that never shrinks.
        env.setdefault("MALLOC_ARENA_MAX", "2")
        return env

    async def run(self) -> int:
        """Start everything, keep it running until a signal, stop everything; return the exit
        code (1 if something failed to start)."""
        loop = asyncio.get_running_loop()
        stop_requested = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop_requested.set)
        try:
            started = await self._start_all(stop_requested)
            if not started:
                return 1 if not stop_requested.is_set() else 0
            self._print_banner()
            return await self._supervise(stop_requested)
        finally:
            await asyncio.gather(*(supervisor.stop() for supervisor in self.supervisors))
            await self._stop_all()
            self._print_restarts()

    async def _start_all(self, stop_requested: asyncio.Event) -> bool:
        await self.infrastructure.start()
        await self.infrastructure.migrate()
        env = self._environment()
        for service in self.plan.processes:
            process = RestartableProcess(
                ProcessSpec(
                    name=service.name, argv=service.argv, env={**env, **dict(service.environment)}
                ),
                self.output,
            )
            await process.start()
            self.processes.append(process)
        timeout = self.plan.launcher.startup_timeout_seconds
        waits = [
            self._wait_healthy(service, process, timeout)
            for service, process in zip(self.plan.processes, self.processes, strict=True)
        ]
        healthy = asyncio.ensure_future(asyncio.gather(*waits))
        stop_wait = asyncio.create_task(stop_requested.wait())
        pending: list[asyncio.Future[Any]] = [healthy, stop_wait]
        done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        stop_wait.cancel()
        if healthy not in done:
            healthy.cancel()
            return False
        failures = [problem for problem in healthy.result() if problem]
        for problem in failures:
            print(f"spyglass: {problem}", file=sys.stderr)
        return not failures

    async def _wait_healthy(
        self, service: ServiceProcess, process: RestartableProcess, timeout: float
    ) -> str | None:
        deadline = asyncio.get_running_loop().time() + timeout
        async with httpx.AsyncClient(timeout=1.0) as http:
            while asyncio.get_running_loop().time() < deadline:
                returncode = process.process.returncode if process.process else None
                if returncode is not None:
                    return (
                        f"{service.name} exited with code {returncode} while starting "
                        "(see its lines above)"
                    )
                try:
                    if (await http.get(service.health_url)).status_code == 200:
                        return None
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
        return f"{service.name} did not answer {service.health_url} within {timeout:g}s"

    async def _supervise(self, stop_requested: asyncio.Event) -> int:
        """Restart whatever dies (servers and services alike) until a stop is requested."""
        targets: list[Supervisable] = [*self.infrastructure.embedded.values(), *self.processes]
        self.supervisors = [Supervisor(target) for target in targets]
        for supervisor in self.supervisors:
            supervisor.start()
        await stop_requested.wait()
        print("spyglass: stopping...", file=self.output, flush=True)
        return 0

    async def _stop_all(self) -> None:
        timeout = (
            max(planned.settings.shutdown_timeout_seconds for planned in self.plan.services) + 5
        )
        results = await asyncio.gather(
            *(process.stop(timeout) for process in reversed(self.processes)),
            return_exceptions=True,
        )
        for process, result in zip(reversed(self.processes), results, strict=True):
            if isinstance(result, BaseException):
                # The servers must stop all the same; the process is killed with the launcher.
                log.error("process_stop_failed", process=process.name, error=repr(result))
        await self.infrastructure.stop()

    def _print_restarts(self) -> None:
        restarted = [
            f"{supervisor.name} {supervisor.restarts}"
            for supervisor in self.supervisors
            if supervisor.restarts
        ]
        if restarted:
            print(f"spyglass: restarts during this run: {', '.join(restarted)}", file=self.output)

    def _print_banner(self) -> None:
        addresses = [
            (address.label, f"{_base_url(planned.listener(address.listener))}{address.path}")
            for planned in self.plan.services
            for address in planned.spec.addresses
        ]
        lines = [
            "",
            "Spyglass is running.",
            *(
                f"  {label + ':':<12} {description}"
                for label, description in [*addresses, *self.infrastructure.describe()]
            ),
            "Press Ctrl-C to stop.",
            "",
        ]
        print("\n".join(lines), file=self.output, flush=True)
