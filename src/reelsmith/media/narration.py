"""Lay narration over a finished video: each line at its start, the video's own sound ducked under it.

The narration track is built sample-accurately: every line is resampled to the house rate and delayed by
its start in samples (``adelay``), so a line starts on the sample its scene's first frame is shown (plus
whatever breath the caller put before it). The lines are brought to one speaking level first, so quiet
and loud voices duck the video's sound alike. The video's own audio (clip sound and any soundtrack, as
the stitch mixed them) is pulled down by a sidechain compressor keyed by the narration, as the music is
ducked under the clips (``media.stitch.soundtrack``), and the mix is levelled to -14 LUFS.

Levelling: the mix is measured with ebur128 and raised or lowered by one gain, as ``media.loudness``
does, but a fast limiter holds the peaks instead of the gain stopping at the peak ceiling. Speech peaks
far above its loudness (15-20 dB, where music has ~10), so a gain that stopped at the peaks would leave
a narrated video several LU under the target. The lines' peaks are limited as they are set to their
speaking level (to ~12 dB over it), before the mix is measured, so the measurement sees them as they
will sound and the final limiter (-1.5 dBFS) has next to nothing left to take. The video stream is
copied; the audio is encoded once.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reelsmith.errors import InvalidInput
from reelsmith.media.encode import SAMPLE_RATE, audio_args
from reelsmith.media.ffmpeg import ffmpeg_report
from reelsmith.media.filters import num
from reelsmith.media.loudness import DEFAULT_TARGET_LUFS, METER, levelling_gain
from reelsmith.media.stitch.concat import index_room, write_with_index_room
from reelsmith.media.stitch.scan import ClipScan, scan_clip

_FORMAT = f"aformat=sample_fmts=fltp:sample_rates={SAMPLE_RATE}:channel_layouts=stereo"
# Where the lines are set before mixing: 2 LU under the target, so the ducked bed adds little and the
# final gain stays small.
_VOICE_LUFS = DEFAULT_TARGET_LUFS - 2
# A voice at _VOICE_LUFS runs ~15-20 dB above the threshold (-34 dBFS), so the bed is pulled down by
# 13-17 dB while a line is spoken (8:1); a 350 ms release bridges the gaps between words, not sentences.
_DUCK = "sidechaincompress=threshold=0.02:ratio=8:attack=10:release=350:knee=2"
# Speech peaks 15-20 dB over its loudness; held to ~12 dB over the level the lines are set to (-3.5 dBFS),
# the mix needs only ~2 dB more to reach the target and the final limiter has next to nothing to do.
_VOICE_LIMITER = "alimiter=limit=0.67:attack=2:release=50:level=disabled:latency=1"
_SPARE_S = 1.0
# -1.5 dBFS sample peaks keep the true peak under -1 dBTP; latency compensation keeps the lines on time.
_LIMITER = "alimiter=limit=0.84:attack=2:release=50:level=disabled:latency=1"


@dataclass(frozen=True)
class NarrationLine:
    """A scene's speech file and where it starts on the final video's timeline (seconds)."""

    audio: Path
    start_s: float


def scene_starts(durations: Sequence[float], transition_s: float) -> list[float]:
    """Where each scene's first frame is on the joined timeline, each join overlapping by ``transition_s``."""
    if transition_s < 0:
        raise InvalidInput("transition_s", f"must not be negative, not {transition_s}")
    starts: list[float] = []
    at = 0.0
    for i, duration in enumerate(durations):
        if duration <= transition_s or duration <= 0:
            raise InvalidInput("durations", f"scene {i} lasts {duration} s, not longer than the transition")
        starts.append(at)
        at += duration - transition_s
    return starts


def _checked(lines: Sequence[NarrationLine], length_s: float) -> list[NarrationLine]:
    if not lines:
        raise InvalidInput("lines", "at least one narration line is needed")
    for i, line in enumerate(lines):
        if not 0 <= line.start_s < length_s:
            raise InvalidInput(
                "lines", f"line {i} starts at {line.start_s} s, outside the {length_s:g} s video"
            )
        if not Path(line.audio).is_file():
            raise InvalidInput("lines", f"line {i}'s audio {line.audio} does not exist")
    return list(lines)


