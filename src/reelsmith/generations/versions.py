"""Versions of a finished video: edit the cut (text, trims, order, transition, soundtrack, clips), restore.

Every edit becomes a new version, re-stitched from the stored clips by a queued task (no provider
call), priced like a stitch job and refunded if its render fails. The first finished render is
version 1; it is recorded the first time the versions are asked for or edited (as is a render the
pipeline made again later, say after a scene was regenerated), so the pipeline itself knows nothing
of versions.

Files: a version names its files through asset rows of its own (`version_*` kinds) and the variant
through its own rows, each naming the same blob. A blob is deleted only once no row names it, so
whatever the pipeline later releases from the variant, every version keeps its files; and what the
variant plays (the player, the library card, share links, the feed) is simply the current version's.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reelsmith.accounts import ledger
from reelsmith.db.models import Asset, Generation, Scene, Variant, Version, utcnow
from reelsmith.errors import InvalidInput, NotFound, WrongState
from reelsmith.generations.cut import Cut, CutScene, Edit, SceneEdit, apply_edit
from reelsmith.generations.reading import asset_url
from reelsmith.generations.version_schemas import CutRead, CutSceneRead, VersionEdit, VersionRead
from reelsmith.pipeline.assets import owned_upload, release_asset
from reelsmith.pipeline.main_variant import main_of
from reelsmith.pipeline.progress import record_event
from reelsmith.vocabulary import STITCH_PRICE, VERSION, GenerationStatus, Mode, VersionStatus

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime

# The asset kinds of a version's own rows, by the role of the file.
VERSION_KINDS = {"video": "version_video", "thumbnail": "version_poster", "preview": "version_preview"}
SOURCE_CLIP = "version_clip"
SOURCE_AUDIO = "version_audio"
# A render silent for this long is taken for lost (its worker died): it is failed and refunded
# when the next edit or restore comes, instead of blocking them for ever.
STALE_RENDER = timedelta(minutes=15)


@runtime_checkable
class VersionQueue(Protocol):
    """A dispatcher that can queue a version's render (the queue's does; the inline one runs it here)."""

    def render_version(self, version_id: str) -> None:
        """Enqueue the render of one version."""
        ...


def list_versions(rt: Runtime, generation_id: str) -> list[VersionRead]:
    """Every version of the generation's variants, newest first (recording what plays, if it is new)."""
    with rt.db.read() as session:
        gen = _generation(session, generation_id)
        unrecorded = [v.id for v in _variants(session, gen) if _playing_unrecorded(session, v)]
    if unrecorded:
        with rt.db.write() as session:
            gen = _generation(session, generation_id, lock=True)
            for variant_id in unrecorded:
                variant = session.get(Variant, variant_id)
                if variant is not None:
                    record_playing(session, gen, variant)
    with rt.db.read() as session:
        rows = session.scalars(
            select(Version)
            .where(Version.generation_id == generation_id)
            .order_by(Version.created_at.desc(), Version.number.desc())
        )
        return [read_version(session, v) for v in rows]


def edit(rt: Runtime, generation_id: str, user_id: str, body: VersionEdit, *, bill: bool = True) -> str:
    """Accept an edit of the finished video: charge it, record its version, queue its render; its id."""
    with rt.db.write() as session:
        gen = _editable(session, generation_id, user_id)
        variant = _variant(session, gen, body.variant_id)
        _refuse_while_rendering(session, gen, variant)
        base = record_playing(session, gen, variant)
        if base is None:
            raise WrongState("this generation has no finished video to edit")
        cut, change = apply_edit(Cut.from_json(base.cut), _resolve(session, user_id, body))
        version = Version(
            generation_id=gen.id,
            variant_id=variant.id,
            number=_next_number(session, variant),
            status=VersionStatus.RENDERING,
            change=change,
            cut=cut.to_json(),
        )
        session.add(version)
        session.flush()
        # A generation charged nothing when made (the operator's) is charged nothing for edits either.
        if bill and gen.tokens_charged > 0:
            price = STITCH_PRICE * len(cut.scenes)
            key = f"charge:version:{version.id}"
            ledger.charge(session, gen.user_id, price, key, generation_id=gen.id, note=VERSION)
            version.tokens_charged = price
            gen.tokens_charged += price
        gen.updated_at = utcnow()
        record_event(
            session,
            gen.id,
            "version",
            {"version": version.number, "status": version.status, "change": change},
        )
        version_id = version.id
    queue_render(rt, version_id)
    return version_id


