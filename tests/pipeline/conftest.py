"""Runtimes for pipeline tests: one that runs each task inline, one with a real queue consumer.

Most tests only need a generation run to its end: `inline_runtime` runs every task at once in the
test's thread, so a generation has ended when `create_generation` returns. Tests of how the queue
carries the work (concurrent tasks, delays, retries through a real consumer) take `rt`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reelsmith.config import Settings
from reelsmith.jobs.worker import embedded_worker
from reelsmith.runtime import Runtime, build_runtime


@pytest.fixture
def rt(settings: Settings) -> Iterator[Runtime]:
    """A runtime with its queue consumer (worker threads and the reaper) running in this process."""
    runtime = build_runtime(settings)
    with embedded_worker(runtime):
        yield runtime
    runtime.close()


@pytest.fixture
def inline_runtime(settings: Settings) -> Iterator[Runtime]:
    """A runtime that runs each task at once in the calling thread, with no queue consumer."""
    runtime = build_runtime(settings, inline=True)
    yield runtime
    runtime.close()
