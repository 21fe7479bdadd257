"""The runner: executes a generation's next unfinished steps, each checkpointed in the database.

Any task may run twice (a worker can die after the work, before the queue forgets the task), so a
step is claimed with a conditional update and only the claimant runs it. Slow work (LLM calls,
ffmpeg) happens outside transactions; its result is applied in the same transaction that marks
the step done, so a crash leaves the step either wholly done or still to do.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from reelsmith.db.models import Generation, Scene, Step, Variant, utcnow
from reelsmith.errors import ReelsmithError
from reelsmith.pipeline import adclone, finishing, imaging, song, writing
from reelsmith.pipeline.billing import refresh_cost
from reelsmith.pipeline.failure import fail_generation
from reelsmith.pipeline.modes import StepDef, steps_for
from reelsmith.pipeline.progress import record_event, set_progress
from reelsmith.pipeline.regeneration import forget as forget_regeneration

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime

log = logging.getLogger(__name__)

TERMINAL = ("completed", "failed", "canceled")
MAX_STEP_ATTEMPTS = 3

Compute = Callable[["Runtime", str], dict[str, Any]]
Apply = Callable[[Session, Generation, dict[str, Any]], None]


@dataclass(frozen=True)
class StepImpl:
    """How to run a sequential step: slow `compute` outside a transaction, `apply` inside one."""

    compute: Compute
    apply: Apply | None = None  # None: the step's output row is all it leaves


IMPLEMENTATIONS: dict[str, StepImpl] = {
    "story": StepImpl(writing.compute_story, writing.apply_story),
    "scenes": StepImpl(writing.compute_scenes, writing.apply_scenes),
    "enhance": StepImpl(writing.compute_enhance, writing.apply_rewrite),
    "align": StepImpl(writing.compute_align, writing.apply_rewrite),
    "prepare": StepImpl(writing.compute_single_scene, writing.apply_scenes),
    "stitch": StepImpl(finishing.compute_stitch, finishing.apply_stitch),
    "thumbnail": StepImpl(finishing.compute_thumbnail, finishing.apply_thumbnail),
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
        if gen is None or gen.status in TERMINAL:
            return None
        if gen.status == "queued":
            gen.status = "processing"
            gen.started_at = utcnow()
            record_event(session, gen.id, "status", {"status": "processing"})
        rows = {s.name: s for s in session.scalars(select(Step).where(Step.generation_id == gen.id))}
        pending = [d for d in steps_for(gen.mode) if rows[d.name].status != "done"]
        if not pending:
            _complete(session, gen)
            return None
        step = pending[0]
        if step.fan_out:
            return step  # fan-out steps are idempotent by scene state, not by claim
        claimed = session.execute(
            update(Step)
            .where(
                Step.generation_id == gen.id,
                Step.name == step.name,
                or_(
                    Step.status == "pending", (Step.status == "running") & (Step.heartbeat_at < stale_before)
                ),
            )
            .values(status="running", attempts=Step.attempts + 1, started_at=utcnow(), heartbeat_at=utcnow())
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return None
        attempts = rows[step.name].attempts + 1
        if attempts > MAX_STEP_ATTEMPTS:
            fail_generation(
                session, gen.id, f"{step.label} did not finish after {MAX_STEP_ATTEMPTS} attempts"
            )
            return None
        gen.current_step = step.label
        gen.updated_at = utcnow()
        record_event(session, gen.id, "step", {"step": step.name, "label": step.label, "status": "running"})
        return step


def _run_step(rt: Runtime, generation_id: str, step: StepDef) -> bool:
    """Compute and apply one sequential step; False when the generation failed."""
    impl = IMPLEMENTATIONS[step.name]
    try:
        with _heartbeat(rt, generation_id, step.name):
            output = impl.compute(rt, generation_id)
    except ReelsmithError as e:
        log.warning("step %s of %s failed: %s", step.name, generation_id, e.message)
        with rt.db.write() as session:
            fail_generation(session, generation_id, f"{step.label} failed: {e.message}")
        return False
    except Exception as e:
        log.exception("step %s of %s crashed", step.name, generation_id)
        with rt.db.write() as session:
            fail_generation(session, generation_id, f"{step.label} failed: {type(e).__name__}: {e}")
        return False
    with rt.db.write() as session:
        gen = session.get(Generation, generation_id, with_for_update=True)
        row = session.get(Step, (generation_id, step.name))
        if gen is None or row is None or gen.status in TERMINAL or row.status == "done":
            return False
        if impl.apply is not None:
            impl.apply(session, gen, output)
        row.status = "done"
        row.output = output
        row.finished_at = utcnow()
        record_event(session, gen.id, "step", {"step": step.name, "label": step.label, "status": "done"})
        set_progress(session, gen.id, step.progress, step.label)
    return True


@contextmanager
def _heartbeat(rt: Runtime, generation_id: str, name: str) -> Iterator[None]:
    """Keep the step's heartbeat fresh while it runs, so the reaper does not hand it out again."""
    stop = threading.Event()
    interval = max(0.5, rt.settings.stale_after_s / 3)

    def beat() -> None:
        while not stop.wait(interval):
            try:
                with rt.db.write() as session:
                    session.execute(
                        update(Step)
                        .where(
                            Step.generation_id == generation_id, Step.name == name, Step.status == "running"
                        )
                        .values(heartbeat_at=utcnow())
                    )
            except Exception:  # a missed beat only risks a harmless duplicate run
                log.warning("heartbeat of %s/%s failed", generation_id, name, exc_info=True)

    thread = threading.Thread(target=beat, name=f"heartbeat-{name}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _fan_out(rt: Runtime, generation_id: str) -> bool:
    """Start (or check) the per-scene clip tasks; True once every variant's clips are done."""
    to_submit: list[str] = []
    with rt.db.write() as session:
        gen = session.get(Generation, generation_id, with_for_update=True)
        row = session.get(Step, (generation_id, "clips"))
        if gen is None or row is None or gen.status in TERMINAL:
            return False
        variants = list(session.scalars(select(Variant).where(Variant.generation_id == gen.id)))
        if variants and all(v.status in ("stitching", "completed") for v in variants):
            row.status = "done"
            row.finished_at = utcnow()
            record_event(
                session, gen.id, "step", {"step": "clips", "label": "Generating clips", "status": "done"}
            )
            return True
        if row.status != "pending":
            return False  # clips are in flight; the last one to finish calls advance again
        row.status = "running"
        row.started_at = row.heartbeat_at = utcnow()
        row.attempts += 1
        for variant in variants:
            if variant.status == "pending":
                variant.status = "rendering"
                variant.updated_at = utcnow()
        to_submit = list(
            session.scalars(
                select(Scene.id)
                .join(Variant)
                .where(Variant.generation_id == gen.id, Scene.status == "pending")
                .order_by(Scene.index)
            )
        )
        gen.current_step = "Generating clips"
        record_event(
            session, gen.id, "step", {"step": "clips", "label": "Generating clips", "status": "running"}
        )
    for scene_id in to_submit:
        rt.dispatch.submit_scene(scene_id)
    return False


def _complete(session: Session, gen: Generation) -> None:
    """Mark a generation whose steps are all done as completed."""
    now = utcnow()
    gen.status = "completed"
    gen.progress = 100
    gen.current_step = "Complete"
    gen.completed_at = now
    started = gen.started_at or gen.created_at
    gen.generation_time_seconds = round((now - started).total_seconds(), 3)
    gen.updated_at = now
    forget_regeneration(gen)
    refresh_cost(session, gen)
    record_event(session, gen.id, "done", {"status": "completed", "progress": 100})
