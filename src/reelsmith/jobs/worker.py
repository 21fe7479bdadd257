"""Running the queue consumer: embedded in another command, or as `reelsmith worker`."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from reelsmith.jobs.housekeeping import HousekeepingThread
from reelsmith.jobs.queue import start_consumer
from reelsmith.jobs.reaper import ReaperThread, reap

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime

log = logging.getLogger(__name__)


@contextmanager
def embedded_worker(rt: Runtime, workers: int | None = None) -> Iterator[None]:
    """Consume the queue in this process (threads) for the duration of the block."""
    reap(rt)  # pick up whatever a previous process left behind before new work arrives
    consumer = start_consumer(rt.huey, workers or rt.settings.workers)
    reaper = ReaperThread(rt, rt.settings.reaper_interval_s)
    reaper.start()
    # Retention and orphan collection, hourly; the first pass an hour in, so short runs never pay for it.
    housekeeping = HousekeepingThread(rt)
    housekeeping.start()
    try:
        yield
    finally:
        housekeeping.stop()
        reaper.stop()
        consumer.stop(graceful=True)


def run_worker(rt: Runtime, workers: int | None = None) -> None:
    """Consume the queue until SIGINT or SIGTERM, then finish running tasks and exit."""
    stop = threading.Event()

    def _request_stop(signum: int, _frame: object) -> None:
        log.info("signal %d received: stopping after the running tasks", signum)
        stop.set()

    signal.signal(signal.SIGINT, _request_stop)
    signal.signal(signal.SIGTERM, _request_stop)
    with embedded_worker(rt, workers):
        stop.wait()
