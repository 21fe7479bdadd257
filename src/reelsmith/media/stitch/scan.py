"""What the stitcher needs to know about a clip to copy it: streams, frame counts, AAC priming, keyframes."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from reelsmith.errors import MediaError
from reelsmith.media.encode import fps_fraction
from reelsmith.media.mp4 import AudioTrack, Mp4Index, read_index
from reelsmith.media.probe import MediaInfo, describe, describe_index, open_media
from reelsmith.media.stitch.streams import StreamSignature, signature_from, signature_of


class ClipNotStitchable(MediaError):
    """A clip the stitcher cannot use (unreadable, or no video to join); names the clip and says why."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"cannot stitch {path}: {reason}")
        self.path = path
        self.reason = reason


_NO_VIDEO = "it has no video to join"


@dataclass(frozen=True)
class AudioPackets:
    """An AAC track as packets: ``priming`` leading encoder-delay packets, then ``real`` packets of audio."""

    priming: int
    real: int
    frame_size: int
    samples: int
    sample_rate: int


@dataclass(frozen=True)
class ClipScan:
    """One clip opened once: its MediaInfo, stream signature, video frame count and AAC packet layout."""

    path: Path
    info: MediaInfo
    signature: StreamSignature
    fps: Fraction
    video_frames: int
    audio: AudioPackets | None

    @property
    def video_duration_s(self) -> float:
        """Exact duration of the video track (frames / fps)."""
        return float(self.video_frames / self.fps)


def _audio_packets(container: Any) -> AudioPackets | None:
    stream = container.streams.audio[0]
    ctx = stream.codec_context
    frame_size, rate = int(ctx.frame_size or 0), int(ctx.sample_rate or 0)
    if ctx.name != "aac" or frame_size <= 0 or not stream.frames or stream.duration is None:
        return None
    if stream.time_base != Fraction(1, rate):
        return None
    priming = 0
    # Only the first couple of packets are read: the encoder delay sits before zero on the timeline.
    for packet in container.demux(stream):
        if packet.pts is None or packet.pts >= 0:
            break
        priming += 1
    return _covering(priming, int(stream.frames), frame_size, int(stream.duration), rate)


def _covering(priming: int, packets: int, frame_size: int, samples: int, rate: int) -> AudioPackets | None:
    """The packet layout, or None when the packets after the priming do not cover every sample."""
    real = packets - priming
    if real * frame_size < samples:
        return None
    return AudioPackets(priming, real, frame_size, samples, rate)


def _indexed_audio(track: AudioTrack | None) -> AudioPackets | None:
    """``_audio_packets`` for a track read from the MP4 index."""
    if track is None or track.timescale != track.sample_rate:
        return None
    return _covering(track.priming, track.sample_count, track.frame_size, track.duration, track.sample_rate)


def _scan_index(path: Path, index: Mp4Index) -> ClipScan:
    info = describe_index(index)
    video = index.video
    if video is None or info.duration_s <= 0:
        raise ClipNotStitchable(path, _NO_VIDEO)
    audio = index.audio
    sig = signature_from(info, video.extradata, audio.extradata if audio else b"")
    fps = fps_fraction(info.fps or 30.0)
    return ClipScan(path, info, sig, fps, video.sample_count, _indexed_audio(audio))


def scan_clip(path: Path) -> ClipScan:
    """Describe ``path`` for stitching (from its MP4 index when it has one, else opened with libav).

    ClipNotStitchable when it cannot be read or has no video to join.
    """
    try:
        index = read_index(path)
        if index is not None:
            return _scan_index(path, index)
        return scan_with_libav(path)
    except ClipNotStitchable:
        raise
    except MediaError as e:
        raise ClipNotStitchable(path, e.message) from e


def scan_with_libav(path: Path) -> ClipScan:
    """``scan_clip`` by opening the file with libav: any container and codec libav reads.

    ClipNotStitchable when it has no video to join; MediaError when libav cannot read it.
    """
    container = open_media(path)
    try:
        info = describe(container, path)
        if not info.has_video or info.duration_s <= 0:
            raise ClipNotStitchable(path, _NO_VIDEO)
        sig = signature_of(container, info)
        video = container.streams.video[0]
        fps = fps_fraction(info.fps or 30.0)
        frames = int(video.frames or 0)
        if frames <= 0:
            frames = max(1, round(info.duration_s * fps))
        audio = _audio_packets(container) if container.streams.audio else None
    finally:
        container.close()
    return ClipScan(path, info, sig, fps, frames, audio)


@dataclass(frozen=True)
class Keyframes:
    """Keyframe positions of a video track: frame indices (presentation order) and their decode stamps."""

    frames: tuple[int, ...]
    dts_s: tuple[float, ...]


def keyframes(path: Path, fps: Fraction) -> Keyframes:
    """Keyframes of ``path``'s video, read from the packet headers (nothing is decoded)."""
    container = open_media(path)
    try:
        stream = container.streams.video[0]
        tb = stream.time_base
        found: list[tuple[int, float]] = []
        for packet in container.demux(stream):
            if packet.is_keyframe and packet.pts is not None and packet.dts is not None:
                found.append((round(packet.pts * tb * fps), float(packet.dts * tb)))
    finally:
        container.close()
    found.sort()
    return Keyframes(tuple(f for f, _ in found), tuple(d for _, d in found))


def aligned_packet_counts(scans: list[ClipScan]) -> list[int] | None:
    """Real AAC packets to keep per clip so the joined audio tracks the joined video within half a packet.

    None when some clip lacks the packets (its audio is shorter than its video) or has no AAC to copy.
    """
    if any(s.audio is None for s in scans):
        return None
    first = scans[0].audio
    assert first is not None
    per_second = Fraction(first.sample_rate, first.frame_size)
    counts: list[int] = []
    video_end = Fraction(0)
    kept = 0
    for scan in scans:
        assert scan.audio is not None
        video_end += scan.video_frames / scan.fps
        # Rounding against the running video end (not per clip) keeps the error from accumulating.
        target = math.floor(video_end * per_second + Fraction(1, 2))
        take = target - kept
        if take < 0 or take > scan.audio.real:
            return None
        counts.append(take)
        kept = target
    return counts
