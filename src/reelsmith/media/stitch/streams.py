"""Stream signatures: what must match between clips for the concat demuxer to join them by stream copy."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reelsmith.media.probe import MediaInfo, open_media


@dataclass(frozen=True)
class StreamSignature:
    """Codec parameters plus codec headers (SPS/PPS, AudioSpecificConfig) of a clip's streams."""

    video_codec: str | None
    width: int
    height: int
    fps: float
    video_time_base: str | None
    pix_fmt: str | None
    audio_codec: str | None
    sample_rate: int | None
    channels: int | None
    video_extradata: bytes
    audio_extradata: bytes

    @property
    def is_target_codecs(self) -> bool:
        """H.264 yuv420p with AAC 48 kHz stereo: what Reelsmith outputs."""
        return (
            self.video_codec == "h264"
            and self.pix_fmt == "yuv420p"
            and self.audio_codec == "aac"
            and self.sample_rate == 48000
            and self.channels == 2
        )


def signature(path: Path, info: MediaInfo) -> StreamSignature:
    """The stream signature of ``path`` (probed as ``info``)."""
    container = open_media(path)
    try:
        return signature_of(container, info)
    finally:
        container.close()


def signature_of(container: Any, info: MediaInfo) -> StreamSignature:
    """The stream signature of an open PyAV container described by ``info``."""
    video = container.streams.video[0] if container.streams.video else None
    audio = container.streams.audio[0] if container.streams.audio else None
    video_extra = bytes(video.codec_context.extradata or b"") if video is not None else b""
    audio_extra = bytes(audio.codec_context.extradata or b"") if audio is not None else b""
    return signature_from(info, video_extra, audio_extra)


def signature_from(info: MediaInfo, video_extradata: bytes, audio_extradata: bytes) -> StreamSignature:
    """The stream signature of a clip described by ``info`` with these codec headers."""
    return StreamSignature(
        video_codec=info.video_codec,
        width=info.width,
        height=info.height,
        fps=info.fps,
        video_time_base=info.video_time_base,
        pix_fmt=info.pix_fmt,
        audio_codec=info.audio_codec,
        sample_rate=info.sample_rate,
        channels=info.channels,
        video_extradata=video_extradata,
        audio_extradata=audio_extradata,
    )
