"""A storyboard drafted on the spot: a story and its scenes from the text model, no video.

A draft costs STORYBOARD_PRICE tokens, taken in one ledger entry before the text model is called (so a
user cannot start drafts they cannot pay for) and given back in one entry if the draft fails. Both
entries are keyed by the draft, so each lands exactly once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reelsmith.accounts import ledger
from reelsmith.pipeline.writing import MAX_SCENE_S, MIN_SCENE_S, ask_text
from reelsmith.providers.registry import TEXT_PROVIDERS, parse_chain
from reelsmith.vocabulary import STORYBOARD_PRICE, Mode

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
    rt: Runtime, user_id: str, prompt: str, scene_count: int, mode: Mode, text_provider: str | None = None
) -> Storyboard:
    """Charge the draft, ask the text model (the given chain, else the configured one), refund a failure.

    Raises InsufficientTokens before any provider is called.
    """
    # An unknown provider is refused before anything is charged.
    chain = parse_chain(text_provider or rt.settings.text_provider, TEXT_PROVIDERS, "text_provider")
    draft = uuid.uuid4().hex
    with rt.db.write() as session:
        ledger.charge(session, user_id, STORYBOARD_PRICE, f"charge:storyboard:{draft}", note="storyboard")
    try:
        return _draft(rt, prompt, scene_count, mode, ",".join(chain))
    except BaseException:
        # Whatever stopped the draft (a provider, an invalid reply, a crash), the user got nothing.
        with rt.db.write() as session:
            ledger.refund(
                session, user_id, STORYBOARD_PRICE, f"refund:storyboard:{draft}", note="failed storyboard"
            )
        raise


def _draft(rt: Runtime, prompt: str, scene_count: int, mode: Mode, providers: str) -> Storyboard:
    """Ask the text model for a story, then its scenes."""
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
