"""Bring clips to one target format (size, frame rate, pixel format, audio layout) so they can be joined."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from reelsmith.media.encode import (
    REENCODE_CRF,
    SAMPLE_RATE,
    audio_args,
    fps_fraction,
    mp4_args,
    timescale_for,
    video_args,
)
from reelsmith.media.ffmpeg import run_ffmpeg
from reelsmith.media.filters import num
from reelsmith.media.probe import MediaInfo

_AUDIO_FORMAT = f"aformat=sample_fmts=fltp:sample_rates={SAMPLE_RATE}:channel_layouts=stereo"


@dataclass(frozen=True)
class Target:
    """The format every clip is brought to: the first clip's frame size and rate, H.264/AAC stereo 48 kHz."""

    width: int
    height: int
    fps: Fraction
    timescale: int

    @classmethod
    def from_first(cls, info: MediaInfo) -> Target:
        """Target taken from the first clip (its time base is kept when it is already an MP4 timescale)."""
        fps = fps_fraction(info.fps or 30.0)
        timescale = timescale_for(fps)
        if info.video_time_base and info.video_time_base.startswith("1/"):
            timescale = int(info.video_time_base[2:])
        width, height = info.width - info.width % 2, info.height - info.height % 2
        return cls(width, height, fps, timescale)

    @property
    def time_base(self) -> str:
        """The video time base clips in this target carry, as PyAV prints it."""
        return f"1/{self.timescale}"


def video_chain(target: Target, src: str, duration: float, out: str) -> str:
    """Filters fitting ``[src]`` to the target frame (aspect kept, padded) and rate, lasting ``duration``."""
    w, h = target.width, target.height
    return (
        # Square the pixels first: the fitting scale below reads only the stored width and height, so a
        # clip with non-square pixels would otherwise be shown at its stored (narrower) shape.
        f"[{src}]scale='trunc(iw*sar/2)*2':ih,setsar=1,"
        f"scale={w}:{h}:force_original_aspect_ratio=decrease:out_color_matrix=bt709:out_range=tv,"
        f"pad={w}:{h}:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1,fps={target.fps},format=yuv420p,"
        # Pad by repeating the last frame, then cut: every clip then lasts exactly its probed duration.
        f"tpad=stop_mode=clone:stop_duration=1,trim=duration={num(duration)},setpts=PTS-STARTPTS[{out}]"
    )


def audio_chain(src: str | None, duration: float, out: str) -> str:
    """Filters giving stereo 48 kHz audio of exactly ``duration`` from ``[src]``, or silence when None."""
    if src is None:
        return f"anullsrc=r={SAMPLE_RATE}:cl=stereo,atrim=duration={num(duration)},{_AUDIO_FORMAT}[{out}]"
    return (
        f"[{src}]aresample={SAMPLE_RATE},{_AUDIO_FORMAT},apad=whole_dur={num(duration)},"
        f"atrim=duration={num(duration)},asetpts=PTS-STARTPTS[{out}]"
    )


def normalise_clip(clip: Path, info: MediaInfo, target: Target, dest: Path) -> None:
    """Re-encode ``clip`` into the target format at ``dest`` (near-transparent, ``REENCODE_CRF``)."""
    encode_span(clip, target, dest, duration_s=info.duration_s, has_audio=info.has_audio)


def encode_span(
    clip: Path,
    target: Target,
    dest: Path,
    *,
    duration_s: float,
    has_audio: bool,
    start_s: float = 0.0,
    video_filters: Sequence[str] = (),
    hold_s: float = 0.0,
) -> None:
    """Re-encode ``duration_s`` of ``clip`` from ``start_s`` into the target format at ``dest``.

    ``video_filters`` run on the fitted picture (text drawn on it, say); ``hold_s`` holds the last frame
    (over silence) that much longer.
    """
    held = [f"tpad=stop_mode=clone:stop_duration={num(hold_s)}"] if hold_s > 0 else []
    extra = [*video_filters, *held]
    fitted = "fit" if extra else "v"
    chains = [video_chain(target, "0:v", duration_s, fitted)]
    if extra:
        chains.append(f"[fit]{','.join([*extra, 'format=yuv420p'])}[v]")
    chains.append(audio_chain("0:a" if has_audio else None, duration_s + hold_s, "a"))
    seek = ["-ss", num(start_s), "-t", num(duration_s)] if start_s > 0 else []
    length = duration_s + hold_s
    run_ffmpeg(
        [
            *seek, "-i", str(clip), "-filter_complex", ";".join(chains), "-map", "[v]", "-map", "[a]",
            *video_args(crf=REENCODE_CRF, fps=target.fps, timescale=target.timescale), *audio_args(),
            "-t", num(length), *mp4_args(), str(dest),
        ],
        timeout_s=60 + length * 10,
    )  # fmt: skip
