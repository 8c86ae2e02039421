"""PostgreSQL, NATS and Redis for the platform: embedded, or the servers the settings name."""

from __future__ import annotations

import asyncio

import asyncpg
import redis.asyncio as aioredis

from spyglass_bus import connect as connect_nats
from spyglass_core.errors import DependencyUnavailableError
from spyglass_core.logging import get_logger
from spyglass_core.settings import (
    DbSettings,
    NatsSettings,
    RedisSettings,
    env_name,
    load_settings,
    redact_url,
)
from spyglass_db.migrate import upgrade
from spyglass_launcher.servers import EmbeddedNats, EmbeddedPostgres, EmbeddedRedis, EmbeddedServer
from spyglass_launcher.settings import LauncherSettings

log = get_logger(__name__)


class Infrastructure:
    """The three servers every Spyglass process needs, and their URLs once they run."""

    def __init__(self, settings: LauncherSettings) -> None:
        self.settings = settings
        # Validate given URLs now, so a malformed one fails before anything starts.
        self.db_url = (
            load_settings(DbSettings, url=settings.db_url).plain_url if settings.db_url else None
        )
        self.nats_url = (
            load_settings(NatsSettings, url=settings.nats_url).url if settings.nats_url else None
        )
        self.redis_url = (
            load_settings(RedisSettings, url=settings.redis_url).url if settings.redis_url else None
        )
        self.embedded: dict[str, EmbeddedServer] = {}

    async def start(self) -> None:
        """Check the given servers and start embedded ones for the rest, all at once.

        Raises:
            DependencyUnavailableError: a given server can't be reached (names the setting), or
                an embedded one would not start.
        """
        home = self.settings.home
        if self.db_url is None:
            self.embedded["postgres"] = EmbeddedPostgres(home / "postgres")
        if self.nats_url is None:
            self.embedded["nats"] = EmbeddedNats(home / "nats")
        if self.redis_url is None:
            self.embedded["redis"] = EmbeddedRedis(home / "redis")
        results = await asyncio.gather(
            *(server.start() for server in self.embedded.values()),
            *self._external_checks(),
            return_exceptions=True,
        )
        errors = [result for result in results if isinstance(result, BaseException)]
        if errors:
            await self.stop()
            raise errors[0]
        if "postgres" in self.embedded:
            self.db_url = self.embedded["postgres"].url
        if "nats" in self.embedded:
            self.nats_url = self.embedded["nats"].url
        if "redis" in self.embedded:
            self.redis_url = self.embedded["redis"].url

    def _external_checks(self) -> list[asyncio.Task[None]]:
        checks: list[asyncio.Task[None]] = []
        if self.db_url is not None:
            checks.append(asyncio.create_task(check_postgres(self.db_url)))
        if self.nats_url is not None:
            checks.append(asyncio.create_task(check_nats(self.nats_url)))
        if self.redis_url is not None:
            checks.append(asyncio.create_task(check_redis(self.redis_url)))
        return checks

    async def migrate(self) -> None:
        """Bring the database schema to the newest migration."""
        assert self.db_url is not None
        await asyncio.to_thread(upgrade, self.db_url)
        log.info("database_migrated")

    def environment(self) -> dict[str, str]:
        """The variables that point a Spyglass process at these servers."""
        assert self.db_url and self.nats_url and self.redis_url
        return {
            "SPYGLASS_DB_URL": self.db_url,
            "SPYGLASS_NATS_URL": self.nats_url,
            "SPYGLASS_REDIS_URL": self.redis_url,
        }

    def describe(self) -> list[tuple[str, str]]:
        """One (label, description) a server, for the start-up banner."""
        rows = []
        for key, label, url in (
            ("postgres", "PostgreSQL", self.db_url),
            ("nats", "NATS", self.nats_url),
            ("redis", "Redis", self.redis_url),
        ):
            server = self.embedded.get(key)
            origin = f"embedded, data in {server.data_dir}" if server else "external"
            rows.append((label, f"{redact_url(url or '')} ({origin})"))
        return rows

    async def stop(self) -> None:
        """Stop the embedded servers (external ones are left alone)."""
        await asyncio.gather(*(server.stop() for server in self.embedded.values()))


async def check_postgres(url: str) -> None:
    """Raise, naming the setting, unless PostgreSQL at ``url`` accepts a connection."""
    try:
        connection = await asyncpg.connect(url, timeout=5)
    except Exception as error:
        raise DependencyUnavailableError(
            f"cannot connect to PostgreSQL at {redact_url(url)} ({error or type(error).__name__}); "
            f"check {env_name(DbSettings, 'url')}"
        ) from None
    await connection.close()


async def check_nats(url: str) -> None:
    """Raise, naming the setting, unless NATS at ``url`` accepts a connection with JetStream."""
    client = await connect_nats(NatsSettings(url=url), "spyglass-launcher")
    try:
        await client.jetstream().account_info()
    except Exception as error:
        raise DependencyUnavailableError(
            f"NATS at {redact_url(url)} has no JetStream ({error}); start it with -js, or check "
            f"{env_name(NatsSettings, 'url')}"
        ) from None
    finally:
        await client.close()


async def check_redis(url: str) -> None:
    """Raise, naming the setting, unless Redis at ``url`` answers PING."""
    client = aioredis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
    try:
        await client.ping()
    except Exception as error:
        raise DependencyUnavailableError(
            f"cannot connect to Redis at {redact_url(url)} ({error}); "
            f"check {env_name(RedisSettings, 'url')}"
        ) from None
    finally:
        await client.aclose()
