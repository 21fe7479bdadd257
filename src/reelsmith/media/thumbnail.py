"""Thumbnails: the sharpest of a few frames around the middle (PyAV decode, Pillow edge energy and JPEG)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from reelsmith.errors import MediaError
from reelsmith.media.probe import open_media

if TYPE_CHECKING:
    from PIL import Image as PILImage

_JPEG_QUALITY = 80
_CANDIDATES = 5
_MAX_STEP_S = 0.5  # candidates sit at most this far apart, so they all come from one short decode
_DARK_LUMA = 20.0  # frames darker than this on average (fades, black slugs) are passed over


def frames_at(video: Path, times: Sequence[float]) -> list[tuple[float, PILImage.Image]]:
    """Decoded frames at (just after) each of the sorted ``times``, from one seek and a forward decode."""
    import av

    video = Path(video)
    container = open_media(video)
    picked: list[tuple[float, PILImage.Image]] = []
    try:
        if not container.streams.video:
            raise MediaError(f"no video stream in {video}")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        wanted = sorted(max(0.0, t) for t in times)
        if wanted and wanted[0] > 0 and stream.time_base is not None:
            # Seeks land on the keyframe before the first time; decode forward from there.
            container.seek(int(wanted[0] / stream.time_base), stream=stream, backward=True)
        last = None
        try:
            for frame in container.decode(stream):
                last = frame
                while wanted and (frame.time is None or frame.time >= wanted[0] - 1e-6):
                    picked.append((wanted.pop(0), frame.to_image()))
                if not wanted:
                    break
        except av.error.FFmpegError as e:
            if last is None:
                raise MediaError(f"could not decode a frame of {video}: {e}") from e
        if wanted and last is not None:
            # Times past the last frame (rounding at the very end) get the last frame.
            picked.extend((t, last.to_image()) for t in wanted)
        if not picked:
            raise MediaError(f"no decodable video frame in {video}")
    finally:
        container.close()
    return picked


def _duration(video: Path) -> float:
    container = open_media(Path(video))
    try:
        return container.duration / 1_000_000 if container.duration else 0.0
    finally:
        container.close()


def sharpness(image: PILImage.Image) -> tuple[float, float]:
    """(edge energy, mean luma) of ``image`` at ≤ 320 px: the variance of its Laplacian edges, brightness."""
    from PIL import ImageFilter, ImageStat

    gray = image.convert("L")
    if gray.width > 320:
        gray = gray.resize((320, max(1, round(gray.height * 320 / gray.width))))
    edges = gray.filter(ImageFilter.FIND_EDGES)
    return float(ImageStat.Stat(edges).var[0]), float(ImageStat.Stat(gray).mean[0])


def pick_sharpest(candidates: Sequence[tuple[float, PILImage.Image]], middle: float) -> PILImage.Image:
    """The sharpest non-dark candidate; ties go to the one nearest ``middle``."""
    scored = [(sharpness(img), abs(t - middle), img) for t, img in candidates]
    lit = [s for s in scored if s[0][1] >= _DARK_LUMA] or scored
    best = max(lit, key=lambda s: (round(s[0][0], 1), -s[1]))
    return best[2]


def save_jpeg(image: PILImage.Image, dest: Path, max_width: int) -> tuple[int, int]:
    """Save ``image`` as an optimised progressive JPEG ≤ max_width wide (atomically); return its size."""
    from PIL import Image

    if image.width > max_width:
        height = max(2, round(image.height * max_width / image.width))
        image = image.resize((max_width, height), Image.Resampling.LANCZOS)
    image = image.convert("RGB")
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    try:
        image.save(tmp, "JPEG", quality=_JPEG_QUALITY, optimize=True, progressive=True)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return image.width, image.height


def make_thumbnail(video: Path, dest: Path, *, max_width: int = 640) -> tuple[int, int]:
    """Save the sharpest of five frames around the middle of ``video`` as a JPEG ≤ max_width; return size."""
    video = Path(video)
    duration = _duration(video)
    middle = duration / 2
    step = min(_MAX_STEP_S, duration / (2 * _CANDIDATES + 2))
    half = _CANDIDATES // 2
    times = [middle + k * step for k in range(-half, half + 1)] if duration > 0 else [0.0]
    image = pick_sharpest(frames_at(video, times), middle)
    return save_jpeg(image, dest, max_width)