def restore(rt: Runtime, generation_id: str, user_id: str, version_id: str) -> None:
    """Make an earlier (or any finished) version the one that plays; nothing is rendered or charged."""
    with rt.db.write() as session:
        gen = _editable(session, generation_id, user_id)
        version = session.get(Version, version_id)
        if version is None or version.generation_id != gen.id:
            raise NotFound(f"version not found: {version_id}")
        variant = session.get(Variant, version.variant_id)
        if variant is None:
            raise NotFound(f"version not found: {version_id}")
        _refuse_while_rendering(session, gen, variant)
        if version.status != VersionStatus.COMPLETED or version.video_asset_id is None:
            raise WrongState(f"version {version.number} is {version.status}; only finished versions play")
        record_playing(session, gen, variant)  # a render nobody recorded yet stays restorable too
        make_current(session, gen, variant, version)
        record_event(session, gen.id, "version", {"version": version.number, "status": "restored"})


def read_one(rt: Runtime, version_id: str) -> VersionRead:
    """One version as it stands now."""
    with rt.db.read() as session:
        version = session.get(Version, version_id)
        if version is None:
            raise NotFound(f"version not found: {version_id}")
        return read_version(session, version)


def queue_render(rt: Runtime, version_id: str) -> None:
    """Hand the render to the queue, or run it here when tasks run inline (the CLI, unit tests)."""
    if isinstance(rt.dispatch, VersionQueue):
        rt.dispatch.render_version(version_id)
        return
    from reelsmith.generations.version_making import render_version

    render_version(rt, version_id)


