"""Tiny media made with the bundled ffmpeg, shared by the media tests (session-scoped: made once)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelsmith.media.encode import audio_args, mp4_args, video_args
from reelsmith.media.ffmpeg import run_ffmpeg

FRAME_S = 1 / 30


def make_clip(
    dest: Path,
    *,
    size: str = "320x240",
    fps: int = 30,
    duration: float = 1.0,
    audio: bool = True,
    hue: int = 0,
) -> Path:
    """An H.264 clip of moving test pattern (+ a tone) encoded like Reelsmith's own clips."""
    args = ["-f", "lavfi", "-i", f"testsrc2=s={size}:r={fps}:d={duration},hue=h={hue}"]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=f=440:r=48000:d={duration}"]
    args += ["-map", "0:v"] + (["-map", "1:a", *audio_args()] if audio else [])
    run_ffmpeg([*args, *video_args(crf=23, fps=fps), "-t", str(duration), *mp4_args(), str(dest)])
    return dest


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def clip_a(media_dir: Path) -> Path:
    return make_clip(media_dir / "a.mp4", duration=1.0)


@pytest.fixture(scope="session")
def clip_b(media_dir: Path) -> Path:
    return make_clip(media_dir / "b.mp4", duration=1.5, hue=120)


@pytest.fixture(scope="session")
def clip_odd(media_dir: Path) -> Path:
    """Different size and frame rate, and no audio: must be normalised before joining."""
    return make_clip(media_dir / "odd.mp4", size="256x256", fps=25, duration=1.2, audio=False)


@pytest.fixture(scope="session")
def song(media_dir: Path) -> Path:
    dest = media_dir / "song.m4a"
    run_ffmpeg(["-f", "lavfi", "-i", "sine=f=220:r=44100:d=3", "-c:a", "aac", str(dest)])
    return dest


@pytest.fixture(scope="session")
def picture(media_dir: Path) -> Path:
    """A 4:3 PNG (so it needs the blurred fill in every aspect)."""
    dest = media_dir / "picture.png"
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=400x300", "-frames:v", "1", str(dest)])
    return dest


@pytest.fixture(scope="session")
def corrupt(media_dir: Path) -> Path:
    dest = media_dir / "corrupt.mp4"
    dest.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"not really a movie" * 50)
    return dest


@pytest.fixture(scope="session")
def long_clips(media_dir: Path) -> list[Path]:
    """Three 2.5 s clips with a keyframe every second: long enough for windowed transitions."""
    return [make_clip(media_dir / f"long{i}.mp4", duration=2.5, hue=i * 100) for i in range(3)]


@pytest.fixture(scope="session")
def silent_long_clip(media_dir: Path) -> Path:
    return make_clip(media_dir / "silent_long.mp4", duration=2.5, audio=False, hue=200)


@pytest.fixture(scope="session")
def long_song(media_dir: Path) -> Path:
    """A 6 s 220 Hz tone: the music under ducking tests (told apart from the clips' 440 Hz by frequency)."""
    dest = media_dir / "long_song.m4a"
    run_ffmpeg(["-f", "lavfi", "-i", "sine=f=220:r=48000:d=6", "-c:a", "aac", str(dest)])
    return dest
