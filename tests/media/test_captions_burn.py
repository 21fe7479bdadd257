"""Burned-in captions: drawn only where and when the cues say; only the stretches they cover re-encoded."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from reelsmith.media.captions import CaptionStyle, Cue, burn_captions, caption_cues
from reelsmith.media.captions.ass import SafeArea
from reelsmith.media.captions.burn import caption_windows
from reelsmith.media.encode import audio_args, mp4_args, video_args
from reelsmith.media.ffmpeg import ffmpeg_report, run_ffmpeg
from reelsmith.providers.base import WordTiming
from tests.support.foreign_clips import foreign_clip

# A drawn glyph or its outline moves a pixel far more than re-encoding at the house quality does.
DRAWN = 60


def frames(path: Path) -> list[np.ndarray]:
    """Every decoded frame of ``path`` as a luma plane (int16, so differences do not wrap)."""
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="gray").astype(np.int16) for f in container.decode(video=0)]


def video_packets(path: Path) -> list[bytes]:
    with av.open(str(path)) as container:
        return [bytes(p) for p in container.demux(video=0) if p.size]


def audio_packets(path: Path) -> list[bytes]:
    with av.open(str(path)) as container:
        return [bytes(p) for p in container.demux(audio=0) if p.size]


def clip(dest: Path, size: str, seconds: float) -> Path:
    """A softly moving picture with a tone, encoded like Reelsmith's own (a keyframe a second)."""
    run_ffmpeg([
        "-f", "lavfi", "-i", f"gradients=s={size}:r=30:d={seconds}:speed=0.02:seed=3",
        "-f", "lavfi", "-i", f"sine=f=440:r=48000:d={seconds}",
        "-map", "0:v", "-map", "1:a", *audio_args(), *video_args(crf=20), "-t", str(seconds),
        *mp4_args(), str(dest),
    ])  # fmt: skip
    return dest


def cue(text: str, start: float, end: float) -> Cue:
    """One cue of evenly spaced words between ``start`` and ``end``."""
    words = text.split()
    step = (end - start) / len(words)
    timed = tuple(WordTiming(w, start + i * step, start + (i + 1) * step) for i, w in enumerate(words))
    return Cue(start, end, timed)


# In an 8 s clip with a keyframe every second: frames 30-59 and 156-179 carry captions.
CUES = [cue("one two three", 1.0, 2.0), cue("four five", 5.2, 6.0)]


@pytest.fixture(scope="module")
def portrait(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return clip(tmp_path_factory.mktemp("burn") / "portrait.mp4", "360x640", 8.0)


@pytest.fixture(scope="module")
def burned(portrait: Path) -> Path:
    out = portrait.with_name("burned.mp4")
    burn_captions(portrait, CUES, out)
    return out


@pytest.fixture(scope="module")
def pair(portrait: Path, burned: Path) -> tuple[list[np.ndarray], list[np.ndarray]]:
    return frames(portrait), frames(burned)


def drawn(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Where captions were drawn: pixels changed by far more than re-encoding changes them."""
    changed: np.ndarray = np.abs(after - before) > DRAWN
    return changed


def assert_in_caption_area(changed: np.ndarray) -> None:
    """The changed pixels lie in the lower third, inside the safe area's width and above its bottom."""
    height, width = changed.shape
    area = SafeArea.for_size(width, height)
    ys, xs = np.nonzero(changed)
    side = width * (1 - area.width_frac) / 2
    assert len(xs) > 500
    assert ys.min() >= height * 2 / 3
    assert ys.max() <= height * area.bottom_frac
    assert xs.min() >= side
    assert xs.max() <= width - side


def test_only_the_windows_around_cues_are_reencoded(pair: tuple[list[np.ndarray], list[np.ndarray]]) -> None:
    before, after = pair
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if not np.array_equal(a, b)]
    # Each cue's frames widened to the keyframes around them (a keyframe every 30 frames).
    assert set(changed) <= set(range(30, 60)) | set(range(150, 180))
    assert set(changed) >= set(range(30, 60)) | set(range(156, 180))


def test_captions_are_drawn_exactly_on_the_cues_frames(
    pair: tuple[list[np.ndarray], list[np.ndarray]],
) -> None:
    before, after = pair
    shown = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if drawn(a, b).sum() > 200]
    assert shown == list(range(30, 60)) + list(range(156, 180))


