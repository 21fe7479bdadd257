"""Regenerating one scene of a finished generation, and what happens when the new render fails.

A failed regeneration must not cost the user the video they had: the scene gets its previous clip back,
the generation returns to completed with its final video untouched (it was never re-stitched), and the
clip's tokens are refunded. The previous clip's blob is safe until a new render succeeds, because the
new clip is stored under a key of its own; once the generation completes with the new clip, the old
clip's rows are released (and its blobs deleted after that commit).
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session, object_session

from reelsmith.accounts import ledger
from reelsmith.db.documents import RegenerationBackup
from reelsmith.db.models import Generation, Scene, Step, utcnow
from reelsmith.pipeline.assets import release_asset
from reelsmith.pipeline.billing import run_number
from reelsmith.pipeline.progress import record_event
from reelsmith.vocabulary import CLIP_PRICE, GenerationStatus, SceneStatus, StepStatus, VariantStatus


def remember_previous(gen: Generation, scene: Scene, *, charged: bool) -> None:
    """Note the scene's current clip before it is re-rendered."""
    backup = RegenerationBackup(
        scene_id=scene.id,
        clip_asset_id=scene.clip_asset_id,
        thumbnail_asset_id=scene.thumbnail_asset_id,
        charged=charged,
        delivered_asset_id=scene.delivered_asset_id,
    )
    gen.update_state(regenerating=backup)


def forget(gen: Generation) -> None:
    """The regeneration finished (or never started): drop the note, releasing the replaced clip."""
    saved = gen.state.regenerating
    if saved is None:
        return
    gen.update_state(regenerating=None)
    session = object_session(gen)
    scene = session.get(Scene, saved.scene_id) if session is not None else None
    if session is None or scene is None or scene.clip_asset_id == saved.clip_asset_id:
        return  # the previous clip was kept (or there is nothing to look at)
    for asset_id in (saved.clip_asset_id, saved.thumbnail_asset_id, saved.delivered_asset_id):
        release_asset(session, gen.id, asset_id)
    # Imported here: the clip tasks import this module (a failed render restores the previous clip).
    from reelsmith.pipeline.clips.windows import release_windows_of

    release_windows_of(session, gen.id, saved.clip_asset_id)


def restore_previous(session: Session, gen: Generation, scene: Scene, reason: str) -> bool:
    """If ``scene`` was being regenerated, keep its previous clip and the finished video; True if so."""
    saved = gen.state.regenerating
    if saved is None or saved.scene_id != scene.id or not saved.clip_asset_id:
        return False
    now = utcnow()
    scene.clip_asset_id = saved.clip_asset_id
    scene.thumbnail_asset_id = saved.thumbnail_asset_id
    scene.delivered_asset_id = saved.delivered_asset_id
    scene.status = SceneStatus.COMPLETED
    scene.error_message = f"regeneration failed, the previous clip is kept: {reason}"
    scene.updated_at = now
    scene.variant.status, scene.variant.updated_at = VariantStatus.COMPLETED, now
    session.execute(
        update(Step)
        .where(Step.generation_id == gen.id, Step.status != StepStatus.DONE)
        .values(status=StepStatus.DONE, finished_at=now)
    )
    gen.status, gen.progress, gen.current_step = GenerationStatus.COMPLETED, 100, "Complete"
    gen.completed_at = gen.updated_at = now
    forget(gen)
    refunded = 0
    if saved.charged and ledger.refund(
        session,
        gen.user_id,
        CLIP_PRICE,
        f"refund:{gen.id}:{run_number(gen)}",
        generation_id=gen.id,
        scene_id=scene.id,
        note="regeneration failed",
    ):
        refunded = CLIP_PRICE
    record_event(
        session,
        gen.id,
        "done",
        {
            "status": GenerationStatus.COMPLETED,
            "progress": 100,
            "regeneration_failed": reason,
            "refunded_tokens": refunded,
        },
    )
    return True
