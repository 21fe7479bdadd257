"""Lay a soundtrack under a video: mixed under the clips' audio, ducked by it, or replacing it.

The music is always trimmed (or padded with silence) to the video and faded out over its last second.
"""

from __future__ import annotations

from enum import StrEnum

from reelsmith.errors import InvalidInput
from reelsmith.media.encode import SAMPLE_RATE
from reelsmith.media.filters import num


class SoundtrackMode(StrEnum):
    """How the music meets the clips' own sound."""

    MIX = "mix"  # under the clips' audio, which is lowered a little
    DUCK = "duck"  # pulled down whenever the clips have sound
    REPLACE = "replace"  # instead of the clips' audio


_FORMAT = f"aformat=sample_fmts=fltp:sample_rates={SAMPLE_RATE}:channel_layouts=stereo"
_FADE_OUT_S = 1.0
# The clips' own audio (voice, the local renderer's bed) is lowered a little so the music carries the cut.
_CLIP_AUDIO_GAIN = 0.7
# Ducking: anything from the clips louder than about -36 dBFS pulls the music down (10:1 above that), so
# a voice or bed around -20 dBFS lowers it by well over 6 dB; it recovers over ~0.4 s in the gaps.
_DUCK = "sidechaincompress=threshold=0.016:ratio=10:attack=15:release=400:knee=2"


def soundtrack_mode(*, duck: bool, replace_audio: bool) -> SoundtrackMode:
    """The mode for the stitch flags; InvalidInput when both are set."""
    if duck and replace_audio:
        raise InvalidInput("duck", "cannot duck under clip audio that replace_audio removes")
    if replace_audio:
        return SoundtrackMode.REPLACE
    return SoundtrackMode.DUCK if duck else SoundtrackMode.MIX


def soundtrack_chain(
    clip_audio: str | None, music: str, total: float, out: str, *, mode: str = SoundtrackMode.MIX
) -> str:
    """Filters laying ``[music]`` (fitted to ``total`` s, faded out) with ``[clip_audio]`` into ``[out]``."""
    try:
        kind = SoundtrackMode(mode)
    except ValueError:
        raise InvalidInput(
            "soundtrack mode", f"must be one of {', '.join(SoundtrackMode)}, not {mode!r}"
        ) from None
    fade = min(_FADE_OUT_S, total / 2)
    music_chain = (
        f"[{music}]aresample={SAMPLE_RATE},{_FORMAT},apad=whole_dur={num(total)},atrim=duration={num(total)},"
        f"afade=t=out:st={num(total - fade)}:d={num(fade)},asetpts=PTS-STARTPTS"
    )
    if clip_audio is None:
        return f"{music_chain}[{out}]"
    if kind is SoundtrackMode.REPLACE:
        # Every filter output must be consumed: the clips' audio is built, then dropped.
        return f"[{clip_audio}]anullsink;{music_chain}[{out}]"
    own = (
        f"[{clip_audio}]aresample={SAMPLE_RATE},{_FORMAT},apad=whole_dur={num(total)},"
        f"atrim=duration={num(total)},asetpts=PTS-STARTPTS"
    )
    limiter = "alimiter=limit=0.95:level=disabled"
    if kind is SoundtrackMode.DUCK:
        return (
            f"{music_chain}[music];{own},asplit[own][key];[music][key]{_DUCK}[ducked];"
            f"[own][ducked]amix=inputs=2:duration=first:normalize=0,{limiter}[{out}]"
        )
    return (
        f"{music_chain}[music];{own},volume={_CLIP_AUDIO_GAIN}[own];"
        f"[own][music]amix=inputs=2:duration=first:normalize=0,{limiter}[{out}]"
    )
