"""The house format: recognised without re-encoding, and reached from anyone's clip on arrival."""

from __future__ import annotations

from pathlib import Path

import av
import pytest

from reelsmith.media.ffmpeg import run_ffmpeg
from reelsmith.media.h264 import first_sps
from reelsmith.media.render import RenderSpec, render_clip
from reelsmith.media.stitch.house import in_house_format, to_house_format
from reelsmith.media.stitch.scan import scan_clip
from tests.support.foreign_clips import foreign_clip


def test_the_renderers_clips_are_already_in_the_house_format(tmp_path: Path) -> None:
    clip = tmp_path / "rendered.mp4"
    render_clip(RenderSpec(duration_s=1.0, aspect="16:9", seed=1, headline="House"), clip)
    assert in_house_format(scan_clip(clip))
    assert to_house_format(clip, tmp_path / "again.mp4") is None
    assert not (tmp_path / "again.mp4").exists()


@pytest.mark.parametrize("encoder", ["medium-bframes", "sparse-keyframes"])
def test_a_foreign_clip_is_converted_keeping_its_size_rate_and_length(tmp_path: Path, encoder: str) -> None:
    clip = foreign_clip(tmp_path / "foreign.mp4", encoder, size="640x360", fps=25, seconds=2.0)
    assert not in_house_format(scan_clip(clip))
    info = to_house_format(clip, tmp_path / "house.mp4")
    assert info is not None
    assert (info.width, info.height, info.fps) == (640, 360, 25)
    assert info.duration_s == pytest.approx(2.0, abs=0.04)
    assert (info.audio_codec, info.sample_rate, info.channels) == ("aac", 48000, 2)
    assert in_house_format(scan_clip(tmp_path / "house.mp4"))


def test_non_square_pixels_become_square_at_the_shown_size(tmp_path: Path) -> None:
    # 1440x1080 stored, 4:3 pixels: shown as 1920x1080.
    clip = tmp_path / "anamorphic.mp4"
    run_ffmpeg([
        "-f", "lavfi", "-i", "color=c=white:s=1440x1080:r=30:d=1", "-vf", "setsar=4/3",
        "-c:v", "libx264", "-preset", "ultrafast", str(clip),
    ])  # fmt: skip
    info = to_house_format(clip, tmp_path / "house.mp4")
    assert info is not None
    assert (info.width, info.height) == (1920, 1080)
    sps = first_sps(scan_clip(tmp_path / "house.mp4").signature.video_extradata)
    assert sps is not None
    assert sps.square_pixels
    # Stretched to the full width, not pillarboxed at the stored shape.
    with av.open(str(tmp_path / "house.mp4")) as container:
        picture = next(container.decode(video=0)).to_ndarray(format="gray")
    assert picture[:, :40].min() > 200
