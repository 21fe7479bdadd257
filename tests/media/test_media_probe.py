from __future__ import annotations

from pathlib import Path

import pytest

from reelsmith.errors import MediaError
from reelsmith.media.probe import probe


def test_probe_reads_video_and_audio_fields(clip_a: Path) -> None:
    info = probe(clip_a)
    assert info.duration_s == pytest.approx(1.0, abs=1 / 30)
    assert (info.width, info.height, info.fps) == (320, 240, 30.0)
    assert (info.video_codec, info.pix_fmt, info.video_time_base) == ("h264", "yuv420p", "1/15360")
    assert (info.audio_codec, info.sample_rate, info.channels) == ("aac", 48000, 2)
    assert info.has_video and info.has_audio


def test_probe_video_without_audio(clip_odd: Path) -> None:
    info = probe(clip_odd)
    assert info.has_video and not info.has_audio
    assert (info.width, info.height, info.fps) == (256, 256, 25.0)
    assert info.audio_codec is None and info.sample_rate is None and info.channels is None


def test_probe_audio_only(song: Path) -> None:
    info = probe(song)
    assert info.has_audio and not info.has_video
    assert info.duration_s == pytest.approx(3.0, abs=0.05)
    assert (info.width, info.height, info.sample_rate) == (0, 0, 44100)


def test_probe_still_image_has_zero_duration(picture: Path) -> None:
    info = probe(picture)
    assert (info.duration_s, info.width, info.height, info.video_codec) == (0.0, 400, 300, "png")
    assert not info.has_audio


@pytest.mark.parametrize("kind", ["corrupt", "missing", "empty"])
def test_probe_unreadable_file_raises_media_error(kind: str, corrupt: Path, tmp_path: Path) -> None:
    path = {"corrupt": corrupt, "missing": tmp_path / "nope.mp4", "empty": tmp_path / "empty.mp4"}[kind]
    if kind == "empty":
        path.write_bytes(b"")
    with pytest.raises(MediaError) as err:
        probe(path)
    assert str(path) in str(err.value)
    assert "\n" not in str(err.value)
