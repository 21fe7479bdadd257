"""Helpers for pipeline tests: wait for a generation to end, read its JSON."""

from __future__ import annotations

from typing import Any

from reelsmith.db.models import Generation
from reelsmith.generations.reading import read_generation
from reelsmith.runtime import Runtime
from tests.support import wait_until

TERMINAL = ("completed", "failed", "canceled")


def wait_for_end(rt: Runtime, generation_id: str, timeout_s: float = 120.0) -> dict[str, Any]:
    """Poll the database until the generation ends (or fail the test at the deadline)."""

    def ended() -> dict[str, Any] | None:
        with rt.db.read() as session:
            gen = session.get(Generation, generation_id)
            assert gen is not None
            if gen.status in TERMINAL:
                return read_generation(rt, session, gen, with_paths=True).model_dump(mode="json")
            return None

    message = f"generation {generation_id} to end"
    return wait_until(ended, timeout_s=timeout_s, interval_s=0.1, message=message)
