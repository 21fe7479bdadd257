"""Animated WebP previews for gallery hover: a few seconds from the middle, small and looping."""

from __future__ import annotations

import os
from pathlib import Path

from reelsmith.errors import InvalidInput, MediaError
from reelsmith.media.ffmpeg import run_ffmpeg
from reelsmith.media.filters import num
from reelsmith.media.probe import probe

_PREVIEW_FPS = 12
_QUALITY = 60


def make_preview(video: Path, dest: Path, *, width: int = 320, seconds: float = 3.0) -> Path:
    """Write an animated, looping WebP of ``seconds`` around the middle of ``video``, ``width`` px wide."""
    video, dest = Path(video), Path(dest)
    if width < 16 or seconds <= 0:
        raise InvalidInput("width", "needs width >= 16 and seconds > 0")
    info = probe(video)
    if not info.has_video or info.duration_s <= 0:
        raise MediaError(f"no moving video in {video}")
    length = min(seconds, info.duration_s)
    start = max(0.0, info.duration_s / 2 - length / 2)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.stem}.{os.getpid()}.part.webp")
    try:
        # The static ffmpeg ships libwebp_anim: one process, no frames through Python.
        run_ffmpeg(
            [
                "-ss", num(start), "-t", num(length), "-i", str(video), "-an",
                "-vf", f"fps={_PREVIEW_FPS},scale={width}:-2:flags=lanczos",
                "-c:v", "libwebp_anim", "-loop", "0", "-quality", str(_QUALITY),
                "-compression_level", "4", "-f", "webp", str(tmp),
            ],
            timeout_s=60 + length * 5,
        )  # fmt: skip
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest
