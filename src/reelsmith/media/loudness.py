"""EBU R128 loudness: measured with ``ebur128``, normalised by two-pass ``loudnorm`` (linear if possible)."""

from __future__ import annotations

import json
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
_LRA = 11.0
_INTEGRATED = re.compile(r"Integrated loudness:\s*I:\s*(-?[\d.]+|-inf)\s*LUFS", re.S)
_SILENT_LUFS = -70.0  # ebur128's absolute gate: anything quieter reads as silence


def loudness(path: Path) -> float:
    """Integrated loudness (LUFS) of the first audio stream of ``path``, measured by ffmpeg's ebur128."""
    path = Path(path)
    info = probe(path)
    if not info.has_audio:
        raise MediaError(f"no audio stream in {path}")
    report = ffmpeg_report(
        ["-i", str(path), "-map", "0:a:0", "-af", "ebur128=framelog=quiet", "-f", "null", "-"],
        timeout_s=60 + info.duration_s,
    )
    found = _INTEGRATED.findall(report)
    if not found:
        raise MediaError(f"ebur128 reported no loudness for {path}")
    value = found[-1]
    return _SILENT_LUFS if value == "-inf" else max(_SILENT_LUFS, float(value))


def _measure(path: Path, target_lufs: float, duration: float) -> dict[str, str]:
    report = ffmpeg_report(
        [
            "-i", str(path), "-map", "0:a:0",
            "-af", f"loudnorm=I={num(target_lufs)}:TP={num(_TRUE_PEAK_DB)}:LRA={num(_LRA)}:print_format=json",
            "-f", "null", "-",
        ],
        timeout_s=60 + duration,
    )  # fmt: skip
    start = report.rfind("{")
    end = report.rfind("}")
    try:
        measured: dict[str, str] = json.loads(report[start : end + 1])
    except ValueError as e:
        raise MediaError(f"loudnorm measurement of {path} was unreadable") from e
    return measured


def normalise_loudness(src: Path, dest: Path, target_lufs: float = DEFAULT_TARGET_LUFS) -> float:
    """Write ``src`` with its audio at ``target_lufs`` to ``dest`` (video copied); return the input LUFS.

    Pass one measures; pass two applies the measurement so loudnorm can use one linear gain (no pumping)
    whenever the true-peak ceiling allows it.
    """
    src, dest = Path(src), Path(dest)
    info = probe(src)
    if not info.has_audio:
        raise MediaError(f"no audio stream in {src}")
    m = _measure(src, target_lufs, info.duration_s)
    if float(m["input_i"]) <= _SILENT_LUFS:
        raise MediaError(f"{src} is silent; there is no loudness to normalise")
    apply = (
        f"loudnorm=I={num(target_lufs)}:TP={num(_TRUE_PEAK_DB)}:LRA={num(_LRA)}"
        f":measured_I={m['input_i']}:measured_TP={m['input_tp']}:measured_LRA={m['input_lra']}"
        f":measured_thresh={m['input_thresh']}:offset={m['target_offset']}:linear=true,"
        # loudnorm works at 192 kHz internally; bring it back to the delivery rate.
        f"aresample={SAMPLE_RATE}"
    )
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
            ["-i", str(src), *video, "-map", "0:a:0", "-af", apply, *encode, str(tmp)],
            timeout_s=60 + info.duration_s * 2,
        )
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return float(m["input_i"])
