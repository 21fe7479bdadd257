"""Transitions through one filter graph, fully re-encoded: the fallback when windows cannot be copied."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from reelsmith.media.encode import REENCODE_CRF, audio_args, mp4_args, video_args
from reelsmith.media.ffmpeg import run_ffmpeg
from reelsmith.media.filters import num
from reelsmith.media.probe import MediaInfo
from reelsmith.media.stitch.normalise import Target, audio_chain, video_chain
from reelsmith.media.stitch.soundtrack import SoundtrackMode, soundtrack_chain
from reelsmith.vocabulary import Transition


def crossfade(
    clips: Sequence[Path],
    infos: Sequence[MediaInfo],
    transition: Transition,
    transition_s: float,
    soundtrack: Path | None,
    out: Path,
    *,
    soundtrack_mode: SoundtrackMode = SoundtrackMode.MIX,
) -> None:
    """Join clips with ``transition`` of ``transition_s``; total = sum of durations - (n-1) * transition_s."""
    target = Target.from_first(infos[0])
    chains: list[str] = []
    for i, info in enumerate(infos):
        chains.append(video_chain(target, f"{i}:v:0", info.duration_s, f"v{i}"))
        chains.append(audio_chain(f"{i}:a:0" if info.has_audio else None, info.duration_s, f"a{i}"))
    frames = [round(i.duration_s * target.fps) for i in infos]
    overlap = round(transition_s * target.fps)
    if all(f >= (1 if i in (0, len(frames) - 1) else 2) * overlap for i, f in enumerate(frames)):
        chains += _split_fades(frames, overlap, transition, float(overlap / target.fps))
    else:
        chains += _chained_fades(infos, transition, transition_s)
    audio, length = "a0", infos[0].duration_s
    for i in range(1, len(infos)):
        a_out = "aout" if i == len(infos) - 1 else f"ax{i}"
        chains.append(f"[{audio}][a{i}]acrossfade=d={num(transition_s)}:c1=tri:c2=tri[{a_out}]")
        audio, length = a_out, length + infos[i].duration_s - transition_s
    inputs: list[str] = []
    for clip in clips:
        inputs += ["-i", str(clip)]
    if soundtrack is not None:
        inputs += ["-i", str(soundtrack)]
        chains.append(soundtrack_chain("aout", f"{len(clips)}:a:0", length, "amix", mode=soundtrack_mode))
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
            *video_args(crf=REENCODE_CRF, fps=target.fps, timescale=target.timescale),
            *audio_args(),
            "-t",
            num(length),
            *mp4_args(),
            str(out),
        ],
        timeout_s=120 + length * 10,
    )


def _split_fades(frames: Sequence[int], overlap: int, transition: Transition, fade_s: float) -> list[str]:
    """Only the overlapping frames go through xfade, which alters even frames outside its transition."""
    chains: list[str] = []
    pieces: list[str] = []
    last = len(frames) - 1
    for i, count in enumerate(frames):
        start, end = (overlap if i else 0), (count - overlap if i < last else count)
        outs = ([f"[h{i}]"] if i else []) + [f"[b{i}]"] + ([f"[t{i}]"] if i < last else [])
        chains.append(f"[v{i}]split={len(outs)}{''.join(outs)}")
        if i:
            chains.append(f"[h{i}]trim=end_frame={overlap},setpts=PTS-STARTPTS[head{i}]")
            chains.append(
                f"[tail{i - 1}][head{i}]xfade=transition={transition}:duration={num(fade_s)}:offset=0[x{i}]"
            )
            pieces.append(f"[x{i}]")
        if end > start:
            chains.append(f"[b{i}]trim=start_frame={start}:end_frame={end},setpts=PTS-STARTPTS[body{i}]")
            pieces.append(f"[body{i}]")
        else:
            chains.append(f"[b{i}]nullsink")
        if i < last:
            chains.append(f"[t{i}]trim=start_frame={count - overlap},setpts=PTS-STARTPTS[tail{i}]")
    chains.append(f"{''.join(pieces)}concat=n={len(pieces)}:v=1:a=0[vout]")
    return chains


def _chained_fades(infos: Sequence[MediaInfo], transition: Transition, transition_s: float) -> list[str]:
    """Clips shorter than two transitions: chain xfade so the overlapping transitions blend."""
    chains: list[str] = []
    video, length = "v0", infos[0].duration_s
    for i in range(1, len(infos)):
        v_out = "vout" if i == len(infos) - 1 else f"vx{i}"
        # xfade starts the transition `transition_s` before the end of what has been joined so far.
        chains.append(
            f"[{video}][v{i}]xfade=transition={transition}:duration={num(transition_s)}"
            f":offset={num(length - transition_s)}[{v_out}]"
        )
        video, length = v_out, length + infos[i].duration_s - transition_s
    return chains
