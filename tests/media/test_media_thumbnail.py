from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from reelsmith.errors import MediaError
from reelsmith.media.render import RenderSpec, render_clip
from reelsmith.media.thumbnail import make_thumbnail


def test_thumbnail_of_720p_is_640_wide_jpeg(tmp_path: Path) -> None:
    clip = tmp_path / "scene.mp4"
    render_clip(RenderSpec(duration_s=1.0, aspect="16:9", seed=3, headline="Thumb"), clip)
    dest = tmp_path / "thumb.jpg"
    assert make_thumbnail(clip, dest) == (640, 360)
    with Image.open(dest) as img:
        assert img.format == "JPEG" and img.size == (640, 360)
    assert 3_000 < dest.stat().st_size < 80_000


def test_thumbnail_keeps_small_video_size_and_honours_max_width(clip_a: Path, tmp_path: Path) -> None:
    assert make_thumbnail(clip_a, tmp_path / "t.jpg") == (320, 240)
    assert make_thumbnail(clip_a, tmp_path / "s.jpg", max_width=160) == (160, 120)


def test_thumbnail_of_corrupt_file_raises(corrupt: Path, tmp_path: Path) -> None:
    with pytest.raises(MediaError):
        make_thumbnail(corrupt, tmp_path / "t.jpg")
    assert not (tmp_path / "t.jpg").exists()
