"""Clips metered on arrival: the joined track's loudness from their blocks agrees with a pass over the
joined audio, and a windowed stitch levels by them to the target."""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path

import pytest

from reelsmith.errors import MediaError
from reelsmith.media.ffmpeg import ffmpeg_report, run_ffmpeg
from reelsmith.media.loudness import METER, loudness
from reelsmith.media.stitch import stitch
from reelsmith.media.stitch.joined_audio import JoinedAudio, levelling
from reelsmith.media.stitch.meter import ClipMeter, joined_loudness, meter_clip
from reelsmith.media.stitch.scan import scan_clip
from reelsmith.media.stitch.soundtrack import SoundtrackMode

# Sources unlike one another: a soft tone, quiet noise, a loud tone and pink noise (other encoder
# settings than ours: 44.1 kHz mono AAC, x264 ultrafast with its default keyframes).
SOUNDS = ("sine=f=330,volume=2", "anoisesrc=a=0.05", "sine=f=880,volume=6", "anoisesrc=c=pink:a=0.2")


@pytest.fixture(scope="module")
def uneven_clips(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("meter")
    clips = []
    for n, sound in enumerate(SOUNDS):
        dest = folder / f"uneven{n}.mp4"
        run_ffmpeg([
            "-f", "lavfi", "-i", f"testsrc2=s=320x240:r=30:d=4,hue=h={40 * n}",
            "-f", "lavfi", "-i", f"{sound}:d=4" if "noise" in sound else f"{sound.replace(',', ':d=4,', 1)}",
            "-c:v", "libx264", "-preset", "ultrafast", "-g", "30", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-ar", "44100", "-ac", "1", "-t", "4", str(dest),
        ])  # fmt: skip
        clips.append(dest)
    return clips


def _measured(clips: list[Path], overlap_frames: int) -> tuple[float, float]:
    """(integrated loudness, true peak) of the joined audio, measured by a pass over it."""
    scans = tuple(scan_clip(c) for c in clips)
    audio = JoinedAudio(scans, overlap_frames, scans[0].fps, None, SoundtrackMode.MIX)
    args, chains, current = audio.graph()
    chains.append(f"[{current}]{METER}[m]")
    report = ffmpeg_report([*args, "-filter_complex", ";".join(chains), "-map", "[m]", "-f", "null", "-"])
    integrated = float(re.findall(r"I:\s+(-?[\d.]+) LUFS", report)[-1])
    peak = float(re.findall(r"Peak:\s+(-?[\d.]+) dBFS", report)[-1])
    return integrated, peak


def _meters(clips: list[Path]) -> list[ClipMeter]:
    scans = [scan_clip(c) for c in clips]
    return [meter_clip(s.path, s.info, s.video_duration_s) for s in scans]


def test_the_joined_loudness_from_the_clips_meters_matches_a_pass_over_the_mix(
    uneven_clips: list[Path],
) -> None:
    meters = _meters(uneven_clips)
    assert all(len(m.blocks) == 37 for m in meters)  # 4 s: blocks ending at 0.4, 0.5, ... 4.0 s
    durations = [scan_clip(c).video_duration_s for c in uneven_clips]

    estimated, bound = joined_loudness(meters, durations, 0.5)
    integrated, peak = _measured(uneven_clips, 15)

    # Within half a unit (EBU R128's own tolerance): the fades, left out, are what differs. Clips this
    # short and this unlike each other are the hard case; 8 s clips differ by about a tenth.
    assert estimated == pytest.approx(integrated, abs=0.5)
    assert bound >= peak - 0.1  # never under the real peak: the gain can never push it past the ceiling


def test_a_clip_without_audio_adds_no_blocks(silent_long_clip: Path, uneven_clips: list[Path]) -> None:
    (silent,) = _meters([silent_long_clip])
    assert silent.blocks == ()
    meters = _meters(uneven_clips[:2])
    with_silence, _ = joined_loudness([meters[0], silent, meters[1]], [4.0, 2.5, 4.0], 0.5)
    without, _ = joined_loudness(meters, [4.0, 4.0], 0.5)
    assert with_silence == pytest.approx(without, abs=0.01)


def test_a_meter_survives_its_trip_through_the_database(uneven_clips: list[Path]) -> None:
    (meter,) = _meters(uneven_clips[:1])
    kept = meter.to_json()
    assert all(math.isfinite(b) for b in kept["blocks"])  # JSON (and PostgreSQL) hold no infinities
    assert ClipMeter.from_json(kept) == meter
    assert ClipMeter.from_json(None) is None
    assert ClipMeter.from_json({**kept, "step_s": 0.2}) is None  # measured another way: measure again


def test_a_windowed_stitch_levels_by_the_meters_to_the_target(
    uneven_clips: list[Path], tmp_path: Path
) -> None:
    dest = tmp_path / "levelled.mp4"
    stitch(
        uneven_clips,
        dest,
        transition="fade",
        transition_s=0.5,
        target_lufs=-14.0,
        meters=_meters(uneven_clips),
    )
    assert loudness(dest) == pytest.approx(-14.0, abs=0.5)


def test_meters_for_only_some_clips_fall_back_to_measuring(uneven_clips: list[Path], tmp_path: Path) -> None:
    # A clip stored before clips were metered has none: the stitch then measures the mix as before.
    partial = [*_meters(uneven_clips[:2]), None, None]
    dest = tmp_path / "measured.mp4"
    stitch(uneven_clips, dest, transition="fade", transition_s=0.5, target_lufs=-14.0, meters=partial)
    assert loudness(dest) == pytest.approx(-14.0, abs=0.5)


def test_with_every_clip_metered_levelling_reads_no_audio(uneven_clips: list[Path], tmp_path: Path) -> None:
    # The scans point at files that are gone by the time the gain is worked out: only the meters can
    # give it. Without them the same levelling has to read the audio, and fails.
    scans = [scan_clip(c) for c in uneven_clips]
    meters = tuple(meter_clip(s.path, s.info, s.video_duration_s) for s in scans)
    gone = tuple(dataclasses.replace(s, path=tmp_path / f"gone{n}.mp4") for n, s in enumerate(scans))

    metered = JoinedAudio(gone, 15, scans[0].fps, None, SoundtrackMode.MIX, meters)
    gain = float(re.fullmatch(r"volume=(-?[\d.]+)dB", levelling(metered, -14.0))[1])  # type: ignore[index]
    integrated, _ = joined_loudness(meters, [s.video_duration_s for s in scans], 0.5)
    assert gain == pytest.approx(-14.0 - integrated, abs=0.01)

    with pytest.raises(MediaError):
        levelling(dataclasses.replace(metered, meters=()), -14.0)
