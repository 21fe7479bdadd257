"""Deciding what an uploaded file is from its content, never from its name."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reelsmith.errors import UnsupportedMedia

IMAGE_TYPES = {"PNG": ("png", "image/png"), "JPEG": ("jpg", "image/jpeg"), "WEBP": ("webp", "image/webp")}


@dataclass(frozen=True)
class Sniffed:
    """What a file turned out to be."""

    kind: str  # image | audio | video
    ext: str
    content_type: str
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None
    fps: float | None = None


def sniff(path: Path) -> Sniffed:
    """Decode the file (Pillow for images, with its decompression-bomb guard; libav for audio/video)."""
    from PIL import Image, UnidentifiedImageError

    from reelsmith.errors import MediaError
    from reelsmith.media.probe import probe

    try:
        with Image.open(path) as img:
            img.load()
            fmt, size = img.format or "", img.size
        if fmt in IMAGE_TYPES:
            ext, content_type = IMAGE_TYPES[fmt]
            return Sniffed("image", ext, content_type, size[0], size[1])
        raise UnsupportedMedia(f"image format {fmt} is not accepted; expected PNG, JPEG or WebP")
    except Image.DecompressionBombError as e:
        raise UnsupportedMedia("the image is too large to decode safely") from e
    except (UnidentifiedImageError, OSError, SyntaxError):
        pass
    try:
        info = probe(path)
    except MediaError as e:
        raise UnsupportedMedia(
            "not a readable file of an accepted type; expected an image (PNG, JPEG, WebP), "
            "audio (MP3, WAV, AAC, …) or video (MP4, MOV, WebM)"
        ) from e
    if info.has_video and info.duration_s > 0:
        return Sniffed("video", "mp4", "video/mp4", info.width, info.height, info.duration_s, info.fps)
    if info.has_audio and info.duration_s > 0:
        codec = (info.audio_codec or "").lower()
        ext, content_type = {"mp3": ("mp3", "audio/mpeg"), "aac": ("m4a", "audio/mp4")}.get(
            codec,
            (
                "wav" if codec.startswith("pcm") else "audio",
                "audio/wav" if codec.startswith("pcm") else "audio/octet-stream",
            ),
        )
        return Sniffed("audio", ext, content_type, duration_s=info.duration_s)
    raise UnsupportedMedia("the file has no playable audio or video; expected an image, audio or video")
