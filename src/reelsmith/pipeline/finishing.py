"""The finishing steps: stitch each variant's clips into its final video, with its poster, then mark it done.

A narrated variant's stitched video then gets its scenes' lines mixed over it and its captions (stored
as files, and burned in when asked) before it is stored as the final video. The poster and the hover
preview are made from the final file while the stitch step still has it on local disk, beside storing
it: after the last clip arrives a generation is waited for, and a step of their own would read the
video back from the blob store (a download, with S3) before decoding its middle. The thumbnail step
makes them only for a video that has none (one stitched before posters came with the stitch).
"""

from __future__ import annotations

import dataclasses
import tempfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reelsmith.db.models import Asset, Generation, Variant, utcnow
from reelsmith.errors import NotFound, ReelsmithError
from reelsmith.pipeline.assets import (
    StoredBlob,
    add_asset,
    release_asset,
    store_image,
    store_video,
)
from reelsmith.pipeline.clips.windows import ready_windows, transition_tag, window_assets
from reelsmith.pipeline.narration import NarrationPlan, captions_key, narrate, plan_for, store_captions
from reelsmith.pipeline.song import song_key
from reelsmith.pipeline.unrecorded import discarded_on_failure
from reelsmith.storage import keys
from reelsmith.vocabulary import CAPTIONS_SRT_ASSET, CAPTIONS_VTT_ASSET, VariantStatus

if TYPE_CHECKING:
    from reelsmith.media.stitch.meter import ClipMeter
    from reelsmith.runtime import Runtime


# Integrated loudness of every final video (streaming platforms normalise to about -14 LUFS).
FINAL_LUFS = -14.0
PREVIEW_WIDTH = 320


def _variants(session: Session, generation_id: str) -> list[Variant]:
    """The variants to finish: all that did not fail, or only the one whose scene is being re-voiced."""
    gen = session.get(Generation, generation_id)
    revoicing = gen.state.revoicing if gen is not None else None
    query = select(Variant).where(
        Variant.generation_id == generation_id, Variant.status != VariantStatus.FAILED
    )
    if revoicing is not None:
        query = query.where(Variant.id == revoicing.variant_id)
    return list(session.scalars(query))


def compute_stitch(rt: Runtime, generation_id: str) -> dict[str, Any]:
    """Stitch every variant's clips (a single clip is used as it is)."""
    from reelsmith.media.stitch import stitch
    from reelsmith.media.stitch.meter import ClipMeter

    results: dict[str, Any] = {}
    with rt.db.read() as session:
        gen = session.get(Generation, generation_id)
        if gen is None:
            raise NotFound("generation vanished")
        transition, transition_s = gen.inputs.transition, gen.inputs.transition_s
        soundtrack = song_key(session, gen)
        plan: list[tuple[Variant, list[str], list[str], list[ClipMeter | None], NarrationPlan | None]] = []
        for variant in _variants(session, generation_id):
            clip_ids = [s.clip_asset_id for s in variant.scenes]
            if any(c is None for c in clip_ids):
                raise ReelsmithError(f"variant {variant.kind} has scenes without clips", code="pipeline")
            speech_ids = [s.speech_asset_id for s in variant.scenes if s.speech_asset_id]
            wanted = [*clip_ids, *speech_ids]
            assets = {a.id: a for a in session.scalars(select(Asset).where(Asset.id.in_(wanted)))}
            ids = [str(c) for c in clip_ids]
            lengths = [assets[c].duration_s or s.duration_s for c, s in zip(ids, variant.scenes, strict=True)]
            speech = {i: assets[i].storage_key for i in speech_ids if i in assets}
            narration = plan_for(variant.scenes, lengths, speech, gen.inputs)
            meters = [ClipMeter.from_json(assets[c].loudness) for c in ids]
            plan.append((variant, ids, [assets[c].storage_key for c in ids], meters, narration))
        made_ahead = window_assets(session, generation_id)
    tag = transition_tag(transition, transition_s)
    # Files of variants stored before a later one fails are deleted too: the step will be run again.
    with discarded_on_failure(rt) as stored:
        for variant, joined_ids, clip_keys, meters, narration in plan:
            captions: dict[str, Any] = {}
            with ExitStack() as stack, tempfile.TemporaryDirectory(dir=rt.settings.scratch_dir) as tmp:
                paths = [stack.enter_context(rt.blobs.local_path(k)) for k in clip_keys]
                ready = ready_windows(rt, made_ahead, joined_ids, tag, stack)
                song = stack.enter_context(rt.blobs.local_path(soundtrack)) if soundtrack else None
                out = Path(tmp) / "final.mp4"
                # Even a single clip goes through: the final video is always loudness-normalised.
                stitch(
                    paths,
                    out,
                    transition=transition,
                    transition_s=transition_s,
                    target_lufs=FINAL_LUFS,
                    audio=song,
                    replace_audio=song is not None,
                    ready_windows=ready,
                    meters=meters,
                )
                render = keys.render_id()
                stored.extend(_render_keys(generation_id, variant.kind, render))
                if narration is not None:
                    final = narrate(rt, out, narration, Path(tmp), stack)
                    out = final.video
                    captions = store_captions(rt, generation_id, variant.kind, render, final)
                with ThreadPoolExecutor(1) as beside:
                    storing = beside.submit(
                        store_video, rt, keys.final_video(generation_id, variant.kind, render), out
                    )
                    posters = _posters(rt, out, generation_id, variant.kind, render, Path(tmp))
                    blob = storing.result()
            results[variant.id] = {"blob": dataclasses.asdict(blob), "captions": captions, **posters}
    return {"variants": results}


