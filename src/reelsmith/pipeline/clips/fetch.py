"""Downloading a finished clip and storing it, with its poster frame, in the blob store."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reelsmith.db.models import Scene
from reelsmith.pipeline.assets import StoredBlob, store_image, store_video
from reelsmith.storage import keys

if TYPE_CHECKING:
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


def fetch_clip(rt: Runtime, scene_id: str, provider: str, job_id: str) -> FetchedClip | None:
    """Download the job's clip, make its poster and store both; None if the scene is gone."""
    from reelsmith.media.thumbnail import make_thumbnail

    with rt.db.read() as session:
        scene = session.get(Scene, scene_id)
        if scene is None:
            return None
        variant = scene.variant
        gen_id, kind, index = variant.generation_id, variant.kind, scene.index
        user_id = variant.generation.user_id
    render = keys.render_id()
    with tempfile.TemporaryDirectory(dir=rt.settings.scratch_dir) as tmp:
        clip_path, thumb_path = Path(tmp) / "clip.mp4", Path(tmp) / "thumb.jpg"
        rt.providers.video(provider).fetch(job_id, clip_path)
        size = make_thumbnail(clip_path, thumb_path)
        clip = store_video(rt, keys.scene_clip(gen_id, kind, index, render), clip_path)
        thumb_key = keys.scene_thumbnail(gen_id, kind, index, render)
        thumb = store_image(rt, thumb_key, thumb_path, "image/jpeg", size)
    return FetchedClip(scene_id, gen_id, user_id, index, provider, job_id, clip, thumb)
