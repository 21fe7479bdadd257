"""The queued task that makes a version: re-stitch its cut from the stored clips, store, make it current.

The task may run twice (at-least-once queues): it does nothing for a version that is no longer
rendering, and its files are stored under keys of their own, so a duplicate run leaves only blobs that
no row names (collected by housekeeping). Slow work happens outside transactions; the result is
applied in one transaction that locks the generation first.

A narrated cut gets its scenes' lines mixed over the stitched video by the pipeline's own narration
finishing (`pipeline/narration.py`): each line at its scene's new first frame plus a breath, the captions
written for the new timeline (and burned in, as the generation was made) and stored with the version.
A scene trimmed shorter than its line does not cut the line: the line runs on into the next scene, the
lines after it start that much later, and the last scene holds its last frame until the last line has
been said (plus a breath).

A re-voice of an edited video (`revoice.py`) is a version whose cut names a line with no recording yet:
the render has it spoken first, by the pipeline's speech task, and puts the recording in the cut.
"""

from __future__ import annotations

import logging
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from reelsmith.db.models import Asset, Generation, Scene, Variant, Version, utcnow
from reelsmith.errors import ReelsmithError
from reelsmith.generations.version_render import (
    bring_in,
    finish,
    hold_last,
    prepare_parts,
    scratch,
    stitch_parts,
    target_of,
)
from reelsmith.generations.versions import fail_version
from reelsmith.media.probe import probe
from reelsmith.pipeline.assets import StoredBlob, add_asset, store_image, store_video
from reelsmith.pipeline.cut import Cut
from reelsmith.pipeline.failure import explain
from reelsmith.pipeline.narration import (
    NarrationPlan,
    SpokenScene,
    narrate,
    overrun,
    store_captions,
    words_of,
)
from reelsmith.pipeline.progress import record_event
from reelsmith.pipeline.version_records import (
    CAPTION_KINDS,
    SOURCE_AUDIO,
    SOURCE_CLIP,
    VERSION_KINDS,
    make_current,
    speech_row,
    stored_cut,
)
from reelsmith.storage import keys
from reelsmith.vocabulary import CaptionMode, VersionStatus

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Job:
    """What the render needs, read in one short transaction."""

    generation_id: str
    user_id: str
    variant_kind: str
    cut: Cut
    clip_keys: tuple[str, ...]
    soundtrack_key: str | None
    speech_keys: dict[str, str]  # each spoken scene's recording: its row's id -> its blob's key
    captions: CaptionMode
    caption_style: str


@dataclass(frozen=True)
class _Made:
    """The blobs a render stored: the final files, and the uploads it brought into the generation."""

    video: StoredBlob
    poster: StoredBlob
    preview: StoredBlob
    clips: dict[int, StoredBlob]  # by scene position
    soundtrack: StoredBlob | None
    captions: dict[str, StoredBlob]  # by format (`srt`, `vtt`); empty when the cut is silent


def render_version(rt: Runtime, version_id: str) -> None:
    """Render one version and make it the one that plays; a failure fails it (and refunds it)."""
    if not _speak_lines(rt, version_id):
        return
    job = _job(rt, version_id)
    if job is None:
        return
    try:
        made = _make(rt, job)
    except Exception as e:
        if isinstance(e, ReelsmithError):
            log.warning("version %s failed: %s", version_id, e.message)
        else:
            log.exception("version %s crashed", version_id)
        text = explain(e, "the edit could not be stitched")
        with rt.db.write() as session:
            gen = session.get(Generation, job.generation_id, with_for_update=True)
            version = session.get(Version, version_id)
            if gen is not None and version is not None and version.status == VersionStatus.RENDERING:
                fail_version(session, gen, version, text.detail[:2000])
        return
    _apply(rt, version_id, job, made)


