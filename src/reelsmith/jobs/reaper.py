"""The reaper: finds work whose worker vanished and re-enqueues it; fails what ran past its deadline.

A queue task that was taken by a worker which then died is gone from the queue. Everything in
flight has a heartbeat (`updated_at`/`heartbeat_at`), so work silent for longer than
`stale_after_s` is handed out again. Re-running is safe: every task checks state first.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from reelsmith.db.models import Generation, Scene, Step, Variant, utcnow
from reelsmith.pipeline.failure import fail_generation

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReapReport:
    """What one pass re-enqueued or failed."""

    advanced: int = 0
    submitted: int = 0
    polled: int = 0
    expired: int = 0


def reap(rt: Runtime) -> ReapReport:
    """One pass over stale work; safe to run from several processes at once."""
    now = utcnow()
    stale = now - timedelta(seconds=rt.settings.stale_after_s)
    deadline = now - timedelta(seconds=rt.settings.generation_deadline_s)
    advance: set[str] = set()
    submit: list[str] = []
    poll: list[str] = []
    expired = 0
    with rt.db.write() as session:
        for gen in session.scalars(
            select(Generation).where(Generation.status == "processing", Generation.created_at < deadline)
        ):
            if fail_generation(session, gen.id, "did not finish before the deadline"):
                expired += 1
        advance.update(
            session.scalars(
                select(Generation.id).where(Generation.status == "queued", Generation.updated_at < stale)
            )
        )
        advance.update(
            session.scalars(
                select(Step.generation_id)
                .join(Generation)
                .where(
                    Generation.status == "processing",
                    Step.status == "running",
                    Step.name != "clips",
                    Step.heartbeat_at < stale,
                )
            )
        )
        advance.update(
            session.scalars(
                select(Variant.generation_id)
                .join(Generation)
                .where(
                    Generation.status == "processing",
                    Variant.status == "stitching",
                    Variant.updated_at < stale,
                )
            )
        )
        scenes = session.execute(
            select(Scene.id, Scene.status)
            .join(Variant)
            .join(Generation)
            .where(
                Generation.status == "processing",
                Variant.status == "rendering",
                Scene.status.in_(("pending", "submitting", "submitted", "running")),
                Scene.updated_at < stale,
            )
        ).all()
        for scene_id, status in scenes:
            (poll if status in ("submitted", "running") else submit).append(scene_id)
        # Touch what we hand out so that other reapers leave it alone for another period.
        if scenes:
            session.execute(update(Scene).where(Scene.id.in_([s[0] for s in scenes])).values(updated_at=now))
        if advance:
            session.execute(update(Generation).where(Generation.id.in_(advance)).values(updated_at=now))
            session.execute(
                update(Variant)
                .where(Variant.generation_id.in_(advance), Variant.status == "stitching")
                .values(updated_at=now)
            )
    for generation_id in advance:
        rt.dispatch.advance(generation_id)
    for scene_id in submit:
        rt.dispatch.submit_scene(scene_id)
    for scene_id in poll:
        rt.dispatch.poll_scene(scene_id)
    report = ReapReport(len(advance), len(submit), len(poll), expired)
    if report != ReapReport():
        log.info("reaper: %s", report)
    return report


class ReaperThread(threading.Thread):
    """Runs `reap` every `interval_s` until stopped."""

    def __init__(self, rt: Runtime, interval_s: float) -> None:
        super().__init__(name="reelsmith-reaper", daemon=True)
        self._rt, self._interval = rt, interval_s
        self._stop_event = threading.Event()

    def run(self) -> None:
        """Loop until `stop`; a failed pass is logged and retried next period."""
        while not self._stop_event.wait(self._interval):
            try:
                reap(self._rt)
            except Exception:
                log.exception("reaper pass failed")

    def stop(self) -> None:
        """Ask the loop to end."""
        self._stop_event.set()
