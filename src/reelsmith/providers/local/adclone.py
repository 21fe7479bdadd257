"""The local writer's ad-clone tasks: the source ad's arc retold for the product, then four intensities.

``transform`` is the ad arc written for the user's brief, its style carrying the source's palette.
``variant`` writes the scenes with a seed of their own per intensity and then pushes them further the
higher the intensity: soft and medium keep the writer's framing, aggressive swaps in fast camera moves
and louder captions, ultra restages every scene in a different visual device.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reelsmith.providers.local import writer
from reelsmith.providers.local.subject import stable_seed

_FAST_CAMERAS = ("whip pan", "crash zoom", "fast push-in", "snap zoom out", "handheld rush")
_DEVICES = (
    "Restaged as a stop-motion miniature",
    "Told as a graphic split-screen",
    "Reimagined in bold paper-cut animation",
    "Shot as a dreamlike slow-motion tableau",
    "Turned into a neon-lit night sequence",
)


def transform(prompt: str, *, title: str, scene_count: int, source: Mapping[str, Any]) -> dict[str, Any]:
    """A StoryDraft-shaped dict: the ad arc for the brief, in the source's palette."""
    story = writer.write_story(prompt, title=title, mode="ad_clone", scene_count=scene_count)
    palette = [str(c) for c in source.get("palette", [])][:4]
    if palette:
        story["style"] = f"{story['style'].rstrip('.')}, echoing the source's colours {', '.join(palette)}."
    return story


def _louder(text: str) -> str:
    if not text:
        return text
    louder = text.upper().rstrip(".!") + "!"
    return louder if len(louder) <= writer.MAX_TEXT_CHARS else text


def variant(
    prompt: str,
    *,
    story: Mapping[str, Any],
    intensity: str,
    scene_count: int,
    lengths: Sequence[float],
    narration: bool = False,
) -> dict[str, Any]:
    """A SceneList-shaped dict for one intensity, using the given scene lengths (and lines sized to them)."""
    reply = writer.write_scenes(
        prompt,
        story=story,
        scene_count=scene_count,
        min_s=None,
        max_s=None,
        target_s=sum(lengths) if lengths else None,
        mode="ad_clone",
        variation=intensity,
        narration=narration,
        lengths=lengths,
    )
    seed = stable_seed(prompt, intensity)
    device = _DEVICES[seed % len(_DEVICES)]
    for i, scene in enumerate(reply["scenes"]):
        if i < len(lengths):
            scene["duration_s"] = float(lengths[i])
        if intensity == "aggressive":
            scene["camera"] = _FAST_CAMERAS[(seed + i) % len(_FAST_CAMERAS)]
            scene["on_screen_text"] = _louder(scene["on_screen_text"])
        elif intensity == "ultra":
            description = scene["description"]
            scene["description"] = f"{device}: {description[:1].lower()}{description[1:]}"
    return reply
