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
        assert img.format == "JPEG"
        assert img.size == (640, 360)
    assert 3_000 < dest.stat().st_size < 80_000


def test_thumbnail_keeps_small_video_size_and_honours_max_width(clip_a: Path, tmp_path: Path) -> None:
    assert make_thumbnail(clip_a, tmp_path / "t.jpg") == (320, 240)
    assert make_thumbnail(clip_a, tmp_path / "s.jpg", max_width=160) == (160, 120)


def test_thumbnail_of_corrupt_file_raises(corrupt: Path, tmp_path: Path) -> None:
    with pytest.raises(MediaError):
        make_thumbnail(corrupt, tmp_path / "t.jpg")
    assert not (tmp_path / "t.jpg").exists()


def test_thumbnail_prefers_a_sharp_frame_over_a_blurred_middle(tmp_path: Path) -> None:
    from reelsmith.media.ffmpeg import run_ffmpeg
    from reelsmith.media.thumbnail import frames_at, sharpness

    clip = tmp_path / "blurry.mp4"
    # Blurred everywhere except ~1.75 s, a quarter second after the middle.
    run_ffmpeg([
        "-f", "lavfi", "-i", "testsrc2=s=320x180:r=30:d=3",
        "-vf", "boxblur=8:enable='not(between(t,1.68,1.85))'",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(clip),
    ])  # fmt: skip
    dest = tmp_path / "t.jpg"
    make_thumbnail(clip, dest)
    with Image.open(dest) as img:
        chosen = sharpness(img)[0]
    middle = sharpness(frames_at(clip, [1.5])[0][1])[0]
    assert chosen > 3 * middle


def test_preview_is_an_animated_webp(clip_b: Path, tmp_path: Path) -> None:
    from reelsmith.media.preview import make_preview

    dest = make_preview(clip_b, tmp_path / "p.webp", width=160, seconds=1)
    with Image.open(dest) as img:
        assert img.format == "WEBP"
        assert getattr(img, "is_animated", False)
        assert getattr(img, "n_frames", 1) > 5
        assert img.size == (160, 120)
