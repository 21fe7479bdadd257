"""Deciding what an uploaded file is from its content, never from its name.

A user's file is only ever handed to a decoder picked from its first bytes and drawn from a short
allowlist: letting Pillow or libav guess would run whichever plugin or demuxer claims the file (Pillow's
EPS plugin runs Ghostscript; libav's concat demuxer opens other paths named in the file).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reelsmith.errors import TooLarge, UnsupportedMedia

IMAGE_TYPES = {"PNG": ("png", "image/png"), "JPEG": ("jpg", "image/jpeg"), "WEBP": ("webp", "image/webp")}

# Well under Pillow's own bomb guard (~89 M pixels, an error only at twice that): 40 M RGBA pixels
# already decode to 160 MB.
MAX_IMAGE_PIXELS = 40_000_000

# libav demuxers a user's audio or video may be read with; only the first two may hold a video.
VIDEO_CONTAINERS = frozenset({"mov", "matroska"})
AUDIO_CONTAINERS = frozenset({"mp3", "aac", "wav", "ogg", "flac"})

# The top-level boxes an MP4/MOV file can start with.
_MP4_BOXES = frozenset({b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot"})

_NOT_ACCEPTED = (
    "the file is not of an accepted type; expected an image (PNG, JPEG, WebP), "
    "audio (MP3, WAV, AAC, Ogg, FLAC) or video (MP4, MOV, WebM, Matroska)"
)


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


def _head(path: Path) -> bytes:
    with path.open("rb") as f:
        return f.read(16)


def image_format(head: bytes) -> str | None:
    """The accepted Pillow format whose magic bytes open `head` (PNG, JPEG, WEBP), else None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    return None


def container_format(head: bytes) -> str | None:
    """The allowed libav demuxer whose magic bytes open `head`, else None."""
    if head[4:8] in _MP4_BOXES:
        return "mov"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "matroska"  # WebM too
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"fLaC"):
        return "flac"
    if head.startswith(b"ID3"):
        return "mp3"
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        # MPEG audio frame sync; layer bits 00 mark an ADTS (AAC) stream instead of MP3.
        return "aac" if head[1] & 0x06 == 0 else "mp3"
    return None


def sniff_image(path: Path) -> Sniffed:
    """Decode a PNG, JPEG or WebP image with only that Pillow plugin, refusing huge ones before decoding."""
    from PIL import Image, UnidentifiedImageError

    fmt = image_format(_head(path))
    if fmt is None:
        raise UnsupportedMedia("the file is not an image of an accepted type; expected PNG, JPEG or WebP")
    try:
        with Image.open(path, formats=[fmt]) as img:
            # Image.open reads only the header, so the size is known before any pixel is decoded.
            width, height = img.size
            if width * height > MAX_IMAGE_PIXELS:
                raise TooLarge(
                    f"the image is {width}x{height} pixels; the limit is "
                    f"{MAX_IMAGE_PIXELS // 1_000_000} megapixels"
                )
            img.load()
    except Image.DecompressionBombError as e:
        raise TooLarge("the image is too large to decode safely") from e
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise UnsupportedMedia(f"the file is not a readable {fmt} image") from e
    ext, content_type = IMAGE_TYPES[fmt]
    return Sniffed("image", ext, content_type, width, height)


def sniff(path: Path) -> Sniffed:
    """Decode the file as an accepted image (Pillow) or audio/video (libav), chosen by its magic bytes."""
    from reelsmith.errors import MediaError
    from reelsmith.media.probe import probe

    head = _head(path)
    if image_format(head) is not None:
        return sniff_image(path)
    container = container_format(head)
    if container is None:
        raise UnsupportedMedia(_NOT_ACCEPTED)
    try:
        info = probe(path, fmt=container)
    except MediaError as e:
        raise UnsupportedMedia(_NOT_ACCEPTED) from e
    if info.has_video and info.duration_s > 0 and container in VIDEO_CONTAINERS:
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