def test_captions_stay_in_the_lower_third_inside_the_safe_area(
    pair: tuple[list[np.ndarray], list[np.ndarray]],
) -> None:
    before, after = pair
    assert_in_caption_area(np.logical_or.reduce([drawn(a, b) for a, b in zip(before, after, strict=True)]))


def test_the_output_keeps_every_frame_and_the_audio(portrait: Path, burned: Path) -> None:
    assert len(video_packets(burned)) == len(video_packets(portrait))
    assert audio_packets(burned) == audio_packets(portrait)


def test_the_output_decodes_without_an_error(burned: Path) -> None:
    report = ffmpeg_report(["-v", "error", "-i", str(burned), "-f", "null", "-"])
    assert report.strip() == ""


@pytest.mark.parametrize("size", ["640x360", "360x640", "480x480"])
@pytest.mark.parametrize("style", list(CaptionStyle))
def test_long_words_are_fitted_inside_the_safe_area(tmp_path: Path, size: str, style: CaptionStyle) -> None:
    src = clip(tmp_path / "src.mp4", size, 0.5)
    out = tmp_path / "out.mp4"
    burn_captions(src, [cue("Extraordinarily incomprehensible characteristics", 0.0, 0.5)], out, style=style)
    assert_in_caption_area(drawn(frames(src)[14], frames(out)[14]))


def test_a_foreign_encode_is_cut_at_its_own_keyframes(tmp_path: Path) -> None:
    # x264 at another preset, B-pyramid, a keyframe every 60 frames, 44.1 kHz audio.
    src = foreign_clip(tmp_path / "foreign.mp4", "provider", size="480x270", seconds=4.0)
    out = tmp_path / "out.mp4"
    burn_captions(src, [cue("hello there", 2.5, 3.0)], out)
    before, after = frames(src), frames(out)
    assert len(after) == len(before)
    changed = {i for i, (a, b) in enumerate(zip(before, after, strict=True)) if not np.array_equal(a, b)}
    assert changed <= set(range(60, 120))
    assert drawn(before[80], after[80]).sum() > 200
    assert ffmpeg_report(["-v", "error", "-i", str(out), "-f", "null", "-"]).strip() == ""


def test_a_video_that_cannot_be_cut_is_encoded_whole(tmp_path: Path) -> None:
    src = tmp_path / "mpeg4.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "gradients=s=320x240:r=30:d=2:speed=0.02", "-c:v", "mpeg4", "-q:v", "2",
                "-f", "mp4", str(src)])  # fmt: skip
    out = tmp_path / "out.mp4"
    burn_captions(src, [cue("whole", 0.5, 1.0)], out)
    after = frames(out)
    with av.open(str(out)) as container:
        assert container.streams.video[0].codec_context.name == "h264"
    assert len(after) == len(frames(src))
    assert drawn(frames(src)[20], after[20]).sum() > 200


def test_cues_past_the_end_leave_the_video_as_it_was(tmp_path: Path) -> None:
    src = clip(tmp_path / "src.mp4", "320x240", 1.0)
    out = tmp_path / "out.mp4"
    burn_captions(src, caption_cues([WordTiming("late", 5.0, 5.5)]), out)
    assert out.read_bytes() == src.read_bytes()


def test_windows_reach_the_keyframes_around_each_cue_and_merge_when_they_touch() -> None:
    keys = [0, 30, 60, 90, 120]
    assert caption_windows([(35, 40)], keys, 150) == [(30, 60)]
    assert caption_windows([(35, 40), (55, 70)], keys, 150) == [(30, 90)]
    assert caption_windows([(100, 149)], keys, 150) == [(90, 150)]
    assert caption_windows([(140, 200), (-5, 0)], keys, 150) == [(120, 150)]
