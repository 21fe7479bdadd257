"""Rate limits: a sliding window per key, kept in process memory or shared through Redis.

In memory each server process limits on its own, so N servers would allow N times the rate; that
is fine for one server (the embedded default). With several servers behind one Redis the counters
live there and the servers share one budget. `Limits` picks the backend from the settings once per
app and makes every limiter of that app, so all of them (sign-in and sign-up guards included)
agree on where their counts live.
"""

from __future__ import annotations

import math
import re
import threading
import time
import uuid
from collections import deque
from typing import TYPE_CHECKING, Protocol

from reelsmith.config import Settings
from reelsmith.errors import RateLimited, ServiceUnavailable
from reelsmith.jobs.queue import redis_url

if TYPE_CHECKING:
    import redis

# Every key of a shared limiter starts with this, so the counters are easy to find and to flush.
KEY_PREFIX = "reelsmith:rl"
# A limit check is on the path of every limited request: a Redis that does not answer quickly is
# treated as down rather than left to hold the request.
REDIS_TIMEOUT_S = 2.0


class Limiter(Protocol):
    """At most `limit` events per `window_s` per key, wherever the events are kept."""

    what: str
    limit: int
    window_s: float

    def hit(self, key: str) -> None:
        """Count one event for `key` or raise RateLimited."""

    def check(self, key: str) -> None:
        """Raise RateLimited if `key` is at its limit, without counting an event."""

    def clear(self, key: str) -> None:
        """Forget the events of `key`."""


def _retry_after(wait_s: float) -> int:
    """Whole seconds to tell a refused caller to wait; never 0, which would invite a retry now."""
    return max(1, math.ceil(wait_s))


class RateLimiter:
    """At most `limit` events per `window_s` per key, in this process's memory."""

    def __init__(self, what: str, limit: int, window_s: float = 60.0) -> None:
        self.what, self.limit, self.window_s = what, limit, window_s
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _raise_if_full(self, key: str, now: float) -> deque[float]:
        """The key's live events; raises RateLimited when there are `limit` of them. Hold the lock."""
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self.window_s:
            events.popleft()
        if len(events) >= self.limit:
            raise RateLimited(self.what, _retry_after(events[0] + self.window_s - now))
        return events

    def hit(self, key: str) -> None:
        """Count one event for `key` or raise RateLimited."""
        now = time.monotonic()
        with self._lock:
            self._raise_if_full(key, now).append(now)

    def check(self, key: str) -> None:
        """Raise RateLimited if `key` is at its limit, without counting an event."""
        now = time.monotonic()
        with self._lock:
            events = self._raise_if_full(key, now)
            if not events:
                # Keys seen once must not pile up in memory forever.
                del self._events[key]

    def clear(self, key: str) -> None:
        """Forget the events of `key` (e.g. its failures, after a success)."""
        with self._lock:
            self._events.pop(key, None)


# One sorted set per key: members are events, scored by the Redis server's clock in microseconds
# (one clock for every server, whatever their own clocks say). The script runs atomically, so two
# servers cannot both take the last slot. It answers -1 when there is room (and, with ARGV[3] = 1,
# counts the event ARGV[4]), else the microseconds until the oldest event leaves the window.
WINDOW_SCRIPT = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return tonumber(oldest[2]) + window - now
end
if ARGV[3] == '1' then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000))
end
return -1
"""


def unavailable(what: str) -> ServiceUnavailable:
    """The answer when the shared counters cannot be read: 503, the request refused, not let through."""
    return ServiceUnavailable(f"cannot check the limit on {what} right now; try again in a moment")


class RedisRateLimiter:
    """At most `limit` events per `window_s` per key, counted in Redis and shared by every server.

    When Redis cannot be reached the limiter refuses (503) instead of letting the request through:
    a limit that lapses whenever Redis is knocked over would hand an attacker a way around the
    sign-in and sign-up guards, and the queue usually lives on the same Redis, so the work a
    limited request would start could not be queued anyway.
    """

    def __init__(self, client: redis.Redis, what: str, limit: int, window_s: float = 60.0) -> None:
        self.what, self.limit, self.window_s = what, limit, window_s
        self._client = client
        self._script = client.register_script(WINDOW_SCRIPT)
        self._prefix = f"{KEY_PREFIX}:{slug(what)}:"

    def key_of(self, key: str) -> str:
        """The Redis key holding the events of `key`."""
        return self._prefix + key

    def _run(self, key: str, *, count: bool) -> None:
        """Run the window script for `key`; raise RateLimited when full, 503 when Redis is down."""
        import redis

        window_us = max(1, round(self.window_s * 1_000_000))
        args = [self.limit, window_us, 1 if count else 0, uuid.uuid4().hex]
        try:
            wait_us = int(self._script(keys=[self.key_of(key)], args=args))
        except redis.RedisError as e:
            raise unavailable(self.what) from e
        if wait_us >= 0:
            raise RateLimited(self.what, _retry_after(wait_us / 1_000_000))

    def hit(self, key: str) -> None:
        """Count one event for `key` or raise RateLimited."""
        self._run(key, count=True)

    def check(self, key: str) -> None:
        """Raise RateLimited if `key` is at its limit, without counting an event."""
        self._run(key, count=False)

    def clear(self, key: str) -> None:
        """Forget the events of `key` (e.g. its failures, after a success)."""
        import redis

        try:
            self._client.delete(self.key_of(key))
        except redis.RedisError as e:
            raise unavailable(self.what) from e


def slug(what: str) -> str:
    """`what` as a key segment: lower case, runs of anything but letters and digits made one '-'."""
    return re.sub(r"[^a-z0-9]+", "-", what.lower()).strip("-")


def limits_url(settings: Settings) -> str | None:
    """Where shared counters live: `rate_limit_url`, else the queue's Redis, else None (memory)."""
    return settings.rate_limit_url or redis_url(settings.effective_queue_url)


class Limits:
    """Makes an app's limiters, all on one backend: one Redis client shared by all, or memory."""

    def __init__(self, url: str | None) -> None:
        self.url = url
        self._client: redis.Redis | None = None
        if url is not None:
            import redis

            # Connecting is lazy: an app starts while Redis is down and its limiters answer 503.
            self._client = redis.Redis.from_url(
                url, socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S
            )

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        """The backend the settings choose (see `limits_url`)."""
        return cls(limits_url(settings))

    @property
    def shared(self) -> bool:
        """Whether the counters are shared with other processes (they are in Redis)."""
        return self._client is not None

    def limiter(self, what: str, limit: int, window_s: float = 60.0) -> Limiter:
        """A limiter of `limit` events of `what` per `window_s` per key."""
        if self._client is None:
            return RateLimiter(what, limit, window_s)
        return RedisRateLimiter(self._client, what, limit, window_s)

    def close(self) -> None:
        """Close the Redis connections, if any."""
        if self._client is not None:
            self._client.close()
