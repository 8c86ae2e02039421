"""How fast Spyglass calls one model with one credential: a limit every process shares.

Providers limit requests per credential and model. Every process that calls them (experiment
runners, evaluation workers) on every machine takes its calls from one Redis hash per
(credential, model) under :data:`RATE_PREFIX`, so adding workers never adds 429s, and an
online evaluation rule and an experiment judged by the same key slow down together.
The limit adapts to what the provider says:

* It starts unlimited: a provider that never answers 429 is called as fast as the workers
  can (``calls_in_flight`` per process bounds them).
* Calls are counted in windows of :data:`WINDOW_SECONDS`. A window in which more than
  :data:`LIMITED_SHARE` of at least :data:`MIN_WINDOW_CALLS` calls were answered 429 means the
  provider is limiting us: the rate becomes :data:`BACKOFF` of what got through in that window
  (multiplicative decrease), and no call starts before the longest ``Retry-After`` it sent.
* A window with fewer 429s raises the rate by :data:`GROWTH` (it never stays below what the
  provider allows for long); past :data:`CEILING_PER_SECOND` it is unlimited again.
* A few 429s (under the share) are the provider's noise: each such call waits its own
  ``Retry-After`` and is retried, and nobody else waits.

The rate is a token bucket with reservation: a call takes a token even when the bucket is
empty and waits until its token would have been there, so waiting callers keep their order
and need no second round trip. Time is Redis's (``TIME``), the same for every worker.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from redis.asyncio import Redis

WINDOW_SECONDS = 1.0
MIN_WINDOW_CALLS = 5
LIMITED_SHARE = 0.2
BACKOFF = 0.7
GROWTH = 1.2
FLOOR_PER_SECOND = 0.5
CEILING_PER_SECOND = 5000.0
BURST_SECONDS = 1.0
"""Tokens a limited bucket holds: a second's worth, so a pause doesn't turn into a burst."""
EXPIRE_SECONDS = 3600
"""A key unused this long is forgotten (and its model called unlimited again)."""
STREAK_EXPIRE_SECONDS = EXPIRE_SECONDS * 24
RATE_PREFIX = "spyglass:llm"
"""The Redis key prefix of every (credential, model) limit: the same in every process."""

_ACQUIRE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1e6
local h = redis.call('HMGET', KEYS[1], 'rate', 'tokens', 'stamp', 'blocked')
local rate = tonumber(h[1]) or 0
local blocked = tonumber(h[4]) or 0
redis.call('EXPIRE', KEYS[1], ARGV[1])
if blocked > now then
  return {'blocked', tostring(blocked - now)}
end
if rate <= 0 then
  return {'free', '0'}
end
local burst = math.max(1, rate * tonumber(ARGV[2]))
local tokens = tonumber(h[2]) or burst
local stamp = tonumber(h[3]) or now
tokens = math.min(burst, tokens + (now - stamp) * rate) - 1
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'stamp', tostring(now))
if tokens >= 0 then
  return {'go', '0'}
end
return {'go', tostring(-tokens / rate)}
"""

_REPORT = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1e6
local limited = tonumber(ARGV[1])
local retry_after = tonumber(ARGV[2])
local window, min_calls, share = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local backoff, growth = tonumber(ARGV[6]), tonumber(ARGV[7])
local floor, ceiling = tonumber(ARGV[8]), tonumber(ARGV[9])
local h = redis.call('HMGET', KEYS[1], 'rate', 'start', 'calls', 'limited', 'blocked')
local rate = tonumber(h[1]) or 0
local start = tonumber(h[2]) or now
local calls = (tonumber(h[3]) or 0) + 1
local hits = (tonumber(h[4]) or 0) + limited
local blocked = tonumber(h[5]) or 0
local overloaded = calls >= min_calls and hits / calls > share
if overloaded and limited == 1 and retry_after > 0 then
  blocked = math.max(blocked, now + retry_after)
end
if now - start >= window then
  local elapsed = now - start
  if overloaded then
    local through = (calls - hits) / elapsed
    if rate > 0 then through = math.min(through, rate) end
    rate = math.max(floor, through * backoff)
  elseif rate > 0 then
    rate = rate * growth
    if rate > ceiling then rate = 0 end
  end
  start, calls, hits = now, 0, 0
