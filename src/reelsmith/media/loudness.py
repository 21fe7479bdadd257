"""EBU R128 loudness: measured with ``ebur128``, normalised by one gain that respects the peak ceiling.

A mix is made louder or quieter as a whole, as streaming platforms do: the gain that brings its
integrated loudness to the target, or less when that would push its true peak over the ceiling (then
it stays a little under the target rather than being compressed). ``ebur128`` measures a minute of
audio in ~0.3 s; ``loudnorm``, which resamples to 192 kHz, took several seconds for the same and, on
peaky mixes, compressed them dynamically (even ending quieter than it started).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from reelsmith.errors import MediaError
from reelsmith.media.encode import SAMPLE_RATE, audio_args, mp4_args
from reelsmith.media.ffmpeg import ffmpeg_report, run_ffmpeg
from reelsmith.media.filters import num
from reelsmith.media.probe import probe

DEFAULT_TARGET_LUFS = -14.0  # what the big streaming and social platforms normalise to
_TRUE_PEAK_DB = -1.0
_INTEGRATED = re.compile(r"Integrated loudness:\s*I:\s*(-?[\d.]+|-inf)\s*LUFS", re.S)
TRUE_PEAK = re.compile(r"True peak:\s*Peak:\s*(-?[\d.]+|-inf)\s*dBFS", re.S)
ABSOLUTE_GATE_LUFS = -70.0  # ebur128's absolute gate: anything quieter reads as silence
# The meter that `levelling_gain` reads: integrated loudness and true peak, no per-frame log.
METER = "ebur128=peak=true:framelog=quiet"
# The same meter logging every block's momentary loudness as it goes (what a clip's meter keeps).
METER_BLOCKS = "ebur128=peak=true:framelog=info"


def _ebur128(path: Path, *, true_peak: bool) -> str:
    """ffmpeg's ebur128 summary of the first audio stream of ``path``."""
    info = probe(path)
    if not info.has_audio:
        raise MediaError(f"no audio stream in {path}")
    meter = METER if true_peak else "ebur128=framelog=quiet"
    return ffmpeg_report(
        ["-i", str(path), "-map", "0:a:0", "-af", meter, "-f", "null", "-"],
        timeout_s=60 + info.duration_s,
    )


def _last(pattern: re.Pattern[str], report: str, what: str, path: Path | str) -> float:
    found = pattern.findall(report)
    if not found:
        raise MediaError(f"ebur128 reported no {what} for {path}")
    return float("-inf") if found[-1] == "-inf" else float(found[-1])


def loudness(path: Path) -> float:
    """Integrated loudness (LUFS) of the first audio stream of ``path``, measured by ffmpeg's ebur128."""
    path = Path(path)
    value = _last(_INTEGRATED, _ebur128(path, true_peak=False), "loudness", path)
    return max(ABSOLUTE_GATE_LUFS, value)


def levelling_gain(report: str, target_lufs: float, what: Path | str) -> tuple[float, float]:
    """(input loudness, gain in dB) from an ebur128 report measured with true peak.

    The gain brings the integrated loudness to ``target_lufs``, or stops where the true peak would reach
    the ceiling (-1 dBTP), so a mix with loud peaks may end a little under the target; nothing is
    compressed. A silent mix is an error: there is no loudness to bring anywhere.
    """
    integrated = _last(_INTEGRATED, report, "loudness", what)
    peak = _last(TRUE_PEAK, report, "true peak", what)
    return integrated, gain_to(integrated, peak, target_lufs, what)


def gain_to(integrated: float, true_peak_db: float, target_lufs: float, what: Path | str) -> float:
    """The gain (dB) bringing audio of this loudness and true peak to the target (see `levelling_gain`)."""
    if integrated <= ABSOLUTE_GATE_LUFS:
        raise MediaError(f"{what} is silent; there is no loudness to normalise")
    return min(target_lufs - integrated, _TRUE_PEAK_DB - true_peak_db)


def normalise_loudness(src: Path, dest: Path, target_lufs: float = DEFAULT_TARGET_LUFS) -> float:
    """Write ``src`` with its audio at ``target_lufs`` to ``dest`` (video copied); return the input LUFS."""
    src, dest = Path(src), Path(dest)
    integrated, gain = levelling_gain(_ebur128(src, true_peak=True), target_lufs, src)
    _write_levelled(src, dest, f"volume={num(gain)}dB")
    return integrated


def _write_levelled(src: Path, dest: Path, levelling: str) -> None:
    """Write ``src`` to ``dest`` with the ``levelling`` audio filter applied (video copied)."""
    info = probe(src)
    dest.parent.mkdir(parents=True, exist_ok=True)
    # The temp name keeps the extension so ffmpeg still picks the right container for audio-only outputs.
    tmp = dest.with_name(f".{dest.stem}.{os.getpid()}.part{dest.suffix}")
    if info.has_video or dest.suffix.lower() in (".mp4", ".m4a", ".mov"):
        video = ["-map", "0:v:0", "-c:v", "copy"] if info.has_video else ["-vn"]
        encode = [*audio_args(), *mp4_args()]
    else:
        video, encode = ["-vn"], ["-ar", str(SAMPLE_RATE)]
    try:
        run_ffmpeg(
            ["-i", str(src), *video, "-map", "0:a:0", "-af", levelling, *encode, str(tmp)],
            timeout_s=60 + info.duration_s * 2,
        )
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
