"""Word pools the local writer picks from with a seed: places, light, palettes, styles, lenses, titles."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

SETTINGS: dict[str, tuple[str, ...]] = {
    "ad": (
        "a minimalist white studio",
        "a sunlit loft with tall windows",
        "a rooftop garden at golden hour",
        "a neon-lit city street after rain",
        "a calm seaside villa",
        "a softly lit modern living room",
        "a marble-and-brass boutique",
        "a lush botanical greenhouse",
    ),
    "story": (
        "a windswept coastal town",
        "a quiet village at the edge of a forest",
        "a rain-soaked city at night",
        "a sunlit desert town",
        "a snowy mountain village",
        "a cluttered old workshop",
        "a crowded night market",
        "a misty harbour at dawn",
    ),
    "music": (
        "an empty warehouse full of haze",
        "a neon-drenched underpass",
        "a rooftop garden under a violet sky",
        "a desert motel at dusk",
        "a mirrored dance studio",
        "a forest clearing strung with lights",
    ),
}

LIGHTS: tuple[str, ...] = (
    "soft golden-hour light",
    "moody low-key light with a crisp rim light",
    "bright diffused daylight",
    "neon reflections and soft haze",
    "warm window light",
    "cool blue twilight",
    "dappled sunlight through leaves",
)

PALETTES: tuple[str, ...] = (
    "champagne gold and soft ivory",
    "deep teal and amber",
    "blush pink and warm white",
    "midnight blue and silver",
    "forest green and brass",
    "coral and cream",
    "charcoal and electric blue",
)

STYLES: dict[str, tuple[str, ...]] = {
    "ad": (
        "Premium live-action commercial, glossy product photography, shallow depth of field, smooth slow "
        "motion",
        "Clean modern brand film, bright high-key lighting, crisp detail, elegant gliding camera",
        "Luxury editorial look, rich contrast, sculpted highlights, slow deliberate camera moves",
    ),
    "story": (
        "Cinematic live action on 35mm film, natural light, gentle grain, anamorphic framing",
        "Painterly animated short, soft textures, warm storybook colours, gentle camera",
        "Moody contemporary drama, handheld intimacy, muted colours, naturalistic light",
    ),
    "music": (
        "Stylised music video, bold saturated colour, light leaks, rhythmic camera energy",
        "Dreamy 16mm music video, halation and grain, pastel haze, floating camera",
        "High-contrast performance video, hard strobes, deep blacks, kinetic framing",
    ),
}

# Lens and framing that suit each camera move; the enhance step adds one per scene.
LENSES: dict[str, tuple[str, ...]] = {
    "slow push-in": ("a 35mm lens pushing in slowly, shallow focus", "a 50mm lens at f/1.8 easing closer"),
    "pull back": ("a 24mm lens pulling back to reveal the space", "a wide 28mm lens drifting back"),
    "pan left": ("a 50mm lens panning smoothly left", "a 40mm anamorphic lens tracking left"),
    "pan right": ("a 50mm lens panning smoothly right", "a 40mm anamorphic lens tracking right"),
    "orbit": ("an 85mm lens orbiting the subject, creamy bokeh", "a 35mm gimbal orbit with parallax"),
    "static": ("a locked-off 85mm frame, subject razor sharp", "a static 50mm tripod shot, balanced framing"),
}

TEXTURES: tuple[str, ...] = (
    "fine film grain",
    "subtle lens bloom on highlights",
    "gentle haze in the air",
    "crisp micro-contrast",
    "soft halation around lights",
)

NEGATIVE: dict[str, str] = {
    "base": "blurry, low resolution, distorted faces, extra limbs, malformed hands, warped text, watermark, "
    "jpeg artifacts, flicker",
    "ad": "cluttered background, competing brand logos, off-brand colours",
    "story": "inconsistent character appearance, modern logos, gore",
    "music": "static boring framing, washed-out colour",
}

TITLES: dict[str, tuple[str, ...]] = {
    "ad": (
        "{Subject}: Made for You",
        "{Subject}: Feel the Difference",
        "Meet {Subject}",
        "{Subject}, Reimagined",
    ),
    "story": (
        "The {Subject}",
        "The Story of the {Subject}",
        "A Day for the {Subject}",
        "Journey of the {Subject}",
    ),
    "music": ("{Subject}", "{Subject} (Music Video)", "Nights of {Subject}"),
}

LOGLINES: dict[str, tuple[str, ...]] = {
    "ad": (
        "A short spot that turns {the_subject} into the hero of an ordinary day.",
        "Ordinary life meets {the_subject}, and nothing feels ordinary again.",
        "A short, glossy film that makes you want {the_subject} right now.",
    ),
    "story": (
        "In {setting}, {the_subject} faces one moment that changes everything.",
        "When the ordinary cracks open, {the_subject} must choose who to become.",
        "A short tale of {the_subject}, a small world and a big turning point.",
    ),
    "music": (
        "A music video that follows {the_subject} through light, rhythm and colour.",
        "{The_subject}, a song, and {setting} lit up one beat at a time.",
    ),
}

WARDROBES: tuple[str, ...] = (
    "a charcoal wool coat over a cream knit sweater",
    "a faded denim jacket and a rust-orange scarf",
    "a tailored navy suit with a white shirt",
    "a yellow raincoat and dark green boots",
    "a simple black turtleneck and grey trousers",
)


def _slot(seed: int, salt: tuple[object, ...]) -> int:
    key = f"{seed}:" + ":".join(str(s) for s in salt)
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest(), "big")


def pick(options: Sequence[T], seed: int, *salt: object, offset: int = 0) -> T:
    """Pick one option from the seed and a salt naming the slot; `offset` steps on for repeats."""
    return options[(_slot(seed, salt) + offset) % len(options)]
