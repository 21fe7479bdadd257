"""Cross-fade transitions between clips: one filter graph with xfade and acrossfade, fully re-encoded."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from reelsmith.media.encode import audio_args, mp4_args, video_args
from reelsmith.media.ffmpeg import run_ffmpeg
from reelsmith.media.filters import num
from reelsmith.media.normalise import NORMALISE_CRF, Target, audio_chain, video_chain
from reelsmith.media.probe import MediaInfo
from reelsmith.media.soundtrack import soundtrack_chain

TRANSITIONS: tuple[str, ...] = ("none", "fade", "dissolve", "wipeleft", "slideup")


def crossfade(
    clips: Sequence[Path],
    infos: Sequence[MediaInfo],
    transition: str,
    transition_s: float,
    soundtrack: Path | None,
    out: Path,
) -> None:
    """Join clips with ``transition`` of ``transition_s``; total = sum of durations - (n-1) * transition_s."""
    target = Target.from_first(infos[0])
    chains: list[str] = []
    for i, info in enumerate(infos):
        chains.append(video_chain(target, f"{i}:v:0", info.duration_s, f"v{i}"))
        chains.append(audio_chain(f"{i}:a:0" if info.has_audio else None, info.duration_s, f"a{i}"))
    video, audio, length = "v0", "a0", infos[0].duration_s
    for i in range(1, len(infos)):
        last = i == len(infos) - 1
        v_out, a_out = ("vout" if last else f"vx{i}"), ("aout" if last else f"ax{i}")
        # xfade starts the transition `transition_s` before the end of what has been joined so far.
        chains.append(
            f"[{video}][v{i}]xfade=transition={transition}:duration={num(transition_s)}"
            f":offset={num(length - transition_s)}[{v_out}]"
        )
        chains.append(f"[{audio}][a{i}]acrossfade=d={num(transition_s)}:c1=tri:c2=tri[{a_out}]")
        video, audio, length = v_out, a_out, length + infos[i].duration_s - transition_s
    inputs: list[str] = []
    for clip in clips:
        inputs += ["-i", str(clip)]
    if soundtrack is not None:
        inputs += ["-i", str(soundtrack)]
        chains.append(soundtrack_chain("aout", f"{len(clips)}:a:0", length, "amix"))
        audio_label = "amix"
    else:
        audio_label = "aout"
    run_ffmpeg(
        [
            *inputs,
            "-filter_complex",
            ";".join(chains),
            "-map",
            "[vout]",
            "-map",
            f"[{audio_label}]",
            *video_args(crf=NORMALISE_CRF, fps=target.fps, timescale=target.timescale),
            *audio_args(),
            "-t",
            num(length),
            *mp4_args(),
            str(out),
        ],
        timeout_s=120 + length * 10,
    )
