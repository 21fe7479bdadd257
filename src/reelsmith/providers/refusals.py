"""Refusing, when a generation is created, model choices that cannot work: before anything is charged.

A model past its shutdown date is refused with its replacement named; a frame shape that no model
of the video chain can make is refused too (one model of the chain able to make it is enough, since
the chain fails over).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from reelsmith.errors import InvalidInput
from reelsmith.providers.catalogue import Kind, ModelEntry, today
from reelsmith.providers.fitting import aspect_refusal
from reelsmith.providers.registry import split_item

if TYPE_CHECKING:
    from reelsmith.providers.registry import ProviderRegistry

# The request field each chain comes from, named in a refusal.
FIELDS: dict[Kind, str] = {"text": "providers.text", "image": "providers.image", "video": "providers.video"}


def retired_refusal(entry: ModelEntry, on: dt.date) -> str | None:
    """Why `entry`'s model cannot be used any more (with what to use instead), or None while it works."""
    life = entry.lifecycle
    if not life.is_gone(on):
        return None
    when = f" on {life.shutdown.isoformat()}" if life.shutdown else ""
    instead = f"; use {life.replacement} instead" if life.replacement else ""
    return f"{entry.provider}:{entry.id} was shut down{when}{instead}"


def refuse_unusable(
    registry: ProviderRegistry,
    chains: Mapping[Kind, Sequence[str]],
    aspect: str | None = None,
    *,
    on: dt.date | None = None,
) -> None:
    """Raise InvalidInput (422) naming the field when a chain holds a shut-down model, or when no model
    of the video chain can make `aspect` frames (None: no clips are made)."""
    day = on or today()
    for kind, items in chains.items():
        for item in items:
            entry = registry.catalogue.get(split_item(item)[0], registry.model_for(item, kind))
            why = retired_refusal(entry, day) if entry else None
            if why:
                raise InvalidInput(FIELDS[kind], why)
    videos = chains.get("video", ())
    if aspect is None or not videos:
        return
    refusals = [aspect_refusal(registry.entry(item, "video"), aspect) for item in videos]
    if all(refusals):
        raise InvalidInput("aspect_ratio", "; ".join(r for r in refusals if r))
