"""A heartbeat: while slow work runs, a thread keeps a row's timestamp fresh, so that others can tell work
in progress from work whose worker vanished (its timestamp goes stale)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reelsmith.config import Settings

log = logging.getLogger(__name__)


def beat_interval_s(settings: Settings) -> float:
    """How often a heartbeat beats: three beats fit in `stale_after_s`, so one missed beat is not death."""
    return max(0.5, settings.stale_after_s / 3)


@contextmanager
def beating(interval_s: float, beat: Callable[[], object], name: str) -> Iterator[None]:
    """Call `beat` as the block starts and then every `interval_s` until it ends; the last beat has finished
    when it does.

    The first beat is at once because the row's timestamp was set when the work was decided, and getting
    to the slow part (building a request, say) can take a good share of the staleness period on a busy
    machine: counted from there, one late beat would pass for death.
    """
    stop = threading.Event()

    def run() -> None:
        while True:
            try:
                beat()
            except Exception:  # a missed beat only risks a harmless duplicate run or a lookup
                log.warning("heartbeat %s failed", name, exc_info=True)
            if stop.wait(interval_s):
                return

    thread = threading.Thread(target=run, name=f"heartbeat-{name}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
