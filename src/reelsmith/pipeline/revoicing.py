"""Re-voicing one scene of a finished generation, and what happens when the new line cannot be made.

Like a scene's regeneration, a failed re-voice must not cost the user the video they had: the scene gets
its previous line, voice and speech back, the generation returns to completed with its final video
untouched (it was not replaced, since the stitch that would replace it did not finish), and the re-voice
is refunded. Once the re-voiced generation completes, the replaced speech is released, and when the
generation already has versions, the new render is recorded as one ("Re-voiced scene N"). A generation
that plays an edited version is re-voiced as a version of that cut instead (`generations/revoice.py`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, object_session

from reelsmith.accounts import ledger
from reelsmith.db.documents import RevoiceBackup
from reelsmith.db.models import Generation, Scene, Step, Variant, Version, utcnow
from reelsmith.pipeline.assets import release_asset
from reelsmith.pipeline.billing import run_number
from reelsmith.pipeline.progress import record_event
from reelsmith.vocabulary import GenerationStatus, StepStatus

# The steps a re-voice runs again: the stitch (which mixes the lines and makes the captions) and the poster.
REVOICE_STEPS = ("stitch", "thumbnail")


def remember_line(gen: Generation, scene: Scene, *, charged: int) -> None:
    """Note the scene's current line before it is replaced."""
    words: tuple[dict[str, Any], ...] = tuple(scene.words or ())
    gen.update_state(
        revoicing=RevoiceBackup(
            scene_id=scene.id,
            variant_id=scene.variant_id,
            narration=scene.narration,
            voice=scene.voice,
            speech_asset_id=scene.speech_asset_id,
            words=words,
            charged=charged,
        )
    )


def forget_line(gen: Generation) -> None:
    """The re-voice finished: drop the note, record the render as a version, release the replaced speech."""
    saved = gen.state.revoicing
    if saved is None:
        return
    gen.update_state(revoicing=None)
    session = object_session(gen)
    if session is None:
        return
    scene = session.get(Scene, saved.scene_id)
    if scene is not None:
        _record_version(session, gen, scene)
    if scene is None or scene.speech_asset_id != saved.speech_asset_id:
        release_asset(session, gen.id, saved.speech_asset_id)


def _record_version(session: Session, gen: Generation, scene: Scene) -> None:
    """Record the pipeline's re-voiced render as a version, if the variant's versions are being kept."""
    from reelsmith.pipeline.version_records import record_playing

    variant = session.get(Variant, scene.variant_id)
    if variant is None or variant.video_asset_id is None:
        return
    if session.scalar(select(Version.id).where(Version.variant_id == variant.id).limit(1)) is None:
        return  # no versions yet: the first is recorded when they are first asked for
    record_playing(session, gen, variant, change=f"Re-voiced scene {scene.index + 1}")


def restore_line(session: Session, gen: Generation, reason: str) -> bool:
    """If a scene of ``gen`` was being re-voiced, put its previous line back and refund; True if so."""
    saved = gen.state.revoicing
    if saved is None:
        return False
    scene = session.get(Scene, saved.scene_id)
    now = utcnow()
    if scene is not None:
        if scene.speech_asset_id != saved.speech_asset_id:
            release_asset(session, gen.id, scene.speech_asset_id)
        scene.narration, scene.voice = saved.narration, saved.voice
        scene.speech_asset_id, scene.words = saved.speech_asset_id, [dict(w) for w in saved.words]
        scene.error_message = f"re-voicing failed, the previous line is kept: {reason}"
        scene.updated_at = now
    session.execute(
        update(Step)
        .where(Step.generation_id == gen.id, Step.status != StepStatus.DONE)
        .values(status=StepStatus.DONE, finished_at=now)
    )
    gen.status, gen.progress, gen.current_step = GenerationStatus.COMPLETED, 100, "Complete"
    gen.completed_at = gen.updated_at = now
    gen.update_state(revoicing=None)
    refunded = 0
    if saved.charged and ledger.refund(
        session,
        gen.user_id,
        saved.charged,
        f"refund:{gen.id}:{run_number(gen)}",
        generation_id=gen.id,
        scene_id=saved.scene_id,
        note="re-voice failed",
    ):
        refunded = saved.charged
    record_event(
        session,
        gen.id,
        "done",
        {
            "status": GenerationStatus.COMPLETED,
            "progress": 100,
            "revoice_failed": reason,
            "refunded_tokens": refunded,
        },
    )
    return True
