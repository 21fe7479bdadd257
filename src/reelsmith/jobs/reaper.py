"""The reaper: finds work whose worker vanished and re-enqueues it; fails what ran past its deadline.

A queue task that was taken by a worker which then died is gone from the queue. Everything in
flight has a heartbeat (`updated_at`/`heartbeat_at`), so work silent for longer than
`stale_after_s` is handed out again. Re-running is safe: every task checks state first.

When the queue itself was lost (Redis restarted empty), nothing queued is left to wait for: a pass
then hands out everything in flight at once, stale or not; work still running in a live worker
ignores the duplicate (its claim or its scene state tells the newcomer to leave).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from reelsmith.db.models import Generation, Scene, Step, Variant, utcnow
from reelsmith.jobs.queue import queue_was_lost
from reelsmith.pipeline.failure import fail_generation
from reelsmith.vocabulary import (
    SCENES_AT_PROVIDER,
    UNFINISHED_SCENES,
    GenerationStatus,
    StepStatus,
    VariantStatus,
)

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime

log = logging.getLogger(__name__)

DEADLINE_REASON = "did not finish before the deadline"
# A heartbeat this old is stale whatever `stale_after_s` says.
LONG_AGO = timedelta(days=365)


@dataclass(frozen=True)
class ReapReport:
    """What one pass re-enqueued or failed."""

    advanced: int = 0
    submitted: int = 0
    polled: int = 0
    expired: int = 0
    spoken: int = 0


@dataclass(frozen=True)
class _Stale:
    """The work one pass found abandoned: generations to advance, scenes to submit, poll and speak."""

    advance: frozenset[str]
    submit: tuple[str, ...]
    poll: tuple[str, ...]
    speak: tuple[str, ...] = ()


def reap(rt: Runtime, *, lost_queue: bool = False) -> ReapReport:
    """One pass over stale work (all work in flight, when the queue was lost); safe to run from several
    processes at once."""
    now = utcnow()
    stale_before = now if lost_queue else now - timedelta(seconds=rt.settings.stale_after_s)
    with rt.db.write() as session:
        expired = _expire(session, now - timedelta(seconds=rt.settings.generation_deadline_s))
        submit, poll = _stale_scenes(session, stale_before)
        speak = _unspoken_scenes(session, stale_before)
        stale = _Stale(frozenset(_stale_generations(session, stale_before)), submit, poll, speak)
        _touch(session, stale, now)
    for generation_id in stale.advance:
        rt.dispatch.advance(generation_id)
    for scene_id in stale.submit:
        rt.dispatch.submit_scene(scene_id)
    for scene_id in stale.poll:
        rt.dispatch.poll_scene(scene_id)
    for scene_id in stale.speak:
        rt.dispatch.speak_scene(scene_id)
    report = ReapReport(len(stale.advance), len(stale.submit), len(stale.poll), expired, len(stale.speak))
    if report != ReapReport():
        log.info("reaper%s: %s", " (queue lost)" if lost_queue else "", report)
    return report


def reap_after_start(rt: Runtime) -> ReapReport:
    """The pass a worker makes when it starts: everything in flight if the queue was lost meanwhile."""
    return reap(rt, lost_queue=_lost(rt))


def _lost(rt: Runtime) -> bool:
    """Whether the queue was lost; a queue that cannot be asked counts as not lost (asked again later)."""
    try:
        return queue_was_lost(rt.huey)
    except Exception:
        log.warning("could not tell whether the queue was lost", exc_info=True)
        return False


def hand_back(rt: Runtime, generation_id: str) -> int:
    """Release the generation's running steps so that another worker claims them at once (a worker that
    stops before its step finishes); the attempt does not count. Returns how many were released.

    A released step stays running with a heartbeat long gone: the next claim takes it, and should the
    task enqueued for it be lost too, the reaper's next pass finds it.
    """
    with rt.db.write() as session:
        released = session.execute(
            update(Step)
            .where(
                Step.generation_id == generation_id,
                Step.status == StepStatus.RUNNING,
                Step.name != "clips",  # its scenes carry the work, each with its own task
            )
            .values(attempts=Step.attempts - 1, heartbeat_at=utcnow() - LONG_AGO)
        )
    count = int(released.rowcount)  # type: ignore[attr-defined]
    if count:
        log.info("handed back %d running step(s) of %s", count, generation_id)
    return count


def _expire(session: Session, created_before: datetime) -> int:
    """Fail (and refund) the generations still running that were created before the deadline."""
    expired = 0
    for gen in session.scalars(
        select(Generation).where(
            Generation.status == GenerationStatus.PROCESSING, Generation.created_at < created_before
        )
    ):
        if fail_generation(session, gen.id, DEADLINE_REASON):
            expired += 1
    return expired


def _stale_generations(session: Session, stale_before: datetime) -> set[str]:
    """Generations whose runner vanished: queued and untouched, a silent step, a variant left stitching, or
    no step running at all."""
    processing = Generation.status == GenerationStatus.PROCESSING
    found = set(
        session.scalars(
            select(Generation.id).where(
                Generation.status == GenerationStatus.QUEUED, Generation.updated_at < stale_before
            )
        )
    )
    found.update(
        session.scalars(
            select(Step.generation_id)
            .join(Generation)
            .where(
                processing,
                Step.status == StepStatus.RUNNING,
                Step.name != "clips",  # the clips step lives on in its scenes' tasks
                Step.heartbeat_at < stale_before,
            )
        )
    )
    found.update(
        session.scalars(
            select(Variant.generation_id)
            .join(Generation)
            .where(processing, Variant.status == VariantStatus.STITCHING, Variant.updated_at < stale_before)
        )
    )
    # Between two steps: one finished, and the task that was to claim the next died before it did.
    running = select(Step.generation_id).where(Step.status == StepStatus.RUNNING)
    found.update(
        session.scalars(
            select(Generation.id).where(
                processing, Generation.updated_at < stale_before, Generation.id.not_in(running)
            )
        )
    )
    return found


def _stale_scenes(session: Session, stale_before: datetime) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Silent scenes of rendering variants: (to submit, to poll), by whether a provider has them."""
    rows = session.execute(
        select(Scene.id, Scene.status)
        .join(Variant)
        .join(Generation)
        .where(
            Generation.status == GenerationStatus.PROCESSING,
            Variant.status == VariantStatus.RENDERING,
            Scene.status.in_(UNFINISHED_SCENES),
            Scene.updated_at < stale_before,
        )
    ).all()
    submit = tuple(scene_id for scene_id, status in rows if status not in SCENES_AT_PROVIDER)
    poll = tuple(scene_id for scene_id, status in rows if status in SCENES_AT_PROVIDER)
    return submit, poll


