"""The finishing steps: stitch each variant's clips into its final video, then its poster."""

from __future__ import annotations

import dataclasses
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reelsmith.db.models import Asset, Generation, Scene, Variant, utcnow
from reelsmith.errors import ReelsmithError
from reelsmith.pipeline.assets import StoredBlob, add_asset, store_image, store_video
from reelsmith.storage import keys

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime


def _scratch(rt: Runtime) -> Path:
    path = rt.settings.data_dir / "tmp"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _variants(session: Session, generation_id: str) -> list[Variant]:
    return list(
        session.scalars(
            select(Variant).where(Variant.generation_id == generation_id, Variant.status != "failed")
        )
    )


def compute_stitch(rt: Runtime, generation_id: str) -> dict[str, Any]:
    """Stitch every variant's clips (a single clip is used as it is)."""
    from reelsmith.media.stitch import stitch

    results: dict[str, Any] = {}
    with rt.db.read() as session:
        gen = session.get(Generation, generation_id)
        if gen is None:
            raise ReelsmithError("generation vanished", code="not_found")
        transition = str(gen.params.get("transition", "none"))
        transition_s = float(gen.params.get("transition_s", 0.5))
        plan: list[tuple[Variant, list[str]]] = []
        for variant in _variants(session, generation_id):
            clip_ids = [s.clip_asset_id for s in variant.scenes]
            if any(c is None for c in clip_ids):
                raise ReelsmithError(f"variant {variant.kind} has scenes without clips", code="pipeline")
            assets = {a.id: a for a in session.scalars(select(Asset).where(Asset.id.in_(clip_ids)))}
            plan.append((variant, [assets[str(c)].storage_key for c in clip_ids]))
    for variant, clip_keys in plan:
        if len(clip_keys) == 1:
            results[variant.id] = {"reuse_scene_clip": True}
            continue
        with ExitStack() as stack, tempfile.TemporaryDirectory(dir=_scratch(rt)) as tmp:
            paths = [stack.enter_context(rt.blobs.local_path(k)) for k in clip_keys]
            out = Path(tmp) / "final.mp4"
            stitch(paths, out, transition=transition, transition_s=transition_s)
            blob = store_video(rt, keys.final_video(generation_id, variant.kind), out)
        results[variant.id] = {"blob": dataclasses.asdict(blob)}
    return {"variants": results}


def apply_stitch(session: Session, gen: Generation, output: dict[str, Any]) -> None:
    """Point each variant at its final video."""
    for variant_id, result in output["variants"].items():
        variant = session.get(Variant, variant_id)
        if variant is None:
            continue
        if result.get("reuse_scene_clip"):
            first = session.scalars(select(Scene).where(Scene.variant_id == variant.id)).first()
            variant.video_asset_id = first.clip_asset_id if first else None
        else:
            blob = StoredBlob(**result["blob"])
            variant.video_asset_id = add_asset(session, gen.user_id, gen.id, "video", blob).id
        variant.updated_at = utcnow()


def compute_thumbnail(rt: Runtime, generation_id: str) -> dict[str, Any]:
    """Make the poster of every variant's final video."""
    from reelsmith.media.thumbnail import make_thumbnail

    results: dict[str, Any] = {}
    with rt.db.read() as session:
        todo = [
            (v.id, v.kind, session.get(Asset, v.video_asset_id))
            for v in _variants(session, generation_id)
            if v.video_asset_id
        ]
    for variant_id, kind, video in todo:
        if video is None:
            raise ReelsmithError(f"variant {kind} lost its video", code="pipeline")
        with (
            rt.blobs.local_path(video.storage_key) as path,
            tempfile.TemporaryDirectory(dir=_scratch(rt)) as tmp,
        ):
            thumb = Path(tmp) / "thumb.jpg"
            size = make_thumbnail(path, thumb)
            blob = store_image(rt, keys.final_thumbnail(generation_id, kind), thumb, "image/jpeg", size)
        results[variant_id] = dataclasses.asdict(blob)
    return {"variants": results}


def apply_thumbnail(session: Session, gen: Generation, output: dict[str, Any]) -> None:
    """Attach the posters and mark the variants completed."""
    for variant_id, blob in output["variants"].items():
        variant = session.get(Variant, variant_id)
        if variant is None:
            continue
        variant.thumbnail_asset_id = add_asset(
            session, gen.user_id, gen.id, "thumbnail", StoredBlob(**blob)
        ).id
        variant.status = "completed"
        variant.updated_at = utcnow()
