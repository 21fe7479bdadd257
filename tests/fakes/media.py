"""Small real media for the fakes to hand out: an H.264/AAC MP4, a GIF, PNG and JPEG stills."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import imageio_ffmpeg
from PIL import Image


def make_mp4(dest: Path, *, seconds: float = 1.0) -> Path:
    """A `seconds`-long 320x180 30 fps H.264 + AAC clip of a test pattern and a tone."""
    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    subprocess.run(
        [
            ffmpeg, "-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", f"testsrc=size=320x180:rate=30:duration={seconds}",
            "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-r", "30",
            "-c:a", "aac", "-b:a", "64k", "-shortest", "-movflags", "+faststart", str(dest),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return dest


def make_gif(dest: Path) -> Path:
    """A half-second animated GIF (what some ComfyUI workflows save)."""
    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    subprocess.run(
        [ffmpeg, "-hide_banner", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", "testsrc=size=160x90:rate=10:duration=0.5", str(dest)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return dest


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (64, 48), color: str = "orange") -> bytes:
    """A solid-colour still in `fmt` (PNG, JPEG, WEBP)."""
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt)
    return out.getvalue()