def _speak_lines(rt: Runtime, version_id: str) -> bool:
    """Have the cut's unspoken lines (a re-voice) spoken and put in the cut; False if one could not be."""
    from reelsmith.pipeline.speech_task import speak_scene

    with rt.db.read() as session:
        version = session.get(Version, version_id)
        if version is None or version.status != VersionStatus.RENDERING:
            return False
        unspoken = [s.scene_id for s in Cut.from_json(version.cut).scenes if s.line and not s.speech_asset_id]
    if not unspoken:
        return True
    for scene_id in unspoken:
        speak_scene(rt, scene_id)  # records the line on its scene, or puts the previous one back
    with rt.db.write() as session:
        version = session.get(Version, version_id)
        gen = session.get(Generation, version.generation_id, with_for_update=True) if version else None
        if gen is None or version is None or version.status != VersionStatus.RENDERING:
            return False
        cut = Cut.from_json(version.cut)
        for wanted in cut.scenes:
            if not wanted.line or wanted.speech_asset_id:
                continue
            scene = session.get(Scene, wanted.scene_id)
            speech = session.get(Asset, scene.speech_asset_id) if scene and scene.speech_asset_id else None
            if scene is None or speech is None or scene.narration != wanted.line:
                # The speech task put the previous line back and refunded the re-voice already.
                version.tokens_charged = 0
                reason = scene.error_message if scene is not None else None
                fail_version(session, gen, version, reason or "the new line could not be spoken")
                return False
            cut = cut.with_line(scene.id, scene.narration, speech_row(session, gen, speech), scene.words)
        version.cut = cut.to_json()
        version.updated_at = utcnow()
    return True


def _job(rt: Runtime, version_id: str) -> _Job | None:
    with rt.db.read() as session:
        version = session.get(Version, version_id)
        if version is None or version.status != VersionStatus.RENDERING:
            return None
        gen = session.get(Generation, version.generation_id)
        variant = session.get(Variant, version.variant_id)
        if gen is None or variant is None:
            return None
        cut = Cut.from_json(version.cut)
        clip_keys = tuple(_key(session, s.clip_asset_id) for s in cut.scenes)
        soundtrack = _key(session, cut.soundtrack_asset_id) if cut.soundtrack_asset_id else None
        speech = {
            s.speech_asset_id: _key(session, s.speech_asset_id) for s in cut.scenes if s.speech_asset_id
        }
        inputs = gen.inputs
        return _Job(
            gen.id, gen.user_id, variant.kind, cut, clip_keys, soundtrack, speech, inputs.captions,
            inputs.caption_style,
        )  # fmt: skip


def _key(session: Session, asset_id: str) -> str:
    asset = session.get(Asset, asset_id)
    if asset is None:
        raise ReelsmithError(f"a file of this cut is gone: {asset_id}", code="version")
    return asset.storage_key


def _make(rt: Runtime, job: _Job) -> _Made:
    """Bring uploads in, stitch, and store the results (no transaction is held meanwhile)."""
    gid, kind, cut = job.generation_id, job.variant_kind, job.cut
    render = keys.render_id()
    with ExitStack() as stack, scratch(rt.settings.scratch_dir) as tmp:
        workdir = Path(tmp)
        paths = [stack.enter_context(rt.blobs.local_path(k)) for k in job.clip_keys]
        own = [p for p, s in zip(paths, cut.scenes, strict=True) if not s.uploaded]
        target = target_of(own[0] if own else paths[0])
        clips: dict[int, StoredBlob] = {}
        scenes = list(cut.scenes)
        for n, scene in enumerate(cut.scenes):
            if not scene.uploaded:
                continue
            brought = workdir / f"upload_{n}.mp4"
            length = bring_in(paths[n], target, brought)
            clips[n] = store_video(rt, keys.scene_clip(gid, kind, n, render), brought)
            paths[n] = brought
            scenes[n] = replace(
                scene, clip_s=length, duration_s=min(scene.duration_s, length), uploaded=False
            )
        song = stack.enter_context(rt.blobs.local_path(job.soundtrack_key)) if job.soundtrack_key else None
        soundtrack = None
        if song is not None and cut.soundtrack_uploaded:
            soundtrack = _store_soundtrack(rt, gid, kind, render, song)
        playing = replace(cut, scenes=tuple(scenes))
        parts = prepare_parts(playing, paths, target, workdir)
        plan = _narration(job, playing, parts)
        hold = overrun(plan) if plan is not None else 0.0
        if plan is not None and hold > 0:
            parts[-1] = hold_last(playing, paths, target, workdir, hold)
            plan = _narration(job, playing, parts)
        stitched = stitch_parts(playing, parts, song, workdir)
        captions: dict[str, StoredBlob] = {}
        if plan is not None:
            final = narrate(rt, stitched, plan, workdir, stack)
            stitched = final.video
            stored = store_captions(rt, gid, kind, render, final)
            captions = {name: StoredBlob(**blob) for name, blob in stored.items()}
        result = finish(stitched, workdir)
        video = store_video(rt, keys.final_video(gid, kind, render), result.video)
        poster = store_image(
            rt, keys.final_thumbnail(gid, kind, render), result.poster, "image/jpeg", result.poster_size
        )
        preview = store_image(
            rt, keys.final_preview(gid, kind, render), result.preview, "image/webp", result.preview_size
        )
    return _Made(video, poster, preview, clips, soundtrack, captions)


