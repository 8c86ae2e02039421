"""The servers tests run against: PostgreSQL, NATS JetStream and Redis, all real.

``--stack`` chooses where they come from:

* ``embedded`` (default): the same wheels ``make run`` uses, started once per test session on
  free ports with their data in a temporary folder;
* ``containers``: testcontainers, on a machine where Docker runs;
* ``env``: servers you already run, named by ``SPYGLASS_TEST_DB_URL`` (a role that may create
  databases), ``SPYGLASS_TEST_NATS_URL`` and ``SPYGLASS_TEST_REDIS_URL``.

Each test that touches PostgreSQL gets its own database, cloned from a template migrated once
per session (``database_url``), or an empty one (``empty_database_url``). Each test gets its own
NATS namespace and Redis database number, so tests never see each other's data.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import nats
import pytest
import redis
from nats.js.errors import NotFoundError

from spyglass_bus import BusNames
from spyglass_db.migrate import upgrade
from tests.support.loop import LoopThread

STACKS = ("embedded", "containers", "env")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--stack",
        choices=STACKS,
        default=os.environ.get("SPYGLASS_TEST_STACK", "embedded"),
        help="Where PostgreSQL, NATS and Redis come from (default: embedded wheels).",
    )


@dataclass(frozen=True)
class Stack:
    """URLs of the session's servers; ``db_admin_url`` may create and drop databases."""

    db_admin_url: str
    nats_url: str
    redis_url: str

    def database_url(self, name: str) -> str:
        """The URL of database ``name`` on the session's PostgreSQL."""
        parts = urlsplit(self.db_admin_url)
        return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture(scope="session")
def background_loop() -> Iterator[LoopThread]:
    loop = LoopThread()
    yield loop
    loop.close()


@contextmanager
def scratch_folder(prefix: str) -> Iterator[Path]:
    """A folder outside pytest's temporary tree, removed afterwards.

    Embedded PostgreSQL runs as another user (when tests run as root) and must traverse the
    folders above its data; pytest resets its own tree to mode 0700 whenever a pytest session
    starts, which would lock a running server out of its data.
    """
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def server_home() -> Iterator[Path]:
    """A folder for the data of servers (or a launcher) that this test starts itself."""
    with scratch_folder("spyglass-test-") as folder:
        yield folder


@pytest.fixture(scope="session")
def stack(request: pytest.FixtureRequest, background_loop: LoopThread) -> Iterator[Stack]:
    choice = request.config.getoption("--stack")
    if choice == "env":
        yield _stack_from_environment()
    elif choice == "containers":
        yield from _containers_stack()
    else:
        with scratch_folder("spyglass-stack-") as home:
            yield from _embedded_stack(home, background_loop)


def _stack_from_environment() -> Stack:
    missing = [
        name
        for name in ("SPYGLASS_TEST_DB_URL", "SPYGLASS_TEST_NATS_URL", "SPYGLASS_TEST_REDIS_URL")
        if not os.environ.get(name)
    ]
    if missing:
        raise pytest.UsageError(f"--stack=env needs {', '.join(missing)}")
    return Stack(
        db_admin_url=os.environ["SPYGLASS_TEST_DB_URL"],
        nats_url=os.environ["SPYGLASS_TEST_NATS_URL"],
        redis_url=os.environ["SPYGLASS_TEST_REDIS_URL"],
    )


def _embedded_stack(home: Path, loop: LoopThread) -> Iterator[Stack]:
    from spyglass_launcher.servers import EmbeddedNats, EmbeddedPostgres, EmbeddedRedis

    postgres = EmbeddedPostgres(home / "postgres")
    nats = EmbeddedNats(home / "nats")
    redis = EmbeddedRedis(home / "redis")
    servers = (postgres, nats, redis)

    async def start_all() -> None:
        await asyncio.gather(*(server.start() for server in servers))

    async def stop_all() -> None:
        await asyncio.gather(*(server.stop() for server in servers))

    try:
        loop.run(start_all())
        yield Stack(db_admin_url=postgres.admin_url, nats_url=nats.url, redis_url=redis.url)
    finally:
        loop.run(stop_all())


def _containers_stack() -> Iterator[Stack]:
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.waiting_utils import wait_for_logs
    from testcontainers.postgres import PostgresContainer
    from testcontainers.redis import RedisContainer

    with (
        PostgresContainer(
            "postgres:17", username="postgres", password="postgres", driver=None
        ) as postgres,
        RedisContainer("redis:7") as redis,
        DockerContainer("nats:2.11").with_command("-js").with_exposed_ports(4222) as nats,
    ):
        wait_for_logs(nats, "Server is ready")
        redis_host = redis.get_container_host_ip()
        yield Stack(
            db_admin_url=postgres.get_connection_url().replace(f"/{postgres.dbname}", "/postgres"),
            nats_url=f"nats://{nats.get_container_host_ip()}:{nats.get_exposed_port(4222)}",
            redis_url=f"redis://{redis_host}:{redis.get_exposed_port(6379)}/0",
        )


async def _admin(stack: Stack, *statements: str) -> None:
    connection = await asyncpg.connect(stack.db_admin_url, timeout=10)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def template_database(stack: Stack, background_loop: LoopThread) -> Iterator[str]:
    """A database migrated to head once per session; tests get clones of it."""
    name = f"spyglass_template_{uuid.uuid4().hex[:8]}"
    background_loop.run(_admin(stack, f'CREATE DATABASE "{name}"'))
    upgrade(stack.database_url(name))
    yield name
    background_loop.run(_admin(stack, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def database_url(
    stack: Stack, template_database: str, background_loop: LoopThread
) -> Iterator[str]:
    """A fresh, migrated database of this test's own."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    background_loop.run(_admin(stack, f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"'))
    yield stack.database_url(name)
    background_loop.run(_admin(stack, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def empty_database_url(stack: Stack, background_loop: LoopThread) -> Iterator[str]:
    """A fresh database with no schema at all."""
    name = f"empty_{uuid.uuid4().hex[:12]}"
    background_loop.run(_admin(stack, f'CREATE DATABASE "{name}"'))
    yield stack.database_url(name)
    background_loop.run(_admin(stack, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def nats_namespace(stack: Stack, background_loop: LoopThread) -> Iterator[str]:
    """A NATS namespace (subject and stream prefix) of this test's own.

    Its streams are deleted afterwards: each reserves its byte limit of JetStream's storage, so
    a session's worth of them would exhaust it ("insufficient storage resources available").
    """
    namespace = f"t{uuid.uuid4().hex[:12]}"
    yield namespace
    background_loop.run(delete_streams(stack.nats_url, BusNames(namespace)))


async def delete_streams(nats_url: str, names: BusNames) -> None:
    """Delete the streams of namespace ``names``: each reserves JetStream storage."""
    client = await nats.connect(nats_url, connect_timeout=5, max_reconnect_attempts=1)
    try:
        jetstream = client.jetstream()
        for stream in (names.spans_stream, names.spans_stored_stream, names.dead_letter_stream):
            with contextlib.suppress(NotFoundError):
                await jetstream.delete_stream(stream)
    finally:
        await client.close()


_redis_databases = itertools.cycle(range(1, 16))


@pytest.fixture
def redis_url(stack: Stack) -> str:
    """A Redis URL on a database number that the previous tests did not use."""
    parts = urlsplit(stack.redis_url)
    url = urlunsplit(parts._replace(path=f"/{next(_redis_databases)}"))
    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()
    return url
