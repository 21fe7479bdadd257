"""The runner: executes a generation's next unfinished steps, each checkpointed in the database.

Any task may run twice (a worker can die after the work, before the queue forgets the task), so a
step is claimed with a conditional update and only the claimant runs it. Slow work (LLM calls,
ffmpeg) happens outside transactions; its result is applied in the same transaction that marks
the step done, so a crash leaves the step either wholly done or still to do.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from reelsmith.db.models import Generation, Scene, Step, Variant, utcnow
from reelsmith.errors import ReelsmithError, ServiceUnavailable
from reelsmith.logs import log_fields
from reelsmith.pipeline import adclone, finishing, imaging, song, writing
from reelsmith.pipeline.billing import refresh_cost
from reelsmith.pipeline.failure import explain, fail_generation
from reelsmith.pipeline.heartbeat import beat_interval_s, beating
from reelsmith.pipeline.modes import StepDef, is_held, steps_for
from reelsmith.pipeline.progress import record_event, set_progress
from reelsmith.pipeline.regeneration import forget as forget_regeneration
from reelsmith.pipeline.revoicing import forget_line, restore_line
from reelsmith.pipeline.unrecorded import blobs_in, discard_unrecorded
from reelsmith.vocabulary import (
    STATUS_LABELS,
    TERMINAL_STATUSES,
    GenerationStatus,
    SceneStatus,
    StepStatus,
    VariantStatus,
)

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime

log = logging.getLogger(__name__)

MAX_STEP_ATTEMPTS = 3
# Variants whose clips are all in: the clips step is done once every variant is here.
_CLIPS_IN = (VariantStatus.STITCHING, VariantStatus.COMPLETED)

Compute = Callable[["Runtime", str], dict[str, Any]]
Apply = Callable[[Session, Generation, dict[str, Any]], None]


@dataclass(frozen=True)
class StepImpl:
    """How to run a sequential step: slow `compute` outside a transaction, `apply` inside one."""

    compute: Compute
    apply: Apply | None = None  # None: the step's output row is all it leaves
    # The files in an output that only this run can have stored (named after a render of its own):
    # deleted when the output is not applied, since nothing else will ever name them.
    stored: Callable[[dict[str, Any]], list[str]] | None = None


IMPLEMENTATIONS: dict[str, StepImpl] = {
    "story": StepImpl(writing.compute_story, writing.apply_story),
    "scenes": StepImpl(writing.compute_scenes, writing.apply_scenes),
    "enhance": StepImpl(writing.compute_enhance, writing.apply_rewrite),
    "align": StepImpl(writing.compute_align, writing.apply_rewrite),
    "prepare": StepImpl(writing.compute_single_scene, writing.apply_scenes),
    "stitch": StepImpl(finishing.compute_stitch, finishing.apply_stitch, blobs_in),
    "thumbnail": StepImpl(finishing.compute_thumbnail, finishing.apply_thumbnail, blobs_in),
    "image": StepImpl(imaging.compute_image, imaging.apply_image),
    "audio": StepImpl(song.compute_song_plan),
    "source": StepImpl(adclone.compute_source),
    "transform": StepImpl(adclone.compute_transform, writing.apply_story),
    "variants": StepImpl(adclone.compute_variants, adclone.apply_variants),
    "evaluate": StepImpl(adclone.compute_evaluate, adclone.apply_evaluate),
}


def advance(rt: Runtime, generation_id: str) -> None:
    """Run steps until the generation waits on clips, finishes, or fails."""
    while True:
        step = _claim_next_step(rt, generation_id)
        if step is None:
            return
        if step.fan_out:
            if not _fan_out(rt, generation_id):
                return
            continue
        if not _run_step(rt, generation_id, step):
            return


def _claim_next_step(rt: Runtime, generation_id: str) -> StepDef | None:
    """Claim the first unfinished step unless someone else runs it; None when there is nothing to do."""
    stale_before = utcnow() - timedelta(seconds=rt.settings.stale_after_s)
    with rt.db.write() as session:
        # Locked: on PostgreSQL a cancel committing between this read and the status write below
        # would otherwise be overwritten (SQLite's BEGIN IMMEDIATE already serialises writers).
        gen = session.get(Generation, generation_id, with_for_update=True)
        if gen is None or gen.status in TERMINAL_STATUSES:
            return None
        if gen.status == GenerationStatus.QUEUED:
            gen.status = GenerationStatus.PROCESSING
            gen.started_at = utcnow()
            record_event(session, gen.id, "status", {"status": GenerationStatus.PROCESSING})
        rows = {s.name: s for s in session.scalars(select(Step).where(Step.generation_id == gen.id))}
        pending = [d for d in steps_for(gen.mode) if rows[d.name].status != StepStatus.DONE]
        if not pending:
            _complete(session, gen)
            return None
        step = pending[0]
        if is_held(rows[step.name].output):
            _await_approval(session, gen)
            return None
        if step.fan_out:
            return step  # fan-out steps are idempotent by scene state, not by claim
        if not _claim(session, gen.id, step.name, stale_before):
            return None
        attempts = rows[step.name].attempts + 1
        if attempts > MAX_STEP_ATTEMPTS:
            fail_generation(
                session, gen.id, f"{step.label} did not finish after {MAX_STEP_ATTEMPTS} attempts"
            )
            return None
        gen.current_step = step.label
        gen.updated_at = utcnow()
        record_event(
            session, gen.id, "step", {"step": step.name, "label": step.label, "status": StepStatus.RUNNING}
        )
        return step


def _await_approval(session: Session, gen: Generation) -> None:
    """Stop before the held step: the storyboard is written and waits for its owner's approval.

    Approval (a service outside the pipeline) releases the step and queues the generation again, so
    the runner resumes at the held step with every writing step's output kept.
    """
    gen.status = GenerationStatus.AWAITING_APPROVAL
    gen.current_step = STATUS_LABELS[GenerationStatus.AWAITING_APPROVAL]
    gen.updated_at = utcnow()
    record_event(session, gen.id, "status", {"status": GenerationStatus.AWAITING_APPROVAL})


def _claim(session: Session, generation_id: str, name: str, stale_before: datetime) -> bool:
    """Mark the step running if it is pending or its runner fell silent; False if someone else has it."""
    claimed = session.execute(
        update(Step)
        .where(
            Step.generation_id == generation_id,
            Step.name == name,
            or_(
                Step.status == StepStatus.PENDING,
                (Step.status == StepStatus.RUNNING) & (Step.heartbeat_at < stale_before),
            ),
        )
        .values(
            status=StepStatus.RUNNING, attempts=Step.attempts + 1, started_at=utcnow(), heartbeat_at=utcnow()
        )
    )
    return bool(claimed.rowcount == 1)  # type: ignore[attr-defined]


def _run_step(rt: Runtime, generation_id: str, step: StepDef) -> bool:
    """Compute and apply one sequential step; False when the generation failed."""
    impl = IMPLEMENTATIONS[step.name]
    try:
        with _heartbeat(rt, generation_id, step.name), log_fields(step=step.name):
            output = impl.compute(rt, generation_id)
    except Exception as e:
        if _outage(e):
            # The database or the blob store is unreachable for a while, which is not the step's fault.
            # Its heartbeat has stopped, so the reaper hands it out again after `stale_after_s`; each try
            # counts towards MAX_STEP_ATTEMPTS, so an outage that lasts still ends the generation.
            log.warning("step %s of %s interrupted by an outage: %s", step.name, generation_id, e)
            return False
        if isinstance(e, ReelsmithError):
            log.warning("step %s of %s failed: %s", step.name, generation_id, e.message)
        else:
            log.exception("step %s of %s crashed", step.name, generation_id)
        # Anyone who sees the generation reads the plain reason; the detail stays with the owner.
        text = explain(e, f"{step.label} failed")
        with rt.db.write() as session:
            gen = session.get(Generation, generation_id, with_for_update=True)
            # A re-voice that cannot be finished leaves the video as it was, with its previous line.
            if gen is None or not restore_line(session, gen, text.public):
                fail_generation(session, generation_id, text.public, detail=text.detail)
        return False
    stored = impl.stored(output) if impl.stored is not None else []
    try:
        applied = _apply(rt, generation_id, step, output)
    except Exception:
        discard_unrecorded(rt, stored)  # unless the commit went through after all
        raise
    if not applied:
        discard_unrecorded(rt, stored)  # the step's files that will never be named
    return applied


def _apply(rt: Runtime, generation_id: str, step: StepDef, output: dict[str, Any]) -> bool:
    """Record a computed step as done, with its output; False when it no longer may (the generation
    ended meanwhile, or another runner finished the step first)."""
    impl = IMPLEMENTATIONS[step.name]
    with rt.db.write() as session:
        gen = session.get(Generation, generation_id, with_for_update=True)
        row = session.get(Step, (generation_id, step.name))
        if gen is None or row is None or gen.status in TERMINAL_STATUSES or row.status == StepStatus.DONE:
            return False
        if impl.apply is not None:
            impl.apply(session, gen, output)
        row.status = StepStatus.DONE
        row.output = output
        row.finished_at = utcnow()
        record_event(
            session, gen.id, "step", {"step": step.name, "label": step.label, "status": StepStatus.DONE}
        )
        set_progress(session, gen.id, step.progress, step.label)
    return True


def _outage(error: BaseException) -> bool:
    """Whether `error` says a service was unreachable (database, blob store), not that the work failed."""
    if isinstance(error, ServiceUnavailable):
        return True
    if isinstance(error, DBAPIError):
        return error.connection_invalidated or isinstance(error, OperationalError | InterfaceError)
    return False


@contextmanager
def _heartbeat(rt: Runtime, generation_id: str, name: str) -> Iterator[None]:
    """Keep the step's heartbeat fresh while it runs, so the reaper does not hand it out again."""

    def beat() -> None:
        with rt.db.write() as session:
            session.execute(
                update(Step)
                .where(
                    Step.generation_id == generation_id, Step.name == name, Step.status == StepStatus.RUNNING
                )
                .values(heartbeat_at=utcnow())
            )

    with beating(beat_interval_s(rt.settings), beat, f"{generation_id}/{name}"):
        yield


