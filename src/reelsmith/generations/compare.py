"""Comparing finished work side by side: two or more generations, or ad-clone variants, with their facts.

An item is named by a generation id (its main video) or `generation_id:kind` (one ad-clone variant).
Only what the viewer may see is shown (their own, or published); the rest is counted, never named.
Costs are shown to the owner alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from reelsmith.db.models import Asset, User, Variant
from reelsmith.errors import InvalidInput, NotFound
from reelsmith.feed.service import public_generation
from reelsmith.generations.reading import read_generation
from reelsmith.pipeline.main_variant import main_of
from reelsmith.vocabulary import INTENSITY_LABELS, MODE_LABELS

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime

MIN_ITEMS = 2
MAX_ITEMS = 6


@dataclass(frozen=True)
class CompareItem:
    """One column of the comparison."""

    key: str
    generation_id: str
    title: str
    prompt: str
    label: str  # the mode, and the variant's intensity when there is one
    video_url: str | None
    poster_url: str | None
    aspect_ratio: str | None
    duration_s: float | None
    score: int | None
    reasons: tuple[str, ...]
    generation_time_s: float | None
    tokens: int | None  # the owner's to see
    cost_usd: float | None  # the owner's to see


@dataclass(frozen=True)
class Comparison:
    """What the compare page shows: the items, and how many named ones could not be shown."""

    items: list[CompareItem]
    hidden: int


def parse_ids(raw: str) -> list[str]:
    """The item keys of `?ids=a,b:soft,…` in order, without repeats; 422 naming `ids` beyond MAX_ITEMS."""
    keys = list(dict.fromkeys(k.strip() for k in raw.split(",") if k.strip()))
    if len(keys) > MAX_ITEMS:
        raise InvalidInput("ids", f"compare at most {MAX_ITEMS} at once")
    return keys


def compare(rt: Runtime, session: Session, keys: list[str], viewer: User | None) -> Comparison:
    """The items the viewer may see, in the order asked."""
    items: list[CompareItem] = []
    hidden = 0
    for key in keys:
        found = _item(rt, session, key, viewer)
        if found is None:
            hidden += 1
        else:
            items.append(found)
    return Comparison(items, hidden)


def _item(rt: Runtime, session: Session, key: str, viewer: User | None) -> CompareItem | None:
    generation_id, _, kind = key.partition(":")
    try:
        gen = public_generation(session, generation_id[:36], viewer)
    except NotFound:
        return None
    data = read_generation(rt, session, gen)
    variant = (
        next((v for v in data.variants if v.kind == kind), None)
        if kind
        else main_of(gen.state.best_variant, data.variants, lambda v: v.kind)
    )
    if kind and variant is None:
        return None
    owner = viewer is not None and (viewer.id == gen.user_id or viewer.is_admin)
    label = MODE_LABELS.get(gen.mode, gen.mode)
    if variant is not None and variant.kind in INTENSITY_LABELS:
        label = f"{label} · {INTENSITY_LABELS[variant.kind]}"
    evaluation = variant.evaluation if variant is not None else None
    video_url = variant.video_url if variant is not None else data.video_url
    row = session.get(Variant, variant.id) if variant is not None else None
    video = session.get(Asset, row.video_asset_id) if row is not None and row.video_asset_id else None
    return CompareItem(
        key=key,
        generation_id=gen.id,
        title=gen.title or gen.prompt,
        prompt=gen.prompt,
        label=label,
        video_url=video_url,
        poster_url=(variant.thumbnail_url if variant is not None else None) or data.image_url,
        aspect_ratio=data.aspect_ratio,
        duration_s=video.duration_s if video is not None else None,
        score=evaluation.score if evaluation else None,
        reasons=tuple(evaluation.reasons) if evaluation else (),
        generation_time_s=gen.generation_time_seconds,
        tokens=gen.tokens_charged if owner else None,
        cost_usd=gen.cost_usd if owner else None,
    )
