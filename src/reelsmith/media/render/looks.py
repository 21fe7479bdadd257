"""Seeded looks for the local renderer: colour palettes and the chord of the audio bed."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Palette:
    """Three background colours (dark → light) and an accent for lights, bars and markers."""

    name: str
    colors: tuple[str, str, str]
    accent: str


# Deep, saturated tones: white text stays readable over every one of them.
PALETTES: tuple[Palette, ...] = (
    Palette("midnight", ("0x0f0c29", "0x302b63", "0x7b2ff7"), "0xf72585"),
    Palette("ocean", ("0x061a33", "0x0f4c75", "0x1b998b"), "0x3bceac"),
    Palette("ember", ("0x1a0b2e", "0x9d1a6b", "0xe8572a"), "0xffd166"),
    Palette("forest", ("0x081c15", "0x1b4332", "0x52b788"), "0xd8f3dc"),
    Palette("sunset", ("0x2d1b4e", "0xb23a48", "0xf28f3b"), "0xffe29a"),
    Palette("royal", ("0x10002b", "0x3c096c", "0x7b2cbf"), "0xe0aaff"),
    Palette("lagoon", ("0x032b43", "0x136f63", "0x3f88c5"), "0xffba08"),
    Palette("graphite", ("0x111118", "0x2c2c3a", "0x4a4e69"), "0xf2c14e"),
    Palette("berry", ("0x2b0f3a", "0x7a1e48", "0xd1495b"), "0xedae49"),
    Palette("arctic", ("0x0d1b2a", "0x1b263b", "0x3e6a99"), "0x8ecae6"),
)

# Root notes (Hz) of a low pad and a few chord shapes (semitones): calm, unobtrusive beds.
_ROOTS = (110.0, 116.54, 123.47, 130.81, 138.59, 146.83, 155.56, 164.81)
_CHORDS = ((0, 7, 12, 16, 19), (0, 7, 12, 15, 19), (0, 7, 14, 17, 19), (0, 4, 7, 11, 14), (0, 3, 7, 10, 14))


@dataclass(frozen=True)
class Look:
    """Everything a seed decides about a scene's appearance and sound."""

    palette: Palette
    gradient_type: str
    gradient_speed: float
    orbs: tuple[tuple[float, float, float, float], ...]  # (x0, y0, dx, dy) as fractions of the frame
    chord_hz: tuple[float, ...]
    tremolo_hz: tuple[float, ...]


def look_for(seed: int) -> Look:
    """The deterministic look of seed ``seed``; neighbouring seeds get different palettes."""
    rng = random.Random(seed)
    # Neighbouring seeds (scene 0, 1, 2 of one video) walk the palette list with a stride, so consecutive
    # scenes never share a palette while a video still looks like one family of colours.
    palette = PALETTES[(seed * 3 + rng.randrange(2)) % len(PALETTES)]
    orbs = tuple(
        (rng.uniform(0.1, 0.9), rng.uniform(0.15, 0.85), rng.uniform(-0.25, 0.25), rng.uniform(-0.12, 0.12))
        for _ in range(3)
    )
    root = rng.choice(_ROOTS)
    chord = tuple(root * 2 ** (step / 12) for step in rng.choice(_CHORDS))
    return Look(
        palette=palette,
        gradient_type="linear",
        gradient_speed=rng.uniform(0.012, 0.025),
        orbs=orbs,
        chord_hz=chord,
        tremolo_hz=tuple(rng.uniform(0.15, 0.6) for _ in chord),
    )