def _fan_out(rt: Runtime, generation_id: str) -> bool:
    """Start (or check) the per-scene clip tasks; True once every variant's clips are done."""
    to_submit: list[str] = []
    to_speak: list[str] = []
    with rt.db.write() as session:
        gen = session.get(Generation, generation_id, with_for_update=True)
        row = session.get(Step, (generation_id, "clips"))
        if gen is None or row is None or gen.status in TERMINAL_STATUSES:
            return False
        variants = list(session.scalars(select(Variant).where(Variant.generation_id == gen.id)))
        if variants and all(v.status in _CLIPS_IN for v in variants):
            row.status = StepStatus.DONE
            row.finished_at = utcnow()
            record_event(
                session,
                gen.id,
                "step",
                {"step": "clips", "label": "Generating clips", "status": StepStatus.DONE},
            )
            return True
        if row.status != StepStatus.PENDING:
            return False  # clips are in flight; the last one to finish calls advance again
        row.status = StepStatus.RUNNING
        row.started_at = row.heartbeat_at = utcnow()
        row.attempts += 1
        for variant in variants:
            if variant.status == VariantStatus.PENDING:
                variant.status = VariantStatus.RENDERING
                variant.updated_at = utcnow()
        to_submit = list(
            session.scalars(
                select(Scene.id)
                .join(Variant)
                .where(Variant.generation_id == gen.id, Scene.status == SceneStatus.PENDING)
                .order_by(Scene.index)
            )
        )
        # Narrated scenes are spoken beside their clips (whatever the clips' state: a retry may
        # find every clip done and only a line left to say).
        to_speak = list(
            session.scalars(
                select(Scene.id)
                .join(Variant)
                .where(
                    Variant.generation_id == gen.id, Scene.narration != "", Scene.speech_asset_id.is_(None)
                )
                .order_by(Scene.index)
            )
        )
        gen.current_step = "Generating clips"
        record_event(
            session,
            gen.id,
            "step",
            {"step": "clips", "label": "Generating clips", "status": StepStatus.RUNNING},
        )
    for scene_id in to_speak:
        rt.dispatch.speak_scene(scene_id)
    for scene_id in to_submit:
        rt.dispatch.submit_scene(scene_id)
    return False


def _complete(session: Session, gen: Generation) -> None:
    """Mark a generation whose steps are all done as completed."""
    now = utcnow()
    gen.status = GenerationStatus.COMPLETED
    gen.progress = 100
    gen.current_step = "Complete"
    gen.completed_at = now
    started = gen.started_at or gen.created_at
    gen.generation_time_seconds = round((now - started).total_seconds(), 3)
    gen.updated_at = now
    forget_regeneration(gen)
    forget_line(gen)
    refresh_cost(session, gen)
    record_event(session, gen.id, "done", {"status": GenerationStatus.COMPLETED, "progress": 100})
