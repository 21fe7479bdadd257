from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from reelsmith.errors import InvalidInput
from reelsmith.media.ffmpeg import run_ffmpeg
from reelsmith.media.render import Cue, burn_captions, write_srt, write_vtt

CUES = [(0.0, 1.5, "Hello there"), Cue(1.5, 3.25, "Second line,\nwith a break"), (3661.0, 3662.5, "late")]


def test_write_srt_format(tmp_path: Path) -> None:
    text = write_srt(CUES, tmp_path / "c.srt").read_text(encoding="utf-8")
    assert text.startswith(
        "1\n00:00:00,000 --> 00:00:01,500\nHello there\n\n2\n00:00:01,500 --> 00:00:03,250\n"
    )
    assert "3\n01:01:01,000 --> 01:01:02,500\nlate\n" in text


def test_write_vtt_format(tmp_path: Path) -> None:
    text = write_vtt(CUES, tmp_path / "c.vtt").read_text(encoding="utf-8")
    assert text.startswith("WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nHello there\n\n")
    assert "00:00:01.500 --> 00:00:03.250\nSecond line,\nwith a break\n" in text


def test_cues_must_run_forwards(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput):
        write_srt([(2.0, 1.0, "backwards")], tmp_path / "c.srt")


@pytest.fixture(scope="session")
def portrait_grey(media_dir: Path) -> Path:
    dest = media_dir / "portrait.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "color=c=0x808080:s=360x640:r=30:d=1", "-c:v", "libx264",
                "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(dest)])  # fmt: skip
    return dest


def _frame(path: Path, index: int) -> np.ndarray:
    with av.open(str(path)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i == index:
                return frame.to_ndarray(format="rgb24").astype(np.int16)
    raise AssertionError("frame not found")


def test_burned_captions_stay_inside_the_9_16_safe_area(portrait_grey: Path, tmp_path: Path) -> None:
    dest = tmp_path / "captioned.mp4"
    long_text = "A very long caption that has to wrap over several lines to fit a phone screen nicely"
    burn_captions(portrait_grey, [(0.0, 1.0, long_text)], dest, aspect="9:16")
    before, after = _frame(portrait_grey, 15), _frame(dest, 15)
    changed = np.abs(after - before).max(axis=2) > 12
    assert changed.sum() > 2000  # the caption is there
    h, w = changed.shape
    assert not changed[round(h * 0.85) :, :].any()  # nothing in the bottom 15 %
    assert not changed[:, : round(w * 0.1)].any()
    assert not changed[:, round(w * 0.9) :].any()


def test_burned_captions_follow_cue_times(portrait_grey: Path, tmp_path: Path) -> None:
    dest = tmp_path / "timed.mp4"
    burn_captions(portrait_grey, [(0.5, 1.0, "Later")], dest)
    assert np.abs(_frame(dest, 3) - _frame(portrait_grey, 3)).max() <= 12
    assert np.abs(_frame(dest, 25) - _frame(portrait_grey, 25)).max() > 100
