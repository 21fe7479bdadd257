"""What a card in a grid needs: poster, preview video and length, for many generations in few queries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from reelsmith.db.models import Asset, Generation, Scene, Variant
from reelsmith.generations.reading import asset_url
from reelsmith.pipeline.main_variant import main_of


@dataclass(frozen=True)
class CardMedia:
    """The files behind a card; any may be missing while work is under way."""

    video_url: str | None = None
    thumbnail_url: str | None = None
    image_url: str | None = None
    duration_s: float | None = None
    scenes_total: int = 0
    scenes_ready: int = 0

    @property
    def poster_url(self) -> str | None:
        """The best still to show: the poster, else the picture of an image generation."""
        return self.thumbnail_url or self.image_url


def card_media(session: Session, gens: Sequence[Generation]) -> dict[str, CardMedia]:
    """CardMedia per generation id (the main variant of each)."""
    ids = [g.id for g in gens]
    if not ids:
        return {}
    grouped: dict[str, list[Variant]] = {}
    for variant in session.scalars(select(Variant).where(Variant.generation_id.in_(ids))):
        grouped.setdefault(variant.generation_id, []).append(variant)
    main: dict[str, Variant] = {}
    for gen in gens:
        chosen = main_of(gen.state.best_variant, grouped.get(gen.id, []), lambda v: v.kind)
        if chosen is not None:
            main[gen.id] = chosen
    video_ids = [v.video_asset_id for v in main.values() if v.video_asset_id]
    durations = (
        dict(session.execute(select(Asset.id, Asset.duration_s).where(Asset.id.in_(video_ids))).all())
        if video_ids
        else {}
    )
    first_thumb: dict[str, str] = {}
    pending = [v.id for v in main.values() if not v.thumbnail_asset_id]
    if pending:
        rows = session.execute(
            select(Scene.variant_id, Scene.thumbnail_asset_id)
            .where(Scene.variant_id.in_(pending), Scene.thumbnail_asset_id.is_not(None))
            .order_by(Scene.index)
        )
        for variant_id, thumb_id in rows:
            if thumb_id:
                first_thumb.setdefault(variant_id, thumb_id)
    out: dict[str, CardMedia] = {}
    for gen in gens:
        found = main.get(gen.id)
        image_url = asset_url(gen.state.image_asset_id)
        if found is None:
            out[gen.id] = CardMedia(image_url=image_url)
            continue
        thumb = found.thumbnail_asset_id or first_thumb.get(found.id)
        out[gen.id] = CardMedia(
            video_url=asset_url(found.video_asset_id),
            thumbnail_url=asset_url(thumb),
            image_url=image_url,
            duration_s=durations.get(found.video_asset_id or ""),
            scenes_total=found.total_scenes,
            scenes_ready=found.scenes_completed,
        )
    return out
