"""Re-voicing a scene: its owner edits the spoken line (or picks another voice) of a finished generation.

Only the line is spoken again and the variant re-stitched with it (the clips are reused as they are), so
the price is the price table's small `narration` charge, not a clip's. If the new line cannot be made,
the previous one is restored and the charge refunded (see `pipeline/revoicing.py`).

A generation whose video plays an edited version (trimmed, reordered, a clip swapped...) is re-voiced
as a new version of that cut instead: the pipeline's stitch would join the scenes' whole clips in their
first order and lose the edits. The version, "Re-voiced scene N", carries the re-voice's charge (given
back if its render fails); its render speaks the new line first (through the same speech task, so a
line that cannot be spoken is put back and refunded as above), then stitches the cut with it. Otherwise
the pipeline re-stitches the variant, and that render is recorded as a version when the generation
already has versions (see `forget_line`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from reelsmith.accounts import ledger
from reelsmith.db.models import Generation, Scene, Step, Variant, Version, utcnow
from reelsmith.errors import Conflict, InvalidInput, NotFound, WrongState
from reelsmith.generations.versions import queue_render, refuse_while_rendering
from reelsmith.generations.voices import check_voice
from reelsmith.pipeline.billing import completed_clips, run_number
from reelsmith.pipeline.cut import Cut
from reelsmith.pipeline.narration import narrated
from reelsmith.pipeline.progress import record_event
from reelsmith.pipeline.revoicing import REVOICE_STEPS, remember_line
from reelsmith.pipeline.speech_task import speech_chain
from reelsmith.pipeline.version_records import next_number, plays_edit, record_playing
from reelsmith.speech.words import split_words
from reelsmith.vocabulary import NARRATION_PRICE, GenerationStatus, StepStatus, VersionStatus

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime

# A line is said within a scene of at most a few seconds; this bounds what one re-voice may ask for.
MAX_LINE_CHARS = 600


def revoice_scene(
    rt: Runtime,
    generation_id: str,
    scene_id: str,
    user_id: str,
    narration: str,
    voice: str | None = None,
    *,
    is_admin: bool = False,
    bill: bool = True,
) -> None:
    """Replace a scene's spoken line (and voice), charge the re-voice, and speak and re-stitch it."""
    text = " ".join(narration.split())
    if not split_words(text):
        raise InvalidInput("narration", "must have words to speak")
    if len(text) > MAX_LINE_CHARS:
        raise InvalidInput("narration", f"at most {MAX_LINE_CHARS} characters, not {len(text)}")
    with rt.db.read() as session:
        gen, scene = _scene_of(session, generation_id, scene_id, user_id, is_admin=is_admin)
        chain = speech_chain(rt, gen)
    if voice:
        check_voice(rt, chain[0], voice, "voice")
    with rt.db.write() as session:
        gen, scene = _scene_of(session, generation_id, scene_id, user_id, is_admin=is_admin, lock=True)
        if gen.status != GenerationStatus.COMPLETED:
            raise WrongState(f"generation is {gen.status}; lines of completed generations can be re-voiced")
        edited = _edited_cut(session, gen, scene)
        run = run_number(gen) + 1
        charged = _charge(session, gen, scene, run) if bill else 0
        gen.update_state(run=run, paid_clips=0, clips_delivered_before_run=completed_clips(session, gen.id))
        remember_line(gen, scene, charged=charged)  # before the scene lets go of its line
        scene.narration = text
        scene.voice = scene.voice if voice is None else voice
        scene.speech_asset_id, scene.words, scene.error_message = None, None, None
        scene.updated_at = utcnow()
        version_id = None
        if edited is not None:
            version_id = _revoiced_version(session, gen, scene, edited, text, charged)
        else:
            session.execute(
                update(Step)
                .where(Step.generation_id == gen.id, Step.name.in_(REVOICE_STEPS))
                .values(status=StepStatus.PENDING)
            )
        gen.status, gen.error_message = GenerationStatus.PROCESSING, None
        gen.current_step = f"Re-voicing scene {scene.index + 1}"
        gen.completed_at, gen.updated_at = None, utcnow()
        record_event(session, gen.id, "scene", {"index": scene.index, "speech": "pending", "revoice": True})
    if version_id is not None:
        queue_render(rt, version_id)  # it speaks the line, then stitches the edited cut with it
    else:
        rt.dispatch.speak_scene(scene_id)


def _edited_cut(session: Session, gen: Generation, scene: Scene) -> Version | None:
    """The edited version the scene's variant plays (None: it plays the pipeline's own cut).

    409 while a version of the variant renders, or when the version that plays left the scene out.
    """
    variant = session.get_one(Variant, scene.variant_id)
    if session.scalar(select(Version.id).where(Version.variant_id == variant.id).limit(1)) is None:
        return None  # never edited: nothing to keep
    refuse_while_rendering(session, gen, variant)
    playing = record_playing(session, gen, variant)
    if playing is None or not plays_edit(session, gen, variant, playing):
        return None
    if scene.id not in {s.scene_id for s in Cut.from_json(playing.cut).scenes}:
        raise WrongState(
            f"scene {scene.index + 1} is not in the version that plays (version {playing.number}); "
            "restore a version with it to re-voice it"
        )
    return playing


def _revoiced_version(
    session: Session, gen: Generation, scene: Scene, playing: Version, text: str, charged: int
) -> str:
    """Record the re-voiced cut as a version to render (its line not yet spoken); its id."""
    cut = Cut.from_json(playing.cut)
    position = next(n for n, s in enumerate(cut.scenes) if s.scene_id == scene.id) + 1
    version = Version(
        generation_id=gen.id,
        variant_id=scene.variant_id,
        number=next_number(session, session.get_one(Variant, scene.variant_id)),
        status=VersionStatus.RENDERING,
        change=f"Re-voiced scene {position}",
        cut=cut.with_line(scene.id, text, None, ()).to_json(),
        tokens_charged=charged,
    )
    session.add(version)
    session.flush()
    record_event(session, gen.id, "version", {"version": version.number, "status": version.status})
    return version.id


def _scene_of(
    session: Session, generation_id: str, scene_id: str, user_id: str, *, is_admin: bool, lock: bool = False
) -> tuple[Generation, Scene]:
    """The narrated generation and its scene, if the user may change them (404 otherwise)."""
    gen = session.get(Generation, generation_id, with_for_update=lock, populate_existing=lock)
    if gen is None or (gen.user_id != user_id and not is_admin):
        raise NotFound(f"generation not found: {generation_id}")
    scene = session.scalar(
        select(Scene).join(Variant).where(Scene.id == scene_id, Variant.generation_id == gen.id)
    )
    if scene is None:
        raise NotFound(f"scene not found: {scene_id}")
    if not narrated(gen.mode, gen.inputs):
        raise WrongState("this generation is not narrated; its scenes have no lines to re-voice")
    return gen, scene


def _charge(session: Session, gen: Generation, scene: Scene, run: int) -> int:
    """Take the re-voice's tokens (402 when short); returns what was charged."""
    charged = ledger.charge(
        session,
        gen.user_id,
        NARRATION_PRICE,
        f"charge:revoice:{scene.id}:{run}",
        generation_id=gen.id,
        scene_id=scene.id,
        note="re-voice scene",
    )
    if not charged:
        raise Conflict("this re-voice was already charged to another request")
    gen.tokens_charged += NARRATION_PRICE
    return NARRATION_PRICE
