from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import pytest

from reelsmith.media.probe import probe
from reelsmith.media.quality import psnr
from reelsmith.media.stitch import stitch

FRAME = 1 / 30


def _seconds(duration: int | None, time_base: Fraction | None) -> float:
    """A stream's duration in seconds (the container must say both)."""
    assert duration is not None
    assert time_base is not None
    return float(duration * time_base)


def _video_packets(path: Path) -> list[tuple[int, bytes]]:
    """(presentation frame index, bytes) of every coded picture, in decode order."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        time_base = stream.time_base
        assert time_base is not None
        return [
            (round(p.pts * time_base * 30), bytes(p))
            for p in container.demux(stream)
            if p.size and p.pts is not None
        ]


@pytest.mark.parametrize("transition", ["fade", "dissolve", "wipeleft", "slideup"])
def test_windowed_transition_duration_is_exact(
    transition: str, long_clips: list[Path], tmp_path: Path
) -> None:
    dest = tmp_path / "x.mp4"
    info = stitch(long_clips, dest, transition=transition, transition_s=0.4)
    assert info.duration_s == pytest.approx(3 * 2.5 - 2 * 0.4, abs=FRAME)
    with av.open(str(dest)) as container:
        assert sum(1 for _ in container.decode(video=0)) == 3 * 75 - 2 * 12


def _copied(source: list[bytes], output: list[bytes]) -> bool:
    """Every source picture is in the output; keyframes may gain in-band SPS/PPS in front when copied."""
    exact = set(output)
    return all(data in exact or any(o.endswith(data) for o in output) for data in source)


def test_windowed_transition_copies_the_middle_of_each_clip(long_clips: list[Path], tmp_path: Path) -> None:
    dest = tmp_path / "x.mp4"
    stitch(long_clips, dest, transition="fade", transition_s=0.4)
    output = [data for _, data in _video_packets(dest)]
    # Clip 1 is cut at its keyframes at 1 s and 2 s: those GOPs must be in the output byte for byte.
    middle = [data for frame, data in _video_packets(long_clips[1]) if 30 <= frame < 60]
    assert len(middle) == 30
    assert _copied(middle, output)
    # The first clip's second GOP is copied too (its first picture carries encoder info that may change).
    assert _copied([data for frame, data in _video_packets(long_clips[0]) if 30 <= frame < 60], output)


def test_reencoded_windows_stay_transparent_away_from_the_fade(
    long_clips: list[Path], tmp_path: Path
) -> None:
    dest = tmp_path / "x.mp4"
    stitch(long_clips, dest, transition="fade", transition_s=0.4)
    # Output frames 60-62 are clip 0's frames 60-62: re-encoded (join window) but before the fade at 63.
    assert psnr(dest, (60, 63), long_clips[0], (60, 63)) >= 40
    # Output frames 75-92 are clip 1's frames 12-29: after the fade, still inside the window.
    assert psnr(dest, (75, 93), long_clips[1], (12, 30)) >= 40
    # Copied middles are identical.
    assert psnr(dest, (93, 123), long_clips[1], (30, 60)) == float("inf")


def test_windowed_transition_keeps_audio_to_the_frame(long_clips: list[Path], tmp_path: Path) -> None:
    dest = tmp_path / "x.mp4"
    stitch(long_clips, dest, transition="dissolve", transition_s=0.5)
    with av.open(str(dest)) as container:
        audio = container.streams.audio[0]
        audio_s = _seconds(audio.duration, audio.time_base)
    assert audio_s == pytest.approx(7.5 - 1.0, abs=FRAME)


def test_copy_join_copies_aac_and_keeps_sync(clip_a: Path, clip_b: Path, tmp_path: Path) -> None:
    dest = tmp_path / "joined.mp4"
    stitch([clip_a, clip_b, clip_a], dest)
    with av.open(str(dest)) as container:
        audio = container.streams.audio[0]
        audio_s = _seconds(audio.duration, audio.time_base)
        out_packets = {bytes(p) for p in container.demux(audio) if p.size}
    with av.open(str(clip_b)) as container:
        source = [bytes(p) for p in container.demux(audio=0) if p.size]
    # Stream copy: clip b's audio packets (past its priming) appear unchanged.
    assert all(p in out_packets for p in source[2:-2])
    # Never more than half an AAC packet (10.7 ms) away from the video's 3.5 s.
    assert abs(audio_s - 3.5) <= 0.0107
    assert probe(dest).duration_s == pytest.approx(3.5, abs=FRAME)


def test_full_graph_fallback_is_transparent_away_from_the_fade(
    clip_a: Path, clip_odd: Path, tmp_path: Path
) -> None:
    dest = tmp_path / "x.mp4"
    stitch([clip_a, clip_odd], dest, transition="fade", transition_s=0.4)
    assert psnr(dest, (0, 15), clip_a, (0, 15)) >= 40
