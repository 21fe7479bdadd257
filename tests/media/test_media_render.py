from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from reelsmith.errors import InvalidInput, MediaError
from reelsmith.media.probe import probe
from reelsmith.media.render import ASPECT_SIZES, RenderSpec, StillSpec, render_clip, render_still
from reelsmith.media.stitch import stitch
from reelsmith.vocabulary import AspectRatio
from tests.support.media import assert_house_streams


def _middle_frame(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    return frames[len(frames) // 2].astype(np.int16)


@pytest.mark.parametrize("aspect", sorted(ASPECT_SIZES))
def test_render_clip_format(aspect: str, tmp_path: Path) -> None:
    dest = tmp_path / "clip.mp4"
    render_clip(
        RenderSpec(duration_s=1.2, aspect=aspect, seed=1, headline="Hello there", caption="Title"), dest
    )
    info = probe(dest)
    assert (info.width, info.height) == ASPECT_SIZES[AspectRatio(aspect)]
    assert info.duration_s == pytest.approx(1.2, abs=1 / 30)
    assert_house_streams(info)
    assert info.video_time_base == "1/15360"
    with av.open(str(dest)) as container:
        assert container.streams.video[0].codec_context.profile == "High"
        assert sum(1 for _ in container.decode(video=0)) == 36


def test_different_seeds_look_different(tmp_path: Path) -> None:
    a, b = tmp_path / "a.mp4", tmp_path / "b.mp4"
    render_clip(RenderSpec(duration_s=1.0, aspect="16:9", seed=0, headline="Same words"), a)
    render_clip(RenderSpec(duration_s=1.0, aspect="16:9", seed=1, headline="Same words"), b)
    assert np.abs(_middle_frame(a) - _middle_frame(b)).mean() > 12


def test_render_moves_between_first_and_last_frame(tmp_path: Path) -> None:
    dest = tmp_path / "m.mp4"
    render_clip(RenderSpec(duration_s=1.0, aspect="1:1", seed=4, camera="pan left"), dest)
    with av.open(str(dest)) as container:
        frames = [f.to_ndarray(format="rgb24").astype(np.int16) for f in container.decode(video=0)]
    assert np.abs(frames[0] - frames[-1]).mean() > 1


def test_render_over_an_image(picture: Path, tmp_path: Path) -> None:
    dest = tmp_path / "img.mp4"
    spec = RenderSpec(
        duration_s=1.0,
        aspect="9:16",
        seed=2,
        headline="Look closer",
        images=(picture,),
        camera="slow push-in",
    )
    render_clip(spec, dest)
    info = probe(dest)
    assert (info.width, info.height) == (720, 1280)
    assert info.duration_s == pytest.approx(1.0, abs=1 / 30)


def test_render_several_images_cross_fades(picture: Path, tmp_path: Path) -> None:
    dest = tmp_path / "imgs.mp4"
    render_clip(RenderSpec(duration_s=2.0, aspect="16:9", seed=2, images=(picture, picture)), dest)
    assert probe(dest).duration_s == pytest.approx(2.0, abs=1 / 30)


@pytest.mark.parametrize(
    "text",
    [
        'It\'s "50% off": today only!',
        "Colons: semi; commas, [brackets] \\backslash\\ %{pts} 100%",
        "Ünïcödé — “quotes” ‘and’ emoji-free ✓",  # noqa: RUF001
        "A very long headline that keeps going and going well past what one line can hold on a phone",
    ],
)
def test_special_text_renders(text: str, tmp_path: Path) -> None:
    dest = tmp_path / "t.mp4"
    render_clip(RenderSpec(duration_s=0.5, aspect="9:16", seed=5, headline=text, caption=text), dest)
    assert probe(dest).has_video


def test_rendered_clips_stitch_by_stream_copy(tmp_path: Path) -> None:
    clips = [tmp_path / f"s{i}.mp4" for i in range(2)]
    for i, clip in enumerate(clips):
        render_clip(
            RenderSpec(
                duration_s=1.0, aspect="16:9", seed=i, headline=f"Scene {i}", scene_index=i, scene_count=2
            ),
            clip,
        )
    info = stitch(clips, tmp_path / "final.mp4")
    assert info.duration_s == pytest.approx(2.0, abs=1 / 30)


@pytest.mark.parametrize(
    ("spec", "error"),
    [
        (RenderSpec(duration_s=1.0, aspect="4:3", seed=0), InvalidInput),
        (RenderSpec(duration_s=0.0, aspect="16:9", seed=0), InvalidInput),
        (RenderSpec(duration_s=1.0, aspect="16:9", seed=0, images=(Path("/nonexistent.png"),)), MediaError),
    ],
)
def test_render_rejects_bad_specs(spec: RenderSpec, error: type[Exception], tmp_path: Path) -> None:
    with pytest.raises(error):
        render_clip(spec, tmp_path / "x.mp4")
    assert not (tmp_path / "x.mp4").exists()


@pytest.mark.parametrize("aspect", sorted(ASPECT_SIZES))
def test_render_still_art(aspect: str, tmp_path: Path) -> None:
    dest = tmp_path / "card.png"
    size = render_still(StillSpec(aspect=aspect, seed=3, headline="Meet Mara", caption="Character"), dest)
    assert size == ASPECT_SIZES[AspectRatio(aspect)]
    with Image.open(dest) as img:
        assert img.format == "PNG"
        assert img.size == size


def test_render_still_with_image(picture: Path, tmp_path: Path) -> None:
    dest = tmp_path / "card.png"
    assert render_still(StillSpec(aspect="1:1", seed=1, headline="Ref", images=(picture,)), dest) == (
        720,
        720,
    )
