"""Measuring how faithful a re-encode is: PSNR of a frame range against its source."""

from __future__ import annotations

import re
from pathlib import Path

from reelsmith.media.ffmpeg import ffmpeg_report

_AVERAGE = re.compile(r"average:(inf|[\d.]+)")


def psnr(video: Path, frames: tuple[int, int], source: Path, source_frames: tuple[int, int]) -> float:
    """Average PSNR (dB) of frames [a, b) of ``video`` against frames [c, d) of ``source`` (inf if equal)."""
    (a, b), (c, d) = frames, source_frames
    report = ffmpeg_report([
        # A stream whose parameter sets change mid-way (parts from several encoders) must not rebuild the
        # graph: a rebuilt graph restarts its frame counts and compares the wrong frames.
        "-reinit_filter", "0", "-i", str(video), "-reinit_filter", "0", "-i", str(source), "-lavfi",
        f"[0:v]trim=start_frame={a}:end_frame={b},setpts=PTS-STARTPTS[x];"
        f"[1:v]trim=start_frame={c}:end_frame={d},setpts=PTS-STARTPTS[y];[x][y]psnr",
        "-f", "null", "-",
    ])  # fmt: skip
    value = _AVERAGE.findall(report)[-1]
    return float("inf") if value == "inf" else float(value)