end
redis.call('HSET', KEYS[1], 'rate', tostring(rate), 'start', tostring(start),
  'calls', tostring(calls), 'limited', tostring(hits), 'blocked', tostring(blocked))
redis.call('EXPIRE', KEYS[1], ARGV[10])
if KEYS[2] then
  redis.call('SET', KEYS[2], '0', 'EX', ARGV[11])
end
return tostring(rate)
"""


@dataclass(frozen=True)
class Permit:
    """What :meth:`SharedRateLimit.acquire` decided: wait ``seconds``, then call (``go``) or
    ask again (the key is blocked by a ``Retry-After``)."""

    go: bool
    seconds: float


UNLIMITED_TRUST_SECONDS = 0.5
"""How long a process calls a key it found unlimited without asking Redis again (a limit set
meanwhile by another process's 429s is obeyed that much later)."""


class SharedRateLimit:
    """The adaptive limit of every (credential, model), kept in Redis."""

    def __init__(self, redis: Redis, prefix: str = RATE_PREFIX) -> None:
        self._redis = redis
        self._prefix = prefix
        self._unlimited_until: dict[str, float] = {}
        self._acquire = redis.register_script(_ACQUIRE)
        self._report = redis.register_script(_REPORT)

    def key(self, credential_id: str, provider: str, model: str) -> str:
        """The Redis key of one (credential, model)."""
        return f"{self._prefix}:rate:{credential_id}:{provider}:{model}"

    async def acquire(self, key: str) -> Permit:
        """Take a call from ``key``'s budget."""
        if time.monotonic() < self._unlimited_until.get(key, 0.0):
            return Permit(True, 0.0)
        verdict, seconds = await self._acquire(keys=[key], args=[EXPIRE_SECONDS, BURST_SECONDS])
        verdict = _text(verdict)
        if verdict == "free":
            self._unlimited_until[key] = time.monotonic() + UNLIMITED_TRUST_SECONDS
            return Permit(True, 0.0)
        return Permit(verdict == "go", float(_text(seconds)))

    async def report(
        self,
        key: str,
        *,
        limited: bool,
        retry_after: float = 0.0,
        streak: tuple[FailureStreak, str] | None = None,
    ) -> float:
        """Count a call's answer (429 or not); the rate now in force (0: unlimited).

        ``streak`` (a streak and its subject): the call succeeded, so the subject's failure
        streak is reset in the same round trip.
        """
        keys = [key] if streak is None else [key, streak[0].key(streak[1])]
        rate = await self._report(
            keys=keys,
            args=[
                1 if limited else 0,
                retry_after,
                WINDOW_SECONDS,
                MIN_WINDOW_CALLS,
                LIMITED_SHARE,
                BACKOFF,
                GROWTH,
                FLOOR_PER_SECOND,
                CEILING_PER_SECOND,
                EXPIRE_SECONDS,
                STREAK_EXPIRE_SECONDS,
            ],
        )
        if limited or float(_text(rate)) > 0:
            self._unlimited_until.pop(key, None)
        return float(_text(rate))

    async def wait_for_permit(self, key: str) -> None:
        """Wait until ``key``'s budget allows a call (its token, or a ``Retry-After`` over)."""
        while True:
            permit = await self.acquire(key)
            if permit.seconds > 0:
                await asyncio.sleep(permit.seconds)
            if permit.go:
                return

    async def rate(self, key: str) -> float:
        """The rate in force for ``key`` (0: unlimited)."""
        value = await self._redis.hget(key, "rate")
        return float(_text(value)) if value is not None else 0.0


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class FailureStreak:
    """Calls of one subject (an experiment job's epoch, an evaluation rule's version) that
    failed in a row, over every worker: a circuit breaker's count."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix

    def key(self, subject: str) -> str:
        """The Redis key of a subject's streak."""
        return f"{self._prefix}:failures:{subject}"

    async def failed(self, subject: str) -> int:
        """Count a failure; the streak's length now."""
        key = self.key(subject)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, STREAK_EXPIRE_SECONDS)
            count, _ = await pipe.execute()
        return int(count)