def _voice_chain(lines: Sequence[NarrationLine], length_s: float, gain_db: float | None, out: str) -> str:
    """The narration (inputs 1..n) into ``[out]``, ``length_s`` long, each line delayed to its sample."""
    chains: list[str] = []
    for n, line in enumerate(lines, start=1):
        delay = round(line.start_s * SAMPLE_RATE)
        # Stamps from the sample count, so a file starting at a non-zero stamp is still delayed exactly.
        chains.append(
            f"[{n}:a:0]aresample={SAMPLE_RATE},{_FORMAT},asetpts=N/SR/TB,adelay=delays={delay}S:all=1[line{n}]"
        )
    labels = "".join(f"[line{n}]" for n in range(1, len(lines) + 1))
    mixed = (
        f"{labels}amix=inputs={len(lines)}:duration=longest:normalize=0," if len(lines) > 1 else f"{labels}"
    )
    level = f"volume={num(gain_db)}dB,{_VOICE_LIMITER}," if gain_db is not None else ""
    chains.append(f"{mixed}{level}apad=whole_dur={num(length_s)},atrim=duration={num(length_s)}[{out}]")
    return ";".join(chains)


def _mix_graph(scan: ClipScan, lines: Sequence[NarrationLine], voice_gain_db: float, out: str) -> str:
    """The voice over the video's own audio (input 0), ducked by it, into ``[out]``, as long as the video."""
    length = scan.video_duration_s
    # sidechaincompress ends its output as soon as either input ends, dropping whatever it holds of the
    # other (tens of milliseconds, varying from run to run); both inputs therefore run a second past the
    # video, and the ducked sound is cut to length after it.
    voice = _voice_chain(lines, length + _SPARE_S, voice_gain_db, "voice")
    if scan.info.has_audio:
        bed = f"[0:a:0]aresample={SAMPLE_RATE},{_FORMAT},asetpts=N/SR/TB,"
    else:
        bed = f"anullsrc=r={SAMPLE_RATE}:cl=stereo,"
    bed += f"apad=whole_dur={num(length + _SPARE_S)},atrim=duration={num(length + _SPARE_S)}[bed]"
    cut = f"atrim=duration={num(length)}"
    return (
        f"{voice};{bed};[voice]asplit[voiced][key];[bed][key]{_DUCK},{cut}[ducked];[voiced]{cut}[spoken];"
        f"[ducked][spoken]amix=inputs=2:duration=longest:normalize=0[{out}]"
    )


def _measure(inputs: Sequence[str], graph: str, label: str, what: str, length_s: float) -> float:
    """Integrated loudness (LUFS) of ``[label]`` in ``graph``; MediaError when it is silent."""
    report = ffmpeg_report(
        [
            *inputs,
            "-filter_complex",
            f"{graph};[{label}]{METER}[measured]",
            "-map",
            "[measured]",
            "-f",
            "null",
            "-",
        ],
        timeout_s=60 + length_s,
    )
    integrated, _ = levelling_gain(report, DEFAULT_TARGET_LUFS, what)
    return integrated


def mix_narration(video: Path, lines: Sequence[NarrationLine], out: Path) -> None:
    """Write ``video`` to ``out`` (atomically), ``lines`` spoken over its ducked audio, levelled to -14 LUFS.

    The video stream is copied; the audio lasts exactly as long as the video. A line running past the
    end of the video is cut there.
    """
    video, out = Path(video), Path(out)
    scan = scan_clip(video)
    length = scan.video_duration_s
    lines = _checked(lines, length)
    inputs = ["-i", str(video)]
    for line in lines:
        inputs += ["-i", str(line.audio)]
    spoken = _measure(inputs, _voice_chain(lines, length, None, "voice"), "voice", "the narration", length)
    voice_gain = _VOICE_LUFS - spoken
    mix = _mix_graph(scan, lines, voice_gain, "mix")
    mixed = _measure(inputs, mix, "mix", "the narrated mix", length)
    graph = f"{mix};[mix]volume={num(DEFAULT_TARGET_LUFS - mixed)}dB,{_LIMITER}[audio]"
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.{os.getpid()}.part")
    args = [
        *inputs, "-filter_complex", graph, "-map", "0:v:0", "-c:v", "copy", "-map", "[audio]",
        *audio_args(), "-t", num(length), "-map_metadata", "0",
    ]  # fmt: skip
    # Room for the index up front (video samples and AAC packets), sparing a second pass over the file.
    room = index_room(scan.video_frames + round(length * SAMPLE_RATE / 1024) + 8)
    try:
        write_with_index_room(args, partial, room, timeout_s=60 + length * 2)
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
