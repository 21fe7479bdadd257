"""A storyboard drafted on the spot: a story and its scenes from the text model, no video, no tokens."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reelsmith.pipeline.writing import MAX_SCENE_S, MIN_SCENE_S, ask_text
from reelsmith.vocabulary import Mode

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime


@dataclass(frozen=True)
class Storyboard:
    """A titled story and its scenes, as the writer drafted them."""

    title: str
    logline: str
    story: str
    style: str
    scenes: list[dict[str, Any]]


def draft_storyboard(
    rt: Runtime, prompt: str, scene_count: int, mode: Mode, text_provider: str | None = None
) -> Storyboard:
    """Ask the text model (the given failover chain, else the configured one) for a story, then its scenes."""
    providers = text_provider or rt.settings.text_provider
    story = ask_text(
        rt,
        "story",
        {"prompt": prompt, "title": "", "mode": mode.value, "scene_count": scene_count},
        providers,
        None,
    )
    scenes = ask_text(
        rt,
        "scenes",
        {
            "prompt": prompt,
            "story": story,
            "scene_count": scene_count,
            "min_duration_s": MIN_SCENE_S,
            "max_duration_s": MAX_SCENE_S,
            "target_total_s": None,
        },
        providers,
        None,
    )
    return Storyboard(story["title"], story["logline"], story["story"], story["style"], scenes["scenes"])