def apply_stitch(session: Session, gen: Generation, output: dict[str, Any]) -> None:
    """Point each variant at its final video and its poster; a re-stitch releases the ones it replaces."""
    for variant_id, result in output["variants"].items():
        variant = session.get(Variant, variant_id)
        if variant is None:
            continue
        blob = StoredBlob(**result["blob"])
        replaced = variant.video_asset_id
        variant.video_asset_id = add_asset(session, gen.user_id, gen.id, "video", blob).id
        release_asset(session, gen.id, replaced)
        _attach_captions(session, gen, variant, result.get("captions") or {})
        if "thumbnail" in result:
            _attach_posters(session, gen, variant, result)
        variant.updated_at = utcnow()


def _attach_captions(session: Session, gen: Generation, variant: Variant, captions: dict[str, Any]) -> None:
    """Point the variant at its new captions files (or at none), releasing the ones they replace."""
    replaced = (variant.captions_srt_asset_id, variant.captions_vtt_asset_id)
    made = {
        name: add_asset(session, gen.user_id, gen.id, kind, StoredBlob(**captions[name])).id
        for name, kind in (("srt", CAPTIONS_SRT_ASSET), ("vtt", CAPTIONS_VTT_ASSET))
        if name in captions
    }
    variant.captions_srt_asset_id, variant.captions_vtt_asset_id = made.get("srt"), made.get("vtt")
    for asset_id in replaced:
        release_asset(session, gen.id, asset_id)


def _render_keys(generation_id: str, kind: str, render: str) -> list[str]:
    """Every key a stitch of one render may store: the video, its poster and preview, its captions."""
    return [
        keys.final_video(generation_id, kind, render),
        *_poster_keys(generation_id, kind, render),
        *(captions_key(generation_id, kind, render, suffix) for suffix in (".srt", ".vtt")),
    ]


def _poster_keys(generation_id: str, kind: str, render: str) -> list[str]:
    """The keys of one render's poster and hover preview."""
    return [
        keys.final_thumbnail(generation_id, kind, render),
        keys.final_preview(generation_id, kind, render),
    ]


def _posters(
    rt: Runtime, video: Path, generation_id: str, kind: str, render: str, tmp: Path
) -> dict[str, Any]:
    """Make and store the poster and the animated hover preview of the final ``video`` (on local disk),
    named after its render."""
    from reelsmith.media.preview import make_preview
    from reelsmith.media.thumbnail import make_thumbnail

    thumb, preview = tmp / "thumb.jpg", tmp / "preview.webp"
    # Poster and preview each decode a few seconds around the middle: side by side, one core each.
    with ThreadPoolExecutor(1) as beside:
        previewing = beside.submit(make_preview, video, preview, width=PREVIEW_WIDTH)
        size = make_thumbnail(video, thumb)
        previewing.result()
    thumb_key, preview_key = _poster_keys(generation_id, kind, render)
    poster = store_image(rt, thumb_key, thumb, "image/jpeg", size)
    preview_size = (PREVIEW_WIDTH, round(size[1] * PREVIEW_WIDTH / size[0]))
    moving = store_image(rt, preview_key, preview, "image/webp", preview_size)
    return {"thumbnail": dataclasses.asdict(poster), "preview": dataclasses.asdict(moving)}


def compute_thumbnail(rt: Runtime, generation_id: str) -> dict[str, Any]:
    """Make the poster and hover preview of every variant's final video that has none of its own yet (the
    stitch makes them); None for a variant whose poster is already its video's."""
    results: dict[str, Any] = {}
    with rt.db.read() as session:
        todo = []
        for v in _variants(session, generation_id):
            if not v.video_asset_id:
                continue
            video = session.get(Asset, v.video_asset_id)
            poster = session.get(Asset, v.thumbnail_asset_id) if v.thumbnail_asset_id else None
            if (
                video is not None
                and poster is not None
                and poster.storage_key == keys.poster_of_final(video.storage_key)
            ):
                results[v.id] = None
                continue
            todo.append((v.id, v.kind, video))
    with discarded_on_failure(rt) as stored:
        for variant_id, kind, video in todo:
            if video is None:
                raise ReelsmithError(f"variant {kind} lost its video", code="pipeline")
            render = keys.render_id()
            stored.extend(_poster_keys(generation_id, kind, render))
            with (
                rt.blobs.local_path(video.storage_key) as path,
                tempfile.TemporaryDirectory(dir=rt.settings.scratch_dir) as tmp,
            ):
                results[variant_id] = _posters(rt, path, generation_id, kind, render, Path(tmp))
    return {"variants": results}


def _attach_posters(session: Session, gen: Generation, variant: Variant, blobs: dict[str, Any]) -> None:
    """Point the variant at its new poster and preview, releasing the ones they replace."""
    thumb, preview = StoredBlob(**blobs["thumbnail"]), StoredBlob(**blobs["preview"])
    replaced = (variant.thumbnail_asset_id, variant.preview_asset_id)
    variant.thumbnail_asset_id = add_asset(session, gen.user_id, gen.id, "thumbnail", thumb).id
    variant.preview_asset_id = add_asset(session, gen.user_id, gen.id, "preview", preview).id
    for asset_id in replaced:
        release_asset(session, gen.id, asset_id)


def apply_thumbnail(session: Session, gen: Generation, output: dict[str, Any]) -> None:
    """Attach the posters made by this step (releasing those they replace) and mark the variants completed."""
    for variant_id, blobs in output["variants"].items():
        variant = session.get(Variant, variant_id)
        if variant is None:
            continue
        if blobs is not None:
            _attach_posters(session, gen, variant, blobs)
        variant.status = VariantStatus.COMPLETED
        variant.updated_at = utcnow()
