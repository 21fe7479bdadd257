"""Downloading a finished clip and storing it, with its poster frame, in the blob store.

A clip from another encoder is converted to the house format right here, in its own task while the
other scenes are still rendering, so the final stitch only copies (and re-encodes transition windows).
The file as delivered is kept too, for its owner. The last clip of a variant to arrive is not
converted: nothing else is left to wait for, and the stitch, which copies any H.264 clip (its headers
in-band) and converts only what it cannot cut, does less work with it than a whole conversion would.
"""

from __future__ import annotations

import dataclasses
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reelsmith.db.models import Scene
from reelsmith.pipeline.assets import StoredBlob, store_image, store_video
from reelsmith.pipeline.clips.store import bill_delivered
from reelsmith.pipeline.unrecorded import discard_blobs, discard_unrecorded
from reelsmith.storage import keys
from reelsmith.vocabulary import SceneStatus

if TYPE_CHECKING:
    from reelsmith.media.stitch.meter import ClipMeter
    from reelsmith.runtime import Runtime


@dataclass(frozen=True)
class FetchedClip:
    """A scene's finished clip and poster, stored and ready to be recorded on the scene."""

    scene_id: str
    generation_id: str
    user_id: str
    index: int
    provider: str
    job_id: str
    clip: StoredBlob
    thumbnail: StoredBlob
    delivered: StoredBlob | None = None  # the provider's own file, when `clip` is its house copy
    last: bool = False  # every other scene of the variant had its clip when this one arrived


def fetch_clip(rt: Runtime, scene_id: str, provider: str, job_id: str) -> FetchedClip | None:
    """Download the job's clip, make its poster and store both; None if the scene is gone."""
    from reelsmith.media.stitch.house import to_house_format
    from reelsmith.media.thumbnail import make_thumbnail

    with rt.db.read() as session:
        scene = session.get(Scene, scene_id)
        if scene is None:
            return None
        variant = scene.variant
        gen_id, kind, index = variant.generation_id, variant.kind, scene.index
        user_id = variant.generation.user_id
        last = _others_done(session, variant.id, scene_id)
    render = keys.render_id()
    with tempfile.TemporaryDirectory(dir=rt.settings.scratch_dir) as tmp:
        delivered_path, house_path = Path(tmp) / "delivered.mp4", Path(tmp) / "house.mp4"
        thumb_path = Path(tmp) / "thumb.jpg"
        rt.providers.video(provider).fetch(job_id, delivered_path)
        converted = not last and to_house_format(delivered_path, house_path) is not None
        clip_path = house_path if converted else delivered_path
        size = make_thumbnail(clip_path, thumb_path)
        meter = _meter(clip_path)
        stored: list[str] = []
        try:
            clip = store_video(rt, keys.scene_clip(gen_id, kind, index, render), clip_path)
            clip = dataclasses.replace(clip, loudness=meter.to_json())
            stored.append(clip.key)
            delivered = None
            if converted:
                delivered_key = keys.scene_delivered(gen_id, kind, index, render)
                delivered = store_video(rt, delivered_key, delivered_path)
                stored.append(delivered.key)
            thumb_key = keys.scene_thumbnail(gen_id, kind, index, render)
            thumb = store_image(rt, thumb_key, thumb_path, "image/jpeg", size)
            stored.append(thumb.key)
            # The job is paid for whether or not this task records the clip: its cost follows what it
            # delivered.
            made = delivered or clip
            if made.duration_s is not None:
                bill_delivered(rt, scene_id, job_id, made.duration_s)
        except Exception:
            # No row will ever name a blob of a fetch that did not finish (the database may be what
            # failed): do not leave them behind.
            discard_blobs(rt, stored)
            raise
    return FetchedClip(scene_id, gen_id, user_id, index, provider, job_id, clip, thumb, delivered, last)


def _meter(clip: Path) -> ClipMeter:
    """The clip's loudness, measured now (off the critical path but for the last clip, and cheaper than
    the pass over the whole joined audio it saves the stitch)."""
    from reelsmith.media.stitch.meter import meter_clip
    from reelsmith.media.stitch.scan import scan_clip

    scan = scan_clip(clip)
    return meter_clip(clip, scan.info, scan.video_duration_s)


def discard_unrecorded_clip(rt: Runtime, fetched: FetchedClip) -> bool:
    """Delete the fetch's blobs if its clip was not recorded (another task recorded the scene's clip
    first, or the recording failed); True if they were deleted."""
    extra = [fetched.delivered.key] if fetched.delivered is not None else []
    return bool(discard_unrecorded(rt, [fetched.clip.key, fetched.thumbnail.key, *extra]))


def _others_done(session: Session, variant_id: str, scene_id: str) -> bool:
    """Whether every other scene of the variant already has its clip (this one is the last to arrive)."""
    waiting = session.scalar(
        select(func.count())
        .select_from(Scene)
        .where(Scene.variant_id == variant_id, Scene.id != scene_id, Scene.status != SceneStatus.COMPLETED)
    )
    return not waiting
