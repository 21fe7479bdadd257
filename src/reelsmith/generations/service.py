"""Creating generations and reading them back; the same code serves the CLI and the HTTP API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reelsmith.accounts import ledger
from reelsmith.db.models import Asset, Event, Generation, Scene, Step, User, Variant
from reelsmith.errors import InvalidInput, NotFound
from reelsmith.generations.main_variant import kind_rank, main_of
from reelsmith.generations.schemas import GenerationCreate
from reelsmith.pipeline import adclone
from reelsmith.pipeline.billing import planned_clips
from reelsmith.pipeline.modes import steps_for
from reelsmith.pipeline.progress import record_event
from reelsmith.pipeline.song import check_song, scenes_for_song
from reelsmith.providers.registry import IMAGE_PROVIDERS, TEXT_PROVIDERS, VIDEO_PROVIDERS, parse_chain
from reelsmith.vocabulary import price_of

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime

LOCAL_USERNAME = "local"


def ensure_local_user(rt: Runtime) -> str:
    """The id of the implicit owner of CLI-made generations, created on first use."""
    with rt.db.write() as session:
        user = session.scalars(select(User).where(User.username == LOCAL_USERNAME)).first()
        if user is None:
            user = User(username=LOCAL_USERNAME, is_admin=True)
            session.add(user)
            session.flush()
        return user.id


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
    with rt.db.write() as session:
        _check_references(session, user_id, request.reference_asset_ids)
        scene_count = 1 if request.mode in ("video", "image") else request.scenes
        inputs: dict[str, Any] = {}
        if request.mode == "music_video":
            asset = check_song(session, user_id, request.song_asset_id)
            scene_count = scenes_for_song(asset.duration_s or 0.0)
            inputs = {"song_asset_id": asset.id, "song_duration_s": asset.duration_s}
        elif request.mode == "ad_clone":
            source = adclone.check_source(session, user_id, request.source_asset_id)
            kinds = adclone.check_intensities(request.variants)
            scene_count = adclone.SCENES_PER_VARIANT
            inputs = {"source_asset_id": source.id, "source_duration_s": source.duration_s, "variants": kinds}
        gen = Generation(
            user_id=user_id,
            mode=request.mode,
            title=request.title,
            prompt=request.prompt,
            params={
                "scene_count": scene_count,
                **inputs,
                "aspect_ratio": request.aspect_ratio,
                "duration_s": request.duration_s,
                "transition": request.transition,
                "reference_asset_ids": request.reference_asset_ids,
                **{k: ",".join(v) for k, v in chains.items()},
            },
        )
        session.add(gen)
        session.flush()
        if bill:
            clips = planned_clips(request.mode, gen.params)
            price = price_of(request.mode, clips)
            ledger.charge(
                session, user_id, price, f"charge:{gen.id}", generation_id=gen.id, note=request.mode
            )
            gen.tokens_charged = price
            gen.params = {**gen.params, "run": 1, "paid_clips": clips}
        for step in steps_for(request.mode):
            session.add(Step(generation_id=gen.id, name=step.name))
        record_event(session, gen.id, "status", {"status": "queued"})
        generation_id = gen.id
    rt.dispatch.advance(generation_id)
    return generation_id


def create_stitch_job(
    rt: Runtime, user_id: str, asset_ids: list[str], transition: str = "none", transition_s: float = 0.5
) -> str:
    """A generation that only stitches the user's own clips (no model work, no tokens)."""
    with rt.db.write() as session:
        assets = []
        for n, asset_id in enumerate(asset_ids):
            asset = session.get(Asset, asset_id)
            if asset is None or asset.user_id != user_id:
                raise InvalidInput(f"asset_ids[{n}]", f"no such asset: {asset_id}")
            if not asset.content_type.startswith("video/"):
                raise InvalidInput(f"asset_ids[{n}]", f"asset {asset_id} is not a video")
            assets.append(asset)
        shortest = min(a.duration_s or 0.0 for a in assets)
        if transition != "none" and transition_s >= shortest:
            raise InvalidInput("transition_s", f"must be shorter than the shortest clip ({shortest:.2f} s)")
        gen = Generation(
            user_id=user_id,
            mode="stitch",
            title=f"Stitch of {len(assets)} clips",
            prompt=f"Stitch of {len(assets)} clips",
            params={"transition": transition, "transition_s": transition_s, "asset_ids": asset_ids},
        )
        session.add(gen)
        session.flush()
        variant = Variant(generation_id=gen.id, status="stitching", total_scenes=len(assets))
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
                    status="completed",
                    clip_asset_id=asset.id,
                )
            )
        for step in steps_for("stitch"):
            session.add(Step(generation_id=gen.id, name=step.name))
        record_event(session, gen.id, "status", {"status": "queued"})
        generation_id = gen.id
    rt.dispatch.advance(generation_id)
    return generation_id


def _check_references(session: Session, user_id: str, asset_ids: list[str]) -> None:
    for n, asset_id in enumerate(asset_ids):
        asset = session.get(Asset, asset_id)
        if asset is None or asset.user_id != user_id:
            raise InvalidInput(f"reference_asset_ids[{n}]", f"no such asset: {asset_id}")
        if not asset.content_type.startswith("image/"):
            raise InvalidInput(f"reference_asset_ids[{n}]", f"asset {asset_id} is not an image")


def get_generation(session: Session, generation_id: str, user_id: str | None = None) -> Generation:
    """The generation, if it exists and (when `user_id` is given) belongs to that user."""
    gen = session.get(Generation, generation_id)
    if gen is None or (user_id is not None and gen.user_id != user_id):
        raise NotFound(f"generation not found: {generation_id}")
    return gen


