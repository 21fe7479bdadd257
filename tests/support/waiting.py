"""Wait for work done elsewhere (a thread, a worker process, a server) by polling with a deadline."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

LAST_VALUE_CHARS = 500  # how much of the predicate's last answer a failure shows


def wait_until(
    predicate: Callable[[], T | None],
    *,
    timeout_s: float = 30.0,
    interval_s: float = 0.05,
    message: str | Callable[[], str] = "",
) -> T:
    """Call `predicate` until it returns something truthy, and return that; fail the test at the deadline.

    `message` says what was awaited; a callable is asked only on failure, so it can read a log or a
    row as it stands at that moment. Exceptions from `predicate` are not swallowed.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        # Polling, not waiting blindly: the sleep only paces the checks and never outlasts the deadline.
        time.sleep(min(interval_s, remaining))
    what = message() if callable(message) else message
    awaited = what or getattr(predicate, "__qualname__", repr(predicate))
    last = repr(value)
    if len(last) > LAST_VALUE_CHARS:
        last = last[:LAST_VALUE_CHARS] + "…"
    raise AssertionError(f"timed out after {timeout_s:g} s waiting for {awaited} (last value: {last})")
