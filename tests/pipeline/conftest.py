"""A runtime with its embedded worker, for pipeline tests that run generations to the end."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reelsmith.config import Settings
from reelsmith.jobs.worker import embedded_worker
from reelsmith.runtime import Runtime, build_runtime


@pytest.fixture
def rt(settings: Settings) -> Iterator[Runtime]:
    runtime = build_runtime(settings)
    with embedded_worker(runtime):
        yield runtime
    runtime.close()