def asset_url(asset_id: str | None) -> str | None:
    """The API URL of an asset."""
    return f"/api/assets/{asset_id}" if asset_id else None


def generation_summary(gen: Generation) -> dict[str, Any]:
    """The fields of a generation that need no other rows (what lists show)."""
    return {
        "id": gen.id,
        "mode": gen.mode,
        "title": gen.title,
        "prompt": gen.prompt,
        "status": gen.status,
        "progress": gen.progress,
        "current_step": gen.current_step,
        "error_message": gen.error_message,
        "visibility": gen.visibility,
        "created_at": _iso(gen.created_at),
        "completed_at": _iso(gen.completed_at),
        "generation_time_seconds": gen.generation_time_seconds,
    }


def generation_json(
    rt: Runtime, session: Session, gen: Generation, *, with_paths: bool = False
) -> dict[str, Any]:
    """The public JSON shape of a generation (as the HTTP API returns it)."""
    assets = {a.id: a for a in session.scalars(select(Asset).where(Asset.generation_id == gen.id))}

    def path_of(asset_id: str | None) -> str | None:
        if not with_paths or asset_id is None or asset_id not in assets:
            return None
        root = getattr(rt.blobs, "root", None)
        return str(root / assets[asset_id].storage_key) if root is not None else None

    def with_files(data: dict[str, Any], video: str | None, thumb: str | None) -> dict[str, Any]:
        if with_paths:
            data["video_path"], data["thumbnail_path"] = path_of(video), path_of(thumb)
        return data

    outputs = {
        s.name: s.output or {}
        for s in session.scalars(
            select(Step).where(Step.generation_id == gen.id, Step.name.in_(("source", "evaluate")))
        )
    }
    evaluation = outputs.get("evaluate", {})
    scores = evaluation.get("variants", {})
    variants = []
    rows = session.scalars(select(Variant).where(Variant.generation_id == gen.id))
    for variant in sorted(rows, key=lambda v: kind_rank(v.kind)):
        scenes = [
            with_files(
                {
                    "id": s.id,
                    "index": s.index,
                    "description": s.description,
                    "negative_prompt": s.negative_prompt,
                    "duration_s": s.duration_s,
                    "camera": s.camera,
                    "on_screen_text": s.on_screen_text,
                    "status": s.status,
                    "attempts": s.attempts,
                    "provider": s.provider,
                    "error_message": s.error_message,
                    "video_url": asset_url(s.clip_asset_id),
                    "thumbnail_url": asset_url(s.thumbnail_asset_id),
                },
                s.clip_asset_id,
                s.thumbnail_asset_id,
            )
            for s in variant.scenes
        ]
        variants.append(
            with_files(
                {
                    "id": variant.id,
                    "kind": variant.kind,
                    "status": variant.status,
                    "total_scenes": variant.total_scenes,
                    "scenes_completed": variant.scenes_completed,
                    "error_message": variant.error_message,
                    "video_url": asset_url(variant.video_asset_id),
                    "thumbnail_url": asset_url(variant.thumbnail_asset_id),
                    "preview_url": asset_url(variant.preview_asset_id),
                    "evaluation": scores.get(variant.kind),
                    "scenes": scenes,
                },
                variant.video_asset_id,
                variant.thumbnail_asset_id,
            )
        )
    main = main_of(gen.params, variants, lambda v: v["kind"]) or {}
    steps = [
        {
            "name": s.name,
            "status": s.status,
            "attempts": s.attempts,
            "started_at": _iso(s.started_at),
            "finished_at": _iso(s.finished_at),
        }
        for s in sorted(
            session.scalars(select(Step).where(Step.generation_id == gen.id)),
            key=lambda s: [d.name for d in steps_for(gen.mode)].index(s.name),
        )
    ]
    conversation = [
        {"at": _iso(e.at), **e.payload}
        for e in session.scalars(
            select(Event).where(Event.generation_id == gen.id, Event.kind == "llm").order_by(Event.id)
        )
    ]
    image_id = gen.params.get("image_asset_id")
    data: dict[str, Any] = {
        **generation_summary(gen),
        "aspect_ratio": gen.params.get("aspect_ratio"),
        "video_url": main.get("video_url"),
        "thumbnail_url": main.get("thumbnail_url"),
        "preview_url": main.get("preview_url"),
        "image_url": asset_url(image_id),
        "cost_usd": gen.cost_usd,
        "tokens_charged": gen.tokens_charged,
        "variants": variants,
        "source": _source_json(gen, outputs.get("source")),
        "steps": steps,
        "conversation": conversation,
    }
    if with_paths:
        data["video_path"] = main.get("video_path")
        data["thumbnail_path"] = main.get("thumbnail_path")
        data["image_path"] = path_of(image_id)
    return data


def main_output_key(session: Session, gen: Generation) -> str | None:
    """Storage key of what the generation made: its main variant's video, or its picture."""
    variants = list(session.scalars(select(Variant).where(Variant.generation_id == gen.id)))
    main = main_of(gen.params, variants, lambda v: v.kind)
    asset_id = (main.video_asset_id if main else None) or gen.params.get("image_asset_id")
    asset = session.get(Asset, asset_id) if asset_id else None
    return asset.storage_key if asset else None


def _source_json(gen: Generation, analysis: dict[str, Any] | None) -> dict[str, Any] | None:
    """The source ad of an ad clone and what was measured on it (None for other modes)."""
    asset_id = gen.params.get("source_asset_id")
    if not asset_id:
        return None
    measured = {k: v for k, v in (analysis or {}).items() if k != "shots"}
    return {"asset_id": asset_id, "video_url": asset_url(asset_id), **measured}


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