def _narration(job: _Job, cut: Cut, parts: list[Path]) -> NarrationPlan | None:
    """The lines of the cut on the timeline its prepared scenes make; None when no scene speaks."""
    spoken = [
        SpokenScene(job.speech_keys[s.speech_asset_id], words_of(s.words))
        if s.speaks and s.speech_asset_id
        else None
        for s in cut.scenes
    ]
    if not any(spoken):
        return None
    return NarrationPlan(
        # Measured, not taken from the cut: the stitch places the scenes by their files' real lengths.
        clip_lengths=tuple(probe(p).duration_s for p in parts),
        spoken=tuple(spoken),
        transition=cut.transition,
        transition_s=cut.transition_s,
        captions=job.captions,
        caption_style=job.caption_style,
    )


def _store_soundtrack(rt: Runtime, generation_id: str, kind: str, render: str, song: Path) -> StoredBlob:
    """Copy an uploaded soundtrack into the generation, so deleting the upload cannot break a version."""
    from reelsmith.media.probe import probe
    from reelsmith.pipeline.assets import sha256_of

    suffix = PurePosixPath(song.name).suffix or ".audio"
    # Beside the variant's finals: every blob of a generation lives under its prefix.
    key = f"{keys.generation_prefix(generation_id)}{kind}/soundtrack_{render}{suffix}"
    content_type = {".mp3": "audio/mpeg", ".wav": "audio/wav", ".m4a": "audio/mp4"}.get(suffix, "audio/mpeg")
    size = rt.blobs.put_file(key, song, content_type)
    return StoredBlob(key, content_type, size, sha256_of(song), duration_s=probe(song).duration_s)


def _apply(rt: Runtime, version_id: str, job: _Job, made: _Made) -> None:
    """Attach the files to the version and make it current, unless another run got there first."""
    with rt.db.write() as session:
        gen = session.get(Generation, job.generation_id, with_for_update=True, populate_existing=True)
        version = session.get(Version, version_id)
        variant = session.get(Variant, version.variant_id) if version is not None else None
        if gen is None or version is None or variant is None or version.status != VersionStatus.RENDERING:
            return
        user, gid = job.user_id, gen.id
        version.video_asset_id = add_asset(session, user, gid, VERSION_KINDS["video"], made.video).id
        version.thumbnail_asset_id = add_asset(session, user, gid, VERSION_KINDS["thumbnail"], made.poster).id
        version.preview_asset_id = add_asset(session, user, gid, VERSION_KINDS["preview"], made.preview).id
        cut = job.cut
        scenes = list(cut.scenes)
        for n, blob in made.clips.items():
            clip = add_asset(session, user, gid, SOURCE_CLIP, blob)
            length = blob.duration_s or scenes[n].clip_s
            scenes[n] = replace(
                scenes[n],
                clip_asset_id=clip.id,
                clip_s=length,
                duration_s=min(scenes[n].duration_s, length),
                uploaded=False,
            )
        cut = replace(cut, scenes=tuple(scenes))
        if made.soundtrack is not None:
            audio = add_asset(session, user, gid, SOURCE_AUDIO, made.soundtrack)
            cut = replace(cut, soundtrack_asset_id=audio.id, soundtrack_uploaded=False)
        captions = {
            name: add_asset(session, user, gid, CAPTION_KINDS[name], blob).id
            for name, blob in made.captions.items()
        }
        version.cut = stored_cut(cut, captions)
        version.status = VersionStatus.COMPLETED
        version.completed_at = version.updated_at = utcnow()
        make_current(session, gen, variant, version)
        record_event(session, gen.id, "version", {"version": version.number, "status": version.status})
