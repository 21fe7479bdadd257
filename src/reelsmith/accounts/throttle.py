"""Guards of sign-in: failed attempts limited per client address and per username, and a cap
on how many password checks (each 64 MiB of argon2) run at once.

The failure counters live wherever the app's other limits live (shared through Redis when several
servers run); the hashing cap protects this machine's memory and CPU, so it stays in the process.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from reelsmith.accounts.ratelimit import Limits
from reelsmith.config import Settings
from reelsmith.errors import RateLimited


class LoginThrottle:
    """Failed sign-ins per address and per username, and the slots for password hashing."""

    def __init__(self, settings: Settings, limits: Limits | None = None) -> None:
        """Counters made by `limits` (by default the backend the settings choose)."""
        limits = limits or Limits.from_settings(settings)
        window = settings.login_failure_window_s
        self.by_username = limits.limiter(
            "failed sign-ins for this username", settings.login_failures_per_username, window
        )
        self.by_address = limits.limiter(
            "failed sign-ins from this address", settings.login_failures_per_address, window
        )
        self._slots = threading.BoundedSemaphore(settings.password_hash_concurrency or os.cpu_count() or 1)
        self._wait_s = settings.password_hash_wait_s

    def check(self, username: str, address: str) -> None:
        """Raise RateLimited if the address or the username has failed too often lately."""
        self.by_address.check(address)
        self.by_username.check(username.lower())

    def failed(self, username: str, address: str) -> None:
        """Count a failed sign-in against both the address and the username."""
        for limiter, key in ((self.by_address, address), (self.by_username, username.lower())):
            # A concurrent failure may have filled the window first; it is full either way.
            with suppress(RateLimited):
                limiter.hit(key)

    def succeeded(self, username: str) -> None:
        """Forget the username's failures after a successful sign-in."""
        # The address keeps its count: signing in to one's own account must not launder guesses.
        self.by_username.clear(username.lower())

    @contextmanager
    def hashing(self) -> Iterator[None]:
        """Hold one password-hashing slot, or raise RateLimited if none frees up within the wait."""
        if not self._slots.acquire(timeout=self._wait_s):
            raise RateLimited("password checks at once", 1)
        try:
            yield
        finally:
            self._slots.release()
