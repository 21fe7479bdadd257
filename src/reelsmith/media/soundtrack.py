"""Lay a soundtrack under a video's own audio: trimmed to the video, faded out over the last second."""

from __future__ import annotations

from reelsmith.media.encode import SAMPLE_RATE
from reelsmith.media.filters import num

_FORMAT = f"aformat=sample_fmts=fltp:sample_rates={SAMPLE_RATE}:channel_layouts=stereo"
_FADE_OUT_S = 1.0
# The clips' own audio (voice, the local renderer's bed) is lowered a little so the music carries the cut.
_CLIP_AUDIO_GAIN = 0.7


def soundtrack_chain(clip_audio: str | None, music: str, total: float, out: str) -> str:
    """Filters mixing ``[music]`` (trimmed/padded to ``total`` s, 1 s fade-out) under ``[clip_audio]``."""
    fade = min(_FADE_OUT_S, total / 2)
    music_chain = (
        f"[{music}]aresample={SAMPLE_RATE},{_FORMAT},apad=whole_dur={num(total)},atrim=duration={num(total)},"
        f"afade=t=out:st={num(total - fade)}:d={num(fade)}"
    )
    if clip_audio is None:
        return f"{music_chain},asetpts=PTS-STARTPTS[{out}]"
    return (
        f"{music_chain}[music];"
        f"[{clip_audio}]aresample={SAMPLE_RATE},{_FORMAT},apad=whole_dur={num(total)},atrim=duration={num(total)},"
        f"volume={_CLIP_AUDIO_GAIN}[own];"
        f"[own][music]amix=inputs=2:duration=first:normalize=0,alimiter=limit=0.95:level=disabled[{out}]"
    )
