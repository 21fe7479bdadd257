"""Recording a finished clip on its scene, and the join that sends a finished variant to stitching.

No counter decides the join: after marking its scene done, each finisher tries one conditional
UPDATE that moves the variant from rendering to stitching only if none of its scenes is unfinished.
The variant's row is locked first, so concurrent finishers take turns and the last one sees every
scene done; only the task whose update hit the row goes on to stitch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.orm import Session

from reelsmith.db.models import Generation, ProviderCall, Scene, Variant, utcnow
from reelsmith.pipeline.assets import add_asset
from reelsmith.pipeline.billing import refresh_cost
from reelsmith.pipeline.clips.fetch import FetchedClip
from reelsmith.pipeline.modes import CLIPS_START, step_def
from reelsmith.pipeline.progress import record_event, set_progress
from reelsmith.vocabulary import SCENES_AT_PROVIDER, CallStatus, SceneStatus, VariantStatus

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime


def complete_scene(rt: Runtime, fetched: FetchedClip) -> bool:
    """Mark the scene done with its clip and report progress; True for the one caller that joined."""
    with rt.db.write() as session:
        scene = session.get(Scene, fetched.scene_id)
        if scene is None:
            return False
        # Lock the variant first so that concurrent finishers serialise and the last one sees all.
        variant = session.scalars(
            select(Variant).where(Variant.id == scene.variant_id).with_for_update()
        ).one()
        if scene.status not in SCENES_AT_PROVIDER or scene.provider_job_id != fetched.job_id:
            return False  # a duplicate task, or the job was replaced (failure, cancel) meanwhile
        _record_clip(session, scene, fetched)
        done = _completed_scenes(session, variant.id)
        variant.scenes_completed = done
        refresh_cost(session, variant.generation)
        variant.updated_at = utcnow()
        record_event(
            session,
            fetched.generation_id,
            "scene",
            {
                "index": fetched.index,
                "status": SceneStatus.COMPLETED,
                "provider": fetched.provider,
                "asset_id": scene.clip_asset_id,
            },
        )
        _report_progress(session, variant.generation, done, variant.total_scenes)
        return join_variant(session, variant.id)


def _record_clip(session: Session, scene: Scene, fetched: FetchedClip) -> None:
    """Attach the stored clip and poster to the scene, and close its provider call."""
    gen_id, user_id = fetched.generation_id, fetched.user_id
    scene.clip_asset_id = add_asset(session, user_id, gen_id, "clip", fetched.clip).id
    scene.thumbnail_asset_id = add_asset(session, user_id, gen_id, "thumbnail", fetched.thumbnail).id
    if fetched.delivered is not None:
        scene.delivered_asset_id = add_asset(session, user_id, gen_id, "delivered", fetched.delivered).id
    else:
        scene.delivered_asset_id = None
    scene.status = SceneStatus.COMPLETED
    scene.progress = 1.0
    scene.error_message = None
    scene.completed_at = scene.updated_at = utcnow()
    session.execute(
        update(ProviderCall)
        .where(ProviderCall.scene_id == scene.id, ProviderCall.external_id == fetched.job_id)
        .values(status=CallStatus.SUCCEEDED)
    )
    session.flush()


def _completed_scenes(session: Session, variant_id: str) -> int:
    count = session.scalar(
        select(func.count())
        .select_from(Scene)
        .where(Scene.variant_id == variant_id, Scene.status == SceneStatus.COMPLETED)
    )
    return count or 0


def _report_progress(session: Session, gen: Generation, done: int, total: int) -> None:
    """Move the bar across the clips step's share as scenes finish."""
    start, end = CLIPS_START.get(gen.mode, 65), step_def(gen.mode, "clips").progress
    total = max(1, total)
    set_progress(session, gen.id, start + (end - start) * done // total, f"Generated {done} of {total} clips")


def join_variant(session: Session, variant_id: str) -> bool:
    """Move the variant to stitching if no scene is unfinished; True only for the one caller that did.

    A narrated scene is finished once it has both its clip and its speech (they are made in parallel).
    """
    unspoken = and_(Scene.narration != "", Scene.speech_asset_id.is_(None))
    unfinished = exists().where(
        Scene.variant_id == variant_id, or_(Scene.status != SceneStatus.COMPLETED, unspoken)
    )
    result = session.execute(
        update(Variant)
        .where(Variant.id == variant_id, Variant.status == VariantStatus.RENDERING, ~unfinished)
        .values(status=VariantStatus.STITCHING, updated_at=utcnow())
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]
