"""The audio track of a windowed stitch: every clip's sound crossfaded at the joins, the soundtrack under it,
levelled to a loudness and encoded once, as a file of its own.

It needs none of the video, so the windowed stitch makes it while the join windows are encoded and then
only copies it into the final file: the AAC encode (the largest single cost of a finish whose windows
were made ahead) is no longer added after the window encodes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from reelsmith.media.encode import audio_args
from reelsmith.media.ffmpeg import ffmpeg_report, run_ffmpeg
from reelsmith.media.filters import num
from reelsmith.media.loudness import METER, levelling_gain
from reelsmith.media.stitch.aac_parts import encode_in_parts, parts_for
from reelsmith.media.stitch.meter import ClipMeter, levelling_from_meters
from reelsmith.media.stitch.normalise import audio_chain
from reelsmith.media.stitch.scan import ClipScan
from reelsmith.media.stitch.soundtrack import SoundtrackMode, soundtrack_chain


@dataclass(frozen=True)
class JoinedAudio:
    """What the joined audio is made of: the clips in order, the frames each join overlaps, the soundtrack."""

    scans: tuple[ClipScan, ...]
    overlap: int  # frames each transition overlaps
    fps: Fraction
    soundtrack: Path | None
    soundtrack_mode: SoundtrackMode
    meters: tuple[ClipMeter, ...] = ()  # every clip's, measured on arrival, or none

    @property
    def length_s(self) -> float:
        """Seconds the joined video lasts: every clip, less one transition per join."""
        frames = sum(s.video_frames for s in self.scans)
        return float(frames / self.fps - (len(self.scans) - 1) * self.overlap / self.fps)

    def graph(self) -> tuple[list[str], list[str], str]:
        """Inputs, filter chains and output label of the whole track (inputs numbered from 0)."""
        fade = num(float(self.overlap / self.fps))
        args: list[str] = []
        chains: list[str] = []
        for n, scan in enumerate(self.scans):
            args += ["-i", str(scan.path)]
            src = f"{n}:a:0" if scan.info.has_audio else None
            chains.append(audio_chain(src, scan.video_duration_s, f"a{n}"))
        current = "a0"
        for n in range(1, len(self.scans)):
            chains.append(f"[{current}][a{n}]acrossfade=d={fade}:c1=tri:c2=tri[x{n}]")
            current = f"x{n}"
        if self.soundtrack is not None:
            args += ["-i", str(self.soundtrack)]
            track = f"{len(self.scans)}:a:0"
            chains.append(soundtrack_chain(current, track, self.length_s, "mix", mode=self.soundtrack_mode))
            current = "mix"
        return args, chains, current


def levelling(audio: JoinedAudio, target_lufs: float) -> str:
    """The gain filter that brings the joined audio to ``target_lufs``: from the clips' meters when every
    clip has one and no soundtrack joins them, else measured on the mix (a pass of its own)."""
    if audio.meters and audio.soundtrack is None:
        durations = [s.video_duration_s for s in audio.scans]
        return levelling_from_meters(audio.meters, durations, float(audio.overlap / audio.fps), target_lufs)
    args, chains, current = audio.graph()
    chains.append(f"[{current}]{METER}[measured]")
    report = ffmpeg_report(
        [*args, "-filter_complex", ";".join(chains), "-map", "[measured]", "-f", "null", "-"],
        timeout_s=60 + audio.length_s,
    )
    _, gain = levelling_gain(report, target_lufs, "the joined audio")
    return f"volume={num(gain)}dB"


def encode_joined_audio(audio: JoinedAudio, dest: Path, target_lufs: float | None) -> Path:
    """Write the joined track to ``dest`` (AAC in MP4), levelled to ``target_lufs`` when given.

    Measuring first and encoding once with the gain was measured faster than mixing once into a WAV
    and reading that twice: the AAC encode dominates either way. A track long enough is encoded in
    parts side by side (`aac_parts`).
    """
    args, chains, current = audio.graph()
    if target_lufs is not None:
        chains.append(f"[{current}]{levelling(audio, target_lufs)}[levelled]")
        current = "levelled"
    parts = parts_for(audio.length_s)
    if parts > 1:
        return encode_in_parts(
            args, chains, current, audio.length_s, dest, parts=parts, timeout_s=120 + audio.length_s
        )
    tmp = dest.with_name(f".{dest.stem}.{os.getpid()}.part.m4a")
    try:
        run_ffmpeg(
            [
                *args, "-filter_complex", ";".join(chains), "-map", f"[{current}]", *audio_args(),
                "-t", num(audio.length_s), "-f", "mp4", str(tmp),
            ],
            timeout_s=120 + audio.length_s,
        )  # fmt: skip
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest
