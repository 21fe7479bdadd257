"""Creating generations (prompted ones and stitch jobs); the same code serves the CLI and the HTTP API."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from reelsmith.accounts import ledger
from reelsmith.accounts.service import ensure_operator
from reelsmith.db.documents import GenerationParams
from reelsmith.db.models import Asset, Generation, Scene, Step, Variant
from reelsmith.errors import InvalidInput
from reelsmith.generations.schemas import GenerationCreate
from reelsmith.generations.voices import speech_options
from reelsmith.pipeline import adclone
from reelsmith.pipeline.billing import planned_clips
from reelsmith.pipeline.modes import REVIEW_GATE, review_hold, steps_for
from reelsmith.pipeline.progress import record_event
from reelsmith.pipeline.song import check_song, scenes_for_song
from reelsmith.providers.catalogue import Kind
from reelsmith.providers.refusals import refuse_unusable
from reelsmith.providers.registry import IMAGE_PROVIDERS, TEXT_PROVIDERS, VIDEO_PROVIDERS, parse_chain
from reelsmith.vocabulary import (
    MAX_STITCH_REPEATS,
    MAX_STITCH_S,
    SCENES_PER_VARIANT,
    STORYBOARD,
    STORYBOARD_PRICE,
    GenerationStatus,
    Mode,
    SceneStatus,
    Transition,
    VariantStatus,
    price_of,
)

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime


def ensure_local_user(rt: Runtime) -> str:
    """The id of the implicit owner of CLI-made generations (the operator), created on first use."""
    with rt.db.write() as session:
        return ensure_operator(session)


def create_generation(rt: Runtime, user_id: str, request: GenerationCreate, *, bill: bool = True) -> str:
    """Validate, charge, persist the generation with its pending steps, enqueue it; returns its id.

    `bill=False` is for the machine's own operator (the CLI), who pays no tokens.
    """
    chains = {
        "text_provider": parse_chain(
            request.providers.text or rt.settings.text_provider, TEXT_PROVIDERS, "providers.text"
        ),
        "image_provider": parse_chain(
            request.providers.image or rt.settings.image_provider, IMAGE_PROVIDERS, "providers.image"
        ),
        "video_provider": parse_chain(
            request.providers.video or rt.settings.video_provider, VIDEO_PROVIDERS, "providers.video"
        ),
    }
    # A shut-down model or an impossible frame shape is refused here, before anything is charged.
    makes_clips = request.mode != Mode.IMAGE
    used: dict[Kind, list[str]] = {"text": chains["text_provider"], "image": chains["image_provider"]}
    if makes_clips:
        used["video"] = chains["video_provider"]
    refuse_unusable(rt.providers, used, request.aspect_ratio if makes_clips else None)
    speech = speech_options(rt, request)
    with rt.db.write() as session:
        _check_references(session, user_id, request.reference_asset_ids)
        scene_count = 1 if request.mode in (Mode.VIDEO, Mode.IMAGE) else request.scenes
        inputs: dict[str, Any] = {}
        if request.mode == Mode.MUSIC_VIDEO:
            asset = check_song(session, user_id, request.song_asset_id)
            scene_count = scenes_for_song(asset.duration_s or 0.0)
            inputs = {"song_asset_id": asset.id, "song_duration_s": asset.duration_s}
        elif request.mode == Mode.AD_CLONE:
            source = adclone.check_source(session, user_id, request.source_asset_id)
            kinds = adclone.check_intensities(request.variants)
            scene_count = SCENES_PER_VARIANT
            inputs = {"source_asset_id": source.id, "source_duration_s": source.duration_s, "variants": kinds}
        gen = Generation(
            user_id=user_id,
            mode=request.mode,
            title=request.title,
            prompt=request.prompt,
            inputs=GenerationParams(
                scene_count=scene_count,
                **inputs,
                aspect_ratio=request.aspect_ratio,
                duration_s=request.duration_s,
                transition=request.transition,
                reference_asset_ids=tuple(request.reference_asset_ids),
                text_provider=",".join(chains["text_provider"]),
                image_provider=",".join(chains["image_provider"]),
                video_provider=",".join(chains["video_provider"]),
                **speech,
            ),
        )
        session.add(gen)
        session.flush()
        if bill:
            _charge_creation(session, gen, review=request.review)
        for step in steps_for(request.mode):
            held = request.review and step.name == REVIEW_GATE
            session.add(Step(generation_id=gen.id, name=step.name, output=review_hold() if held else None))
        record_event(session, gen.id, "status", {"status": GenerationStatus.QUEUED})
        generation_id = gen.id
    rt.dispatch.advance(generation_id)
    return generation_id


def _charge_creation(session: Session, gen: Generation, *, review: bool) -> None:
    """Take what the generation costs when accepted: all its clips, or only the storyboard under review.

    A reviewed storyboard's clips are charged when it is approved, for the scenes it then has.
    """
    clips = 0 if review else planned_clips(gen.mode, gen.inputs)
    price = STORYBOARD_PRICE if review else price_of(gen.mode, clips)
    note = STORYBOARD if review else gen.mode
    ledger.charge(session, gen.user_id, price, f"charge:{gen.id}", generation_id=gen.id, note=note)
    gen.tokens_charged = price
    gen.update_state(run=1, paid_clips=clips)


def create_stitch_job(
    rt: Runtime,
    user_id: str,
    asset_ids: list[str],
    transition: str = Transition.NONE,
    transition_s: float = 0.5,
) -> str:
    """A generation that only stitches the user's own clips, charged per clip joined; returns its id.

    The charge is taken in the transaction that creates the job (402 when the balance is short) and
    given back by the failure path if the stitch does not complete.
    """
    _check_repeats(asset_ids)
    with rt.db.write() as session:
        assets = _stitch_clips(session, user_id, asset_ids)
        shortest = min(a.duration_s or 0.0 for a in assets)
        if transition != Transition.NONE and transition_s >= shortest:
            raise InvalidInput("transition_s", f"must be shorter than the shortest clip ({shortest:.2f} s)")
        gen = Generation(
            user_id=user_id,
            mode=Mode.STITCH,
            title=f"Stitch of {len(assets)} clips",
            prompt=f"Stitch of {len(assets)} clips",
            inputs=GenerationParams(
                transition=Transition(transition), transition_s=transition_s, asset_ids=tuple(asset_ids)
            ),
        )
        session.add(gen)
        session.flush()
        price = price_of(Mode.STITCH, len(assets))
        ledger.charge(session, user_id, price, f"charge:{gen.id}", generation_id=gen.id, note=Mode.STITCH)
        gen.tokens_charged = price
        gen.update_state(run=1, paid_clips=len(assets))
        variant = Variant(generation_id=gen.id, status=VariantStatus.STITCHING, total_scenes=len(assets))
        variant.scenes_completed = len(assets)
        session.add(variant)
        session.flush()
        for index, asset in enumerate(assets):
            session.add(
                Scene(
                    variant_id=variant.id,
                    index=index,
                    description=f"Clip {index + 1}",
                    duration_s=asset.duration_s or 0.0,
                    status=SceneStatus.COMPLETED,
                    clip_asset_id=asset.id,
                )
            )
        for step in steps_for(Mode.STITCH):
            session.add(Step(generation_id=gen.id, name=step.name))
        record_event(session, gen.id, "status", {"status": GenerationStatus.QUEUED})
        generation_id = gen.id
    rt.dispatch.advance(generation_id)
    return generation_id


def _check_repeats(asset_ids: list[str]) -> None:
    """Refuse a clip named more than MAX_STITCH_REPEATS times: each mention is decoded and re-encoded."""
    asset_id, times = Counter(asset_ids).most_common(1)[0]
    if times > MAX_STITCH_REPEATS:
        raise InvalidInput(
            "asset_ids",
            f"{asset_id} is named {times} times; a clip may be joined at most {MAX_STITCH_REPEATS}",
        )


def _stitch_clips(session: Session, user_id: str, asset_ids: list[str]) -> list[Asset]:
    """The user's video assets in order, refused if they add up to more than MAX_STITCH_S seconds."""
    assets = []
    for n, asset_id in enumerate(asset_ids):
        asset = _own_asset(session, user_id, asset_id, f"asset_ids[{n}]", "video")
        if not asset.duration_s:  # without every length the total below could not be bounded
            raise InvalidInput(f"asset_ids[{n}]", f"video {asset_id} has no known length")
        assets.append(asset)
    total = sum(a.duration_s or 0.0 for a in assets)
    if total > MAX_STITCH_S:
        raise InvalidInput(
            "asset_ids", f"the clips add up to {total:.0f} s; a stitch takes at most {MAX_STITCH_S:.0f} s"
        )
    return assets


def _own_asset(session: Session, user_id: str, asset_id: str, field: str, kind: str) -> Asset:
    """The user's asset of ``kind`` ("image", "video"), else a 422 naming ``field``."""
    asset = session.get(Asset, asset_id)
    if asset is None or asset.user_id != user_id:
        raise InvalidInput(field, f"no such asset: {asset_id}")
    if not asset.content_type.startswith(f"{kind}/"):
        article = "an" if kind[0] in "aeiou" else "a"
        raise InvalidInput(field, f"asset {asset_id} is not {article} {kind}")
    return asset


def _check_references(session: Session, user_id: str, asset_ids: list[str]) -> None:
    for n, asset_id in enumerate(asset_ids):
        _own_asset(session, user_id, asset_id, f"reference_asset_ids[{n}]", "image")
