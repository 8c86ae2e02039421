"""How many wrong passwords an account, and a client address, may send in a minute.

Each is a counter in Redis, shared by every query API process: its key is a hash of the
account (the login in lower case) or of the address (never the value itself), and it lives
:data:`WINDOW_SECONDS` from the first failure it counts. An attempt is counted *before* the
password is checked and uncounted if it was right, so that a hundred attempts sent at once
can't all pass the check while the counter still reads zero; a success also clears its
account's counter. Past ``attempts_per_minute`` failures a login (right password or not) is
refused with 429 and ``Retry-After``, the seconds left of the window.

Redis down: logins are refused with 503 (naming ``SPYGLASS_REDIS_URL``) rather than let an
unlimited number of passwords be tried.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from spyglass_core.errors import DependencyUnavailableError
from spyglass_core.settings import RedisSettings, env_name, redact_url

WINDOW_SECONDS = 60
"""How long a counter lives from the first failure it counts."""
KEY_PREFIX = "spyglass:login"
REDIS_TIMEOUT_SECONDS = 2.0
"""How long a login waits for Redis before answering 503."""

_SUCCEEDED = """
redis.call('DEL', KEYS[1])
if redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('DECR', KEYS[2])
end
return 0
"""


@dataclass(frozen=True)
class LoginRefusal:
    """Too many failures: which counter ran out, and how long until it is forgotten."""

    counter: str
    """``account`` or ``address``."""
    retry_after_seconds: int


def client_address(headers: Mapping[str, str], peer: str | None) -> str:
    """The address a login came from: the last ``X-Forwarded-For`` entry (the one the
    nearest proxy saw) if there is one, else the connection's peer."""
    forwarded = headers.get("x-forwarded-for", "")
    if forwarded:
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last[:64]
    return peer or "unknown"


class LoginLimits:
    """The failed-login counters; connects to Redis on first use."""

    def __init__(
        self,
        settings: RedisSettings,
        attempts_per_minute: int,
        *,
        window_seconds: int = WINDOW_SECONDS,
        prefix: str = KEY_PREFIX,
    ) -> None:
        self._settings = settings
        self._redis = Redis.from_url(
            settings.url,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
        )
        self._succeeded = self._redis.register_script(_SUCCEEDED)
        self.attempts_per_minute = attempts_per_minute
        self._window = window_seconds
        self._prefix = prefix

    def _key(self, counter: str, value: str) -> str:
        digest = hashlib.sha256(f"{counter}:{value}".encode(errors="replace")).hexdigest()
        return f"{self._prefix}:{counter}:{digest[:32]}"

    def _keys(self, account: str, address: str) -> dict[str, str]:
        return {
            "account": self._key("account", account.lower()),
            "address": self._key("address", address),
        }

    async def attempt(self, account: str, address: str) -> LoginRefusal | None:
        """Count an attempt for ``account`` from ``address``; why it is refused (too many
        failures already), or None: go on and check the password, then call
        :meth:`succeeded` if it was right.

        Raises:
            DependencyUnavailableError: Redis can't be reached (the message names the setting).
        """
        keys = self._keys(account, address)
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                for key in keys.values():
                    pipe.set(key, 0, ex=self._window, nx=True)
                    pipe.incr(key)
                    pipe.ttl(key)
                results = await pipe.execute()
        except (RedisError, OSError) as error:
            raise self._unavailable(error) from error
        refusals = []
        for index, counter in enumerate(keys):
            count, ttl = int(results[index * 3 + 1]), int(results[index * 3 + 2])
            if count > self.attempts_per_minute:
                seconds = ttl if ttl > 0 else self._window
                refusals.append(LoginRefusal(counter, seconds))
        if not refusals:
            return None
        return max(refusals, key=lambda refusal: refusal.retry_after_seconds)

    async def succeeded(self, account: str, address: str) -> None:
        """The password was right: the account's failures are forgotten, and this attempt is
        taken off the address's count (only failures count)."""
        keys = self._keys(account, address)
        try:
            await self._succeeded(keys=[keys["account"], keys["address"]])
        except (RedisError, OSError) as error:
            raise self._unavailable(error) from error

    async def close(self) -> None:
        """Release the Redis connections."""
        await self._redis.aclose()

    def _unavailable(self, error: BaseException) -> DependencyUnavailableError:
        return DependencyUnavailableError(
            f"logins can't be counted: Redis at {redact_url(self._settings.url)} can't be "
            f"reached ({type(error).__name__}); check {env_name(RedisSettings, 'url')}"
        )
