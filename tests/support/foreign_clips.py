"""Clips as other encoders make them (x264 with other settings than Reelsmith's), for the stitcher's tests.

Providers, phones and editors all write H.264, each with its own profile, GOP, B-frames and headers; a
stitcher tested only on its own encodes never meets them.
"""

from __future__ import annotations

from pathlib import Path

from reelsmith.media.ffmpeg import run_ffmpeg

# Encoder settings unlike the house preset: each name says what sets it apart.
ENCODERS: dict[str, list[str]] = {
    "medium-bframes": ["-preset", "medium", "-crf", "23", "-g", "30", "-bf", "3", "-refs", "3"],
    "main-no-bframes": ["-profile:v", "main", "-preset", "fast", "-crf", "28", "-g", "15", "-bf", "0"],
    "baseline": ["-profile:v", "baseline", "-preset", "faster", "-crf", "26", "-g", "24"],
    # As video services deliver: a keyframe every two seconds, B-pyramid, a slower preset.
    "provider": [
        "-preset",
        "medium",
        "-crf",
        "21",
        "-g",
        "60",
        "-keyint_min",
        "60",
        "-bf",
        "3",
        "-refs",
        "3",
    ],
    # x264's default GOP (250 frames): a short clip has a single keyframe, at its start.
    "sparse-keyframes": ["-preset", "faster", "-crf", "24"],
}


def foreign_clip(
    dest: Path, encoder: str, *, size: str = "640x360", fps: int = 30, seconds: float = 2.5, hue: int = 0
) -> Path:
    """A moving test pattern with a tone: libx264 with ``ENCODERS[encoder]``, AAC at 44.1 kHz."""
    run_ffmpeg([
        "-f", "lavfi", "-i", f"testsrc2=s={size}:r={fps}:d={seconds},hue=h={hue}",
        "-f", "lavfi", "-i", f"sine=f={330 + hue}:r=44100:d={seconds}",
        "-map", "0:v", "-map", "1:a", "-c:v", "libx264", *ENCODERS[encoder], "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "96k", "-t", str(seconds), "-f", "mp4", str(dest),
    ])  # fmt: skip
    return dest
