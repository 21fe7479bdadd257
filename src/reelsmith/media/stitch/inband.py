"""Video-only copies of clips whose keyframes carry their own parameter sets (SPS/PPS) in-band.

An MP4 names one set of codec headers for its whole video track; clips from different H.264 encoders
each need their own. With each clip's headers repeated in front of its keyframes, the parts can follow
one another in one track: decoders (libav, browsers) switch to the new parameter sets at each part's
first keyframe. Nothing is re-encoded.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from reelsmith.media.ffmpeg import run_ffmpeg


def video_with_inband_headers(
    clips: Sequence[Path], workdir: Path, *, duration_s: float, prefix: str = "video"
) -> list[Path]:
    """Video-only stream copies of ``clips`` with in-band headers, made in one ffmpeg process.

    The copies carry no audio, which also lets the concat demuxer's outpoint cut a copy exactly at a
    keyframe's decode stamp (it ends a part at the first packet past the outpoint of *any* stream).
    """
    args: list[str] = []
    for clip in clips:
        args += ["-i", str(clip)]
    outs = [workdir / f"{prefix}_{n}.mp4" for n in range(len(clips))]
    for n, out in enumerate(outs):
        args += ["-map", f"{n}:v:0", "-c", "copy", "-bsf:v", "h264_mp4toannexb", "-f", "mp4", str(out)]
    run_ffmpeg(args, timeout_s=60 + duration_s / 4)
    return outs