def record_playing(session: Session, gen: Generation, variant: Variant) -> Version | None:
    """The version the variant plays, recorded now if no version has its video yet (None: no video)."""
    video = session.get(Asset, variant.video_asset_id) if variant.video_asset_id else None
    if video is None:
        return None
    versions = list(session.scalars(select(Version).where(Version.variant_id == variant.id)))
    playing = _with_video_key(session, versions, video.storage_key)
    if playing is not None:
        return playing
    number = _next_number(session, variant)
    version = Version(
        generation_id=gen.id,
        variant_id=variant.id,
        number=number,
        status=VersionStatus.COMPLETED,
        change="First render" if number == 1 else "Rendered again by the pipeline",
        cut=_cut_of_scenes(session, gen, variant).to_json(),
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
    for other in session.scalars(select(Version).where(Version.variant_id == variant.id)):
        other.is_current = other.id == version.id
    variant.updated_at = gen.updated_at = utcnow()


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


def read_version(session: Session, version: Version) -> VersionRead:
    """A version as the API shows it."""
    cut = Cut.from_json(version.cut)
    variant = session.get(Variant, version.variant_id)
    described = dict(
        session.execute(
            select(Scene.id, Scene.description).where(Scene.variant_id == version.variant_id)
        ).all()
    )
    video = session.get(Asset, version.video_asset_id) if version.video_asset_id else None
    scenes = [
        CutSceneRead(
            scene_id=s.scene_id,
            position=n,
            description=described.get(s.scene_id, ""),
            clip_url=asset_url(s.clip_asset_id),
            clip_s=s.clip_s,
            start_s=s.start_s,
            duration_s=s.duration_s,
            on_screen_text=s.on_screen_text,
        )
        for n, s in enumerate(cut.scenes)
    ]
    return VersionRead(
        id=version.id,
        number=version.number,
        variant_id=version.variant_id,
        variant_kind=variant.kind if variant else "",
        status=VersionStatus(version.status),
        current=version.is_current,
        change=version.change,
        created_at=version.created_at,
        completed_at=version.completed_at,
        video_url=asset_url(version.video_asset_id),
        thumbnail_url=asset_url(version.thumbnail_asset_id),
        preview_url=asset_url(version.preview_asset_id),
        duration_s=video.duration_s if video else None,
        tokens_charged=version.tokens_charged,
        error_message=version.error_message,
        cut=CutRead(
            scenes=scenes,
            transition=cut.transition,
            transition_s=cut.transition_s,
            soundtrack_url=asset_url(cut.soundtrack_asset_id),
            duration_s=round(cut.duration_s, 3),
        ),
    )


def _generation(session: Session, generation_id: str, *, lock: bool = False) -> Generation:
    gen = session.get(Generation, generation_id, with_for_update=lock, populate_existing=lock)
    if gen is None:
        raise NotFound(f"generation not found: {generation_id}")
    return gen


def _editable(session: Session, generation_id: str, user_id: str) -> Generation:
    """The user's completed video generation, row-locked: 404 for anyone else's, 409 when not finished."""
    gen = _generation(session, generation_id, lock=True)
    if gen.user_id != user_id:
        raise NotFound(f"generation not found: {generation_id}")
    if gen.status != GenerationStatus.COMPLETED:
        raise WrongState(f"generation is {gen.status}; only a finished video can be edited")
    if gen.mode == Mode.IMAGE:
        raise WrongState("an image has no scenes to edit")
    return gen


def _variants(session: Session, gen: Generation) -> list[Variant]:
    return list(session.scalars(select(Variant).where(Variant.generation_id == gen.id)))


def _variant(session: Session, gen: Generation, variant_id: str | None) -> Variant:
    """The variant asked for, else the generation's main one."""
    variants = _variants(session, gen)
    if variant_id is not None:
        found = next((v for v in variants if v.id == variant_id), None)
        if found is None:
            raise InvalidInput("variant_id", f"no variant {variant_id} in this generation")
        return found
    main = main_of(gen.state.best_variant, variants, lambda v: v.kind)
    if main is None:
        raise WrongState("this generation has no finished video to edit")
    return main


def _playing_unrecorded(session: Session, variant: Variant) -> bool:
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


def _refuse_while_rendering(session: Session, gen: Generation, variant: Variant) -> None:
    """409 while a version of the variant renders; a render silent past STALE_RENDER is failed first."""
    rendering = session.scalars(
        select(Version).where(Version.variant_id == variant.id, Version.status == VersionStatus.RENDERING)
    ).first()
    if rendering is None:
        return
    if rendering.updated_at > utcnow() - STALE_RENDER:
        raise WrongState(f"version {rendering.number} is still being made; wait for it to finish")
    fail_version(session, gen, rendering, "the render did not finish")


def fail_version(session: Session, gen: Generation, version: Version, reason: str) -> None:
    """Mark a version failed and give its tokens back (once, whoever gets here first)."""
    version.status = VersionStatus.FAILED
    version.error_message = reason
    version.updated_at = utcnow()
    if version.tokens_charged > 0 and ledger.refund(
        session,
        gen.user_id,
        version.tokens_charged,
        f"refund:version:{version.id}",
        generation_id=gen.id,
        note=VERSION,
    ):
        gen.tokens_charged -= version.tokens_charged
    record_event(session, gen.id, "version", {"version": version.number, "status": version.status})


def _next_number(session: Session, variant: Variant) -> int:
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
        scenes.append(CutScene(scene.id, source, clip.duration_s, 0.0, clip.duration_s))
    inputs = gen.inputs
    return Cut(
        scenes=tuple(scenes),
        transition=inputs.transition,
        transition_s=inputs.transition_s,
        # The song is an input of the generation, which keeps the upload from being deleted.
        soundtrack_asset_id=inputs.song_asset_id,
    )


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


def _resolve(session: Session, user_id: str, body: VersionEdit) -> Edit:
    """The request as an Edit, with each uploaded clip or song checked to be the user's own."""
    changes = []
    for n, change in enumerate(body.scenes):
        clip = None
        if change.clip_asset_id is not None:
            asset = owned_upload(
                session, user_id, change.clip_asset_id, field=f"scenes[{n}].clip_asset_id", kind="video",
                missing="name an uploaded video",
            )  # fmt: skip
            clip = (asset.id, float(asset.duration_s or 0.0))
        changes.append(
            SceneEdit(change.scene_id, change.on_screen_text, change.start_s, change.duration_s, clip)
        )
    soundtrack = None
    if body.soundtrack_asset_id is not None:
        song = owned_upload(
            session, user_id, body.soundtrack_asset_id, field="soundtrack_asset_id", kind="audio",
            missing="name an uploaded audio file",
        )  # fmt: skip
        soundtrack = (song.id, float(song.duration_s or 0.0))
    return Edit(
        scenes=tuple(changes),
        remove=tuple(body.remove),
        order=tuple(body.order),
        transition=body.transition,
        transition_s=body.transition_s,
        soundtrack=soundtrack,
        drop_soundtrack="soundtrack_asset_id" in body.model_fields_set and body.soundtrack_asset_id is None,
    )