def _unspoken_scenes(session: Session, stale_before: datetime) -> tuple[str, ...]:
    """Silent narrated scenes of rendering variants still without their speech (the task speaking the
    line was lost): the variant's join waits for it as for a clip."""
    return tuple(
        session.scalars(
            select(Scene.id)
            .join(Variant)
            .join(Generation)
            .where(
                Generation.status == GenerationStatus.PROCESSING,
                Variant.status == VariantStatus.RENDERING,
                Scene.narration != "",
                Scene.speech_asset_id.is_(None),
                Scene.updated_at < stale_before,
            )
        )
    )


def _touch(session: Session, stale: _Stale, now: datetime) -> None:
    """Mark what this pass hands out as fresh, so that other reapers leave it alone for a period."""
    scenes = [*stale.submit, *stale.poll, *stale.speak]
    if scenes:
        session.execute(update(Scene).where(Scene.id.in_(scenes)).values(updated_at=now))
    if stale.advance:
        session.execute(update(Generation).where(Generation.id.in_(stale.advance)).values(updated_at=now))
        session.execute(
            update(Variant)
            .where(Variant.generation_id.in_(stale.advance), Variant.status == VariantStatus.STITCHING)
            .values(updated_at=now)
        )


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
                reap(self._rt, lost_queue=_lost(self._rt))
            except Exception:
                log.exception("reaper pass failed")

    def stop(self) -> None:
        """Ask the loop to end."""
        self._stop_event.set()
