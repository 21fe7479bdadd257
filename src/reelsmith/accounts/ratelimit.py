"""Per-user rate limits: a sliding window kept in process memory.

Each server process limits on its own; with several processes the effective limit is their sum,
which is acceptable for abuse protection (the token ledger is what guards spending).
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

    def hit(self, key: str) -> None:
        """Count one event for `key` or raise RateLimited."""
        now = time.monotonic()
        with self._lock:
            events = self._events.setdefault(key, deque())
            while events and events[0] <= now - self.window_s:
                events.popleft()
            if len(events) >= self.limit:
                wait = events[0] + self.window_s - now
                raise RateLimited(self.what, max(1, math.ceil(wait)))
            events.append(now)
