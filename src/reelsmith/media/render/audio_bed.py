"""A soft audio bed for rendered scenes: a detuned chord with slow tremolo over quiet filtered noise."""

from __future__ import annotations

from reelsmith.media.encode import SAMPLE_RATE
from reelsmith.media.filters import num
from reelsmith.media.render.looks import Look

# Calibrated with ebur128 on this chord mix: integrated loudness lands near -20 LUFS.
_LEVEL = 0.34
_VOICE_WEIGHTS = (1.0, 0.75, 0.55, 0.4, 0.3)


def _voices(look: Look, detune: float) -> str:
    total = sum(_VOICE_WEIGHTS[: len(look.chord_hz)])
    terms = []
    for i, (freq, trem) in enumerate(zip(look.chord_hz, look.tremolo_hz, strict=True)):
        amp = _LEVEL * _VOICE_WEIGHTS[i] / total
        terms.append(f"{num(amp)}*sin(2*PI*{num(freq * detune)}*t)*(0.7+0.3*sin(2*PI*{num(trem)}*t+{i}))")
    return "+".join(terms)


def audio_bed(look: Look, duration: float, out: str) -> list[str]:
    """Chains producing a stereo 48 kHz bed of exactly ``duration`` seconds into ``[out]``."""
    fade_in = min(0.5, duration * 0.2)
    fade_out = min(0.8, duration * 0.25)
    # Left and right are detuned by a few cents: the beating gives the pad width and movement.
    left, right = _voices(look, 1.0), _voices(look, 1.0035)
    return [
        f"aevalsrc='{left}|{right}':s={SAMPLE_RATE}:d={num(duration)}:c=stereo,lowpass=f=1800[pad]",
        f"anoisesrc=d={num(duration)}:c=pink:r={SAMPLE_RATE}:a=0.03:seed=1,lowpass=f=700,highpass=f=120,"
        "aformat=channel_layouts=stereo[air]",
        f"[pad][air]amix=inputs=2:normalize=0:duration=first,afade=t=in:d={num(fade_in)},"
        f"afade=t=out:st={num(duration - fade_out)}:d={num(fade_out)},"
        f"aformat=sample_fmts=fltp:sample_rates={SAMPLE_RATE}:channel_layouts=stereo[{out}]",
    ]
