"""Helpers for pipeline tests: wait for a generation to end, read its JSON."""

from __future__ import annotations

import time
from typing import Any

from reelsmith.db.models import Generation
from reelsmith.generations.service import generation_json
from reelsmith.runtime import Runtime

TERMINAL = ("completed", "failed", "canceled")


def wait_for_end(rt: Runtime, generation_id: str, timeout_s: float = 120.0) -> dict[str, Any]:
    """Poll the database until the generation ends (or fail the test at the deadline)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with rt.db.read() as session:
            gen = session.get(Generation, generation_id)
            assert gen is not None
            if gen.status in TERMINAL:
                return generation_json(rt, session, gen, with_paths=True)
        time.sleep(0.1)
    raise AssertionError(f"generation {generation_id} did not end within {timeout_s} s")
