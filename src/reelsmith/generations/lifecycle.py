"""Cancel, retry, regenerate one scene, delete: changes to a generation after it was created."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from reelsmith.accounts import ledger
from reelsmith.db.models import Generation, Scene, Step, Variant, utcnow
from reelsmith.errors import NotFound, ReelsmithError
from reelsmith.pipeline.billing import planned_clips, run_number
from reelsmith.pipeline.clips import cancel_provider_jobs
from reelsmith.pipeline.failure import fail_generation
from reelsmith.pipeline.modes import steps_for
from reelsmith.pipeline.progress import record_event
from reelsmith.pipeline.regeneration import remember_previous
from reelsmith.storage import keys
from reelsmith.vocabulary import CLIP_PRICE, IMAGE_PRICE

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime


class WrongState(ReelsmithError):
    """The generation is not in a state that allows this."""

    code = "wrong_state"
    http_status = 409


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
        if gen.status not in ("queued", "processing"):
            raise WrongState(f"generation is {gen.status}; only queued or processing work can be canceled")
        in_flight = _jobs_in_flight(session, generation_id)
        fail_generation(session, generation_id, "canceled by the user", status="canceled")
    cancel_provider_jobs(rt, in_flight)


def _jobs_in_flight(session: Session, generation_id: str) -> list[tuple[str, str]]:
    """(provider, job id) of the generation's scenes that a provider is working on."""
    rows = session.execute(
        select(Scene.provider, Scene.provider_job_id)
        .join(Variant)
        .where(
            Variant.generation_id == generation_id,
            Scene.status.in_(("submitted", "running")),
            Scene.provider_job_id.is_not(None),
        )
    ).all()
    return [(str(p), str(j)) for p, j in rows if p]


def _completed_clips(session: Session, generation_id: str) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Scene)
            .join(Variant)
            .where(Variant.generation_id == generation_id, Scene.status == "completed")
        )
        or 0
    )


def retry(rt: Runtime, generation_id: str, *, bill: bool = True) -> None:
    """Resume a failed or canceled generation at its first unfinished step (charging what is left)."""
    with rt.db.write() as session:
        gen = _generation(session, generation_id)
        if gen.status not in ("failed", "canceled"):
            raise WrongState(f"generation is {gen.status}; only failed or canceled ones can be retried")
        run = run_number(gen) + 1
        done = _completed_clips(session, gen.id)
        clips = max(0, planned_clips(gen.mode, gen.params) - done)
        price = IMAGE_PRICE if gen.mode == "image" else clips * CLIP_PRICE
        if bill and gen.tokens_charged > 0:
            ledger.charge(
                session, gen.user_id, price, f"charge:{gen.id}:{run}", generation_id=gen.id, note="retry"
            )
            gen.tokens_charged += price
        gen.params = {**gen.params, "run": run, "paid_clips": clips, "clips_delivered_before_run": done}
        session.execute(
            update(Step).where(Step.generation_id == gen.id, Step.status != "done").values(status="pending")
        )
        for variant in session.scalars(select(Variant).where(Variant.generation_id == gen.id)):
            if variant.status != "completed":
                variant.status, variant.error_message = "pending", None
            for scene in variant.scenes:
                if scene.status != "completed":
                    scene.status, scene.provider_job_id, scene.updated_at = "pending", None, utcnow()
        gen.status, gen.error_message, gen.current_step = "queued", None, "Retrying"
        gen.completed_at, gen.updated_at = None, utcnow()
        record_event(session, gen.id, "status", {"status": "queued", "run": run})
    rt.dispatch.advance(generation_id)


def regenerate_scene(
    rt: Runtime, scene_id: str, user_id: str, *, is_admin: bool = False, bill: bool = True
) -> str:
    """Re-render one scene of a finished generation, charging one clip; returns the generation id."""
    with rt.db.write() as session:
        scene = session.get(Scene, scene_id)
        gen = scene.variant.generation if scene else None
        if scene is None or gen is None or (gen.user_id != user_id and not is_admin):
            raise NotFound(f"scene not found: {scene_id}")
        if gen.status != "completed":
            raise WrongState(
                f"generation is {gen.status}; scenes of completed generations can be regenerated"
            )
        if gen.mode == "image":
            raise WrongState("image generations have no scenes")
        run = run_number(gen) + 1
        if bill:
            ledger.charge(
                session,
                gen.user_id,
                CLIP_PRICE,
                f"charge:regenerate:{scene.id}:{run}",
                generation_id=gen.id,
                scene_id=scene.id,
                note="regenerate scene",
            )
            gen.tokens_charged += CLIP_PRICE
        done = _completed_clips(session, gen.id) - (1 if scene.status == "completed" else 0)
        gen.params = {**gen.params, "run": run, "paid_clips": 1, "clips_delivered_before_run": done}
        remember_previous(gen, scene, charged=bill)
        scene.status, scene.provider_job_id, scene.error_message = "pending", None, None
        scene.clip_asset_id = scene.thumbnail_asset_id = None
        scene.updated_at = utcnow()
        variant = scene.variant
        variant.status, variant.error_message = "rendering", None
        clip_steps = [s.name for s in steps_for(gen.mode)]
        after = clip_steps[clip_steps.index("clips") :]
        session.execute(
            update(Step).where(Step.generation_id == gen.id, Step.name.in_(after)).values(status="pending")
        )
        session.execute(
            update(Step).where(Step.generation_id == gen.id, Step.name == "clips").values(status="running")
        )
        gen.status, gen.error_message, gen.current_step = (
            "processing",
            None,
            f"Regenerating scene {scene.index + 1}",
        )
        gen.completed_at, gen.updated_at = None, utcnow()
        record_event(
            session, gen.id, "scene", {"index": scene.index, "status": "pending", "regenerate": True}
        )
        generation_id = gen.id
    rt.dispatch.submit_scene(scene_id)
    return generation_id


def delete_generation(rt: Runtime, generation_id: str) -> None:
    """Remove the generation's rows (cascade) and its blobs."""
    with rt.db.write() as session:
        gen = _generation(session, generation_id)
        in_flight = _jobs_in_flight(session, generation_id)
        if gen.status in ("queued", "processing"):
            fail_generation(session, generation_id, "deleted by the user", status="canceled")
        session.execute(delete(Generation).where(Generation.id == generation_id))
    cancel_provider_jobs(rt, in_flight)
    rt.blobs.delete_prefix(keys.generation_prefix(generation_id))
