from __future__ import annotations

from pathlib import Path

import pytest

from reelsmith.errors import MediaError
from reelsmith.media.probe import probe
from tests.support.media import assert_house_streams


def test_probe_reads_video_and_audio_fields(clip_a: Path) -> None:
    info = probe(clip_a)
    assert info.duration_s == pytest.approx(1.0, abs=1 / 30)
    assert info.width == 320
    assert info.height == 240
    assert_house_streams(info)
    assert info.video_time_base == "1/15360"
    assert info.has_video
    assert info.has_audio


def test_probe_video_without_audio(clip_odd: Path) -> None:
    info = probe(clip_odd)
    assert info.has_video
    assert not info.has_audio
    assert info.width == 256
    assert info.height == 256
    assert info.fps == 25.0
    assert info.audio_codec is None
    assert info.sample_rate is None
    assert info.channels is None


def test_probe_audio_only(song: Path) -> None:
    info = probe(song)
    assert info.has_audio
    assert not info.has_video
    assert info.duration_s == pytest.approx(3.0, abs=0.05)
    assert info.width == 0
    assert info.height == 0
    assert info.sample_rate == 44100


def test_probe_still_image_has_zero_duration(picture: Path) -> None:
    info = probe(picture)
    assert info.duration_s == 0.0
    assert info.width == 400
    assert info.height == 300
    assert info.video_codec == "png"
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
