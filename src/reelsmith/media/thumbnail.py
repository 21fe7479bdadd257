"""Middle-frame thumbnails: PyAV seek + decode + Pillow JPEG (about twice as fast as an ffmpeg subprocess)."""

from __future__ import annotations

import os
from pathlib import Path

from reelsmith.errors import MediaError
from reelsmith.media.probe import open_media

_JPEG_QUALITY = 80


def make_thumbnail(video: Path, dest: Path, *, max_width: int = 640) -> tuple[int, int]:
    """Save a frame near the middle of ``video`` as an optimised JPEG ≤ max_width wide; return its size."""
    import av
    from PIL import Image

    video = Path(video)
    container = open_media(video)
    try:
        if not container.streams.video:
            raise MediaError(f"no video stream in {video}")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        duration = container.duration / 1_000_000 if container.duration else 0.0
        middle = duration / 2
        if middle > 0 and stream.time_base is not None:
            # Seeks land on the keyframe before `middle`; decode forward to the first frame past it.
            container.seek(int(middle / stream.time_base), stream=stream, backward=True)
        image = None
        try:
            for frame in container.decode(stream):
                image = frame.to_image()
                if frame.time is None or frame.time >= middle:
                    break
        except av.error.FFmpegError as e:
            if image is None:
                raise MediaError(f"could not decode a frame of {video}: {e}") from e
        if image is None:
            raise MediaError(f"no decodable video frame in {video}")
    finally:
        container.close()

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
