"""Rate limits: a sliding window per key, kept in process memory.

Each server process limits on its own; with several processes the effective limit is their sum,
which is acceptable for abuse protection (the token ledger is what guards spending). A shared
backend would replace this class with the same three methods.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque

from reelsmith.errors import RateLimited


class RateLimiter:
    """At most `limit` events per `window_s` per key."""

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
            wait = events[0] + self.window_s - now
            raise RateLimited(self.what, max(1, math.ceil(wait)))
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
