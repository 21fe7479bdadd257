"""The storage key layout, in one place.

Rendered media (clips, final videos, posters, previews) get a key per render: a short random id from
`render_id()` is part of the name, so a re-render never overwrites a blob that an older asset row
(with its own size and hash, served as Content-Length and ETag) still describes. Without a render id
the name is fixed; that is only for media rendered once (a quick image's poster).
"""

from __future__ import annotations

import secrets

RENDER_ID_BYTES = 6  # 12 hex digits: a collision within one generation's folder is not a concern


def render_id() -> str:
    """A fresh id for one render, to share between the files it produces (a clip and its poster)."""
    return secrets.token_hex(RENDER_ID_BYTES)


def _tag(render: str | None) -> str:
    """The render's part of a file name: `_<id>`, or nothing for media rendered once."""
    return f"_{render}" if render else ""


def scene_clip(generation_id: str, variant: str, index: int, render: str | None = None) -> str:
    """Key of one render of a scene's clip."""
    return f"generations/{generation_id}/{variant}/scene_{index}{_tag(render)}.mp4"


def scene_delivered(generation_id: str, variant: str, index: int, render: str) -> str:
    """Key of a scene's clip as the provider delivered it (the scene plays its house-format copy)."""
    return f"generations/{generation_id}/{variant}/scene_{index}_{render}_delivered.mp4"


def join_window(
    generation_id: str, variant: str, clips: tuple[str, str], transition: str, cut: str, render: str
) -> str:
    """Key of a transition window made ahead of the stitch, between two clips (asset ids, in order).

    ``transition`` names the transition and its length (e.g. ``fade-500``); ``cut`` where the window cuts
    the two clips, as the stitch needs to know it (``tail-head-frames``). ``render`` makes each making its
    own file: two tasks may make the same window at once, and either may have to delete its own.
    """
    return f"generations/{generation_id}/{variant}/join_{clips[0]}_{clips[1]}_{transition}_{cut}_{render}.mp4"


def join_window_parts(key: str) -> tuple[tuple[str, str], str, str] | None:
    """(clips, transition, cut) of a `join_window` key (with or without its render); None for any other."""
    name = key.rsplit("/", 1)[-1]
    if not (name.startswith("join_") and name.endswith(".mp4")):
        return None
    parts = name[len("join_") : -len(".mp4")].split("_")
    if len(parts) not in (4, 5):  # keys made before windows were named after their render have 4
        return None
    return (parts[0], parts[1]), parts[2], parts[3]


def scene_thumbnail(generation_id: str, variant: str, index: int, render: str | None = None) -> str:
    """Key of one render of a scene's poster frame."""
    return f"generations/{generation_id}/{variant}/scene_{index}{_tag(render)}_thumb.jpg"


def final_video(generation_id: str, variant: str, render: str | None = None) -> str:
    """Key of one stitch of a variant's video."""
    return f"generations/{generation_id}/{variant}/final{_tag(render)}.mp4"


def final_thumbnail(generation_id: str, variant: str, render: str | None = None) -> str:
    """Key of one render of a variant's poster frame."""
    return f"generations/{generation_id}/{variant}/final{_tag(render)}_thumb.jpg"


def poster_of_final(video_key: str) -> str:
    """Key of the poster made from the final video stored at ``video_key`` (the same render's)."""
    return f"{video_key.removesuffix('.mp4')}_thumb.jpg"


def final_preview(generation_id: str, variant: str, render: str | None = None) -> str:
    """Key of one render of a variant's animated hover preview."""
    return f"generations/{generation_id}/{variant}/final{_tag(render)}_preview.webp"


def generation_image(generation_id: str, index: int = 0) -> str:
    """Key of a quick-image generation's picture."""
    return f"generations/{generation_id}/image_{index}.png"


def generation_prefix(generation_id: str) -> str:
    """Prefix under which all of a generation's blobs live."""
    return f"generations/{generation_id}/"


def reference(asset_id: str) -> str:
    """Key of a character reference image."""
    return f"references/{asset_id}.png"


def upload(asset_id: str, ext: str) -> str:
    """Key of a user upload."""
    return f"uploads/{asset_id}.{ext}"
