"""A clip's loudness measured when it arrives, so that the stitch after the last clip levels the joined
audio without a pass of its own over it.

EBU R128's integrated loudness is a gated mean over 400 ms blocks taken every 100 ms. ffmpeg's ebur128
logs exactly those blocks (its momentary loudness, every 100 ms), so a clip's blocks are kept with its
asset; the joined track's loudness is then the same gated mean over the blocks of every clip, less the
ones the transitions mix with a neighbour (faded sound of both clips). Leaving those out moves the
result by about a tenth of a unit for 6-8 s clips, and by up to 0.4 for short clips of very unequal
loudness (tests/media/test_media_meter.py). The true peak of the joined track is at most the loudest
clip's: a crossfade's linear fades never add up to more than the louder of its two sides.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reelsmith.media.ffmpeg import ffmpeg_report
from reelsmith.media.filters import num
from reelsmith.media.loudness import ABSOLUTE_GATE_LUFS, METER_BLOCKS, TRUE_PEAK, gain_to
from reelsmith.media.probe import MediaInfo
from reelsmith.media.stitch.normalise import audio_chain

BLOCK_S = 0.4  # one gating block
STEP_S = 0.1  # one block starts every STEP_S
_FLOOR = -120.0  # silence, as a number JSON can hold (ebur128 itself reports -120.7)
_RELATIVE_GATE = 10.0
_MOMENTARY = re.compile(r"\bt:\s*([\d.]+)\s+TARGET:\S+ LUFS\s+M:\s*(-?[\d.]+|-inf)")


@dataclass(frozen=True)
class ClipMeter:
    """A clip's audio as the stitch hears it: the loudness (LUFS) of each block, ending every STEP_S from
    BLOCK_S on, and the true peak (dBTP)."""

    blocks: tuple[float, ...]
    true_peak_db: float

    def to_json(self) -> dict[str, Any]:
        """What the clip's asset keeps."""
        return {"blocks": list(self.blocks), "true_peak_db": self.true_peak_db, "step_s": STEP_S}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> ClipMeter | None:
        """The meter an asset kept; None for none (or one measured another way)."""
        if not data or data.get("step_s") != STEP_S:
            return None
        return cls(tuple(float(b) for b in data["blocks"]), float(data["true_peak_db"]))


def meter_clip(path: Path, info: MediaInfo, video_duration_s: float) -> ClipMeter:
    """Measure the clip's audio as the stitch will use it (48 kHz stereo, as long as its video). A clip
    without audio has no blocks (its silence would be gated out of the joined track's loudness anyway)."""
    if not info.has_audio:
        return ClipMeter((), _FLOOR)
    chain = audio_chain("0:a:0", video_duration_s, "a")
    report = ffmpeg_report(
        ["-i", str(path), "-filter_complex", f"{chain};[a]{METER_BLOCKS}[m]",
         "-map", "[m]", "-f", "null", "-"],
        timeout_s=60 + video_duration_s,
    )  # fmt: skip
    blocks = tuple(
        _level(value) for at, value in _MOMENTARY.findall(report) if float(at) >= BLOCK_S - STEP_S / 2
    )
    peaks = TRUE_PEAK.findall(report)
    return ClipMeter(blocks, _level(peaks[-1]) if peaks else _FLOOR)


def _level(value: str) -> float:
    return _FLOOR if value == "-inf" else max(_FLOOR, float(value))


def joined_loudness(
    meters: Sequence[ClipMeter], durations_s: Sequence[float], overlap_s: float
) -> tuple[float, float]:
    """(integrated loudness, true peak) of the clips joined with transitions of ``overlap_s``.

    Each clip's blocks inside a transition (its first ``overlap_s`` after the first clip, its last before
    the last one) are left out. The peak is a bound: a clip's loudest moment may lie in a faded part.
    """
    kept: list[float] = []
    last = len(meters) - 1
    for i, (meter, duration) in enumerate(zip(meters, durations_s, strict=True)):
        start = overlap_s if i > 0 else 0.0
        end = duration - overlap_s if i < last else duration
        for n, lufs in enumerate(meter.blocks):
            block_end = BLOCK_S + n * STEP_S
            if block_end - BLOCK_S >= start - 1e-6 and block_end <= end + 1e-6:
                kept.append(lufs)
    peak = max((m.true_peak_db for m in meters), default=_FLOOR)
    return _gated(kept), peak


def _gated(blocks: Sequence[float]) -> float:
    """BS.1770's gated mean: blocks over -70 LUFS, then those within 10 LU of their mean."""
    loud = [b for b in blocks if b > ABSOLUTE_GATE_LUFS]
    if not loud:
        return ABSOLUTE_GATE_LUFS
    relative = _lufs(_mean_power(loud)) - _RELATIVE_GATE
    kept = [b for b in loud if b > relative]
    return _lufs(_mean_power(kept))


def _mean_power(blocks: Sequence[float]) -> float:
    return sum(10 ** (b / 10) for b in blocks) / len(blocks)


def _lufs(power: float) -> float:
    return 10 * math.log10(power)


def levelling_from_meters(
    meters: Sequence[ClipMeter], durations_s: Sequence[float], overlap_s: float, target_lufs: float
) -> str:
    """The gain filter that brings the joined clips to ``target_lufs``, from their meters alone."""
    integrated, peak = joined_loudness(meters, durations_s, overlap_s)
    return f"volume={num(gain_to(integrated, peak, target_lufs, 'the joined audio'))}dB"
