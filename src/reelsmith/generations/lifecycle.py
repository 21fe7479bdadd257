"""Cancel, retry, regenerate one scene, delete: changes to a generation after it was created."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from reelsmith.accounts import ledger
from reelsmith.db.models import Generation, Scene, Step, Variant, utcnow
from reelsmith.errors import Conflict, NotFound, WrongState
from reelsmith.pipeline.billing import clips_to_render, completed_clips, run_number
from reelsmith.pipeline.clips import cancel_provider_jobs
from reelsmith.pipeline.failure import fail_generation
from reelsmith.pipeline.modes import steps_for
from reelsmith.pipeline.progress import record_event
from reelsmith.pipeline.regeneration import remember_previous
from reelsmith.storage import keys
from reelsmith.vocabulary import (
    ACTIVE_STATUSES,
    CLIP_PRICE,
    SCENES_AT_PROVIDER,
    GenerationStatus,
    Mode,
    SceneStatus,
    StepStatus,
    VariantStatus,
    price_of,
)

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime

# Generations that can be run again from where they stopped.
_RETRYABLE = (GenerationStatus.FAILED, GenerationStatus.CANCELED)


def _generation(session: Session, generation_id: str) -> Generation:
    """The generation, row-locked: its status is read here and written later in the same transaction."""
    gen = session.get(Generation, generation_id, with_for_update=True)
    if gen is None:
        raise NotFound(f"generation not found: {generation_id}")
    return gen


def cancel(rt: Runtime, generation_id: str) -> None:
    """Stop a generation: no further submissions; unrendered clips are refunded."""
    with rt.db.write() as session:
        gen = _generation(session, generation_id)
        if gen.status not in ACTIVE_STATUSES:
            raise WrongState(f"generation is {gen.status}; only queued or processing work can be canceled")
        in_flight = _jobs_in_flight(session, generation_id)
        fail_generation(session, generation_id, "canceled by the user", status=GenerationStatus.CANCELED)
    cancel_provider_jobs(rt, in_flight)


def _jobs_in_flight(session: Session, generation_id: str) -> list[tuple[str, str]]:
    """(provider, job id) of the generation's scenes that a provider is working on."""
    rows = session.execute(
        select(Scene.provider, Scene.provider_job_id)
        .join(Variant)
        .where(
            Variant.generation_id == generation_id,
            Scene.status.in_(SCENES_AT_PROVIDER),
            Scene.provider_job_id.is_not(None),
        )
    ).all()
    return [(str(p), str(j)) for p, j in rows if p]


def retry(rt: Runtime, generation_id: str, *, bill: bool = True) -> None:
    """Resume a failed or canceled generation at its first unfinished step (charging what is left)."""
    with rt.db.write() as session:
        gen = _generation(session, generation_id)
        if gen.status not in _RETRYABLE:
            raise WrongState(f"generation is {gen.status}; only failed or canceled ones can be retried")
        run = run_number(gen) + 1
        done = completed_clips(session, gen.id)
        clips = clips_to_render(session, gen)
        if bill and gen.tokens_charged > 0:
            price = price_of(gen.mode, clips)
            ledger.charge(
                session, gen.user_id, price, f"charge:{gen.id}:{run}", generation_id=gen.id, note="retry"
            )
            gen.tokens_charged += price
        gen.update_state(run=run, paid_clips=clips, clips_delivered_before_run=done)
        _reopen_unfinished(session, gen)
        gen.status, gen.error_message, gen.current_step = GenerationStatus.QUEUED, None, "Retrying"
        gen.completed_at, gen.updated_at = None, utcnow()
        record_event(session, gen.id, "status", {"status": GenerationStatus.QUEUED, "run": run})
    rt.dispatch.advance(generation_id)


def _reopen_unfinished(session: Session, gen: Generation) -> None:
    """Make every unfinished step, variant and scene pending again; finished work is kept."""
    session.execute(
        update(Step)
        .where(Step.generation_id == gen.id, Step.status != StepStatus.DONE)
        .values(status=StepStatus.PENDING)
    )
    for variant in session.scalars(select(Variant).where(Variant.generation_id == gen.id)):
        if variant.status != VariantStatus.COMPLETED:
            variant.status, variant.error_message = VariantStatus.PENDING, None
        for scene in variant.scenes:
            if scene.status != SceneStatus.COMPLETED:
                scene.status, scene.provider_job_id, scene.updated_at = SceneStatus.PENDING, None, utcnow()


