"""Which version a variant plays: recording a render as a version, and pointing the variant at a version.

A version names its files through asset rows of its own (`version_*` kinds) and the variant through its
own rows, each naming the same blob. A blob is deleted only once no row names it, so whatever the
pipeline later releases from the variant, every version keeps its files; and what the variant plays
(the player, the library card, share links, the feed) is simply the current version's.

Narration: each scene's spoken line is part of the cut (its recording named through a `version_speech`
row, so a later re-voice cannot take it away), and a narrated version's captions files are its own rows
too, named beside the cut in the `cut` column (`captions`). Making a version current points the variant
at its captions as well, so the generation's caption URLs follow the version that plays, and gives each
scene back the line that version speaks (restoring a version from before a re-voice restores the line).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reelsmith.db.models import Asset, Generation, Scene, Variant, Version, utcnow
from reelsmith.errors import NotFound, WrongState
from reelsmith.pipeline.assets import release_asset
from reelsmith.pipeline.cut import Cut, CutScene
from reelsmith.vocabulary import CAPTIONS_SRT_ASSET, CAPTIONS_VTT_ASSET, SPEECH_ASSET, VersionStatus

# The asset kinds of a version's own rows, by the role of the file.
VERSION_KINDS = {"video": "version_video", "thumbnail": "version_poster", "preview": "version_preview"}
SOURCE_CLIP = "version_clip"
SOURCE_AUDIO = "version_audio"
SOURCE_SPEECH = "version_speech"
# A version's captions files (its own rows), and the kinds of the variant's rows naming the same blobs.
CAPTION_KINDS = {"srt": "version_captions_srt", "vtt": "version_captions_vtt"}
_VARIANT_CAPTION_KINDS = {"srt": CAPTIONS_SRT_ASSET, "vtt": CAPTIONS_VTT_ASSET}
# The key beside the cut, in the `versions.cut` column, naming the version's captions rows.
_CAPTIONS = "captions"


def record_playing(
    session: Session, gen: Generation, variant: Variant, change: str | None = None
) -> Version | None:
    """The version the variant plays, recorded now if no version has its video yet (None: no video).

    `change` says what made a render being recorded (by default: the first render, or the pipeline's).
    """
    video = session.get(Asset, variant.video_asset_id) if variant.video_asset_id else None
    if video is None:
        return None
    versions = list(session.scalars(select(Version).where(Version.variant_id == variant.id)))
    playing = _with_video_key(session, versions, video.storage_key)
    if playing is not None:
        return playing
    number = next_number(session, variant)
    version = Version(
        generation_id=gen.id,
        variant_id=variant.id,
        number=number,
        status=VersionStatus.COMPLETED,
        change=change or ("First render" if number == 1 else "Rendered again by the pipeline"),
        cut=stored_cut(_cut_of_scenes(session, gen, variant), _variant_captions(session, variant)),
        created_at=variant.updated_at,
        completed_at=variant.updated_at,
    )
    for role, asset_id in _variant_files(variant).items():
        if asset_id is not None:
            setattr(version, f"{role}_asset_id", copy_row(session, asset_id, VERSION_KINDS[role]))
    session.add(version)
    session.flush()
    for other in versions:
        other.is_current = False
    version.is_current = True
    return version


def make_current(session: Session, gen: Generation, variant: Variant, version: Version) -> None:
    """Point the variant at the version's files (through rows of its own) and flag the version current."""
    for role, replaced in _variant_files(variant).items():
        source = getattr(version, f"{role}_asset_id")
        kind = {"video": "video", "thumbnail": "thumbnail", "preview": "preview"}[role]
        setattr(variant, f"{role}_asset_id", copy_row(session, source, kind) if source else None)
        release_asset(session, gen.id, replaced)
    captions = captions_of(version)
    replaced_captions = (variant.captions_srt_asset_id, variant.captions_vtt_asset_id)
    srt, vtt = (
        copy_row(session, captions[name], _VARIANT_CAPTION_KINDS[name]) if name in captions else None
        for name in ("srt", "vtt")
    )
    variant.captions_srt_asset_id, variant.captions_vtt_asset_id = srt, vtt
    for asset_id in replaced_captions:
        release_asset(session, gen.id, asset_id)
    _lines_to_scenes(session, gen, Cut.from_json(version.cut))
    for other in session.scalars(select(Version).where(Version.variant_id == variant.id)):
        other.is_current = other.id == version.id
    variant.updated_at = gen.updated_at = utcnow()


def _lines_to_scenes(session: Session, gen: Generation, cut: Cut) -> None:
    """Give each scene the line the version speaks, so the page shows (and a re-voice starts from) it."""
    for wanted in cut.scenes:
        scene = session.get(Scene, wanted.scene_id)
        recording = session.get(Asset, wanted.speech_asset_id) if wanted.speech_asset_id else None
        if scene is None or recording is None or not wanted.line:
            continue
        current = session.get(Asset, scene.speech_asset_id) if scene.speech_asset_id else None
        if (
            current is not None
            and current.storage_key == recording.storage_key
            and scene.narration == wanted.line
        ):
            continue
        replaced = scene.speech_asset_id
        scene.speech_asset_id = copy_row(session, recording.id, SPEECH_ASSET)
        scene.narration, scene.words = wanted.line, [dict(w) for w in wanted.words]
        scene.updated_at = utcnow()
        release_asset(session, gen.id, replaced)


def captions_of(version: Version) -> dict[str, str]:
    """The version's captions rows by format (`srt`, `vtt`); empty when it has none."""
    found = (version.cut or {}).get(_CAPTIONS) or {}
    return {name: str(found[name]) for name in ("srt", "vtt") if found.get(name)}


def stored_cut(cut: Cut, captions: dict[str, str]) -> dict[str, Any]:
    """The `versions.cut` column's value: the cut, and the version's captions rows beside it."""
    return {**cut.to_json(), _CAPTIONS: captions}


def _variant_captions(session: Session, variant: Variant) -> dict[str, str]:
    """Rows of the version's own naming the variant's captions files (none when it has none)."""
    found = {"srt": variant.captions_srt_asset_id, "vtt": variant.captions_vtt_asset_id}
    return {name: copy_row(session, i, CAPTION_KINDS[name]) for name, i in found.items() if i is not None}


def copy_row(session: Session, asset_id: str, kind: str) -> str:
    """A new asset row of `kind` naming the same blob as `asset_id` (so either may go without the file)."""
    source = session.get(Asset, asset_id)
    if source is None:
        raise NotFound(f"asset not found: {asset_id}")
    row = Asset(
        user_id=source.user_id,
        generation_id=source.generation_id,
        kind=kind,
        storage_key=source.storage_key,
        content_type=source.content_type,
        bytes=source.bytes,
        sha256=source.sha256,
        width=source.width,
        height=source.height,
        duration_s=source.duration_s,
        fps=source.fps,
    )
    session.add(row)
    session.flush()
    return row.id


def playing_unrecorded(session: Session, variant: Variant) -> bool:
    video = session.get(Asset, variant.video_asset_id) if variant.video_asset_id else None
    if video is None:
        return False
    versions = list(session.scalars(select(Version).where(Version.variant_id == variant.id)))
    return _with_video_key(session, versions, video.storage_key) is None


def _with_video_key(session: Session, versions: list[Version], key: str) -> Version | None:
    """The finished version whose video is the blob `key`."""
    for version in versions:
        video = session.get(Asset, version.video_asset_id) if version.video_asset_id else None
        if version.status == VersionStatus.COMPLETED and video is not None and video.storage_key == key:
            return version
    return None


def next_number(session: Session, variant: Variant) -> int:
    top = session.scalar(select(func.max(Version.number)).where(Version.variant_id == variant.id))
    return int(top or 0) + 1


def _variant_files(variant: Variant) -> dict[str, str | None]:
    return {
        "video": variant.video_asset_id,
        "thumbnail": variant.thumbnail_asset_id,
        "preview": variant.preview_asset_id,
    }


def _cut_of_scenes(session: Session, gen: Generation, variant: Variant) -> Cut:
    """The cut the pipeline stitched: every scene's whole clip in order, the generation's transition."""
    scenes = []
    for scene in session.scalars(select(Scene).where(Scene.variant_id == variant.id).order_by(Scene.index)):
        clip = session.get(Asset, scene.clip_asset_id) if scene.clip_asset_id else None
        if clip is None or not clip.duration_s:
            raise WrongState(f"scene {scene.index + 1} has no stored clip to edit")
        source = _source_row(session, gen, clip, SOURCE_CLIP)
        cut_scene = CutScene(scene.id, source, clip.duration_s, 0.0, clip.duration_s)
        speech = session.get(Asset, scene.speech_asset_id) if scene.speech_asset_id else None
        if scene.narration and speech is not None:
            cut_scene = replace(
                cut_scene, line=scene.narration, speech_asset_id=speech_row(session, gen, speech),
                words=tuple(scene.words or ()),
            )  # fmt: skip
        scenes.append(cut_scene)
    inputs = gen.inputs
    return Cut(
        scenes=tuple(scenes),
        transition=inputs.transition,
        transition_s=inputs.transition_s,
        # The song is an input of the generation, which keeps the upload from being deleted.
        soundtrack_asset_id=inputs.song_asset_id,
    )


def speech_row(session: Session, gen: Generation, speech: Asset) -> str:
    """The generation's own row naming a scene's recording, which versions share and keep."""
    return _source_row(session, gen, speech, SOURCE_SPEECH)


def _source_row(session: Session, gen: Generation, clip: Asset, kind: str) -> str:
    """The generation's own `kind` row naming the clip's blob, made on first use and shared by versions."""
    found = session.scalar(
        select(Asset.id).where(
            Asset.generation_id == gen.id, Asset.kind == kind, Asset.storage_key == clip.storage_key
        )
    )
    if found is not None:
        return str(found)
    row = copy_row(session, clip.id, kind)
    session.get_one(Asset, row).generation_id = gen.id
    return row


def plays_edit(session: Session, gen: Generation, variant: Variant, version: Version) -> bool:
    """Whether the version's cut is one the pipeline's own stitch would not make (the owner edited it)."""
    cut = Cut.from_json(version.cut)
    scenes = list(session.scalars(select(Scene).where(Scene.variant_id == variant.id).order_by(Scene.index)))
    if [s.scene_id for s in cut.scenes] != [s.id for s in scenes]:
        return True
    if (cut.transition, cut.transition_s) != (gen.inputs.transition, gen.inputs.transition_s):
        return True
    if cut.soundtrack_asset_id != gen.inputs.song_asset_id:
        return True
    for cut_scene, scene in zip(cut.scenes, scenes, strict=True):
        own = session.get(Asset, scene.clip_asset_id) if scene.clip_asset_id else None
        played = session.get(Asset, cut_scene.clip_asset_id)
        if not cut_scene.untouched or own is None or played is None or own.storage_key != played.storage_key:
            return True
    return False
