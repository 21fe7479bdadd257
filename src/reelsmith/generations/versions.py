"""Versions of a finished video: edit the cut (text, trims, order, transition, soundtrack, clips), restore.

Every edit becomes a new version, re-stitched from the stored clips by a queued task (no provider
call), priced like a stitch job and refunded if its render fails. The first finished render is
version 1; it is recorded the first time the versions are asked for or edited (as is a render the
pipeline made again later, say after a scene was regenerated), so the pipeline itself knows nothing
of versions.

Which version plays, and the rows naming each version's files (its narration and captions too), are
`version_records.py`'s; this module is the service the routes call.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from sqlalchemy import select
from sqlalchemy.orm import Session

from reelsmith.accounts import ledger
from reelsmith.db.models import Asset, Generation, Scene, Variant, Version, utcnow
from reelsmith.errors import InvalidInput, NotFound, WrongState
from reelsmith.generations.reading import asset_url
from reelsmith.generations.version_schemas import CutRead, CutSceneRead, VersionEdit, VersionRead
from reelsmith.pipeline.assets import owned_upload
from reelsmith.pipeline.cut import Cut, Edit, SceneEdit, apply_edit
from reelsmith.pipeline.main_variant import main_of
from reelsmith.pipeline.progress import record_event
from reelsmith.pipeline.version_records import (
    captions_of,
    make_current,
    next_number,
    playing_unrecorded,
    record_playing,
)
from reelsmith.vocabulary import (
    STITCH_PRICE,
    VERSION,
    GenerationStatus,
    Mode,
    VersionStatus,
)

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime

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
        unrecorded = [v.id for v in _variants(session, gen) if playing_unrecorded(session, v)]
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
        refuse_while_rendering(session, gen, variant)
        base = record_playing(session, gen, variant)
        if base is None:
            raise WrongState("this generation has no finished video to edit")
        cut, change = apply_edit(Cut.from_json(base.cut), _resolve(session, user_id, body))
        version = Version(
            generation_id=gen.id,
            variant_id=variant.id,
            number=next_number(session, variant),
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
        refuse_while_rendering(session, gen, variant)
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
    captions = captions_of(version)
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
            narration=s.line,
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
        captions_srt_url=asset_url(captions.get("srt")),
        captions_vtt_url=asset_url(captions.get("vtt")),
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


def refuse_while_rendering(session: Session, gen: Generation, variant: Variant) -> None:
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
