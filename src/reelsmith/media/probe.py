"""Probe a media file in-process: MP4/MOV from its index, anything else with PyAV (there is no ffprobe)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reelsmith.errors import MediaError
from reelsmith.media.mp4 import Mp4Index, read_index

# Demuxers that hold a single still picture: these report a nominal frame rate but have no duration.
_STILL_FORMATS = frozenset({"image2", "png_pipe", "jpeg_pipe", "webp_pipe", "bmp_pipe", "gif_pipe"})


@dataclass(frozen=True)
class MediaInfo:
    """What a media file holds; video fields are zero/None for audio-only files."""

    duration_s: float
    width: int
    height: int
    fps: float
    video_codec: str | None
    audio_codec: str | None
    sample_rate: int | None
    channels: int | None
    pix_fmt: str | None
    video_time_base: str | None

    @property
    def has_video(self) -> bool:
        """True when the file has a video (or still picture) stream."""
        return self.video_codec is not None

    @property
    def has_audio(self) -> bool:
        """True when the file has an audio stream."""
        return self.audio_codec is not None


def open_media(path: Path, fmt: str | None = None) -> Any:
    """Open ``path`` with PyAV (demuxer ``fmt`` if given); a missing or unreadable file is a MediaError."""
    import av  # lazy: keeps `import reelsmith.media.*` cheap for the CLI

    if not path.is_file():
        raise MediaError(f"media file not found: {path}")
    if path.stat().st_size == 0:
        raise MediaError(f"media file is empty: {path}")
    try:
        # Local files only: a demuxer must not reach other paths or the network through a protocol.
        return av.open(str(path), format=fmt, container_options={"protocol_whitelist": "file"})
    except (av.error.FFmpegError, OSError, ValueError) as e:
        raise MediaError(f"not a readable media file: {path} ({e})") from e


def _stream_duration(stream: Any) -> float:
    if stream.duration is None or stream.time_base is None:
        return 0.0
    return float(stream.duration * stream.time_base)


def probe(path: Path, fmt: str | None = None) -> MediaInfo:
    """Describe the first video and audio streams of ``path`` (read with demuxer ``fmt`` when given)."""
    index = read_index(Path(path))
    if index is not None:
        return describe_index(index)
    container = open_media(Path(path), fmt)
    try:
        return describe(container, path)
    finally:
        container.close()


def describe(container: Any, path: Path) -> MediaInfo:
    """MediaInfo of an already opened PyAV container (``path`` is only used in messages)."""
    video = container.streams.video[0] if container.streams.video else None
    audio = container.streams.audio[0] if container.streams.audio else None
    if video is None and audio is None:
        raise MediaError(f"no audio or video stream in {path}")
    still = container.format.name in _STILL_FORMATS
    if still:
        duration = 0.0
    elif container.duration is not None:
        duration = container.duration / 1_000_000
    else:
        duration = max(_stream_duration(s) for s in (video, audio) if s is not None)
    width = height = 0
    fps = 0.0
    video_codec = pix_fmt = time_base = None
    if video is not None:
        ctx = video.codec_context
        width, height = int(ctx.width), int(ctx.height)
        video_codec = str(ctx.name)
        pix_fmt = str(ctx.pix_fmt) if ctx.pix_fmt else None
        rate = video.average_rate or video.guessed_rate
        fps = 0.0 if still or not rate else float(rate)
        time_base = str(video.time_base) if video.time_base is not None else None
    sample_rate = channels = None
    audio_codec = None
    if audio is not None:
        actx = audio.codec_context
        audio_codec = str(actx.name)
        sample_rate = int(actx.sample_rate) or None
        channels = int(actx.channels) or None
    return MediaInfo(
        duration_s=round(duration, 6),
        width=width,
        height=height,
        fps=round(fps, 6),
        video_codec=video_codec,
        audio_codec=audio_codec,
        sample_rate=sample_rate,
        channels=channels,
        pix_fmt=pix_fmt,
        video_time_base=time_base,
    )


def describe_index(index: Mp4Index) -> MediaInfo:
    """MediaInfo from an MP4 index, field for field what ``describe`` reports for the same file."""
    video, audio = index.video, index.audio
    return MediaInfo(
        duration_s=round(index.duration_us / 1_000_000, 6),
        width=video.width if video else 0,
        height=video.height if video else 0,
        fps=round(float(video.average_rate), 6) if video else 0.0,
        video_codec="h264" if video else None,
        audio_codec="aac" if audio else None,
        sample_rate=audio.sample_rate if audio else None,
        channels=audio.channels if audio else None,
        pix_fmt=video.pix_fmt if video else None,
        video_time_base=f"1/{video.timescale}" if video else None,
    )