def regenerate_scene(
    rt: Runtime, scene_id: str, user_id: str, *, is_admin: bool = False, bill: bool = True
) -> str:
    """Re-render one scene of a finished generation, charging one clip; returns the generation id."""
    with rt.db.write() as session:
        scene = _regenerable_scene(session, scene_id, user_id, is_admin=is_admin)
        gen = scene.variant.generation
        run = run_number(gen) + 1
        if bill:
            _charge_clip(session, gen, scene, run)
        done = completed_clips(session, gen.id) - (1 if scene.status == SceneStatus.COMPLETED else 0)
        gen.update_state(run=run, paid_clips=1, clips_delivered_before_run=done)
        remember_previous(gen, scene, charged=bill)  # before the scene lets go of its clip
        _reopen_scene(session, gen, scene)
        gen.status, gen.error_message = GenerationStatus.PROCESSING, None
        gen.current_step = f"Regenerating scene {scene.index + 1}"
        gen.completed_at, gen.updated_at = None, utcnow()
        record_event(
            session,
            gen.id,
            "scene",
            {"index": scene.index, "status": SceneStatus.PENDING, "regenerate": True},
        )
        generation_id = gen.id
    rt.dispatch.submit_scene(scene_id)
    return generation_id


def _charge_clip(session: Session, gen: Generation, scene: Scene, run: int) -> None:
    """Take one clip's tokens for the re-render, or stop the request (the transaction rolls back)."""
    charged = ledger.charge(
        session,
        gen.user_id,
        CLIP_PRICE,
        f"charge:regenerate:{scene.id}:{run}",
        generation_id=gen.id,
        scene_id=scene.id,
        note="regenerate scene",
    )
    if not charged:
        # The key is taken: this run was already paid for by another request, which owns it.
        raise Conflict("this regeneration was already charged to another request")
    gen.tokens_charged += CLIP_PRICE


def _regenerable_scene(session: Session, scene_id: str, user_id: str, *, is_admin: bool) -> Scene:
    """The scene if the user may regenerate it now: theirs (or an admin's to touch), of a finished video.

    The generation's row is locked before its status is read, so that of two concurrent requests the
    second waits and then sees the first one's PROCESSING instead of a stale COMPLETED.
    """
    generation_id = session.scalar(
        select(Variant.generation_id).join(Scene, Scene.variant_id == Variant.id).where(Scene.id == scene_id)
    )
    gen = (
        session.get(Generation, generation_id, with_for_update=True, populate_existing=True)
        if generation_id
        else None
    )
    scene = session.get(Scene, scene_id) if gen is not None else None
    if scene is None or gen is None or (gen.user_id != user_id and not is_admin):
        raise NotFound(f"scene not found: {scene_id}")
    if gen.status != GenerationStatus.COMPLETED:
        raise WrongState(f"generation is {gen.status}; scenes of completed generations can be regenerated")
    if gen.mode == Mode.IMAGE:
        raise WrongState("image generations have no scenes")
    if gen.mode == Mode.STITCH:
        # Its scenes hold the user's own clips: there is no clips step to run again.
        raise WrongState("stitch jobs have no generated scenes")
    return scene


def _reopen_scene(session: Session, gen: Generation, scene: Scene) -> None:
    """Send the scene back to pending and reopen the steps from `clips` on (clips itself is running)."""
    scene.status, scene.provider_job_id, scene.error_message = SceneStatus.PENDING, None, None
    scene.clip_asset_id = scene.thumbnail_asset_id = None
    scene.updated_at = utcnow()
    scene.variant.status, scene.variant.error_message = VariantStatus.RENDERING, None
    names = [s.name for s in steps_for(gen.mode)]
    after = names[names.index("clips") :]
    session.execute(
        update(Step)
        .where(Step.generation_id == gen.id, Step.name.in_(after))
        .values(status=StepStatus.PENDING)
    )
    session.execute(
        update(Step)
        .where(Step.generation_id == gen.id, Step.name == "clips")
        .values(status=StepStatus.RUNNING)
    )


def delete_generation(rt: Runtime, generation_id: str, *, untouched_since: datetime | None = None) -> bool:
    """Remove the generation's rows (cascade) and its blobs.

    With `untouched_since` (retention), only a generation still failed or canceled and untouched since
    then is removed: its owner may have retried it after it was chosen. False when it was kept.
    """
    with rt.db.write() as session:
        gen = _generation(session, generation_id)
        if untouched_since is not None and (
            gen.status not in _RETRYABLE or gen.updated_at >= untouched_since
        ):
            return False
        in_flight = _jobs_in_flight(session, generation_id)
        if gen.status in ACTIVE_STATUSES:
            fail_generation(session, generation_id, "deleted by the user", status=GenerationStatus.CANCELED)
        session.execute(delete(Generation).where(Generation.id == generation_id))
    cancel_provider_jobs(rt, in_flight)
    rt.blobs.delete_prefix(keys.generation_prefix(generation_id))
    return True
