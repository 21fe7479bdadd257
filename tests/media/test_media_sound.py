from __future__ import annotations

import logging
import re
from pathlib import Path

import av
import numpy as np
import pytest

from reelsmith.errors import InvalidInput
from reelsmith.media.ffmpeg import ffmpeg_report, run_ffmpeg
from reelsmith.media.loudness import loudness, normalise_loudness
from reelsmith.media.probe import probe
from reelsmith.media.stitch import SoundtrackMode, stitch
from reelsmith.media.stitch.soundtrack import soundtrack_chain, soundtrack_mode


def _tone_level_db(path: Path, freq: float, start: float, end: float) -> float:
    """Level (dB) of one frequency in a time window of the first channel, by correlation with a sinusoid."""
    with av.open(str(path)) as container:
        rate = container.streams.audio[0].rate
        samples = np.concatenate([f.to_ndarray()[0] for f in container.decode(audio=0)])
    window = samples[int(start * rate) : int(end * rate)].astype(np.float64)
    t = np.arange(len(window)) / rate
    amplitude = 2 * abs(np.mean(window * np.exp(-2j * np.pi * freq * t)))
    return float(20 * np.log10(amplitude + 1e-12))


@pytest.fixture(scope="session")
def quiet_clip(media_dir: Path) -> Path:
    dest = media_dir / "quiet.mp4"
    run_ffmpeg([
        "-f", "lavfi", "-i", "testsrc2=s=160x120:r=30:d=4", "-f", "lavfi",
        "-i", "sine=f=330:r=48000:d=4,volume=0.3", "-c:v", "libx264", "-preset", "ultrafast",
        "-c:a", "aac", "-shortest", str(dest),
    ])  # fmt: skip
    return dest


def test_normalise_loudness_hits_minus_14_lufs(quiet_clip: Path, tmp_path: Path) -> None:
    dest = tmp_path / "loud.mp4"
    before = normalise_loudness(quiet_clip, dest)
    assert before < -20
    assert loudness(dest) == pytest.approx(-14.0, abs=1.0)
    assert probe(dest).has_video


def _true_peak_dbfs(path: Path) -> float:
    """The true peak of ``path``'s audio as ffmpeg's ebur128 measures it."""
    report = ffmpeg_report(["-i", str(path), "-af", "ebur128=peak=true:framelog=quiet", "-f", "null", "-"])
    return float(re.findall(r"True peak:\s*Peak:\s*(-?[\d.]+)", report, re.S)[-1])


def test_a_quiet_mix_with_loud_peaks_is_levelled_under_the_peak_ceiling(tmp_path: Path) -> None:
    # A soft tone with a loud click every second: one gain up to -14 LUFS would clip the clicks.
    peaky = tmp_path / "peaky.m4a"
    run_ffmpeg([
        "-f", "lavfi", "-i", "sine=f=330:r=48000:d=6,volume=0.02",
        "-f", "lavfi", "-i", "aevalsrc='0.9*lt(mod(t\\,1)\\,0.004)':s=48000:d=6",
        "-filter_complex", "[0][1]amix=inputs=2:normalize=0", "-c:a", "aac", "-b:a", "192k", str(peaky),
    ])  # fmt: skip
    before = loudness(peaky)
    assert _true_peak_dbfs(peaky) + (-14.0 - before) > -1.0  # a plain gain would pass the ceiling
    dest = tmp_path / "levelled.m4a"
    normalise_loudness(peaky, dest)
    # As loud as the ceiling lets it: the gain is the headroom, not the distance to the target.
    headroom = -1.0 - _true_peak_dbfs(peaky)
    assert loudness(dest) == pytest.approx(before + headroom, abs=0.5)
    assert _true_peak_dbfs(dest) <= -0.5


def test_stitch_target_lufs_levels_the_result(long_clips: list[Path], tmp_path: Path) -> None:
    info = stitch(long_clips[:2], tmp_path / "x.mp4", target_lufs=-14.0)
    assert loudness(tmp_path / "x.mp4") == pytest.approx(-14.0, abs=1.0)
    assert info.duration_s == pytest.approx(5.0, abs=1 / 30)


def test_ducking_lowers_music_under_clip_audio(
    silent_long_clip: Path, long_clips: list[Path], long_song: Path, tmp_path: Path
) -> None:
    dest = tmp_path / "ducked.mp4"
    stitch([silent_long_clip, long_clips[0]], dest, audio=long_song, duck=True)
    alone = _tone_level_db(dest, 220, 0.5, 2.0)  # first clip is silent: the music plays on its own
    under = _tone_level_db(dest, 220, 3.0, 3.9)  # second clip has its 440 Hz tone: music ducks
    assert alone - under >= 6
    assert _tone_level_db(dest, 440, 3.0, 3.9) > under  # the clip's own sound stays on top


def test_replace_audio_drops_clip_sound_and_fades_out(
    long_clips: list[Path], long_song: Path, tmp_path: Path
) -> None:
    dest = tmp_path / "song.mp4"
    info = stitch(long_clips[:2], dest, audio=long_song, replace_audio=True)
    assert info.duration_s == pytest.approx(5.0, abs=1 / 30)
    assert _tone_level_db(dest, 440, 1.0, 2.0) < _tone_level_db(dest, 220, 1.0, 2.0) - 30
    assert _tone_level_db(dest, 220, 4.8, 4.95) < _tone_level_db(dest, 220, 1.0, 2.0) - 12


def test_duck_needs_a_soundtrack(clip_a: Path, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput):
        stitch([clip_a], tmp_path / "x.mp4", duck=True)


@pytest.mark.parametrize(
    ("duck", "replace_audio", "mode"),
    [
        (False, False, SoundtrackMode.MIX),
        (True, False, SoundtrackMode.DUCK),
        (False, True, SoundtrackMode.REPLACE),
    ],
)
def test_stitch_flags_name_one_soundtrack_mode(duck: bool, replace_audio: bool, mode: SoundtrackMode) -> None:
    assert soundtrack_mode(duck=duck, replace_audio=replace_audio) is mode


def test_duck_and_replace_together_are_refused() -> None:
    with pytest.raises(InvalidInput):
        soundtrack_mode(duck=True, replace_audio=True)


@pytest.mark.parametrize("mode", [*SoundtrackMode, "duck"])
def test_soundtrack_chain_takes_members_and_plain_names(mode: str) -> None:
    assert soundtrack_chain("0:a", "1:a", 2.0, "out", mode=mode).endswith("[out]")


def test_soundtrack_chain_refuses_an_unknown_mode() -> None:
    with pytest.raises(InvalidInput):
        soundtrack_chain("0:a", "1:a", 2.0, "out", mode="shout")


def test_a_windowed_stitch_levels_its_mix_without_a_second_pass(
    long_clips: list[Path], long_song: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    dest = tmp_path / "x.mp4"
    with caplog.at_level(logging.DEBUG, logger="reelsmith.media.ffmpeg"):
        stitch(long_clips, dest, transition="fade", transition_s=0.4, audio=long_song, target_lufs=-14.0)
    assert loudness(dest) == pytest.approx(-14.0, abs=1.0)
    runs = [r.getMessage() for r in caplog.records if r.getMessage().startswith("ffmpeg ")]
    # The gain goes into the one encode of the audio track (made beside the window encodes), which the
    # mux copies; no run writes the finished video a second time to level it.
    assert any("volume=" in run and ".m4a" in run and "-f concat" not in run for run in runs)
    muxes = [run for run in runs if "-f concat" in run]
    assert len(muxes) == 1
    assert "-c:a copy" in muxes[0]
    assert not any("levelled.mp4" in run for run in runs)
