"""Stitching clips other encoders made: transitions still re-encode only the join windows."""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

import pytest

from reelsmith.media.ffmpeg import ffmpeg_exe, run_ffmpeg
from reelsmith.media.probe import probe
from reelsmith.media.quality import psnr
from reelsmith.media.stitch import stitch
from tests.support.foreign_clips import foreign_clip

FRAME = 1 / 30
WINDOWED = "re-encoded in windows"


@pytest.fixture(scope="module")
def foreign(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("foreign")
    names = ("medium-bframes", "main-no-bframes", "baseline", "sparse-keyframes")
    return {name: foreign_clip(folder / f"{name}.mp4", name, hue=60 * n) for n, name in enumerate(names)}


def decode_errors(path: Path) -> str:
    """What ffmpeg's decoder complains about when decoding every frame of ``path`` (empty: nothing)."""
    run = subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    return run.stderr.strip()


def test_clips_of_three_encoders_join_with_windows_and_copied_middles(
    foreign: dict[str, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clips = [foreign["medium-bframes"], foreign["main-no-bframes"], foreign["baseline"]]
    dest = tmp_path / "x.mp4"
    with caplog.at_level(logging.INFO, logger="reelsmith.media.stitch"):
        info = stitch(clips, dest, transition="fade", transition_s=0.5)
    assert WINDOWED in caplog.text
    assert "full transition re-encode" not in caplog.text
    assert info.duration_s == pytest.approx(3 * 2.5 - 2 * 0.5, abs=FRAME)
    assert decode_errors(dest) == ""
    # Frames between the windows are the sources' own pictures, decoded under their own parameter sets.
    # Clip k starts at output frame 60 * k. Clip 0 has keyframes every 30 frames (frames 0-59 copied),
    # clip 1 every 15 (15-59 copied), clip 2 every 24 (24-74 copied).
    assert psnr(dest, (0, 60), clips[0], (0, 60)) == float("inf")
    assert psnr(dest, (75, 120), clips[1], (15, 60)) == float("inf")
    assert psnr(dest, (144, 195), clips[2], (24, 75)) == float("inf")
    # The windows are re-encoded near-transparently away from the fades.
    assert psnr(dest, (120 + 15, 144), clips[2], (15, 24)) >= 40


def test_a_clip_with_one_keyframe_is_re_encoded_alone(
    foreign: dict[str, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clips = [foreign["medium-bframes"], foreign["sparse-keyframes"], foreign["medium-bframes"]]
    dest = tmp_path / "x.mp4"
    with caplog.at_level(logging.INFO, logger="reelsmith.media.stitch"):
        stitch(clips, dest, transition="dissolve", transition_s=0.5)
    assert "1 clips have too few keyframes" in caplog.text
    assert WINDOWED in caplog.text
    assert decode_errors(dest) == ""
    assert probe(dest).duration_s == pytest.approx(6.5, abs=FRAME)
    # The re-encoded clip stays near-transparent; the others' middles are untouched.
    assert psnr(dest, (75, 120), clips[1], (15, 60)) >= 40
    assert psnr(dest, (0, 60), clips[0], (0, 60)) == float("inf")


def test_joining_clips_of_two_encoders_without_transition_copies_video(
    foreign: dict[str, Path], tmp_path: Path
) -> None:
    clips = [foreign["medium-bframes"], foreign["main-no-bframes"]]
    dest = tmp_path / "x.mp4"
    stitch(clips, dest)
    assert decode_errors(dest) == ""
    assert psnr(dest, (0, 75), clips[0], (0, 75)) == float("inf")
    assert psnr(dest, (75, 150), clips[1], (0, 75)) == float("inf")


def test_a_clip_of_another_size_or_timescale_is_brought_in_line_and_the_rest_stay_copied(
    foreign: dict[str, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    small = foreign_clip(tmp_path / "small.mp4", "medium-bframes", size="320x180", hue=200)
    retimed = tmp_path / "retimed.mp4"
    run_ffmpeg(
        ["-i", str(foreign["main-no-bframes"]), "-c", "copy", "-video_track_timescale", "90000", str(retimed)]
    )
    clips = [foreign["medium-bframes"], small, retimed]
    dest = tmp_path / "x.mp4"
    with caplog.at_level(logging.INFO, logger="reelsmith.media.stitch"):
        info = stitch(clips, dest, transition="fade", transition_s=0.5)
    assert "1 clips differ from the others' format" in caplog.text
    assert WINDOWED in caplog.text
    assert (info.width, info.height) == (640, 360)
    assert info.duration_s == pytest.approx(6.5, abs=FRAME)
    assert decode_errors(dest) == ""
    # The clip in the common format is still copied; the remuxed one too (nothing re-encoded in it).
    assert psnr(dest, (0, 60), clips[0], (0, 60)) == float("inf")
    assert psnr(dest, (135, 195), foreign["main-no-bframes"], (15, 75)) == float("inf")


def test_clips_no_window_can_be_cut_from_fall_back_saying_why(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # MPEG-4 Part 2, and H.264 in 4:4:4: neither can be copied beside our 4:2:0 H.264 windows.
    encodings = {
        "mpeg4": ["-c:v", "mpeg4", "-q:v", "3"],
        "h264_444": ["-c:v", "libx264", "-pix_fmt", "yuv444p"],
    }
    clips = []
    for name, args in encodings.items():
        clips.append(tmp_path / f"{name}.mp4")
        run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=320x180:r=30:d=2", *args, str(clips[-1])])
    with caplog.at_level(logging.INFO, logger="reelsmith.media.stitch"):
        info = stitch(clips, tmp_path / "x.mp4", transition="fade", transition_s=0.5)
    assert "clip 0: mpeg4 video, not H.264; clip 1: H.264 in yuv444p, not 8-bit 4:2:0" in caplog.text
    assert "full transition re-encode" in caplog.text
    assert info.duration_s == pytest.approx(2 * 2 - 0.5, abs=FRAME)
