"""The reaper: finds work whose worker vanished and re-enqueues it; fails what ran past its deadline.

A queue task that was taken by a worker which then died is gone from the queue. Everything in
flight has a heartbeat (`updated_at`/`heartbeat_at`), so work silent for longer than
`stale_after_s` is handed out again. Re-running is safe: every task checks state first.
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


@dataclass(frozen=True)
class ReapReport:
    """What one pass re-enqueued or failed."""

    advanced: int = 0
    submitted: int = 0
    polled: int = 0
    expired: int = 0


@dataclass(frozen=True)
class _Stale:
    """The work one pass found abandoned: generations to advance, scenes to submit and to poll."""

    advance: frozenset[str]
    submit: tuple[str, ...]
    poll: tuple[str, ...]


def reap(rt: Runtime) -> ReapReport:
    """One pass over stale work; safe to run from several processes at once."""
    now = utcnow()
    stale_before = now - timedelta(seconds=rt.settings.stale_after_s)
    with rt.db.write() as session:
        expired = _expire(session, now - timedelta(seconds=rt.settings.generation_deadline_s))
        submit, poll = _stale_scenes(session, stale_before)
        stale = _Stale(frozenset(_stale_generations(session, stale_before)), submit, poll)
        _touch(session, stale, now)
    for generation_id in stale.advance:
        rt.dispatch.advance(generation_id)
    for scene_id in stale.submit:
        rt.dispatch.submit_scene(scene_id)
    for scene_id in stale.poll:
        rt.dispatch.poll_scene(scene_id)
    report = ReapReport(len(stale.advance), len(stale.submit), len(stale.poll), expired)
    if report != ReapReport():
        log.info("reaper: %s", report)
    return report


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
    """Generations whose runner vanished: queued and untouched, a silent step, or a variant left stitching."""
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


def _touch(session: Session, stale: _Stale, now: datetime) -> None:
    """Mark what this pass hands out as fresh, so that other reapers leave it alone for a period."""
    scenes = [*stale.submit, *stale.poll]
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
                reap(self._rt)
            except Exception:
                log.exception("reaper pass failed")

    def stop(self) -> None:
        """Ask the loop to end."""
        self._stop_event.set()
