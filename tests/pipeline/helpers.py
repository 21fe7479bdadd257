"""Helpers for pipeline tests: a runtime on a provider fake, wait for a generation to end, read its JSON."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from reelsmith.config import Settings
from reelsmith.db.models import Generation
from reelsmith.generations.reading import read_generation
from reelsmith.jobs.worker import embedded_worker
from reelsmith.runtime import Runtime, build_runtime
from tests.fakes.replicate_fake import ReplicateFake
from tests.support import wait_until

TERMINAL = ("completed", "failed", "canceled")
# Provider settings a developer's environment may hold; the runs here must not pick them up.
PROVIDER_ENV = (
    "OPENAI_API_KEY", "OPENAI_BASE_URL", "GEMINI_API_KEY", "REPLICATE_API_TOKEN", "FAL_KEY",
    "RUNWAYML_API_SECRET", "LUMAAI_API_KEY", "COMFYUI_URL",
)  # fmt: skip


@contextmanager
def replicate_runtime(settings: Settings, fake: ReplicateFake) -> Iterator[Runtime]:
    """A runtime on the test database whose Replicate is `fake`, with its queue consumer running."""
    values: dict[str, Any] = {
        **{name: "" for name in PROVIDER_ENV if name != "OPENAI_BASE_URL"},
        "data_dir": settings.data_dir,
        "database_url": settings.database_url,
        "reaper_interval_s": settings.reaper_interval_s,
        "REPLICATE_API_TOKEN": fake.key,
        "replicate_base_url": fake.base_url,
    }
    runtime = build_runtime(Settings(_env_file=None, **values))  # type: ignore[call-arg]
    try:
        with embedded_worker(runtime):
            yield runtime
    finally:
        runtime.close()


@contextmanager
def runtime_on(settings: Settings, **values: Any) -> Iterator[Runtime]:
    """A runtime on the test database with `values` as its settings and its consumer running.

    Provider calls time out after a second, so that a fake's held reply is a lost one quickly.
    """
    base: dict[str, Any] = {
        **{name: "" for name in PROVIDER_ENV if name != "OPENAI_BASE_URL"},
        "data_dir": settings.data_dir,
        "database_url": settings.database_url,
        "reaper_interval_s": settings.reaper_interval_s,
        "provider_timeout_s": 1.0,
    }
    runtime = build_runtime(Settings(_env_file=None, **{**base, **values}))  # type: ignore[call-arg]
    try:
        with embedded_worker(runtime):
            yield runtime
    finally:
        runtime.close()


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
