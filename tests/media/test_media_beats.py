from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from reelsmith.errors import InvalidInput
from reelsmith.media.analysis import analyze_audio, plan_cuts
from reelsmith.media.ffmpeg import run_ffmpeg


def _click_track(dest: Path, bpm: float, first: float, seconds: float) -> Path:
    period = 60 / bpm
    expr = f"sin(2*PI*1000*t)*exp(-80*mod(t-{first}+{period}\\,{period}))*gte(t\\,{first})"
    run_ffmpeg(["-f", "lavfi", "-i", f"aevalsrc='{expr}':s=44100:d={seconds}", "-c:a", "aac", str(dest)])
    return dest


@pytest.mark.parametrize(("bpm", "first"), [(120.0, 0.25), (96.0, 0.4)])
def test_click_track_tempo_and_beats(bpm: float, first: float, tmp_path: Path) -> None:
    result = analyze_audio(_click_track(tmp_path / "click.m4a", bpm, first, 12))
    assert result.tempo_bpm == pytest.approx(bpm, abs=1)
    assert result.duration_s == pytest.approx(12, abs=0.05)
    truth = np.arange(first, 12, 60 / bpm)
    found = np.array(result.beat_times)
    hits = [np.abs(found - t).min() <= 0.030 for t in truth]
    assert np.mean(hits) >= 0.95
    assert len(found) <= len(truth) + 1
    assert result.loudness_lufs is not None


BEATS = [0.5 * k for k in range(1, 40)]


def test_plan_cuts_sums_exactly_and_lands_on_beats() -> None:
    lengths = plan_cuts(BEATS, 20.016, 6, 2.0, 5.0)
    assert len(lengths) == 6
    assert math.fsum(lengths) == pytest.approx(20.016, abs=1e-9)
    assert all(2.0 <= x <= 5.0 for x in lengths)
    edges = np.cumsum(lengths)[:-1]
    assert all(np.abs(np.array(BEATS) - e).min() < 1e-9 for e in edges)


def test_plan_cuts_without_usable_beats_falls_back_to_even_lengths() -> None:
    assert plan_cuts([], 12.0, 4, 1.0, 5.0) == pytest.approx([3.0] * 4)


def test_plan_cuts_rejects_impossible_limits() -> None:
    with pytest.raises(InvalidInput):
        plan_cuts(BEATS, 20.0, 10, 3.0, 4.0)
